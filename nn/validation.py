"""The validation set: which examples training holds out, and early stopping on them."""

import numpy as np


def held_out(n, size):
    """How many of n examples a validation split of ``size`` takes: never more than a fifth,
    so a small dataset keeps most of its examples for training."""
    return min(size, n // 5)


def split_sizes(n, config):
    """(examples used, of which trained on) when ``train`` gets n examples with ``config``:
    the first ``train_size`` (all when 0), less the validation examples."""
    used = min(n, config.train_size) if config.train_size else n
    return used, used - held_out(used, config.validation_size)


def split_validation(n, size, rng):
    """Indices (train, validation) that hold ``held_out(n, size)`` random examples of n out
    of training."""
    size = held_out(n, size)
    order = rng.permutation(n)
    return order[size:], order[:size]


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
