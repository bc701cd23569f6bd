"""A reliability diagram: how sure the model is against how often it is right.

The answers are sorted into equal-width bins of confidence (``nn.training.calibration``). For
each bin a bar rises to the share of right answers, and a hatched band fills the gap up (or
down) to the bin's mean confidence; a calibrated model's bars end on the dashed diagonal. Each
bin's number of answers is written at its foot, and the title gives the expected calibration
error (ECE): the gaps averaged over all answers.
"""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette

from desktop.theme import SERIES_COLOURS, ThemedPlot

ACCURACY_COLOUR = SERIES_COLOURS[0]     # blue: how often right
GAP_COLOUR = SERIES_COLOURS[3]          # vermilion: how far from it the confidence is
COUNT_POINT_SIZE = 7
MIN_SIDE = 240                          # logical px: the square stays readable


class ReliabilityDiagram(ThemedPlot):
    """One reliability diagram; `show_reliability` draws a ``Reliability`` or clears it."""

    def __init__(self, name, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.reliability = None          # the Reliability drawn, for tests and tooltips
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setLabel("bottom", "how sure (top probability)")
        item.setLabel("left", "how often right")
        self.setXRange(0, 1, padding=0.02)
        self.setYRange(0, 1, padding=0.02)
        self.plot([0, 1], [0, 1], pen=pg.mkPen(self._text_colour(), width=1,
                                               style=Qt.PenStyle.DashLine))
        self._bars = pg.BarGraphItem(x0=[], width=[], height=[], brush=ACCURACY_COLOUR,
                                     pen=pg.mkPen(None))
        self._gaps = pg.BarGraphItem(x0=[], width=[], y0=[], height=[],
                                     brush=QBrush(QColor(GAP_COLOUR), Qt.BrushStyle.BDiagPattern),
                                     pen=pg.mkPen(GAP_COLOUR, width=1))
        self.addItem(self._bars)
        self.addItem(self._gaps)
        self._counts = []

    def show_reliability(self, reliability, title):
        """Draw ``reliability`` (None: nothing) under ``title``, to which the ECE is added."""
        self.reliability = reliability
        for text in self._counts:
            self.removeItem(text)
        self._counts = []
        if reliability is None:
            self._bars.setOpts(x0=[], width=[], height=[])
            self._gaps.setOpts(x0=[], width=[], y0=[], height=[])
            self.setTitle(title)
            return
        seen = reliability.count > 0
        left, width = reliability.edges[:-1][seen], np.diff(reliability.edges)[seen]
        accuracy, confidence = reliability.accuracy[seen], reliability.confidence[seen]
        self._bars.setOpts(x0=left, width=width, height=accuracy)
        self._gaps.setOpts(x0=left, width=width, y0=accuracy, height=confidence - accuracy)
        font = QFont(self.font())
        font.setPointSize(COUNT_POINT_SIZE)
        for x, count in zip(left + width / 2, reliability.count[seen]):
            text = pg.TextItem(f"{count:,}", color=self._text_colour(), anchor=(0, 0.5), angle=90)
            text.setFont(font)
            text.setPos(x, 0.01)
            self.addItem(text)
            self._counts.append(text)
        self.setTitle(f"{title}: ECE {reliability.ece:.2%}")
        self.setToolTip("Bars: share right among the answers in each bin of confidence; "
                        "hatched: the gap to the bin's mean confidence; dashed: perfectly "
                        "calibrated. The numbers are each bin's answers.")

    def title(self):
        return self.getPlotItem().titleLabel.text

    def _text_colour(self):
        return self.palette().color(QPalette.ColorRole.Text)
