"""The right-hand side of the Train tab: what a run looks like while it happens.

Loss and accuracy curves (desktop.train.curves), the gradient plot
(desktop.train.gradient_plot) or, on the tab beside it, each layer's histograms over time
(desktop.train.histograms), what each Step did (desktop.train.step_view) and the progress
bar. The plots' x axis spans the whole run in epochs; while the run is stepped, it counts
batches and spans only the steps taken so far. Progress records only append to buffers;
a timer redraws the plots and the progress bar a few times a second while a run is on, so
even a run of tiny epochs (the notebook's 500 full-batch steps) costs the event loop next to
nothing. The gradient plot (or the histograms) redraws halfway between two redraws of the
curves: each takes milliseconds to paint, and painted in the same turn of the event loop
they would hold it up twice as long.
"""

import math

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.train.curves import DEFAULT_SMOOTHING, X_PADDING, TrainingCurves
from desktop.train.gradient_plot import GradientPlot
from desktop.train.histograms import HistogramView
from desktop.train.hover import HoverReadout
from desktop.train.step_view import StepTable
from nn.cli.progress import format_seconds

REFRESH_INTERVAL_MS = 100      # plots redraw at most 10 times a second while training...
GRADIENT_EVERY_TICKS = 3       # ...the gradient plot (a dozen curves, costlier) about 3 times
LAYER_VIEW_DELAY_MS = REFRESH_INTERVAL_MS // 2   # after the curves' redraw, see above
PROGRESS_STEPS = 1000          # progress bar resolution: 0.1%
# Shares of the height: the loss plot has the most to show (batches, epochs, steps, runs).
LOSS_STRETCH, ACCURACY_STRETCH, LAYER_VIEWS_STRETCH = 3, 2, 3
MIN_PLOT_HEIGHT = 120          # px: below this a plot's tick labels run into each other
SMOOTHING_STEPS = 100          # the slider sets the smoothing weight in hundredths...
MAX_SMOOTHING = 99             # ...up to 0.99 (1 would freeze the curve at its first value)


