"""The Inspect tab's background job: predict the whole test set with a model and count the
answers into a confusion matrix.

It runs on a QThreadPool thread, on a private copy of the model, and reports through
ConfusionSignals. `cancel` stops it within one chunk of the test set, so closing the
window or changing the model never waits for a whole pass.
"""

import logging
import threading

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal

from nn.data.datasets import load_dataset
from nn.network.errors import DigitLabError
from nn.network.metrics import confusion_matrix

CHUNK = 500   # test images predicted between two looks at the stop flag (~0.5 s for a CNN)

log = logging.getLogger(__name__)


class ConfusionSignals(QObject):
    """Carries a ConfusionJob's answer back: QRunnable is no QObject, so it cannot emit."""

    finished = Signal(object, object)   # key, result dict
    failed = Signal(object, str)        # key, one-line message
    cancelled = Signal(object)          # key


class ConfusionJob(QRunnable):
    """Predict the whole test set with ``model`` (a private copy) on a pool thread."""

    def __init__(self, key, model, dataset, data_dir, limit, test_set=None):
        super().__init__()
        self.key, self.model = key, model
        self.dataset, self.data_dir, self.limit, self.test_set = dataset, data_dir, limit, test_set
        self.signals = ConfusionSignals()
        self._stop = threading.Event()

    def cancel(self):
        """Ask the job to stop (from any thread); it then emits ``cancelled``, not a result."""
        self._stop.set()

    def run(self):
        try:
            result = self._compute()
        except DigitLabError as error:
            self.signals.failed.emit(self.key, str(error))
        except Exception as error:  # any other failure also becomes one line in the tab
            log.exception("confusion matrix failed")
            self.signals.failed.emit(self.key, f"Could not test the model: {error}")
        else:
            if result is None:
                self.signals.cancelled.emit(self.key)
            else:
                self.signals.finished.emit(self.key, result)

    def _compute(self):
        """The result dict, or None once cancelled."""
        if self.test_set is None and not self._stop.is_set():
            split = load_dataset(self.dataset, self.data_dir, self.limit)
            self.test_set = (split.x_test, split.y_test)
        if self._stop.is_set():
            return None
        x, y = self.test_set
        parts = []
        for start in range(0, len(x), CHUNK):
            if self._stop.is_set():
                return None
            parts.append(self.model.predict_proba(x[start:start + CHUNK]))
        probs = np.concatenate(parts) if parts else np.zeros((0, len(self.model.class_names)))
        pred = probs.argmax(axis=1)
        matrix = confusion_matrix(y, pred, probs.shape[1])  # row = true class
        return {"matrix": matrix, "pred": pred, "confidence": probs.max(axis=1), "x": x, "y": y}
