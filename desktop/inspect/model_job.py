"""What the Inspect tab's background jobs share: a pass of a model over many images on a
QThreadPool thread, on a private copy of the model, that reports through signals and stops
within one chunk of images when cancelled, so closing the window or changing the model never
waits for a whole pass; and the JobRunner that runs them one at a time.
"""

import logging
import threading

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from nn.network.errors import DigitLabError

CHUNK = 500   # images predicted between two looks at the stop flag (~0.5 s for a CNN)

log = logging.getLogger(__name__)


class JobSignals(QObject):
    """Carries a job's answer back: QRunnable is no QObject, so it cannot emit."""

    finished = Signal(object, object)   # key, result dict
    failed = Signal(object, str)        # key, one-line message
    cancelled = Signal(object)          # key


class ModelJob(QRunnable):
    """A pass of ``model`` (a private copy) on a pool thread; subclasses say what in `_compute`,
    which returns the result dict, or None once cancelled."""

    def __init__(self, key, model):
        super().__init__()
        self.key, self.model = key, model
        self.signals = JobSignals()
        self._stop = threading.Event()

    def cancel(self):
        """Ask the job to stop (from any thread); it then emits ``cancelled``, not a result."""
        self._stop.set()

    @property
    def cancelled(self):
        return self._stop.is_set()

    def run(self):
        try:
            result = self._compute()
        except DigitLabError as error:
            self.signals.failed.emit(self.key, str(error))
        except Exception as error:  # any other failure also becomes one line in the tab
            log.exception("%s failed", type(self).__name__)
            self.signals.failed.emit(self.key, f"Could not test the model: {error}")
        else:
            if result is None:
                self.signals.cancelled.emit(self.key)
            else:
                self.signals.finished.emit(self.key, result)

    def _compute(self):
        raise NotImplementedError

    def probabilities(self, x):
        """The model's probabilities (n, classes) for images x, or None once cancelled."""
        parts = []
        for start in range(0, len(x), CHUNK):
            if self.cancelled:
                return None
            parts.append(self.model.predict_proba(x[start:start + CHUNK]))
        return np.concatenate(parts) if parts else np.zeros((0, len(self.model.class_names)))


class JobRunner(QObject):
    """Runs one ModelJob at a time on a thread pool of its own and reports how it ended in one
    signal, on the GUI thread: ``ended(key, result, message)``, with result None when the job
    was cancelled or failed and message the failure's one line ("" otherwise)."""

    ended = Signal(object, object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.job = None                 # the job in flight
        self._signals = set()           # keep jobs' signal objects alive until they report

    def start(self, job):
        job.signals.finished.connect(self._finished)
        job.signals.failed.connect(self._failed)
        job.signals.cancelled.connect(self._cancelled)
        self._signals.add(job.signals)
        self.job = job
        self.pool.start(job)

    def cancel(self):
        if self.job is not None:
            self.job.cancel()

    def wait(self, msecs=-1):
        """Block until the job ends (tests, closing)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self):
        """Cancel the job and wait for it to stop (the window closes)."""
        self.cancel()
        self.pool.waitForDone()

    @Slot(object, object)
    def _finished(self, key, result):
        self._end(key, result, "")

    @Slot(object, str)
    def _failed(self, key, message):
        self._end(key, None, message)

    @Slot(object)
    def _cancelled(self, key):
        self._end(key, None, "")

    def _end(self, key, result, message):
        self._signals = {s for s in self._signals if s is not self.sender()}
        self.job = None
        self.ended.emit(key, result, message)
