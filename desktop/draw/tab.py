"""The Draw tab: a drawing pad on the left; on the right what the active model reads in it.

Prediction path, all on the GUI thread because it takes about a millisecond for an MLP:
pad.strokes -> nn.ink.strokes.strokes_to_mnist -> model.predict_proba (and, when the model
is unsure, nn.ink.second_look's reading of the strokes in several views) -> digit, confidence, ten
probability bars, the 28x28 image the network receives and, beside it, why the model reads
it so (``saliency_view``; click a bar to see why, or why not, another class). The network
gets the strokes' centre lines redrawn at MNIST's stroke width, so the pen width only changes
what the pad shows.
"""

import logging

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop.draw.probability_chart import ProbabilityChart
from desktop.draw.saliency_view import MAP_MIN_SIDE, SaliencyPanel
from desktop.widgets.drawing_pad import (DEFAULT_PEN_WIDTH, FULL_TEXT, MAX_PEN_WIDTH,
                                         MIN_PEN_WIDTH, DrawingPad)
from desktop.widgets.network_input import NetworkInputView
from nn.ink.second_look import second_look
from nn.ink.strokes import strokes_to_mnist
from nn.network.errors import DigitLabError
from nn.network.model import DIGITS, UNSURE_BELOW

log = logging.getLogger(__name__)

# While a stroke is drawn, predict at most this often (ms); pen-up always predicts at once.
PREDICT_INTERVAL_MS = 40
CONFIDENCE_TIP = ("The model's probability for its answer; below {:.0%} it is marked unsure, "
                  "after a second look: the drawing read again a little rotated, narrower, "
                  "wider and slanted, the scores of all the views averaged.")
DIGIT_FONT_SCALE = 5.0     # the predicted digit, relative to the default font's size...
NAME_FONT_SCALE = 2.0      # ...and a longer class name (Fashion-MNIST's "Ankle boot")
EMPTY_TEXT = "Draw a digit"
NO_MODEL_TEXT = "No model loaded"
CORRECT_BUTTON_WIDTH = 28  # logical px: ten of them fit under the smallest pad
# The keys 0-9 that reach the tab from the pad (the pad passes on keys it does not use).
DIGIT_KEYS = {getattr(Qt.Key, f"Key_{d}"): d for d in range(10)}


