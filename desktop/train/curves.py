"""The live training curves: loss per batch and per epoch, accuracy per epoch, test at the end.

Every curve is created once; the training signals only append to growing NumPy buffers, and
`redraw()` (called by a timer a few times a second) hands the buffers to `setData`.

The batch loss jumps from batch to batch (each batch is a different sample of the data), so
it is drawn smoothed, as TensorBoard does: an exponential moving average whose weight the
user sets (0: every batch as it is; 0.9: roughly the mean of the last ten points). The raw
values are kept, so moving the slider smooths them again.
"""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from desktop.theme import SERIES_COLOURS, ThemedPlot, legend_outside, series_pen
from desktop.widgets.steady_view import SteadyViewBox

MARKERS_UP_TO_EPOCHS = 60      # longer runs draw their epoch curves without markers
INITIAL_CAPACITY = 256         # points per buffer before the first doubling
BATCH_LINE_WIDTH = 1           # the noisy per-batch loss stays in the background
MARKER_SIZE = 6
TEST_MARKER_SIZE = 14
DEFAULT_SMOOTHING = 0.9
CHANCE_ACCURACY = 10.0         # percent: guessing one of ten classes at random
LOSS_TITLE = "Loss per batch and per epoch"
ACCURACY_TITLE = "Accuracy per epoch; test at the end"
X_PADDING = 0.02               # fraction of the run left blank at each end of the x axis
# (curve, plot, legend name, colour index, marker); the batch loss has no marker.
CURVES = (
    ("batch_loss", "loss", "batch loss (smoothed)", 5, None),
    ("train_loss", "loss", "train", 0, "o"),
    ("val_loss", "loss", "validation", 1, "s"),
    ("train_accuracy", "accuracy", "train", 0, "o"),
    ("val_accuracy", "accuracy", "validation", 1, "s"),
)
TEST_COLOUR = 3


def smooth(values, weight):
    """The debiased exponential moving average of values (n,) with weight in [0, 1): each
    point is weight * (the previous average) + (1 - weight) * value, divided by
    1 - weight^(i+1) so that it starts at the first value instead of near 0 (TensorBoard's)."""
    out, average = np.empty(len(values)), 0.0
    for i, value in enumerate(values):
        average = weight * average + (1 - weight) * value
        out[i] = average / (1 - weight ** (i + 1))
    return out


class Series:
    """Append-only x/y buffers that double when full: appending is cheap and `data()` hands
    pyqtgraph views, never copies."""

    def __init__(self):
        self.x = np.empty(INITIAL_CAPACITY)
        self.y = np.empty(INITIAL_CAPACITY)
        self.n, self.changed = 0, False

    def append(self, x, y):
        if self.n == len(self.x):
            self.x, self.y = (np.concatenate([a, np.empty_like(a)]) for a in (self.x, self.y))
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.changed = True

    def clear(self):
        self.n, self.changed = 0, True

    def data(self):
        return self.x[:self.n], self.y[:self.n]


