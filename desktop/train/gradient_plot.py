"""The live plot of what each layer does while the network trains: its gradient norm, the
size of each update relative to its weights (both on log scales), and its dead ReLU units.

The figures come with the batch progress records (``nn.network.diagnostics.LayerStats``). As
with the loss curves, records only append to buffers; `redraw` (on the Train tab's timer) hands
the changed buffers to `setData`. Curves are created the first time a run has that many layers
(one per record) and reused by later runs, so a run never creates plot items per update.
"""

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QPalette

from desktop.train.curves import X_PADDING, Series
from desktop.widgets.colour_map import layer_colours
from desktop.widgets.log_axis import LogTicksAxis
from desktop.widgets.steady_view import SteadyViewBox

# (plot, y label, log scale): one curve per layer in each.
PLOTS = (("gradient_norms", "gradient norm", True),
         ("update_ratios", "|Δw| / |w| per step", True),
         ("dead_units", "dead ReLU units", False))
LEGEND_TEXT_SIZE = "8pt"
# Thin lines without anti-aliasing: a dozen noisy curves repaint in a fraction of the time.
LINE_WIDTH = 1
NO_RELU_TITLE = "no ReLU layers"
TOOLTIP = ("Per layer with parameters (dark: first, bright: last): the norm of its gradient, "
           "and how far each step moves its weights relative to their size (both log scale); "
           "and how many ReLU units output 0 for every example of a batch (dead units).")


class GradientPlot(pg.GraphicsLayoutWidget):
    """Three plots side by side, one curve per layer in each (objectName gradientPlot)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("gradientPlot")
        self.setToolTip(TOOLTIP)
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        self.plots, self.curves, self._series = {}, {name: [] for name, *_ in PLOTS}, {}
        for name, label, log in PLOTS:
            plot = self.addPlot(axisItems={"left": LogTicksAxis("left")} if log else None,
                                viewBox=SteadyViewBox())
            plot.setLabel("left", label)
            plot.setLabel("bottom", "epoch")
            plot.setLogMode(y=log)
            for side in ("left", "bottom"):
                plot.getAxis(side).setPen(text)
                plot.getAxis(side).setTextPen(text)
            self.plots[name] = plot
        # The legend is one line of coloured names under the plots: inside a plot, a deep
        # network's nine names would hide the curves.
        self.nextRow()
        self._legend = self.addLabel(colspan=len(PLOTS), size=LEGEND_TEXT_SIZE, color=text)
        self._names = None    # the layer names of the current run, known from its first record
        self._pens = {}       # (plot, layer index) -> pen, for the current run's layers
        self._curve_names = {}  # (plot, layer index) -> the layer's name
        # Owned by the plot, so it never fires once the plot is gone (a window closed mid-run).
        self._next_curve = QTimer(self, singleShot=True, interval=0)
        self._next_curve.timeout.connect(self._add_missing_curve)

    def reset(self, epochs):
        """Empty every curve for a new run of ``epochs`` epochs."""
        for series in self._series.values():
            series.clear()
        for plot in self.plots.values():
            plot.setXRange(0, epochs, padding=X_PADDING)
        self._names = None
        self.redraw()

    def add(self, epoch, stats):
        """A batch's ``nn.network.diagnostics.LayerStats`` at ``epoch`` (fractional)."""
        if stats.names != self._names:
            self._start_run(stats)
        for name, _label, _log in PLOTS:
            for i, value in enumerate(getattr(stats, name)):
                self._series[name, i].append(epoch, value)

    def redraw(self):
        for (name, i), series in self._series.items():
            if series.changed and i < len(self.curves[name]):
                series.changed = False
                self.curves[name][i].setData(*series.data())

    def _start_run(self, stats):
        """Pens for this run's layers, coloured first to last, and a legend that names them."""
        self._names = stats.names
        colours = layer_colours(len(stats.names))  # first layer dark, last layer bright
        rank = {name: i for i, name in enumerate(stats.names)}
        self._legend.setText("&nbsp;&nbsp;".join(
            f'<span style="color: {pg.mkColor(colour).name()}">━━</span> {name}'
            for name, colour in zip(stats.names, colours)))
        self.plots["dead_units"].setTitle(None if stats.relu_names else NO_RELU_TITLE)
        # From 0 to all of a layer's units: how many died reads against how many there are.
        units = sorted(set(stats.relu_units), reverse=True)
        if units:
            self.plots["dead_units"].setTitle(f"of {', '.join(map(str, units))} units",
                                              size=LEGEND_TEXT_SIZE)
        self.plots["dead_units"].setYRange(0, max(units, default=1), padding=0.02)
        self._pens, self._curve_names = {}, {}
        for name, _label, _log in PLOTS:
            layers = stats.relu_names if name == "dead_units" else stats.names
            for i, layer in enumerate(layers):
                self._pens[name, i] = pg.mkPen(colours[rank.get(layer, 0)], width=LINE_WIDTH)
                self._curve_names[name, i] = layer
        for series in self._series.values():
            series.clear()   # a former run's layers too: they are emptied on screen
        for key in self._pens:
            self._series.setdefault(key, Series())
        for name, curves in self.curves.items():
            for i, curve in enumerate(curves):
                if (name, i) in self._pens:
                    curve.setPen(self._pens[name, i])
                    curve.opts["name"] = self._curve_names[name, i]  # what hovering names
        self._add_missing_curve()

    @Slot()
    def _add_missing_curve(self):
        """Create one more curve when this run has more layers than there are curves, and
        come back on the next turn of the event loop for the next: each costs milliseconds,
        and a deep network needs a dozen, which at once would stall the event loop."""
        for name, curves in self.curves.items():
            if (name, len(curves)) in self._pens:
                curves.append(self.plots[name].plot(pen=self._pens[name, len(curves)],
                                                    name=self._curve_names[name, len(curves)],
                                                    autoDownsample=True, antialias=False))
                self._series[name, len(curves) - 1].changed = True
                self._next_curve.start()
                return