class DrawTab(QWidget):
    """Draw a digit and watch the active model read it, live."""

    prediction_changed = Signal(object)  # the (classes,) probabilities, or None
    drawing_saved = Signal(int)          # "Correct it" stored a drawing with this label

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = None
        self._store = None        # a HandwritingStore, set by the window; None: no labelling
        self._last_probs = None
        self.last_input = None
        self._class_names = DIGITS

        self._pad = DrawingPad()
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(PREDICT_INTERVAL_MS)
        self._throttle.timeout.connect(self.predict)
        self._build_ui()
        self._pad.drawing_changed.connect(self._schedule_prediction)
        for signal in (self._pad.stroke_finished, self._pad.stroke_undone, self._pad.cleared):
            signal.connect(self.predict)
        self._pad.full.connect(lambda: self._confidence.setText(FULL_TEXT))
        self.predict()

    @property
    def pad(self):
        return self._pad

    @property
    def explained_class(self):
        """The class index whose saliency map is on screen, or None."""
        return self._saliency.shown_class

    def set_model(self, model):
        """Use model (an nn Model, or None) and re-read the current drawing with it at once."""
        self._model = model
        names = tuple(model.class_names) if model is not None else self._class_names
        if names != self._class_names:
            self._class_names = names
            self._chart.set_class_names(names)
        self.predict()

    # --- building the UI ------------------------------------------------------------------------

    def _build_ui(self):
        undo = QPushButton("&Undo")
        undo.setObjectName("undoButton")
        undo.setToolTip("Remove the last stroke (Ctrl+Z on the pad).")
        undo.clicked.connect(self._pad.undo)
        clear = QPushButton("&Clear")
        clear.setObjectName("clearButton")
        clear.setToolTip("Wipe the pad to draw another digit (Delete or Escape on the pad).")
        clear.clicked.connect(self._pad.clear)
        self._pen_label = QLabel()
        self._pen_slider = QSlider(Qt.Orientation.Horizontal)
        self._pen_slider.setObjectName("penWidthSlider")
        self._pen_slider.setToolTip("How thick the pen looks on the pad for the next strokes; "
                                    "the network always gets MNIST-wide strokes.")
        self._pen_slider.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        self._pen_slider.valueChanged.connect(self._set_pen_width)
        self._pen_slider.setValue(DEFAULT_PEN_WIDTH)
        self._set_pen_width(DEFAULT_PEN_WIDTH)
        self._pen_label.setBuddy(self._pen_slider)

        controls = QHBoxLayout()
        controls.addWidget(undo)
        controls.addWidget(clear)
        controls.addStretch(1)
        controls.addWidget(self._pen_label)
        controls.addWidget(self._pen_slider)
        left = QVBoxLayout()
        left.addWidget(self._pad, 1)
        left.addLayout(controls)
        left.addLayout(self._build_correct_row())

        self._digit = QLabel()
        self._digit.setObjectName("predictedDigit")
        self._digit.setToolTip("The class the model thinks you drew.")
        self._digit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._confidence = QLabel(textFormat=Qt.TextFormat.PlainText)   # errors name files
        self._confidence.setObjectName("confidenceLabel")
        self._confidence.setToolTip(CONFIDENCE_TIP.format(UNSURE_BELOW))
        self._confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._confidence.setWordWrap(True)  # an error message must not widen the window
        self._update_fonts()

        self._chart = ProbabilityChart(self._class_names)
        self._saliency = SaliencyPanel()
        self._chart.class_clicked.connect(self._explain_class)

        self._preview = NetworkInputView()
        # Side by side with the map, the input may shrink as far as the map does: the window
        # keeps its minimum width.
        self._preview.setMinimumSize(MAP_MIN_SIDE, MAP_MIN_SIDE)
        preview_caption = QLabel("What the network sees (28x28)")
        preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        preview_caption.setWordWrap(True)
        for label in (self._digit, self._confidence, preview_caption):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        sees = QVBoxLayout()
        sees.addWidget(preview_caption)
        sees.addWidget(self._preview, 0, Qt.AlignmentFlag.AlignHCenter)
        sees.addStretch(1)
        below = QHBoxLayout()
        below.addLayout(sees)
        below.addWidget(self._saliency)

        right = QVBoxLayout()
        right.addWidget(self._digit)
        right.addWidget(self._confidence)
        right.addWidget(self._chart, 1)
        right.addLayout(below)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    def _build_correct_row(self):
        """"Correct it:" 0-9: label the drawing and keep it in the user's collection."""
        row = QHBoxLayout()
        row.addWidget(QLabel("Correct it:"))
        self._correct_buttons = []
        for digit in range(10):
            button = QPushButton(str(digit), objectName=f"correctButton{digit}")
            button.setToolTip(f"Keep this drawing as a {digit} in My handwriting "
                              f"(or press {digit} on the pad).")
            button.setMaximumWidth(CORRECT_BUTTON_WIDTH)
            button.clicked.connect(lambda _=False, d=digit: self.save_as(d))
            row.addWidget(button)
            self._correct_buttons.append(button)
        self._saved_label = QLabel(objectName="savedLabel", textFormat=Qt.TextFormat.PlainText)
        row.addWidget(self._saved_label, 1)
        return row

    def set_store(self, store):
        """Where "Correct it" keeps drawings (a HandwritingStore, or None to turn it off)."""
        self._store = store
        self._update_correct_buttons()

    def _update_correct_buttons(self):
        enabled = self._store is not None and self.last_input is not None
        for button in self._correct_buttons:
            button.setEnabled(enabled)

    def save_as(self, digit):
        """Store the current drawing labelled digit, with the model's reading, and clear the pad."""
        if self._store is None or self.last_input is None:
            return
        try:
            saved = self._store.keep(digit, self.last_input, self._pad.strokes, self._last_probs)
        except DigitLabError as error:  # e.g. the disk is full or the file became read-only
            self._saved_label.setText(str(error))
            return
        self._pad.clear()
        self._saved_label.setText(f"Saved {saved}")
        self.drawing_saved.emit(digit)

    def keyPressEvent(self, event):
        # The pad passes on the keys it does not use, so 0-9 typed on it arrive here.
        digit = DIGIT_KEYS.get(event.key())
        if digit is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.save_as(digit)
        else:
            super().keyPressEvent(event)

    def _update_fonts(self):
        # Relative to the default font, never in fixed pixels: it follows the user's font
        # size and the screen's scaling.
        self._fonts = {}
        for key, scale in (("digit", DIGIT_FONT_SCALE), ("name", NAME_FONT_SCALE)):
            font = QFont(self.font())
            if font.pointSizeF() > 0:
                font.setPointSizeF(font.pointSizeF() * scale)
            else:
                font.setPixelSize(round(font.pixelSize() * scale))
            font.setBold(True)
            self._fonts[key] = font
        self._digit.setFont(self._fonts["digit"])
        # Keep the label's height when it is empty, so the layout does not jump.
        self._digit.setMinimumHeight(self._digit.fontMetrics().height())

    def changeEvent(self, event):
        if event.type() == QEvent.Type.FontChange:
            self._update_fonts()
        super().changeEvent(event)

    def _set_pen_width(self, width):
        self._pad.pen_width = width
        self._pen_label.setText(f"&Pen width {width}")

    # --- predicting -----------------------------------------------------------------------------

    def _schedule_prediction(self):
        if not self._throttle.isActive():
            self._throttle.start()

    def predict(self):
        """Read the pad with the model now and show the result."""
        self._throttle.stop()
        x = strokes_to_mnist(self._pad.strokes)
        self.last_input = x
        self._preview.set_input(x)
        probs = None
        if x is None:
            self._show(None, EMPTY_TEXT if self._model is not None else NO_MODEL_TEXT)
        elif self._model is None:
            self._show(None, NO_MODEL_TEXT)
        else:
            try:
                probs = second_look(self._model, self._pad.strokes,
                                    self._model.predict_proba(x[None])[0])
            except (DigitLabError, ValueError) as error:
                # A model that cannot take 28x28 inputs: say so where the answer would be.
                log.warning("prediction failed: %s", error)
                self._show(None, f"This model cannot read the drawing: {error}")
            else:
                self._show(probs)
        self._last_probs = probs
        # Before the signal: the map is part of the answer (and of its measured delay).
        self._saliency.explain(self._model, x, probs, self._class_names)
        self._chart.show_probabilities(probs, self._saliency.shown_class)
        self._update_correct_buttons()
        self.prediction_changed.emit(probs)

    def _explain_class(self, index):
        self._saliency.show_class(index)
        self._chart.show_probabilities(self._last_probs, self._saliency.shown_class)

    def _show(self, probs, message=""):
        if probs is None:
            self._digit.setText("")
            self._confidence.setText(message)
            return
        best = int(np.argmax(probs))
        name = self._class_names[best]
        self._digit.setFont(self._fonts["digit" if len(name) <= 2 else "name"])
        self._digit.setText(name)
        p = float(probs[best])
        self._confidence.setText(f"unsure ({p:.0%})" if self._model.is_unsure(probs)
                                 else f"{p:.0%} sure")
        self._confidence.setToolTip(CONFIDENCE_TIP.format(self._model.unsure_below))
