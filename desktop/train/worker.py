"""The training run that happens off the GUI thread.

`TrainingWorker` is a QObject that `TrainingRun` (desktop.train.training_run) moves to a
QThread. Its `run` slot loads the dataset, trains a private model with `nn.training.train.train`
and reports through Qt signals, which reach the GUI thread queued. It never touches a widget.
Batch progress is throttled here, in the worker, so a fast run cannot flood the GUI's event
loop; epoch records and the last batch record always get through.

Stop and pause are `threading.Event`s that `nn.training.train.train` checks every batch, and Step a
semaphore whose each release lets one batch through a pause; `stop()`, `pause()`, `step()`,
`resume()` and `abandon()` only set, clear or release them, so the GUI thread may call them
directly while `run` is busy. A copy of the model's weights goes out as `weights_changed` at
most every `MIN_SECONDS_BETWEEN_SNAPSHOTS` (after every step while paused), so the other tabs
can show the network as it learns.
"""

import copy
import datetime
import logging
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal, Slot

from nn.training.validation import split_counts
from nn.data.datasets import DATASETS, load_dataset
from nn.network.errors import DataError, DigitLabError
from nn.network.model import Model
from nn.network.randomness import init_rng
from nn.files.runinfo import training_info
from nn.training.progress import EpochProgress
from nn.training.train import TrainConfig, make_optimizer, resume_optimizer, train

MIN_SECONDS_BETWEEN_BATCH_SIGNALS = 0.05  # at most ~20 batch signals a second
MIN_SECONDS_BETWEEN_SNAPSHOTS = 0.5  # copies of the weights: a few a second are enough to watch
NAME_DATE_FORMAT = "%Y-%m-%d-%H%M"  # model names read like "mlp-2026-11-25-1403"
MAX_DETAIL_CHARS = 200  # of an unexpected exception's text in the message to the user
TRAINING_NICENESS = 10  # of the training threads: the GUI thread (niceness 0) goes first
DATED_NAME = re.compile(r"^(?P<prefix>.+)-\d{4}-\d{2}-\d{2}-\d{4}$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingJob:
    """Everything one run needs, fixed when Start is pressed.

    Either ``base_model`` is set (continue training a copy of it; the original is never
    changed) or ``architecture`` and ``input_shape`` describe a new model to build.
    ``train_limit``/``test_limit`` keep only the first examples of each set (None = all).
    """

    config: TrainConfig
    name_prefix: str                # new models are named "<prefix>-<date>"
    dataset: str = "mnist"
    data_dir: str | None = None
    architecture: list | None = None
    input_shape: tuple = (784,)
    base_model: Model | None = None
    train_limit: int | None = None
    test_limit: int | None = None

    @property
    def load_limit(self):
        """The ``limit`` for load_dataset: enough for both sets, None when one needs all."""
        if self.train_limit is None or self.test_limit is None:
            return None
        return max(self.train_limit, self.test_limit)


def yield_to_the_gui():
    """Lower the calling thread's priority, and so that of the threads it starts (training
    uses every core): when they compete for a core, the GUI thread wins and the pad and the
    curves stay smooth. Linux gives each thread its own nice value; elsewhere nothing changes,
    nor on the main thread (the GUI's own; tests run the worker there)."""
    on_main_thread = threading.current_thread() is threading.main_thread()
    if sys.platform.startswith("linux") and not on_main_thread:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)


