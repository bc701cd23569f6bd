"""The training loop shared by the command line and the desktop app.

It reports through callbacks and never prints: ``on_progress`` receives a small immutable
record after every batch and every epoch (`nn.training.progress`). A ``stop`` event ends
training after the current batch; while a ``pause`` event is set the loop waits, except that
each release of the ``step`` semaphore lets exactly one batch through (step-by-step
training), and that batch's record says what the step did to it (``nn.training.stepping``).
They are ``threading`` objects so another thread (a GUI) can use them safely.
"""

import dataclasses
import math
import threading
from dataclasses import dataclass
from functools import partial

import numpy as np

from nn.ink.augment import Augmentation, augment_batch
from nn.network.diagnostics import LayerWatch
from nn.network.errors import TrainingError
from nn.network.layers import Dropout
from nn.network.losses import of_a_class, softmax_cross_entropy
from nn.network.model import INFERENCE_BATCH
from nn.network.optim import OPTIMIZERS
from nn.network.parallel import DataParallel, parts_for
from nn.network.randomness import RandomStreams
from nn.network.schedules import learning_rate
from nn.training.progress import Progress
from nn.training.stepping import OneStepCheck
from nn.training.validation import BestWeights, Examples

# Cross-entropy starts near ln(10) = 2.3; a mean loss of 1000 means the right class gets a
# probability of e^-1000. Such a run has diverged even if the numbers are still finite.
DIVERGED_LOSS = 1e3
# Larger batches (full batch, as in the notebook) are computed this many examples at a time.
# A chunk of 1,024 MNIST images (3 MB) is still in the CPU's cache when the backward pass reads
# it again: the notebook's full batch ran 35 ms an epoch against 40 ms with chunks of 4,096.
GRADIENT_CHUNK = 1024


MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 60_000
MAX_COUNT = 2**31 - 1
# The range of each number of a TrainConfig: what the command line accepts and what a model
# file or the run history may hold, so no saved setting can break a resumed run (a step
# every 0 epochs divides by zero, a redraw share of 1e9 asks for a billion copies).
LIMITS = {
    "epochs": (1, MAX_EPOCHS), "batch_size": (0, MAX_BATCH_SIZE),
    "learning_rate": (1e-9, 1e9), "momentum": (0.0, 0.999), "weight_decay": (0.0, 10.0),
    "warmup_epochs": (0.0, MAX_EPOCHS), "step_every": (1, MAX_EPOCHS),
    "step_gamma": (1e-6, 1.0), "train_size": (0, MAX_COUNT), "validation_size": (0, MAX_COUNT),
    "early_stopping_patience": (0, MAX_EPOCHS), "redraw": (0.0, 1.0), "seed": (0, MAX_COUNT),
}


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the learned state lives in the model, not here)."""

    epochs: int = 10
    batch_size: int = 128          # 0 means full batch: one step per epoch, as in the notebook
    optimizer: str = "adam"        # one of nn.network.optim.OPTIMIZERS
    learning_rate: float = 1e-3
    momentum: float = 0.9          # sgd only
    nesterov: bool = False         # sgd only
    weight_decay: float = 0.0      # L2 for gd/sgd/adam, decoupled for adamw
    schedule: str = "constant"     # one of nn.network.schedules.SCHEDULES
    warmup_epochs: float = 0.0
    step_every: int = 1            # step schedule: decay every this many epochs...
    step_gamma: float = 0.5        # ...by this factor
    train_size: int = 0            # use only the first N training examples; 0 = all
    validation_size: int = 5000    # of those, examples held out to watch for overfitting
    early_stopping_patience: int = 0  # stop after this many epochs without a better
                                      # validation accuracy and restore the best weights; 0 = off
    augmentation: Augmentation | None = None  # random distortions of each training batch
    redraw: float = 0.0            # add this share of the training digits redrawn from their
                                   # centre lines, as the app redraws strokes (nn.ink.redraw)
    seed: int = 0

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in d.items() if k in names}
        if isinstance(values.get("augmentation"), dict):
            values["augmentation"] = Augmentation(**values["augmentation"])
        return cls(**values)


@dataclass
class TrainResult:
    history: list             # EpochProgress records, one per completed epoch
    optimizer: object         # with its running state, so training can resume
    stopped: bool             # True when the stop event ended training early
    best_epoch: int | None    # epoch whose weights were restored by early stopping
    batch_parts: int          # threads that shared each batch (nn.network.parallel)


def make_optimizer(model, config):
    cls = OPTIMIZERS.get(config.optimizer)
    if cls is None:
        raise TrainingError(f"Unknown optimizer {config.optimizer!r}: choose one of "
                            f"{', '.join(OPTIMIZERS)}.")
    kwargs = {"weight_decay": config.weight_decay}
    if config.optimizer == "sgd":
        kwargs |= {"momentum": config.momentum, "nesterov": config.nesterov}
    return cls(model.params, model.grads, **kwargs)


def resume_optimizer(model, config):
    """An optimizer for ``config`` that continues from the state saved with ``model`` when the
    file had one for the same kind of optimizer; a fresh one otherwise."""
    optimizer = make_optimizer(model, config)
    if model.optimizer_state is not None:
        settings, arrays = model.optimizer_state
        if settings.get("name") == config.optimizer and len(arrays) == sum(
                len(a) for a in optimizer.state.values()):
            optimizer.load_state_arrays(arrays, settings.get("t", 0))
    return optimizer


def train(model, x, y, config, on_progress=None, stop=None, pause=None, optimizer=None,
          step=None):
    """Train ``model`` in place on images x (n, 784) float32 and labels y (n,) int64.

    ``optimizer`` continues a previous run with its state; otherwise one is made from
    ``config``. ``step`` (a ``threading.Semaphore``) counts the batches allowed while paused.
    Raises TrainingError if the loss diverges (NaN, infinite or absurdly large).
    A convolutional network splits each batch over the CPU's cores (``nn.network.parallel``).
    Random numbers come from the streams of ``config.seed`` (``nn.network.randomness``), continued
    where the model's previous run with that seed left them.
    """
    if config.train_size < 0 or config.epochs < 0:
        raise TrainingError("The number of epochs and of training examples cannot be negative.")
    if len(x) and math.prod(model.input_shape) != math.prod(np.shape(x)[1:]):
        raise TrainingError(f"The model takes inputs of shape {model.input_shape}, not the "
                            f"{'x'.join(map(str, np.shape(x)[1:]))} examples of this dataset; "
                            "train a model made for them.")
    # Overflow and invalid values are found below and reported as divergence (one error that
    # says what to change), not printed as NumPy warnings along the way.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _train(model, x, y, config, on_progress, stop, pause, optimizer, step)


def _train(model, x, y, config, on_progress, stop, pause, optimizer, step):
    streams = RandomStreams.resume(config.seed, model.random_state)
    stop = stop or threading.Event()
    examples = Examples(x, y, model.input_shape, config, streams.split, stop)
    optimizer = optimizer or make_optimizer(model, config)
    progress = Progress(config.epochs, examples, on_progress)
    best = BestWeights(model, config.early_stopping_patience)
    parts = parts_for(model, examples.batch_size)
    for layer in model.layers:  # dropout masks come from the run's dropout stream
        if isinstance(layer, Dropout):
            layer.rng = streams.dropout
    parallel = DataParallel(model, parts, streams.augmentation, streams.dropout)
    work = partial(augmented_gradient, config.augmentation)
    watch = LayerWatch(model, parallel.models) if on_progress else None

    def finish(stopped):
        model.random_state = streams.state()
        return TrainResult(progress.history, optimizer, stopped, best.restore(), parts)

    for epoch in range(config.epochs):
        examples.shuffle(streams.shuffle)
        with parallel:  # the parts' threads, and BLAS one thread per part
            for b, (xb, yb) in enumerate(examples.batches()):
                stepping = progress.wait_while_paused(pause, stop, step)
                if stop.is_set():
                    return finish(stopped=True)
                check = (OneStepCheck(model, xb, yb, epoch * examples.n_batches + b + 1,
                                      examples.n_batches) if stepping else None)
                lr = learning_rate(config.learning_rate, config.schedule,
                                   epoch + b / examples.n_batches, config.epochs,
                                   config.warmup_epochs, config.step_every, config.step_gamma)
                loss, correct = _gradient(parallel, work, xb, yb, config, epoch, b)
                # Every epoch's last batch too: a short run still shows how its layers changed.
                watching = watch is not None and (stepping or b == examples.n_batches - 1
                                                  or watch.due())
                if watching:
                    watch.before_step()
                optimizer.step(lr)
                progress.batch_done(epoch, b, loss, correct, len(yb),
                                    np.count_nonzero(of_a_class(yb)), lr,
                                    watch.after_step() if watching else None,
                                    check.after() if check else None)
            val_loss, val_acc = (evaluate_in_parts(parallel, examples.x_val, examples.y_val)
                                 if examples.n_val else (None, None))
            if epoch == config.epochs - 1:   # no later batch checks the loss the last step left
                last = val_loss if val_loss is not None else evaluate_in_parts(parallel, xb, yb)[0]
                _check_loss(last, f"after the last step of epoch {epoch + 1}", config)
        _check_weights(model, epoch, config)
        progress.epoch_done(epoch, val_loss, val_acc)
        if best.update(epoch + 1, val_acc):
            break
    return finish(stopped=False)


def _gradient(parallel, work, xb, yb, config, epoch, b):
    """The batch's mean loss and number correct, its gradient left in the model; raises
    TrainingError when the loss has diverged."""
    loss, correct = parallel.gradient(work, xb, yb)   # under train()'s np.errstate
    _check_loss(loss, f"in epoch {epoch + 1}, batch {b + 1}", config)
    return loss, correct


def _check_loss(loss, when, config):
    """Raise TrainingError when ``loss`` shows that training has diverged."""
    if not np.isfinite(loss) or loss > DIVERGED_LOSS:
        raise TrainingError(
            f"Training diverged: the loss became {loss:.3g} {when}. Lower the learning rate "
            f"(now {config.learning_rate:g}), for example to {config.learning_rate / 10:g}, "
            f"and start again.")


def evaluate_in_parts(parallel, x, y):
    """``evaluate`` with the held-out examples shared among the parts' threads, as the batches
    are: the (mean loss, accuracy) of the whole."""
    def work(model, x_part, y_part, rng):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a thread's own
            loss, accuracy = evaluate(model, x_part, y_part)
        return loss, accuracy, np.count_nonzero(of_a_class(y_part))
    done = parallel.map(work, x, y)
    # The accuracy of each part is over its examples of a class, so parts weigh by those.
    labelled = max(sum(count for _, (_, _, count) in done), 1)
    return (sum(share * loss for share, (loss, _, _) in done),
            sum(accuracy * count for _, (_, accuracy, count) in done) / labelled)


def _check_weights(model, epoch, config):
    """Raise TrainingError when a step has made a weight infinite or NaN: the batch losses
    only show it from the next batch on, and the last step of a run has none."""
    if not all(np.isfinite(p).all() for p in model.params):
        raise TrainingError(
            f"Training diverged: the weights became infinite or NaN in epoch {epoch + 1}. "
            f"Lower the learning rate (now {config.learning_rate:g}), for example to "
            f"{config.learning_rate / 10:g}, and start again.")


def augmented_gradient(augmentation, model, x, y, rng):
    """``batch_gradient`` of a randomly distorted copy of the batch (of the batch itself when
    ``augmentation`` is None); the signature ``DataParallel.gradient`` expects."""
    if augmentation is not None:
        x = augment_batch(x, augmentation, rng)
    # NumPy's error state belongs to a thread: a part running in a helper thread needs its own
    # "ignore" (train() reports overflow as divergence).
    with np.errstate(over="ignore", invalid="ignore"):
        return batch_gradient(model, x, y)


def batch_gradient(model, x, y, chunk=None):
    """Forward and backward passes over a batch; leaves the batch's mean gradient in
    ``model.grads`` and returns (mean loss, number of correct predictions).

    A batch larger than ``chunk`` is processed in chunks. The gradient of a mean loss is the
    mean of the per-example gradients, so the batch's gradient is the size-weighted average of
    its chunks' gradients: the result is the same, but only one chunk's activations are held
    at a time (a full batch of MNIST through a CNN would otherwise need gigabytes). The
    chunk is at most GRADIENT_CHUNK examples, fewer for a network with wide activations
    (``model.batch_limit``).
    """
    chunk = chunk or model.batch_limit(GRADIENT_CHUNK)
    if len(x) <= chunk:
        loss, probs, grad = softmax_cross_entropy(model.forward(x, training=True), y)
        model.backward(grad)
        return loss, int(np.count_nonzero(probs.argmax(axis=1) == y))
    total = [np.zeros_like(g) for g in model.grads]
    loss_sum = correct = 0
    for start in range(0, len(x), chunk):
        loss, correct_here = batch_gradient(model, x[start:start + chunk], y[start:start + chunk])
        weight = len(y[start:start + chunk]) / len(x)
        for t, g in zip(total, model.grads):
            t += weight * g
        loss_sum += weight * loss
        correct += correct_here
    for g, t in zip(model.grads, total):
        np.copyto(g, t)
    return loss_sum, correct


def evaluate(model, x, y, batch_size=None):
    """Mean loss and accuracy of ``model`` on (x, y), computed batch by batch (of
    ``model.batch_limit`` examples unless ``batch_size`` is given). The accuracy is over the
    examples of a class: one labelled `nn.network.losses.NONE` has no right answer."""
    batch_size = batch_size or model.batch_limit(INFERENCE_BATCH)
    loss_sum = correct = 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        loss, probs, _ = softmax_cross_entropy(model.forward(xb), yb)
        loss_sum += loss * len(yb)
        correct += np.count_nonzero(probs.argmax(axis=1) == yb)
    return loss_sum / len(x), correct / max(np.count_nonzero(of_a_class(y)), 1)
