"""The Number tab: write a whole number on a wide pad and watch the active model read it.

At every pen-up (and undo, and clear) the active model splits the pad's strokes into digits by
reading them (`nn.ink.segment.NumberReader`: each way of grouping the strokes left to right is
drawn as the network's 28x28 input, exactly as on the Draw tab, and the grouping the model
reads best wins). The pad outlines each digit (dashed, in another colour, when the model is
unsure of it); under it are each digit's input and the model's confidence, in a row that
scrolls rather than widening the window, and above it the number. A digit read wrong can be
corrected there, as on the Draw tab: it is kept in My Handwriting as the digit it is.
"""

import logging
from functools import partial

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from desktop.number.pad import UNSURE_COLOUR, NumberPad
from desktop.widgets.drawing_pad import FULL_TEXT
from desktop.widgets.network_input import NetworkInputView
from nn.ink.second_look import second_look
from nn.ink.segment import NumberReader
from nn.network.errors import DigitLabError
from nn.network.model import DIGITS, shown_unsure

log = logging.getLogger(__name__)

READING_FONT_SCALE = 3.0   # the number, relative to the default font's size
CELL_SIDE = 3 * 28         # logical px of each digit's input: 3 screen pixels per input pixel
EMPTY_TEXT = "Write a number on the pad: digits side by side, from left to right."
NO_MODEL_TEXT = "No model loaded"
NOT_DIGITS_TEXT = "The active model reads {}, not digits: open or train a digit model."


