"""What a training run reports while it trains: a record after every batch and every epoch,
and the clock they are timed by (pauses excluded).

``BatchProgress`` carries what each layer did (``nn.network.diagnostics``) and, for a batch let
through by Step, what the step did to it (``nn.training.stepping``).
"""

import time
from dataclasses import dataclass

from nn.network.diagnostics import LayerStats
from nn.training.stepping import OneStep

PAUSE_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class BatchProgress:
    epoch: float              # epochs done so far, fractional: 2.5 = halfway through the third
    epochs: int
    loss: float               # this batch's mean loss
    accuracy: float           # this batch's accuracy
    learning_rate: float
    samples_per_second: float
    elapsed: float            # seconds of training, pauses excluded
    eta: float                # seconds left, estimated
    # Gradient norms, update ratios, dead units of the batch; measured at most every
    # nn.network.diagnostics.EVERY_SECONDS, on every Step and on each epoch's last batch,
    # None for the batches between.
    layers: LayerStats | None = None
    step: OneStep | None = None  # a batch let through by Step: the batch before and after it


@dataclass(frozen=True)
class EpochProgress:
    epoch: int                # epochs completed (1 after the first)
    epochs: int
    train_loss: float         # mean over the epoch's batches
    train_accuracy: float
    val_loss: float | None    # None when no validation examples were held out
    val_accuracy: float | None
    learning_rate: float
    samples_per_second: float
    elapsed: float
    eta: float


class Progress:
    """The run's clock (pauses excluded), its running totals, and the records it sends."""

    def __init__(self, epochs, examples, on_progress):
        self.epochs, self.n, self.n_batches = epochs, examples.n, examples.n_batches
        self.batch_size, self.on_progress = examples.batch_size, on_progress
        self.start, self.paused = time.perf_counter(), 0.0
        self.history, self.loss_sum, self.correct, self.labelled = [], 0.0, 0, 0

    def wait_while_paused(self, pause, stop, step):
        """Return when not paused, stopped, or (while paused) after taking one ``step`` token:
        True in that last case (the next batch is a step)."""
        if pause is None or not pause.is_set():
            return False
        paused_at, stepped = time.perf_counter(), False
        while pause.is_set() and not stop.is_set():
            if step is None:
                stop.wait(PAUSE_POLL_SECONDS)
            elif step.acquire(timeout=PAUSE_POLL_SECONDS):
                stepped = True
                break
        self.paused += time.perf_counter() - paused_at
        return stepped

    def batch_done(self, epoch, b, loss, correct, size, labelled, lr, layers, step):
        """Count a batch of ``size`` examples, ``labelled`` of them of a class (accuracy is
        theirs: an example of no class, `nn.network.losses.NONE`, has no right answer)."""
        self.loss_sum, self.correct, self.labelled, self.lr = (
            self.loss_sum + loss * size, self.correct + correct, self.labelled + labelled, lr)
        if self.on_progress:
            done = epoch * self.n + b * self.batch_size + size
            self.on_progress(BatchProgress(epoch + (b + 1) / self.n_batches, self.epochs, loss,
                                           correct / max(labelled, 1), lr,
                                           *self._speed_and_time(done), layers, step))

    def epoch_done(self, epoch, val_loss, val_acc):
        record = EpochProgress(epoch + 1, self.epochs, self.loss_sum / self.n,
                               self.correct / max(self.labelled, 1), val_loss, val_acc,
                               self.lr, *self._speed_and_time((epoch + 1) * self.n))
        self.history.append(record)
        self.loss_sum, self.correct, self.labelled = 0.0, 0, 0
        if self.on_progress:
            self.on_progress(record)

    def _speed_and_time(self, done):
        """(samples per second, elapsed seconds, seconds left) after ``done`` samples."""
        elapsed = time.perf_counter() - self.start - self.paused
        eta = elapsed / done * (self.epochs * self.n - done) if done else float("inf")
        return done / max(elapsed, 1e-9), elapsed, eta
