"""The pieces an equation page is made of, each showing one quantity of a StepTrace: a matrix
as numbers, ten hidden units' 784 weights as 28x28 pictures, the batch's digits, the softmax
as bars, or a line of text.

A panel is given a function that takes the quantity out of the trace, in the notebook's
column form (one example per column: the engine's row-major array transposed), and redraws
itself from it in ``show_trace``; it computes nothing.
"""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.draw.probability_chart import ProbabilityChart
from desktop.inspect.views import TileGrid
from desktop.maths.matrix_view import NumberGrid
from desktop.widgets.network_input import NetworkInputView

HIDDEN = [f"h{i}" for i in range(10)]    # names of the hidden units (rows of W1, Z1, A1)
CLASSES = [str(i) for i in range(10)]    # the output rows: one per digit
UNIT_TILE_SIDE = 56      # logical px of one unit's 28x28 weight picture
DIGIT_SIDE = 84          # logical px of one example's 28x28 picture
BARS_SIZE = (300, 150)   # logical px of the softmax bar chart
MAX_DIGITS = 8           # the largest batch the tab offers


def examples(m):
    """Column names of an m-example batch."""
    return [f"#{j + 1}" for j in range(m)]


class Panel(QWidget):
    """A caption over one quantity's picture; ``show_trace`` redraws it from a trace."""

    def __init__(self, caption, parent=None):
        super().__init__(parent)
        self._caption_text = caption
        self.caption = QLabel(caption, textFormat=Qt.TextFormat.RichText)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(2)
        self.layout_.addWidget(self.caption)

    def set_shape(self, shape):
        self.caption.setText(f"{self._caption_text} <small>({' × '.join(map(str, shape))})"
                             "</small>")


class MatrixPanel(Panel):
    """A matrix as numbers. ``get(trace)`` gives it (rows, cols); ``columns`` names the columns
    ("examples" or a list), ``mask(trace)`` the cells to grey."""

    def __init__(self, name, caption, get, rows, columns="examples", mask=None, parent=None):
        super().__init__(caption, parent)
        self._get, self._rows, self._columns, self._mask = get, rows, columns, mask
        self.grid = NumberGrid(name)
        self.layout_.addWidget(self.grid)

    def show_trace(self, trace):
        values = np.atleast_2d(self._get(trace))
        columns = examples(values.shape[1]) if self._columns == "examples" else self._columns
        self.grid.set_values(values, self._rows, columns,
                             None if self._mask is None else self._mask(trace))
        self.set_shape(values.shape)


class UnitPicturesPanel(Panel):
    """Ten 28x28 pictures, one per hidden unit: ``get(trace)`` gives (10, 784), row i being
    unit i's weight (or gradient) for each pixel."""

    def __init__(self, name, caption, get, parent=None):
        super().__init__(caption, parent)
        self._get = get
        self.grid = TileGrid([np.zeros((28, 28))] * 10, HIDDEN, name, side=UNIT_TILE_SIDE,
                             tooltip="Red: positive, blue: negative, white: zero; one colour "
                                     "scale for all ten.")
        self.layout_.addWidget(self.grid)

    def show_trace(self, trace):
        values = self._get(trace)
        self.grid.set_arrays(list(values.reshape(-1, 28, 28)))
        self.set_shape(values.shape)


class DigitsPanel(Panel):
    """The batch's images as the network sees them, each with its true label."""

    def __init__(self, name, caption, parent=None):
        super().__init__(caption, parent)
        row = QGridLayout()
        self.views, self.labels = [], []
        for j in range(MAX_DIGITS):
            view = NetworkInputView()
            view.setObjectName(name)
            view.setMinimumSize(DIGIT_SIDE, DIGIT_SIDE)
            view.setMaximumSize(DIGIT_SIDE, DIGIT_SIDE)
            label = QLabel(alignment=Qt.AlignmentFlag.AlignHCenter)
            row.addWidget(view, 0, j)
            row.addWidget(label, 1, j)
            self.views.append(view)
            self.labels.append(label)
        row.setColumnStretch(MAX_DIGITS, 1)
        self.layout_.addLayout(row)

    def show_trace(self, trace):
        m = len(trace.y)
        for j, (view, label) in enumerate(zip(self.views, self.labels)):
            view.setVisible(j < m)
            label.setVisible(j < m)
            if j < m:
                view.set_input(trace.x[j].reshape(28, 28))
                label.setText(f"#{j + 1}: a {trace.y[j]}")
        self.set_shape((784, m))


class BarsPanel(Panel):
    """The first example's probabilities as the Draw tab's bars, its true digit outlined:
    ``get(trace)`` gives (10,)."""

    def __init__(self, name, caption, get, parent=None):
        super().__init__(caption, parent)
        self._get = get
        self.chart = ProbabilityChart(CLASSES)
        self.chart.setObjectName(name)
        self.chart.setFixedSize(*BARS_SIZE)
        self.layout_.addWidget(self.chart)

    def show_trace(self, trace):
        self.values = self._get(trace)
        self.chart.show_probabilities(self.values, explained=int(trace.y[0]))


class TextPanel(Panel):
    """A line of rich text made from the trace by ``text(trace)``."""

    def __init__(self, name, caption, text, parent=None):
        super().__init__(caption, parent)
        self._text = text
        self.label = QLabel(objectName=name, textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.layout_.addWidget(self.label)

    def show_trace(self, trace):
        self.label.setText(self._text(trace))
