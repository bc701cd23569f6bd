"""My Handwriting's "Fine-tune on my drawings" row: the button, the weight, progress, the figures.

The fine-tuning itself is `nn.training.finetune.fine_tune` (``python -m nn finetune`` does the
same), run off the GUI thread by `desktop.handwriting.fine_tuning.FineTuner`. The new model
arrives as ``fine_tuned``; the window makes it the active model, and the tab the user is on
stays on screen. The figures shown are those of the fine-tuning that made the active model: on
the drawings, each read by a model fine-tuned without it, and on the MNIST test set.
"""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QWidget

from desktop.handwriting.fine_tuning import FineTuner
from nn.training.finetune import MIN_DRAWINGS, FineTuneSettings

MAX_DRAWING_WEIGHT = 200
START_TEXT = "&Fine-tune on my drawings"
STOP_TEXT = "&Stop fine-tuning"
PROGRESS_WIDTH = 220


def fine_tune_text(model):
    """"Your 20 drawings, each read by a model fine-tuned without it: 80% → 95% · MNIST test:
    99.5% → 99.5%" for a fine-tuned model, else "". Models fine-tuned by earlier versions
    measured a held-out fifth of the drawings: their figure is not shown."""
    figures = model.info.get("fine_tune") if model is not None else None
    if not figures or None in (figures["before"].get("drawings"),
                               figures["after"].get("drawings")):
        return ""
    before, after = figures["before"], figures["after"]
    text = (f"Your {figures['drawings']} drawings, each read by a model fine-tuned without it: "
            f"{before['drawings']:.0%} → {after['drawings']:.0%}")
    if None not in (before.get("test"), after.get("test")):
        text += f" · MNIST test: {before['test']:.1%} → {after['test']:.1%}"
    return text


class FineTunePanel(QWidget):
    """Set the model, the drawings and the dataset folder; ``fine_tuned`` brings the result."""

    fine_tuned = Signal(object)   # the new Model

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model, self._x, self._y = None, None, None
        self._training = False
        self._data_dir = None
        self.tuner = FineTuner(self)
        self.tuner.progress.connect(self._show_progress)
        self.tuner.finished.connect(self._finished)
        self.tuner.failed.connect(self._failed)
        self.tuner.running_changed.connect(self._running_changed)

        self.button = QPushButton(START_TEXT, objectName="fineTuneButton")
        self.button.setToolTip(
            f"Teach the active model your drawings (needs at least {MIN_DRAWINGS}): its last "
            f"layer learns them and their distorted copies beside MNIST digits, and remembers "
            f"where your drawings of each digit lie. The result is a new, unsaved model.")
        self.button.clicked.connect(self._clicked)
        self.weight = QSpinBox(objectName="drawingWeightSpin")
        self.weight.setRange(1, MAX_DRAWING_WEIGHT)
        self.weight.setValue(FineTuneSettings().weight)
        self.weight.setPrefix("weight ×")
        self.weight.setToolTip(
            "How many examples each drawing counts as: itself and slightly shifted, turned, "
            "scaled, slanted, thicker or thinner copies. Higher learns your style more strongly; "
            "compare the figures before and after.")
        self.progress = QProgressBar(objectName="fineTuneProgress")
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(PROGRESS_WIDTH)
        self.progress.hide()
        self.result = QLabel(objectName="fineTuneResult", textFormat=Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        self.result.setToolTip(
            "Accuracy before → after the fine-tuning that made the active model: on your "
            "drawings, each read by a model fine-tuned on the others (so none is counted by a "
            "model that learnt it), and on the MNIST test set.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.weight)
        layout.addWidget(self.progress)
        layout.addWidget(self.result, 1)

    def set_model(self, model):
        """The active model; a fine-tuning of another one is abandoned (its result would
        replace the model the user has just chosen)."""
        if self.tuner.running and model is not self._model:
            self.tuner.stop()
        self._model = model
        if not self.tuner.running:
            self.result.setText(fine_tune_text(model))
        self._update()

    def set_drawings(self, x, y):
        """The collection: x (m, 784) float32 in [0, 1], y (m,) int64."""
        self._x, self._y = x, y
        self._update()

    def set_training(self, training):
        """While the Train tab runs, fine-tuning cannot start."""
        self._training = bool(training)
        self._update()

    def set_dataset(self, name, folder):
        """Where MNIST is: ``folder`` when the chosen dataset is MNIST, else searched."""
        self._data_dir = str(folder) if name == "mnist" and folder else None

    def shutdown(self):
        self.tuner.shutdown()

    def _update(self):
        running = self.tuner.running
        can_start = (self._model is not None and not self._training and self._y is not None
                     and len(self._y) >= MIN_DRAWINGS)
        self.button.setEnabled(running or can_start)
        self.button.setText(STOP_TEXT if running else START_TEXT)
        self.weight.setEnabled(not running)

    @Slot()
    def _clicked(self):
        if self.tuner.running:
            self.tuner.stop()
        elif self.button.isEnabled():
            self.tuner.start(self._model, self._x, self._y, self.weight.value(), self._data_dir)

    @Slot(bool)
    def _running_changed(self, running):
        self.progress.setVisible(running)
        if running:
            self.progress.setValue(0)
            self.result.setText("Fine-tuning…")
        elif self.result.text().startswith("Fine-tuning"):
            self.result.setText(fine_tune_text(self._model))
        self._update()

    @Slot(float, str)
    def _show_progress(self, fraction, text):
        self.progress.setValue(round(fraction * self.progress.maximum()))
        self.result.setText(f"Fine-tuning: {text}")

    @Slot(object)
    def _finished(self, model):
        self.result.setText(fine_tune_text(model))
        self.fine_tuned.emit(model)

    @Slot(str)
    def _failed(self, message):
        self.result.setText(message)
