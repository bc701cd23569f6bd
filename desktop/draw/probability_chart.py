"""The Draw tab's bar chart: the probability the model gives each class. A click on a class's
column asks why (or why not) that class: it emits ``class_clicked``."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette

from desktop.theme import SERIES_COLOURS, ThemedPlot

BAR_WIDTH = 0.7            # of the space between two bars
BAR_COLOUR = SERIES_COLOURS[5]            # sky blue
PREDICTED_BAR_COLOUR = SERIES_COLOURS[1]  # orange: the winning class stands out
EXPLAINED_OUTLINE_WIDTH = 2               # logical px around the bar whose map is shown
CHART_MIN_HEIGHT = 120     # logical px


class ProbabilityChart(ThemedPlot):
    """One bar per class, the predicted one in orange, the explained one outlined."""

    class_clicked = Signal(int)  # the index of the class whose column was clicked

    def __init__(self, class_names, parent=None):
        # Pens made once, not per prediction: each new QPen leaks a little in PySide6.
        self._no_pen = pg.mkPen(None)
        self._outline = None  # set by apply_palette, which the base class calls first
        super().__init__(parent)
        self.setObjectName("probabilityChart")
        self.setToolTip("The probability the model gives each class; they add up to 1. "
                        "Click a class to see why (or why not) the model reads it.")
        self.setMouseEnabled(x=False, y=False)  # a fixed view: nothing to pan or zoom
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setYRange(0, 1, padding=0.02)
        self.setMinimumHeight(CHART_MIN_HEIGHT)
        self.getPlotItem().getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self._brush = pg.mkBrush(BAR_COLOUR)
        self._predicted_brush = pg.mkBrush(PREDICTED_BAR_COLOUR)
        self._bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=BAR_WIDTH,
                                     pen=None, brush=self._brush)
        self.addItem(self._bars)
        self._n = 0
        self.set_class_names(class_names)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_class_names(self, names):
        self._n = len(names)
        self.getPlotItem().getAxis("bottom").setTicks([list(enumerate(names))])
        self.setXRange(-0.5, self._n - 0.5, padding=0.02)
        self.show_probabilities(None)

    def show_probabilities(self, probs, explained=None):
        """Bars for probs (classes,), or all zero for None; ``explained`` (a class index or
        None) gets an outline: the class whose map is shown."""
        n = self._n
        if probs is None:
            self._bars.setOpts(x=np.arange(n), height=np.zeros(n), brushes=[self._brush] * n,
                               pens=[self._no_pen] * n)
            return
        brushes = [self._brush] * n
        brushes[int(np.argmax(probs))] = self._predicted_brush
        pens = [self._outline if i == explained else self._no_pen for i in range(n)]
        self._bars.setOpts(x=np.arange(n), height=np.asarray(probs, dtype=float),
                           brushes=brushes, pens=pens)

    def apply_palette(self):
        super().apply_palette()
        self._outline = pg.mkPen(self.palette().color(QPalette.ColorRole.Text),
                                 width=EXPLAINED_OUTLINE_WIDTH)

    def _clicked(self, event):
        # The whole column of a class counts, not only its bar: a bar of 0.1% is too thin.
        view = self.getPlotItem().getViewBox()
        if event.button() != Qt.MouseButton.LeftButton or \
                not view.sceneBoundingRect().contains(event.scenePos()):
            return
        index = round(view.mapSceneToView(event.scenePos()).x())
        if 0 <= index < self._n:
            self.class_clicked.emit(index)
