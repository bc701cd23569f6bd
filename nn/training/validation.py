"""The examples of a training run: which are held out for validation, the order the others are
trained in, and early stopping on the held-out ones."""

import numpy as np

from nn.network.errors import TrainingError
from nn.ink.redraw import redrawn_count, with_redrawn


def validation_count(n, size):
    """How many of n examples a validation split of ``size`` takes: never more than a fifth,
    so a small dataset keeps most of its examples for training."""
    return min(size, n // 5)


def split_counts(n, config):
    """(trained as they are, redrawn copies added, held out for validation): what ``train``
    does with n examples and ``config``. It uses the first ``train_size`` (all when 0), holds
    `validation_count` of them out and adds ``config.redraw`` redrawn copies of the rest."""
    used = min(n, config.train_size) if config.train_size else n
    validation = validation_count(used, config.validation_size)
    return used - validation, redrawn_count(used - validation, config.redraw), validation


def split_sizes(n, config):
    """(examples used, examples trained on, redrawn copies included) of `split_counts`."""
    trained, redrawn, validation = split_counts(n, config)
    return trained + validation, trained + redrawn


def split_validation(n, size, rng):
    """Indices (train, validation) that hold ``validation_count(n, size)`` random examples of
    n out of training."""
    size = validation_count(n, size)
    order = rng.permutation(n)
    return order[size:], order[:size]


class Examples:
    """The examples of a run: the validation set, and the training examples, in a new order
    every epoch. ``stop`` (a threading.Event) cuts the redrawing short: the run is over anyway.

    Each mini-batch is gathered from the examples into one buffer reused from batch to batch,
    where the network reads it while it is still in the CPU's cache. Shuffling a copy of all
    the examples instead (as PyTorch's ``x[randperm(n)]`` does) writes them all out to memory
    and reads them back, an eighth of an MLP's epoch. The full batch is one contiguous copy,
    made once: its order does not matter."""

    def __init__(self, x, y, input_shape, config, rng, stop=None):
        used, self.n = split_sizes(len(x), config)
        if used < 2:
            raise TrainingError(f"Training needs at least 2 examples; the dataset has {used}.")
        self.x = np.asarray(x[:used], dtype=np.float32).reshape((-1,) + input_shape)
        self.y = y[:used]
        self.train_index, val_index = split_validation(used, config.validation_size, rng)
        self.x_val, self.y_val, self.n_val = self.x[val_index], self.y[val_index], len(val_index)
        if config.redraw:  # redrawings join the training examples, never the validation ones
            self.x, self.y = with_redrawn(self.x[self.train_index], self.y[self.train_index],
                                          config.redraw, rng, stop)
            self.train_index = np.arange(len(self.x))
        self.batch_size = self.n if config.batch_size <= 0 else min(config.batch_size, self.n)
        self.n_batches = -(-self.n // self.batch_size)
        self.order = self.train_index
        if self.batch_size < self.n:
            self._batch = np.empty((self.batch_size,) + self.x.shape[1:], self.x.dtype)
        else:
            self._all = self.x[self.train_index], self.y[self.train_index]

    def shuffle(self, rng):
        if self.batch_size < self.n:
            self.order = self.train_index[rng.permutation(self.n)]

    def batches(self):
        """(x, y) of each batch in turn; a mini-batch's x is overwritten by the next."""
        if self.batch_size == self.n:
            yield self._all
            return
        for start in range(0, self.n, self.batch_size):
            picked = self.order[start:start + self.batch_size]
            # mode="clip": with the default "raise", take() copies through a hidden buffer.
            yield (np.take(self.x, picked, axis=0, out=self._batch[:len(picked)], mode="clip"),
                   self.y[picked])


class BestWeights:
    """Early stopping: remember the weights of the best validation accuracy so far."""

    def __init__(self, model, patience):
        self.model, self.patience = model, patience
        self.best_acc, self.best_epoch, self.saved = -1.0, None, None

    def update(self, epoch, val_acc):
        """Record an epoch's result; True when training should stop."""
        if not self.patience or val_acc is None:
            return False
        if val_acc > self.best_acc:
            self.best_acc, self.best_epoch = val_acc, epoch
            self.saved = [p.copy() for p in self.model.params]
        return epoch - self.best_epoch >= self.patience

    def restore(self):
        """Put the best weights back; returns the epoch they come from (None if unused)."""
        if self.saved is None:
            return None
        for p, saved in zip(self.model.params, self.saved):
            np.copyto(p, saved)
        return self.best_epoch
