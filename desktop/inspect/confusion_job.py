"""The Inspect tab's background job: predict the whole test set with a model and count the
answers into a confusion matrix.

It runs on a QThreadPool thread, on a private copy of the model (layers keep per-call state
such as ReLU masks, which the GUI thread's own forward passes would overwrite), and reports
through ConfusionSignals.
"""

import logging

from PySide6.QtCore import QObject, QRunnable, Signal

from nn.datasets import load_dataset
from nn.errors import DigitLabError
from nn.metrics import confusion_matrix

log = logging.getLogger(__name__)


class ConfusionSignals(QObject):
    """Carries a ConfusionJob's answer back: QRunnable is no QObject, so it cannot emit."""

    finished = Signal(object, object)   # key, result dict
    failed = Signal(object, str)        # key, one-line message


class ConfusionJob(QRunnable):
    """Predict the whole test set with ``model`` (a private copy) on a pool thread."""

    def __init__(self, key, model, dataset, data_dir, limit, test_set=None):
        super().__init__()
        self.key, self.model = key, model
        self.dataset, self.data_dir, self.limit, self.test_set = dataset, data_dir, limit, test_set
        self.signals = ConfusionSignals()

    def run(self):
        try:
            if self.test_set is None:
                split = load_dataset(self.dataset, self.data_dir, self.limit)
                self.test_set = (split.x_test, split.y_test)
            x, y = self.test_set
            probs = self.model.predict_proba(x)
            pred = probs.argmax(axis=1)
            matrix = confusion_matrix(y, pred, probs.shape[1])  # row = true class
            result = {"matrix": matrix, "pred": pred, "confidence": probs.max(axis=1),
                      "x": x, "y": y}
        except DigitLabError as error:
            self.signals.failed.emit(self.key, str(error))
        except Exception as error:  # any other failure also becomes one line in the tab
            log.exception("confusion matrix failed")
            self.signals.failed.emit(self.key, f"Could not test the model: {error}")
        else:
            self.signals.finished.emit(self.key, result)
