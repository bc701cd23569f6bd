"""Plots that follow the system palette (light or dark) and a colour-blind-safe series palette."""

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QSizePolicy

pg.setConfigOptions(antialias=True)

# Okabe & Ito's palette: distinguishable with every common form of colour blindness.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
CURVE_WIDTH = 2  # logical pixels: Qt scales them on high-DPI screens
LEGEND_TEXT_SIZE = "8pt"


def series_pen(index, width=CURVE_WIDTH, dashed=False):
    return pg.mkPen(SERIES_COLOURS[index % len(SERIES_COLOURS)], width=width,
                    style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)


def legend_outside(plot_item, text_colour):
    """A legend for plot_item (a PlotItem) in a column of its own right of the plot area,
    top-aligned, so it never covers a curve; curves plotted with a ``name`` join it. It spans
    the plot area's row and the x axis's below it: a legend taller than the plot area alone
    (five runs compared on a short plot) would push the x axis's label out of sight."""
    legend = pg.LegendItem(offset=None, labelTextColor=text_colour,
                           labelTextSize=LEGEND_TEXT_SIZE, verSpacing=-4)
    legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    plot_item.legend = legend
    plot_item.layout.addItem(legend, 2, 3, 2, 1)
    plot_item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
    return legend


class ThemedPlot(pg.PlotWidget):
    """A pyqtgraph plot whose background, axes and text follow the widget palette, and follow
    it again when the palette changes (the user switches between light and dark themes)."""

    def __init__(self, parent=None, **kwargs):
        super().__init__(parent, **kwargs)
        self.apply_palette()

    def apply_palette(self):
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom", "right", "top"):
            axis = self.getPlotItem().getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)
        self.getPlotItem().titleLabel.setAttr("color", text.name())

    def changeEvent(self, event):
        # PlotWidget's own constructor changes the palette before plotItem exists.
        if event.type() == QEvent.Type.PaletteChange and self.plotItem is not None:
            self.apply_palette()
        super().changeEvent(event)