class TrainingWorker(QObject):
    """Runs one `TrainingJob`; create a fresh worker (and thread) for every run."""

    status = Signal(str)                 # what the run is doing: "Loading MNIST…"
    data_loaded = Signal(str)            # "MNIST: 55,000 train / 5,000 validation / 10,000 test"
    batch_progress = Signal(object)      # BatchProgress
    epoch_progress = Signal(object)      # EpochProgress
    weights_changed = Signal(object)     # a Model with a copy of the weights being trained
    finished = Signal(object, object)    # the trained Model (info filled),
                                         # nn.training.train.TrainResult
    failed = Signal(str)                 # one human sentence; the previous model stays active
    cancelled = Signal()                 # stopped before a single batch was learnt

    def __init__(self, job, parent=None):
        super().__init__(parent)
        self.job = job
        self._stop, self._pause = threading.Event(), threading.Event()
        self._steps = threading.Semaphore(0)
        self._abandoned = False
        self._model = None           # the model being trained, once built
        self._last_signal = self._last_snapshot = float("-inf")
        self._pending = None         # the latest batch record not yet sent
        self._batches = 0
        self._training_status = None  # shown at the first batch when the redrawing comes first

    # --- control, safe to call from any thread --------------------------------------------------

    def stop(self):
        """End training after the current batch; what was learnt is still delivered."""
        self._stop.set()
        self._pause.clear()

    def pause(self):
        self._pause.set()

    def step(self):
        """Train one batch, then stay paused (pauses a running run after one more batch)."""
        self._pause.set()
        self._steps.release()

    def resume(self):
        self._pause.clear()
        while self._steps.acquire(blocking=False):  # steps not taken yet: running covers them
            pass

    def abandon(self):
        """Stop and deliver nothing (the window is closing): skips the test-set evaluation."""
        self._abandoned = True
        self.stop()

    # --- the run, on the worker thread ----------------------------------------------------------

    @Slot()
    def run(self):
        yield_to_the_gui()
        try:
            self._run()
        except DigitLabError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: keep the app alive, keep the details in the log
            log.exception("Training failed")
            detail = str(error)[:MAX_DETAIL_CHARS]
            self.failed.emit(f"Training failed unexpectedly ({type(error).__name__}: {detail}); "
                             f"the log file has the details.")

    def _run(self):
        job = self.job
        title = _short_title(job.dataset)
        self.status.emit(f"Loading {title}…")
        split = load_dataset(job.dataset, job.data_dir, job.load_limit)
        x_train, y_train = split.x_train[:job.train_limit], split.y_train[:job.train_limit]
        x_test, y_test = split.x_test[:job.test_limit], split.y_test[:job.test_limit]
        config = job.config
        description = _describe_split(title, len(x_train), len(x_test), config)
        model, optimizer = self._model_and_optimizer(split.class_names)
        self._name = self._run_name()
        model.info = {**model.info, "name": self._name}  # the copies sent while it trains say it
        self._model = model
        self.data_loaded.emit(description)
        training = f"Training {model.summary()}, on {description}."
        if config.redraw:  # nn.training.train redraws first, for a minute or two on all of MNIST
            self._training_status = training
            self.status.emit("Redrawing the training digits from their centre lines…")
        else:
            self.status.emit(training)
        log.info("Training %s on %s with %s", model.summary(), description, config)
        result = train(model, x_train, y_train, config, on_progress=self._on_progress,
                       stop=self._stop, pause=self._pause, optimizer=optimizer, step=self._steps)
        self._send_pending_batch()
        if self._abandoned:
            return
        if self._batches == 0:
            self.cancelled.emit()
            return
        self.status.emit("Measuring the accuracy on the test set…")
        test_accuracy = model.accuracy(x_test, y_test) if len(x_test) else None
        model.info = self._info(model, result, split.name, test_accuracy)
        model.optimizer_state = result.optimizer.snapshot()
        log.info("Trained %s: %d epochs, test accuracy %s%s", model.info["name"],
                 len(result.history), test_accuracy, " (stopped early)" if result.stopped else "")
        self.finished.emit(model, result)

    def _model_and_optimizer(self, class_names):
        job = self.job
        if job.base_model is None:
            rng = init_rng(job.config.seed)
            model = Model.from_architecture(job.architecture, job.input_shape, class_names, rng)
            return model, make_optimizer(model, job.config)
        if tuple(job.base_model.class_names) != tuple(class_names):
            raise DataError(f"The active model knows other classes than "
                            f"{_short_title(job.dataset)}; choose “New model from these "
                            f"settings” to train on it.")
        model = copy.deepcopy(job.base_model)
        return model, resume_optimizer(model, job.config)

    def _on_progress(self, record):
        """nn.training.train's callback, on this thread: forward epochs, throttle batches."""
        if isinstance(record, EpochProgress):
            self._send_pending_batch()
            self.epoch_progress.emit(record)
            return
        if self._batches == 0 and self._training_status:
            self.status.emit(self._training_status)
        self._batches += 1
        if record.layers is None and self._pending is not None:
            # The layers are measured every few batches (nn.network.diagnostics.EVERY_SECONDS,
            # shorter than the signals' interval): the last measured since the last signal
            # goes with the newest batch, a few milliseconds of training later.
            record = replace(record, layers=self._pending.layers)
        self._pending = record
        now = time.perf_counter()
        stepping = self._pause.is_set()  # the loop waits next: show this batch now
        if stepping or now - self._last_signal >= MIN_SECONDS_BETWEEN_BATCH_SIGNALS:
            self._last_signal = now
            self._send_pending_batch()
        if stepping or now - self._last_snapshot >= MIN_SECONDS_BETWEEN_SNAPSHOTS:
            self._last_snapshot = now
            self.weights_changed.emit(self._model.weights_copy())

    def _send_pending_batch(self):
        if self._pending is not None:
            record, self._pending = self._pending, None
            self.batch_progress.emit(record)

    def _run_name(self):
        """"mlp-2026-11-25-1403": the run's prefix and when it started; a continued model
        keeps its family name ("mlp" of "mlp-2026-...", or its own name when it has no date),
        with the new date: not the form's preset, which a continued model does not use."""
        job = self.job
        previous = job.base_model.info if job.base_model is not None else {}
        name = previous.get("name")
        name = name if isinstance(name, str) else ""
        match = DATED_NAME.match(name)
        prefix = match["prefix"] if match else name or job.name_prefix
        return f"{prefix}-{datetime.datetime.now().astimezone().strftime(NAME_DATE_FORMAT)}"

    def _info(self, model, result, dataset, test_accuracy):
        job = self.job
        now = datetime.datetime.now().astimezone()
        previous = job.base_model.info if job.base_model is not None else {}
        return training_info(previous, self._name, dataset, job.config, result, test_accuracy,
                             now=now)


def _short_title(dataset):
    """"MNIST", "Fashion-MNIST": the first word of the dataset's title."""
    info = DATASETS.get(dataset)
    return info.title.split()[0] if info else dataset


def _describe_split(title, n_train, n_test, config):
    trained, redrawn, validation = split_counts(n_train, config)
    extra = f" + {redrawn:,} redrawn" if redrawn else ""
    return f"{title}: {trained:,} train{extra} / {validation:,} validation / {n_test:,} test"
