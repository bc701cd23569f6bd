"""The Inspect tab: how the active model does on the test set, what it learned, and the path
of the current drawing through its layers.

- The confusion matrix needs a pass over the test set (seconds for a CNN), so a ConfusionJob
  does it on a JobRunner's thread pool, on a copy of the model, and only when the tab is shown
  or Compute is pressed. Results are cached per model object; a job for a model or dataset no
  longer shown is cancelled. A ConfusionView (confusion_view.py) draws the result shown.
- Under it a ReliabilityPanel (reliability_panel.py) draws how sure the model is against how
  often it is right: on the test set from the same pass, on real writers' pen digits from a
  pass of its own.
- The learned weights and the activation path are cheap (one image): the GUI thread does them,
  inspect_pictures takes the arrays out of the model and inspect_views draws them.
"""

import copy
import weakref

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop.inspect.confusion_job import ConfusionJob
from desktop.inspect.model_job import JobRunner
from desktop.inspect.confusion_view import ConfusionView
from desktop.inspect.pictures import activation_path, first_layer_picture
from desktop.inspect.reliability_panel import ReliabilityPanel
from desktop.inspect.views import ActivationPath, LearnedWeights
from nn.network.errors import DigitLabError
from nn.network.model import DIGITS

CACHE_SIZE = 4            # models whose confusion results are kept
IDLE_TEXT = "Press Compute (or open this tab) to test the model on the test set."
NO_MODEL_TEXT = "No model loaded."
NO_PICTURE_TEXT = "No picture for this model's first layer."
TRAINING_TEXT = "The model is training: its test results come when the run ends."