class DigitCell(QWidget):
    """One digit of the reading: the 28x28 input the network got, how sure it is, and a menu
    to say which digit it really is."""

    corrected = Signal(int)   # the user chose the digit this one really is

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preview = NetworkInputView()
        self.preview.setMinimumSize(CELL_SIDE, CELL_SIDE)
        self.preview.setFixedSize(CELL_SIDE, CELL_SIDE)
        self.label = QLabel(objectName="digitConfidence")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.correct = QToolButton(objectName="digitCorrectButton", text="Correct it")
        self.correct.setToolTip("Keep this digit in My Handwriting as the digit it really is.")
        self.correct.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.correct)
        for digit in range(10):
            menu.addAction(f"It is a {digit}", lambda d=digit: self.corrected.emit(d))
        self.correct.setMenu(menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        layout.addWidget(self.label)
        layout.addWidget(self.correct, 0, Qt.AlignmentFlag.AlignHCenter)

    def show_digit(self, x, digit, probability, unsure_below):
        self.preview.set_input(x)
        sure = not shown_unsure(probability, unsure_below)
        self.label.setText(f"{digit} · {probability:.0%}" if sure
                           else f"{digit}? · {probability:.0%}")
        self.label.setStyleSheet("" if sure else f"color: {UNSURE_COLOUR}")
        self.label.setToolTip(f"The model reads {digit}, {probability:.0%} sure" if sure else
                              f"Unsure: the model reads {digit} but gives it only "
                              f"{probability:.0%} (below {unsure_below:.0%})")


class NumberTab(QWidget):
    """Write a number and read it with the active model; set_model when it changes."""

    drawing_saved = Signal(int)   # a digit was corrected and kept with this label

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = None
        self._reader = None       # NumberReader of the model, if it reads digits
        self._store = None        # a HandwritingStore, set by the window; None: no corrections
        self._groups = []         # each digit's stroke indices, left to right
        self.inputs = []          # each digit's (28, 28) input, left to right
        self.probabilities = []   # each digit's (10,) probabilities
        self._pad = NumberPad()
        self._cells = []
        self._build_ui()
        for signal in (self._pad.stroke_finished, self._pad.stroke_undone, self._pad.cleared):
            signal.connect(self.read)
        self._pad.full.connect(self._say_full)
        self.read()

    @property
    def pad(self):
        return self._pad

    def set_model(self, model):
        """Use model (an nn Model, or None) and read the pad again with it."""
        self._model = model
        self._reader = None
        if model is not None and tuple(model.class_names) == DIGITS:
            self._reader = NumberReader(model.predict_proba, partial(second_look, model))
        self.read()

    def _build_ui(self):
        self._reading = QLabel(objectName="numberReading")
        self._reading.setToolTip("The number the model reads: its digits from left to right.")
        self._reading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._reading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._status = QLabel(objectName="numberStatus", textFormat=Qt.TextFormat.PlainText)
        self._status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._status.setWordWrap(True)
        self._update_font()
        undo = QPushButton("&Undo", objectName="numberUndoButton")
        undo.setToolTip("Remove the last stroke (Ctrl+Z on the pad).")
        undo.clicked.connect(self._pad.undo)
        clear = QPushButton("&Clear", objectName="numberClearButton")
        clear.setToolTip("Wipe the pad to write another number (Delete or Escape on the pad).")
        clear.clicked.connect(self._pad.clear)
        controls = QHBoxLayout()
        controls.addWidget(undo)
        controls.addWidget(clear)
        controls.addWidget(self._status, 1)
        # The cells scroll sideways: however many digits are written, the window keeps its size.
        row = QWidget()
        self._cell_row = QHBoxLayout(row)
        self._cell_row.addStretch(1)
        self._cell_row.addStretch(1)
        cells = QScrollArea(objectName="numberCells")
        cells.setWidget(row)
        cells.setWidgetResizable(True)
        cells.setFrameShape(QFrame.Shape.NoFrame)
        cells.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        cells.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        cells.setFixedHeight(row.sizeHint().height() + DigitCell().sizeHint().height()
                             + cells.horizontalScrollBar().sizeHint().height())
        caption = QLabel("What the network sees, digit by digit (28x28 each), and how sure it is")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (self._reading, self._status, caption):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.addWidget(self._reading)
        layout.addWidget(self._pad)
        layout.addLayout(controls)
        layout.addWidget(caption)
        layout.addWidget(cells)
        layout.addStretch(1)

    def _update_font(self):
        # Relative to the default font: it follows the user's font size and screen scaling.
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * READING_FONT_SCALE)
        else:
            font.setPixelSize(round(font.pixelSize() * READING_FONT_SCALE))
        font.setBold(True)
        self._reading.setFont(font)
        self._reading.setMinimumHeight(self._reading.fontMetrics().height())

    def changeEvent(self, event):
        if event.type() == QEvent.Type.FontChange:
            self._update_font()
        super().changeEvent(event)

    def set_store(self, store):
        """Where corrected digits are kept (a HandwritingStore, or None to turn it off)."""
        self._store = store
        for cell in self._cells:
            cell.correct.setEnabled(store is not None)

    def keep(self, k, digit):
        """Keep the k-th digit read (its input, strokes and reading) as a ``digit``."""
        if self._store is None or k >= len(self.inputs):
            return
        strokes = [self._pad.strokes[i] for i in self._groups[k]]
        try:
            saved = self._store.keep(digit, self.inputs[k], strokes, self.probabilities[k])
        except DigitLabError as error:  # e.g. the disk is full or the file became read-only
            self._status.setText(str(error))
            return
        self._status.setText(f"Digit {k + 1} saved {saved}")
        self.drawing_saved.emit(digit)

    # --- reading --------------------------------------------------------------------------------

    def read(self):
        """Split the pad's strokes into digits by reading them with the model; show the number."""
        strokes = self._pad.strokes
        groups, self.inputs, self.probabilities = [], [], []
        message = ""
        if not strokes:
            message = EMPTY_TEXT
        elif self._model is None:
            message = NO_MODEL_TEXT
        elif self._reader is None:
            message = NOT_DIGITS_TEXT.format(", ".join(self._model.class_names[:3]) + "…")
        else:
            try:
                reading = self._reader.read(strokes)
            except (DigitLabError, ValueError) as error:  # a model that takes other inputs
                log.warning("reading the number failed: %s", error)
                message = f"This model cannot read the digits: {error}"
            else:
                groups = reading.groups
                self.inputs = list(reading.images)
                self.probabilities = list(reading.probabilities)
        self._show(strokes, groups, message)

    def _say_full(self):
        self._status.setText(FULL_TEXT)

    def _show(self, strokes, groups, message):
        digits = [DIGITS[int(np.argmax(p))] for p in self.probabilities]
        text = "".join(digits)
        self._reading.setText(text)
        confidences = [float(np.max(p)) for p in self.probabilities]
        unsure_below = self._model.unsure_below if self._model is not None else 0
        unsure = int(np.sum(shown_unsure(confidences, unsure_below)))
        count = f"{len(digits)} digit" + ("s" if len(digits) != 1 else "")
        self._status.setText(message or count + (f", {unsure} unsure (marked ?)" if unsure else ""))
        boxes = []
        for k, group in enumerate(groups):
            points = np.concatenate([np.asarray(strokes[i], float).reshape(-1, 2) for i in group])
            sure = not shown_unsure(confidences[k], unsure_below)
            boxes.append(((*points.min(axis=0), *points.max(axis=0)), sure))
        self._pad.set_boxes(boxes)
        self._groups = groups
        while len(self._cells) < len(groups):
            cell = DigitCell()
            cell.correct.setEnabled(self._store is not None)
            cell.corrected.connect(partial(self.keep, len(self._cells)))
            self._cells.append(cell)
            self._cell_row.insertWidget(len(self._cells), cell)
        for k, cell in enumerate(self._cells):
            if k < len(groups):
                cell.show_digit(self.inputs[k], digits[k], confidences[k], unsure_below)
            cell.setVisible(k < len(groups))
