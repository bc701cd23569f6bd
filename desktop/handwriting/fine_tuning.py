"""Fine-tuning the active model on the user's drawings, off the GUI thread.

`FineTuner` runs `nn.training.finetune.fine_tune` (the same function as ``python -m nn
finetune``) on a pool thread, one run at a time, and reports through Qt signals: progress a
few times a second, then the new model or one sentence saying what went wrong. It keeps the
features of the MNIST digits (`nn.training.head.FeatureCache`) for the whole session, so only
the first fine-tuning of a model computes them. `stop` abandons a run within one batch.
"""

import copy
import logging
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from desktop.train.worker import yield_to_the_gui
from nn.data.datasets import load_dataset
from nn.network.errors import DigitLabError
from nn.training.finetune import FineTuneSettings, fine_tune
from nn.training.head import FeatureCache, Stopped

MIN_SECONDS_BETWEEN_PROGRESS = 0.1

log = logging.getLogger(__name__)


class FineTuneSignals(QObject):
    """A FineTuneJob's reports: QRunnable is no QObject, so it cannot emit."""

    progress = Signal(float, str)   # fraction of the run done, what it is doing
    finished = Signal(object)       # the fine-tuned Model
    failed = Signal(str)            # one human sentence
    stopped = Signal()


class FineTuneJob(QRunnable):
    """One fine-tuning of a private copy of ``model`` on drawings x (m, 784) labelled y."""

    def __init__(self, model, x, y, data_dir, settings, cache):
        super().__init__()
        self.model, self.x, self.y = copy.deepcopy(model), x, y
        self.data_dir, self.settings, self.cache = data_dir, settings, cache
        self.signals = FineTuneSignals()
        self.stop = threading.Event()
        self._last_progress = float("-inf")

    def run(self):
        yield_to_the_gui()
        try:
            self.signals.progress.emit(0.0, "Loading MNIST…")
            mnist = load_dataset("mnist", self.data_dir)
            model = fine_tune(self.model, self.x, self.y, mnist, self.settings, self.cache,
                              self._progress, self.stop)
        except Stopped:
            self.signals.stopped.emit()
        except DigitLabError as error:
            self.signals.failed.emit(str(error))
        except Exception as error:  # a bug: keep the app alive, the details in the log
            log.exception("fine-tuning failed")
            self.signals.failed.emit(f"Fine-tuning failed unexpectedly ({type(error).__name__}: "
                                     f"{str(error)[:200]}); the log file has the details.")
        else:
            self.signals.finished.emit(model)

    def _progress(self, record):
        now = time.perf_counter()
        if record.fraction >= 1 or now - self._last_progress >= MIN_SECONDS_BETWEEN_PROGRESS:
            self._last_progress = now
            self.signals.progress.emit(record.fraction, record.text)


class FineTuner(QObject):
    """Runs fine-tunings one at a time; ``running`` tells whether one is in flight."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._cache = FeatureCache()
        self._job = None

    @property
    def running(self):
        return self._job is not None

    def start(self, model, x, y, weight, data_dir=None):
        """Fine-tune ``model`` on x ((m, 784) float32 in [0, 1]) labelled y, each drawing
        counting ``weight`` times. False when a run is already in flight."""
        if self.running:
            return False
        job = FineTuneJob(model, np.asarray(x, np.float32), np.asarray(y, np.int64), data_dir,
                          FineTuneSettings(weight=weight), self._cache)
        job.signals.progress.connect(self.progress)
        job.signals.finished.connect(self._finished)
        job.signals.failed.connect(self._failed)
        job.signals.stopped.connect(self._stopped)
        self._job = job
        self.running_changed.emit(True)
        self._pool.start(job)
        return True

    def stop(self):
        """Abandon the run in flight (it reports nothing more)."""
        if self._job is not None:
            self._job.stop.set()

    def shutdown(self):
        """Stop and wait for the run (the window is closing)."""
        self.stop()
        self._pool.waitForDone()

    @Slot(object)
    def _finished(self, model):
        self._end()
        self.finished.emit(model)

    @Slot(str)
    def _failed(self, message):
        self._end()
        self.failed.emit(message)

    @Slot()
    def _stopped(self):
        self._end()

    def _end(self):
        self._job = None
        self.running_changed.emit(False)