class LiveView(QWidget):
    """The curves, the gradient plot and the progress bar of the current run."""

    smoothing_changed = Signal(float)  # the batch loss's smoothing weight, in [0, 1)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.training_curves = TrainingCurves(self.palette().color(QPalette.ColorRole.Text))
        self.gradient_plot = GradientPlot()
        self.histograms = HistogramView()
        self.layer_views = QTabWidget(objectName="layerViews")
        self.layer_views.addTab(self.gradient_plot, "&Gradients")
        self.layer_views.addTab(self.histograms, "&Histograms")
        self.layer_views.currentChanged.connect(self._layer_view_chosen)
        self.steps = StepTable(self.training_curves.loss_plot.getPlotItem())
        self._epochs, self._stepping, self._epoch = 1, False, 0.0
        text = self.palette().color(QPalette.ColorRole.Text)
        self.hover = {item: HoverReadout(item, text) for item in self._plot_items()}
        self.progress = QProgressBar(objectName="trainingProgress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(0)
        layout = QVBoxLayout(self)  # the progress bar goes under the plots: its text needs room
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._smoothing_row())
        for plot in (self.training_curves.loss_plot, self.training_curves.accuracy_plot,
                     self.layer_views):
            plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        layout.addWidget(self.training_curves.loss_plot, LOSS_STRETCH)
        layout.addWidget(self.training_curves.accuracy_plot, ACCURACY_STRETCH)
        layout.addWidget(self.layer_views, LAYER_VIEWS_STRETCH)
        layout.addWidget(self.steps)
        layout.addWidget(self.progress)
        self._timer = QTimer(self, interval=REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._ticks = 0
        self._layer_view_timer = QTimer(self, singleShot=True, interval=LAYER_VIEW_DELAY_MS)
        self._layer_view_timer.timeout.connect(self._redraw_layer_view)
        self._unshown = None   # the newest progress record the bar does not show yet

    def _smoothing_row(self):
        self.smoothing = QSlider(Qt.Orientation.Horizontal, objectName="smoothingSlider")
        self.smoothing.setRange(0, MAX_SMOOTHING)
        self.smoothing.setToolTip("How much the batch loss is smoothed: 0 draws every batch's "
                                  "loss as it is; 0.9 about the mean of the last ten points.")
        self._smoothing_label = QLabel()
        self._smoothing_label.setBuddy(self.smoothing)
        self.smoothing.valueChanged.connect(self._set_smoothing)
        self.smoothing.setValue(round(DEFAULT_SMOOTHING * SMOOTHING_STEPS))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._smoothing_label)
        row.addWidget(self.smoothing)
        return row

    @Slot(int)
    def _set_smoothing(self, value):
        weight = value / SMOOTHING_STEPS
        self._smoothing_label.setText(f"Batch loss s&moothing {weight:.2f}")
        self.training_curves.set_smoothing(weight)
        self.training_curves.redraw()
        self.smoothing_changed.emit(weight)

    def start(self, epochs):
        """Empty everything for a run of ``epochs`` epochs and redraw until `finish`."""
        self._epochs, self._stepping = epochs, False
        self.training_curves.clear(epochs)
        self.gradient_plot.reset(epochs)
        self.histograms.reset()
        self.steps.clear_steps()
        self._label_x_axis(1, "epoch")
        self.progress.setValue(0)
        self.progress.setFormat("Loading the data…")
        self._unshown = None
        self._timer.start()

    def finish(self):
        self._timer.stop()
        self._layer_view_timer.stop()
        self.redraw()

    def add_batch(self, record):
        """An nn.training.progress.BatchProgress."""
        self._epoch = record.epoch
        self.training_curves.add_batch(record.epoch, record.loss)
        if record.layers is not None:
            self.gradient_plot.add(record.epoch, record.layers)
            self.histograms.add_firing(record.epoch, record.layers)
        if record.step is not None:
            self.steps.add(record)
            self._show_steps_so_far(record.step)
        elif self._stepping:  # resumed: back to the whole run
            self._stepping = False
            self._label_x_axis(1, "epoch")
            for item in self._plot_items():
                item.setXRange(0, self._epochs, padding=X_PADDING)
        self._unshown = record

    def _plot_items(self):
        curves = self.training_curves
        return [curves.loss_plot.getPlotItem(), curves.accuracy_plot.getPlotItem(),
                *self.gradient_plot.plots.values()]

    def _label_x_axis(self, scale, label):
        """The plots' x values are epochs; ``scale`` turns them into the axis's units. (A new
        label lays the plots out again, which takes milliseconds: only a change is made.)"""
        items = self._plot_items()
        shown = items[0].getAxis("bottom")   # every plot's x axis is labelled alike
        if (shown.scale, shown.labelText) == (scale, label):
            return
        for item in items:
            item.getAxis("bottom").setScale(scale)
            item.setLabel("bottom", label)

    def _show_steps_so_far(self, step):
        if not self._stepping:
            self._stepping = True
            self._label_x_axis(step.batches_per_epoch, "batch (step)")
        for item in self._plot_items():
            item.setXRange(0, (step.number + 1) / step.batches_per_epoch, padding=X_PADDING)

    @Slot(object)
    def add_weights(self, model):
        """A copy of the weights being trained, as of the last batch shown."""
        self.histograms.add_weights(self._epoch, model)

    def add_epoch(self, record):
        self.training_curves.add_epoch(record)
        self._unshown = record

    def show_result(self, test_accuracy, completed):
        """The test accuracy (None when unknown) and, for a run not stopped, a full bar."""
        if test_accuracy is not None:
            self.training_curves.show_test_accuracy(test_accuracy)
        if completed:
            self.progress.setValue(PROGRESS_STEPS)

    def redraw(self):
        self.training_curves.redraw()
        self.gradient_plot.redraw()
        self.histograms.redraw()
        self._show_progress()

    @Slot(int)
    def _layer_view_chosen(self, _index):
        self._redraw_layer_view()

    @Slot()
    def _redraw_layer_view(self):
        # Only the one on screen: the other catches up when its tab is chosen.
        self.layer_views.currentWidget().redraw()

    @Slot()
    def _tick(self):
        self._ticks += 1
        self.training_curves.redraw()
        self._show_progress()
        if self._ticks % GRADIENT_EVERY_TICKS == 0:
            self._layer_view_timer.start()

    def _show_progress(self):
        """Show the newest batch or epoch record on the progress bar, if it is not shown."""
        record, self._unshown = self._unshown, None
        if record is None:
            return
        epoch = min(max(math.ceil(record.epoch), 1), record.epochs)
        self.progress.setValue(round(PROGRESS_STEPS * record.epoch / record.epochs))
        # %p is QProgressBar's own percentage placeholder.
        self.progress.setFormat(
            f"Epoch {epoch}/{record.epochs} · %p% · ETA {format_seconds(record.eta)} · "
            f"{record.samples_per_second:,.0f} samples/s")