class TrainingCurves:
    """The two plots of a run, their curves (created once) and the buffers behind them.

    Progress arrives through `add_batch`/`add_epoch`, which only append to buffers;
    `redraw` (on a timer) hands pyqtgraph what changed.
    """

    def __init__(self, text_colour):
        # Steady views: the y axes change in steps, not with every batch (see the module).
        self.loss_plot = ThemedPlot(viewBox=SteadyViewBox())
        self.accuracy_plot = ThemedPlot(viewBox=SteadyViewBox())
        self.loss_plot.setObjectName("lossPlot")
        self.accuracy_plot.setObjectName("accuracyPlot")
        items = {"loss": self.loss_plot.getPlotItem(), "accuracy": self.accuracy_plot.getPlotItem()}
        # No grid: pyqtgraph draws it with the axes, and it made each repaint of a plot ~5x
        # slower (measured ~10 ms vs ~2 ms, offscreen), time the event loop needs while training.
        for item, label, title in ((items["loss"], "loss (cross-entropy)", LOSS_TITLE),
                                   (items["accuracy"], "accuracy (%)", ACCURACY_TITLE)):
            item.setLabel("left", label)
            item.setLabel("bottom", "epoch")
            item.setTitle(title, size="9pt")
            legend_outside(item, text_colour)
        self.curves = {}
        for name, plot, legend, colour, marker in CURVES:
            style = ({"pen": series_pen(colour, width=BATCH_LINE_WIDTH)} if marker is None else
                     {"pen": series_pen(colour), "symbol": marker, "symbolSize": MARKER_SIZE,
                      "symbolBrush": SERIES_COLOURS[colour], "symbolPen": None})
            # Views of the whole run: pyqtgraph draws only what is visible, decimated.
            self.curves[name] = items[plot].plot(name=legend, clipToView=True, autoDownsample=True,
                                                 **style)
        self.curves["test_accuracy"] = items["accuracy"].plot(
            name="test", pen=None, symbol="star", symbolSize=TEST_MARKER_SIZE,
            symbolBrush=SERIES_COLOURS[TEST_COLOUR], symbolPen=None)
        self._test_line = pg.InfiniteLine(angle=0, pen=series_pen(TEST_COLOUR, dashed=True))
        self._test_line.hide()
        items["accuracy"].addItem(self._test_line)
        chance = pg.InfiniteLine(CHANCE_ACCURACY, angle=0, pen=pg.mkPen(
            text_colour, width=1, style=Qt.PenStyle.DashLine), label="chance 10%",
            labelOpts={"position": 0.05, "color": text_colour, "anchors": [(0, 1), (0, 1)]})
        chance.setToolTip("Guessing one of ten classes at random is right 10% of the time.")
        items["accuracy"].addItem(chance)  # always in view: how far above chance a run is
        self._series = {name: Series() for name, *_ in CURVES}
        self._batch_losses = Series()  # raw, one point per batch received
        self.smoothing, self._average = DEFAULT_SMOOTHING, 0.0
        self.clear(epochs=1)   # axes as a run's start shows them, before any run

    def clear(self, epochs):
        """Empty every curve for a new run of ``epochs`` epochs."""
        for series in (*self._series.values(), self._batch_losses):
            series.clear()
        self._average = 0.0
        # The x axis spans the whole run from the start: it shows how far along training is,
        # and a fixed axis is not re-laid-out (ticks, labels) on every update.
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getPlotItem().setXRange(0, epochs, padding=X_PADDING)
        self.curves["test_accuracy"].setData([], [])
        self._test_line.hide()
        # The whole scale until the first epoch's accuracy comes; then it fits the curves.
        self.accuracy_plot.getPlotItem().setYRange(0, 100, padding=0)
        # Markers only for short runs: in a long one they merge into a smear, and drawing
        # hundreds of them costs every repaint.
        for name, _plot, _legend, _colour, marker in CURVES:
            if marker is not None:
                self.curves[name].setSymbol(marker if epochs <= MARKERS_UP_TO_EPOCHS else None)
        self.redraw()

    def add_batch(self, epoch, loss):
        """One batch's loss: kept as it is, and drawn smoothed."""
        raw = self._batch_losses
        raw.append(epoch, loss)
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        self._series["batch_loss"].append(epoch, self._average / (1 - self.smoothing ** raw.n))

    def set_smoothing(self, weight):
        """Smooth the batch loss with this weight from now on, the points so far too."""
        self.smoothing = weight
        x, y = self._batch_losses.data()
        smoothed = self._series["batch_loss"]
        smoothed.clear()
        for xi, yi in zip(x, smooth(y, weight)):
            smoothed.append(xi, yi)
        self._average = (smoothed.y[smoothed.n - 1] * (1 - weight ** smoothed.n)
                         if smoothed.n else 0.0)

    def add_epoch(self, record):
        """An nn.training.progress.EpochProgress: losses as they are, accuracies in percent."""
        series = self._series
        series["train_loss"].append(record.epoch, record.train_loss)
        series["train_accuracy"].append(record.epoch, 100 * record.train_accuracy)
        self.accuracy_plot.getPlotItem().enableAutoRange(axis="y")
        if record.val_loss is not None:
            series["val_loss"].append(record.epoch, record.val_loss)
            series["val_accuracy"].append(record.epoch, 100 * record.val_accuracy)

    def show_test_accuracy(self, accuracy):
        """A star at the end of the run and a dashed line across: where the test set lands."""
        last_epoch = max((s.x[s.n - 1] for s in self._series.values() if s.n), default=0.0)
        self.curves["test_accuracy"].setData([last_epoch], [100 * accuracy])
        self._test_line.setValue(100 * accuracy)
        self._test_line.show()

    def snapshot(self):
        """{curve name: (x (n,), y (n,))} copies of the run so far (accuracies in percent),
        for the curves that have points; "batch_losses" holds the batch losses unsmoothed."""
        series = {**self._series, "batch_losses": self._batch_losses}
        return {name: tuple(a.copy() for a in one.data())
                for name, one in series.items() if one.n}

    def redraw(self):
        for name, series in self._series.items():
            if series.changed:
                series.changed = False
                self.curves[name].setData(*series.data())
