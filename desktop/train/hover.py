"""The value under the pointer, as TensorBoard shows it: hover a curve, read its point.

A `HoverReadout` watches one plot. When the pointer comes within ``REACH_PX`` screen pixels
of a point of one of its curves, the nearest such point is ringed and labelled with its
curve's name, its value and where it is on the x axis, in the axis's own units (epochs, or
batches while a run is stepped). Nothing is computed until the pointer moves.
"""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Slot

REACH_PX = 20      # how close the pointer must come to a point, in screen pixels
RING_SIZE = 12


class HoverReadout:
    """Reads out the point nearest the pointer on ``plot_item`` (a pyqtgraph PlotItem)."""

    def __init__(self, plot_item, text_colour):
        self._item = plot_item
        self._label = pg.TextItem(color=text_colour, anchor=(0, 1))
        self._ring = pg.ScatterPlotItem(size=RING_SIZE, pen=pg.mkPen(text_colour, width=1.5),
                                        brush=None)
        for item in (self._label, self._ring):
            item.hide()
            item.setZValue(100)
            # On the view box, not the plot: they are no curve (nor in its legend or bounds).
            plot_item.getViewBox().addItem(item, ignoreBounds=True)
        self.text = ""   # what the label says, "" when hidden
        plot_item.scene().sigMouseMoved.connect(self._moved)

    @Slot(object)
    def _moved(self, scene_pos):
        box = self._item.getViewBox()
        found = (self.nearest(box.mapSceneToView(scene_pos))
                 if box.sceneBoundingRect().contains(scene_pos) else None)
        if found is None:
            self.text = ""
            self._label.hide()
            self._ring.hide()
            return
        name, x, y, shown_x, shown_y = found
        axis = self._item.getAxis("bottom")
        where = axis.labelText or "x"
        self.text = f"{name}: {y:.4g}\n{where} {x * axis.scale:.4g}"
        self._label.setText(self.text)
        self._label.setPos(shown_x, shown_y)
        self._ring.setData([shown_x], [shown_y])
        self._label.show()
        self._ring.show()

    def nearest(self, view_pos):
        """(curve name, x, y, x and y as plotted) of the point nearest ``view_pos`` (a QPointF
        in the plot's coordinates) within reach, or None."""
        box = self._item.getViewBox()
        pixel_w, pixel_h = box.viewPixelSize()
        best, best_d = None, REACH_PX ** 2
        for curve in self._item.listDataItems():
            if not curve.isVisible() or curve.xData is None:
                continue
            xs, ys = np.asarray(curve.xData, float), np.asarray(curve.yData, float)
            log_x, log_y = curve.opts.get("logMode", (False, False))
            with np.errstate(divide="ignore", invalid="ignore"):
                px = np.log10(xs) if log_x else xs
                py = np.log10(ys) if log_y else ys
            d = ((px - view_pos.x()) / pixel_w) ** 2 + ((py - view_pos.y()) / pixel_h) ** 2
            d[~np.isfinite(d)] = np.inf
            if not d.size:
                continue
            i = int(np.argmin(d))
            if d[i] < best_d:
                best_d = d[i]
                best = (curve.name() or "", xs[i], ys[i], px[i], py[i])
        return best


def view_to_widget(plot_widget, plot_item, x, y):
    """Where the plot point (x, y), in plotted coordinates, is in ``plot_widget``'s pixels."""
    return plot_widget.mapFromScene(plot_item.getViewBox().mapViewToScene(QPointF(x, y)))
