"""The Maths tab's choices: which example (the drawing or an image of the pool) and how many
in the batch, the learning rate, and which weights to start from. The widgets only report
what the user picked; the view decides what follows."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from desktop.maths.panels import MAX_DIGITS
from desktop.maths.session import DEFAULT_LEARNING_RATE, FRESH_SEED

DRAWING, POOL = "drawing", "pool"
FRESH, ACTIVE = "fresh", "active"
LEARNING_RATE_RANGE = (0.001, 5.0)
LEARNING_RATE_STEP = 0.05


class StepControls(QWidget):
    batch_changed = Signal()            # the example, its label or the batch size changed
    learning_rate_changed = Signal(float)
    restart_requested = Signal(str)     # FRESH or ACTIVE: start again from those weights

    def __init__(self, parent=None):
        super().__init__(parent)
        self.source = QComboBox(objectName="mathsSource")
        self.source.addItem("Your drawing (Draw tab)", DRAWING)
        self.source.addItem("MNIST training image", POOL)
        self.source.setToolTip("The first example of the batch.")
        self.drawing_label = QComboBox(objectName="mathsDrawingLabel")
        self.drawing_label.addItems([str(d) for d in range(10)])
        self.drawing_label.setToolTip("The digit you drew: the step teaches the network this "
                                      "answer. It starts as the Draw tab's reading.")
        self.image = QSpinBox(objectName="mathsImageIndex", minimum=0, maximum=0)
        self.image.setToolTip("Which image of the pool is example #1.")
        self.batch_size = QSpinBox(objectName="mathsBatchSize", minimum=1, maximum=MAX_DIGITS)
        self.batch_size.setToolTip("m, the examples in the batch: the first is the one chosen, "
                                   "the others the next images.")
        self.learning_rate = QDoubleSpinBox(objectName="mathsLearningRate", decimals=3,
                                            singleStep=LEARNING_RATE_STEP)
        self.learning_rate.setRange(*LEARNING_RATE_RANGE)
        self.learning_rate.setValue(DEFAULT_LEARNING_RATE)
        self.learning_rate.setToolTip("α, the step size of gradient descent (the notebook's "
                                      "is 0.1).")
        self.weights = QComboBox(objectName="mathsWeights")
        self.weights.addItem(f"fresh notebook weights (seed {FRESH_SEED})", FRESH)
        self.weights.addItem("the active model's", ACTIVE)
        self.restart = QPushButton("Start &again", objectName="mathsRestartButton")
        self.restart.setToolTip("Back to the chosen weights: forget the steps taken here. "
                                "(Nothing here changes the active model.)")

        self._image_label = QLabel("image")
        self._digit_label = QLabel("it is a")
        rows = QVBoxLayout(self)   # two rows: the tab must not widen the window
        rows.setContentsMargins(0, 0, 0, 0)
        for widgets in ((QLabel("Example:"), self.source, self._digit_label, self.drawing_label,
                         self._image_label, self.image, QLabel("batch m ="), self.batch_size),
                        (QLabel("Learning rate α ="), self.learning_rate, QLabel("Weights:"),
                         self.weights, self.restart)):
            row = QHBoxLayout()
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
            rows.addLayout(row)

        self.source.currentIndexChanged.connect(self._source_changed)
        self.drawing_label.currentIndexChanged.connect(self.batch_changed)
        self.image.valueChanged.connect(self.batch_changed)
        self.batch_size.valueChanged.connect(self.batch_changed)
        self.learning_rate.valueChanged.connect(self.learning_rate_changed)
        self.weights.currentIndexChanged.connect(
            lambda _i: self.restart_requested.emit(self.weights.currentData()))
        self.restart.clicked.connect(
            lambda: self.restart_requested.emit(self.weights.currentData()))
        self._source_changed()

    def uses_drawing(self):
        return self.source.currentData() == DRAWING

    def set_pool(self, size, name):
        """The pool now holds ``size`` images of ``name`` (e.g. "MNIST training image")."""
        self.image.setMaximum(size - 1)
        self.source.setItemText(1, name)

    def set_weights_choice(self, choice):
        """Show ``choice`` without asking to start again."""
        self.weights.blockSignals(True)
        self.weights.setCurrentIndex(self.weights.findData(choice))
        self.weights.blockSignals(False)

    def set_drawing_label(self, digit):
        self.drawing_label.blockSignals(True)
        self.drawing_label.setCurrentIndex(digit)
        self.drawing_label.blockSignals(False)

    def _source_changed(self):
        drawing = self.uses_drawing()
        for widget in (self._digit_label, self.drawing_label):
            widget.setVisible(drawing)
        for widget in (self._image_label, self.image):
            widget.setVisible(not drawing)
        self.batch_changed.emit()