class InspectTab(QWidget):
    """Confusion matrix with a gallery, learned weights, and the live activation path."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.test_limit = None          # tests use a few hundred images
        self._model = None
        self._training = False          # _model is a copy of a model in training
        self._model_stale = False       # it changed while the tab was hidden
        self._input = None
        self._path_stale = False        # the drawing or model changed while the tab was hidden
        self._dataset, self._data_dir = "mnist", None
        self._cache = {}                # key -> (weakref to the model, result)
        self._test_set = None           # (data key, (x, y)): loaded once per dataset
        self._running = None            # key of the job in flight
        self._runner = JobRunner(self)
        self._runner.ended.connect(self._job_ended)
        self._build_ui()
        self._show_model()

    # --- public API -----------------------------------------------------------------------------

    def set_model(self, model):
        """Inspect ``model`` (or nothing for None); the confusion matrix follows when shown.
        A job still testing the previous model is cancelled."""
        self._model, self._training = model, False
        self._cancel_outdated_job()
        self.reliability.set_model(model)
        self._show_model_when_shown()
        if self.isVisible():
            self.compute()

    def show_training(self, model):
        """A copy of the model being trained: the learned weights and the drawing's path follow
        it live; the confusion matrix (a test-set pass) waits for `set_model` after the run."""
        if not self._training:   # the diagrams are the active model's: cleared once a run
            self.reliability.set_model(None)
        self._model, self._training = model, True
        self._show_model_when_shown()

    def set_input(self, image):
        """The current drawing, a (28, 28) array in [0, 1], or None. The path follows it live
        while the tab is shown; a hidden tab catches up when shown, so drawing on the Draw tab
        never waits for pictures nobody sees (they cost several ms per prediction)."""
        self._input = image
        self._refresh_path()

    def set_dataset(self, name, data_dir):
        self._dataset, self._data_dir = name, (str(data_dir) if data_dir else None)
        self._test_set = None
        self._cancel_outdated_job()
        self._show_confusion()
        if self.isVisible():
            self.compute()

    @Slot()
    def compute(self):
        """Test the model on the test set in the background, unless it is cached or running."""
        key = self._key()
        if key is None or self._training or self._cached(key) is not None \
                or self._running == key:
            self._show_confusion()
            return
        if self._running is not None:
            return   # one at a time; _job_ended starts the next for the model shown then
        test_set = self._test_set[1] if self._test_set and self._test_set[0] == key[1:] else None
        job = ConfusionJob(key, copy.deepcopy(self._model), self._dataset, self._data_dir,
                           self.test_limit, test_set)
        self._running = key
        self._running_model = weakref.ref(self._model)   # cached even if replaced meanwhile
        self._status.setText("Testing the model on the test set…")
        self._compute_button.setEnabled(False)
        self._runner.start(job)

    @property
    def is_computing(self):
        return self._running is not None

    def wait_for_jobs(self, msecs=-1):
        """Block until the background jobs end (tests)."""
        return self._runner.wait(msecs) and self.reliability.wait_for_jobs(msecs)

    def shutdown(self):
        """Cancel the background jobs and wait for them to stop (the window closes)."""
        self._runner.cancel()
        self.reliability.shutdown()
        self._runner.wait()

    # --- building the UI ------------------------------------------------------------------------

    def _build_ui(self):
        self._compute_button = QPushButton("&Compute", objectName="computeButton")
        self._compute_button.setToolTip("Test the active model on the test set.")
        self._compute_button.clicked.connect(self.compute)
        self._status = QLabel(objectName="inspectStatus", wordWrap=True,
                              textFormat=Qt.TextFormat.PlainText)   # errors name folders
        header = QHBoxLayout()
        header.addWidget(self._compute_button)
        header.addWidget(self._status, 1)

        self._confusion = ConfusionView()
        self.reliability = ReliabilityPanel()

        left_widget = QWidget()
        left = QVBoxLayout(left_widget)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self._confusion, 1)
        left.addWidget(self.reliability)

        self._learned = LearnedWeights()
        self._path = ActivationPath()
        inner = QWidget()
        right = QVBoxLayout(inner)
        right.addWidget(QLabel("<b>What the network learned</b>"))
        right.addWidget(self._learned)
        right.addWidget(QLabel("<b>The drawing's path</b> (red positive, blue negative)"))
        right.addWidget(self._path)
        right.addStretch(1)
        right_scroll = QScrollArea(widgetResizable=True)
        right_scroll.setWidget(inner)

        # Both halves scroll when the window is small: the tab must not set its minimum width.
        # The status line spans them both, so that it wraps to the tab, never under a scroll.
        left_scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        left_scroll.setWidget(left_widget)
        halves = QHBoxLayout()
        halves.addWidget(left_scroll, 1)
        halves.addWidget(right_scroll, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(halves, 1)

    # --- confusion matrix -----------------------------------------------------------------------

    def _key(self):
        if self._model is None:
            return None
        return (id(self._model), self._dataset, self._data_dir, self.test_limit)

    def _cancel_outdated_job(self):
        """Stop testing a model or dataset no longer shown; `_job_ended` starts the next job."""
        if self._running is not None and self._running != self._key():
            self._runner.cancel()

    def _cached(self, key):
        entry = self._cache.get(key)
        # id() values are reused after a model is freed: the weakref says if it is the same one.
        if key is None or entry is None or entry[0]() is not self._model:
            return None
        return entry[1]

    @Slot(object, object, str)
    def _job_ended(self, key, result, message):
        if result is not None:
            self._test_set = (key[1:], (result["x"], result["y"]))
            self._cache = {k: v for k, v in self._cache.items() if v[0]() is not None}
            while len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            if self._running_model() is not None:
                self._cache[key] = (self._running_model, result)
        self._running = None
        self._compute_button.setEnabled(self._model is not None)
        self._show_confusion(message)
        if not message and self._model is not None and self.isVisible() \
                and self._cached(self._key()) is None:
            self.compute()   # the model changed while the job ran

    def _show_confusion(self, message=""):
        result = self._cached(self._key())
        names = list(self._model.class_names) if self._model is not None else list(DIGITS)
        self._confusion.show_result(result, names)
        if not self._training:
            self.reliability.show_mnist(result)
        if result is None:
            self._status.setText(message or (NO_MODEL_TEXT if self._model is None else
                                             TRAINING_TEXT if self._training else IDLE_TEXT))
            return
        matrix = result["matrix"]
        overall = np.trace(matrix) / max(1, matrix.sum())
        self._status.setText(f"{overall:.2%} of {matrix.sum()} test images right. "
                             "Click a cell to see its images.")

    @property
    def gallery_items(self):
        """(test index, true, predicted, confidence) of each test image the gallery shows."""
        return self._confusion.gallery_items

    def showEvent(self, event):
        super().showEvent(event)
        if self._model_stale:
            self._show_model()
        if self._path_stale:
            self._update_path()
        self.compute()   # only now: no CPU spent on it at startup

    # --- learned weights and the activation path ------------------------------------------------

    def _show_model_when_shown(self):
        """Show the model's pictures now if the tab is shown, else when it is next shown:
        pictures nobody sees cost the event loop for nothing (a CNN's take 10 ms and more)."""
        if self.isVisible():
            self._show_model()
        else:
            self._model_stale = True

    def _show_model(self):
        self._model_stale = False
        self._compute_button.setEnabled(self._model is not None)
        picture = first_layer_picture(self._model) if self._model is not None else None
        self._learned.show_picture(picture,
                                   NO_MODEL_TEXT if self._model is None else NO_PICTURE_TEXT)
        self._show_confusion()
        self._refresh_path()

    def _refresh_path(self):
        """Redraw the path now if the tab is shown, else when it is next shown."""
        if self.isVisible():
            self._update_path()
        else:
            self._path_stale = True

    def _update_path(self):
        self._path_stale = False
        if self._model is None or self._input is None:
            self._path.show_path([], NO_MODEL_TEXT if self._model is None
                                 else "Draw a digit on the Draw tab to see its path.")
            return
        try:
            entries = activation_path(self._model, self._input)
        except (DigitLabError, ValueError) as error:   # a model that cannot take 28x28
            self._path.show_path([], f"This model cannot read the drawing: {error}")
            return
        self._path.show_path(entries)
        self._learned.follow_drawing(entries)
