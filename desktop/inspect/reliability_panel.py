"""The Inspect tab's "how sure vs how often right" section: two reliability diagrams of the
active model, on the MNIST test set and on real people's pen digits.

The MNIST diagram comes for free with the confusion matrix (the same pass gives every test
image's top probability); the Inspect tab hands each result over (`show_mnist`). The pen
digits take a pass of their own (seconds to draw them for the network, seconds to read them),
so a PenJob does it on this panel's own thread pool when "Test on real writers" is pressed;
results are kept per model object, and a job for a model no longer shown is cancelled.

A figure on writers the model was trained on flatters it: the panel says so when the model's
file names them (``info["pen_digits"]["writers"]``, written by ``python -m nn train
--pen-digits``), and points to the writer-independent figures.
"""

import copy
import weakref

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from desktop.inspect.model_job import JobRunner
from desktop.inspect.pen_job import PenJob
from desktop.inspect.reliability_diagram import ReliabilityDiagram
from nn.training.calibration import reliability, unsure_rates

MNIST_TITLE = "MNIST test"
PEN_TITLE = "Real writers"
PEN_IDLE_TEXT = "Press Test on real writers to read the 30 writers' pen digits."
PEN_RUNNING_TEXT = "Reading the real writers' pen digits…"


class ReliabilityPanel(QWidget):
    """Reliability diagrams of the active model on MNIST test and on real writers."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pen_limit = None           # tests read only the first few pen digits
        self._model = None
        self._pen_set = None            # the pen digits drawn for the network, once
        self._results = weakref.WeakKeyDictionary()   # model -> its pen result
        self._job_model = None          # weakref to the model the pen job reads with
        self._runner = JobRunner(self)
        self._runner.ended.connect(self._pen_ended)
        self._build_ui()
        self.set_model(None)

    def _build_ui(self):
        self.mnist_diagram = ReliabilityDiagram("mnistReliability")
        self.pen_diagram = ReliabilityDiagram("penReliability")
        self._mnist_note = QLabel(objectName="mnistReliabilityNote", wordWrap=True)
        self._pen_note = QLabel(objectName="penReliabilityNote", wordWrap=True)
        self._pen_button = QPushButton("Test on &real writers", objectName="penReliabilityButton")
        self._pen_button.setToolTip("Read the real writers' pen digits with the active model "
                                    "and draw how sure it is against how often it is right.")
        self._pen_button.clicked.connect(self.compute_pen)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("<b>How sure vs how often right</b> (a calibrated model's bars "
                              "end on the diagonal)", wordWrap=True), 0, 0, 1, 2)
        grid.addWidget(self.mnist_diagram, 1, 0)
        grid.addWidget(self.pen_diagram, 1, 1)
        grid.addWidget(self._mnist_note, 2, 0)
        grid.addWidget(self._pen_note, 2, 1)
        grid.addWidget(self._pen_button, 3, 1)

    # --- the active model -----------------------------------------------------------------------

    def set_model(self, model):
        """Show ``model``'s diagrams (None: none); a pen job for another model is cancelled."""
        self._model = model
        if self.is_computing and self._job_model() is not model:
            self._runner.cancel()
        self._pen_button.setEnabled(model is not None and not self.is_computing)
        self.show_mnist(None)
        self._show_pen()

    def show_mnist(self, result):
        """Draw a ConfusionJob's result for the active model (None: clear it)."""
        if result is None:
            self.mnist_diagram.show_reliability(None, MNIST_TITLE)
            self._mnist_note.setText("")
            return
        correct = result["pred"] == result["y"]
        self.mnist_diagram.show_reliability(reliability(result["confidence"], correct),
                                            MNIST_TITLE)
        self._mnist_note.setText(self._unsure_text(result["confidence"], correct))

    # --- the pen digits -------------------------------------------------------------------------

    @Slot()
    def compute_pen(self):
        """Read the pen digits with the active model in the background (unless known)."""
        if self._model is None or self._model in self._results or self.is_computing:
            return
        self._job_model = weakref.ref(self._model)
        self._pen_button.setEnabled(False)
        self._pen_note.setText(PEN_RUNNING_TEXT)
        self._runner.start(PenJob(None, copy.deepcopy(self._model), self.pen_limit,
                                  self._pen_set))

    @property
    def is_computing(self):
        return self._runner.job is not None

    def wait_for_jobs(self, msecs=-1):
        return self._runner.wait(msecs)

    def shutdown(self):
        """Cancel the pen job and wait for it to stop (the window closes)."""
        self._runner.shutdown()

    @Slot(object, object, str)
    def _pen_ended(self, key, result, message):
        if result is not None:
            self._pen_set = result.pop("pen_set")
            if self._job_model() is not None:
                self._results[self._job_model()] = result
        self._job_model = None
        self._pen_button.setEnabled(self._model is not None)
        self._show_pen(message)

    def _show_pen(self, message=""):
        result = self._results.get(self._model) if self._model is not None else None
        if result is None:
            self.pen_diagram.show_reliability(None, PEN_TITLE)
            self._pen_note.setText(message or (PEN_RUNNING_TEXT if self.is_computing
                                               else "" if self._model is None else PEN_IDLE_TEXT))
            return
        confidence, correct = result["confidence"], result["correct"]
        self.pen_diagram.show_reliability(reliability(confidence, correct),
                                          PEN_TITLE)
        self._pen_note.setText(self._unsure_text(confidence, correct) + " "
                               + self._writers_text(result["writers"]))

    def _unsure_text(self, confidence, correct):
        misreads, right = unsure_rates(confidence, correct, self._model.unsure_below)
        misread_text = "no misreads" if misreads != misreads else f"{misreads:.0%} of misreads"
        return (f"{len(correct):,} digits, {correct.mean():.1%} right. "
                f"Unsure below {self._model.unsure_below:.0%}: "
                f"{misread_text}, {right:.1%} of right answers.")

    def _writers_text(self, writers):
        everyone = set(writers.tolist())
        seen = writers_trained_on(self._model.info) & everyone
        if not seen:
            return (f"{len(everyone)} writers; the model's file names none of them among its "
                    "training data, so each is new to it.")
        return (f"The model was trained on {len(seen)} of these {len(everyone)} writers: this "
                "figure is optimistic; the honest one reads each writer with a model that never "
                "saw them (python -m nn writers).")


def writers_trained_on(info):
    """The pen writers a model's ``info`` says it was trained on (a set of ids, maybe empty)."""
    pen = info.get("pen_digits")
    writers = pen.get("writers") if isinstance(pen, dict) else None
    if not isinstance(writers, list):
        return set()
    return {w for w in writers if isinstance(w, int) and not isinstance(w, bool)}
