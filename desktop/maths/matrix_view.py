"""A matrix drawn as its numbers: one cell per element, tinted by sign and size (red positive,
blue negative, as the Inspect tab's pictures), with row and column names. Cells a mask
switches off (the hidden units ReLU blocked) are greyed and hatched, so which units passed
is visible at a glance."""

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.inspect.views import diverging_rgb

CELL_PADDING = 10        # logical px around a number, left and right together
TINT = 0.45              # share of the full diverging colour: the numbers stay readable
BLOCKED_COLOUR = QColor("#d9d9d9")
BLOCKED_TEXT = QColor("#8c8c8c")
TEXT_COLOUR = QColor("#000000")   # on the light tints, in light and dark themes alike


def decimals_for(values):
    """Decimals that give the largest magnitude three significant digits (2 to 5)."""
    if values.dtype.kind in "biu":
        return 0
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if peak == 0.0 or not np.isfinite(peak):
        return 2
    return int(np.clip(2 - np.floor(np.log10(peak)), 2, 5))


def number_text(value, decimals):
    """``value`` with ``decimals`` decimals; no "-0.00" for a tiny negative number."""
    text = f"{float(value):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class NumberGrid(QWidget):
    """``values`` (rows, cols) written out; ``mask`` (same shape, bool) greys the False cells."""

    def __init__(self, object_name, parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.values = self.mask = None
        self._texts, self._colours = [], None
        self._row_names, self._col_names = [], []
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_values(self, values, row_names, col_names, mask=None):
        self.values = np.asarray(values)
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._row_names, self._col_names = list(row_names), list(col_names)
        decimals = decimals_for(self.values)
        self._texts = [[number_text(v, decimals) for v in row] for row in self.values]
        light = diverging_rgb(self.values.astype(np.float32)).astype(np.float32)
        self._colours = (255 - TINT * (255 - light)).astype(np.uint8)
        self.updateGeometry()
        self.update()

    def _cell_size(self):
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(t) for row in self._texts for t in row),
                     default=0)
        widest = max(widest, *(metrics.horizontalAdvance(n) for n in self._col_names + ["0"]))
        return widest + CELL_PADDING, metrics.height() + 4

    def _header_width(self):
        metrics = QFontMetrics(self.font())
        return max((metrics.horizontalAdvance(n) for n in self._row_names), default=0) + 8

    def sizeHint(self):
        if self.values is None:
            return QSize(0, 0)
        w, h = self._cell_size()
        rows, cols = self.values.shape
        return QSize(self._header_width() + cols * w + 1, (rows + 1) * h + 1)

    def minimumSizeHint(self):
        return self.sizeHint()

    def paintEvent(self, event):
        if self.values is None:
            return
        w, h = self._cell_size()
        left = self._header_width()
        text = self.palette().color(QPalette.ColorRole.Text)
        grid = self.palette().color(QPalette.ColorRole.Mid)
        painter = QPainter(self)
        painter.setPen(text)
        centre = Qt.AlignmentFlag.AlignCenter
        for j, name in enumerate(self._col_names):
            painter.drawText(QRect(left + j * w, 0, w, h), centre, name)
        for i, name in enumerate(self._row_names):
            painter.drawText(QRect(0, (i + 1) * h, left - 4, h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        for i, row in enumerate(self._texts):
            for j, number in enumerate(row):
                cell = QRect(left + j * w, (i + 1) * h, w, h)
                blocked = self.mask is not None and not self.mask[i, j]
                if blocked:
                    painter.fillRect(cell, BLOCKED_COLOUR)
                    painter.fillRect(cell, QBrush(BLOCKED_TEXT, Qt.BrushStyle.BDiagPattern))
                else:
                    painter.fillRect(cell, QColor(*(int(c) for c in self._colours[i, j])))
                painter.setPen(BLOCKED_TEXT if blocked else TEXT_COLOUR)
                painter.drawText(cell.adjusted(0, 0, -CELL_PADDING // 2, 0),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 number)
        painter.setPen(grid)
        rows, cols = self.values.shape
        painter.drawRect(QRect(left, h, cols * w, rows * h))
        painter.end()
