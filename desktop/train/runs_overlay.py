"""Recorded runs drawn over the live training curves, each in its own colour.

A run shown here gets two curves, created once when it is ticked and removed when it is
unticked: its batch loss on the loss plot, smoothed as the live one is (runs recorded before
the raw losses were kept show the smoothing they were recorded with), and its validation
accuracy (the training accuracy when it held no validation set) on the accuracy plot, both
dashed so they never pass for the live run. Their legend text is short (the run's values of
the settings being compared, and its name); the legend entry's tooltip has all its settings.
"""

from desktop.train.curves import DEFAULT_SMOOTHING, smooth
from desktop.theme import SERIES_COLOURS, series_pen

# Okabe & Ito colours in the order runs take them: the live curves use 0, 1, 3 and 5 first.
RUN_COLOURS = (2, 4, 6, 3, 0, 1, 5)
MARKER_SIZE = 6
X_PADDING = 0.02
ACCURACY_CURVES = ("val_accuracy", "train_accuracy")   # the first one the run has


class RunOverlays:
    """The overlaid runs of the two plots (pyqtgraph PlotItems), by run id."""

    def __init__(self, loss_item, accuracy_item):
        self._loss, self._accuracy = loss_item, accuracy_item
        self._shown = {}          # run id -> (colour index, [PlotDataItems])
        self._raw_losses = {}     # run id -> (x, y) of its unsmoothed batch losses
        self._live_epochs = 0
        self._smoothing = DEFAULT_SMOOTHING

    def run_ids(self):
        return list(self._shown)

    def colour_of(self, run_id):
        """The colour (a "#rrggbb" string) of a shown run."""
        return SERIES_COLOURS[self._shown[run_id][0]]

    def items_of(self, run_id):
        return list(self._shown[run_id][1])

    def show(self, run_id, curves, label, tooltip=""):
        """Draw the run ``run_id`` from its ``curves`` ({name: (x (n,), y (n,))} as
        `TrainingCurves.snapshot` gives them: x in epochs, accuracies in percent) under the
        legend text ``label``, with ``tooltip`` on the legend entries."""
        if run_id in self._shown:
            return
        taken = {colour for colour, _ in self._shown.values()}
        colour = next((c for c in RUN_COLOURS if c not in taken),
                      RUN_COLOURS[len(self._shown) % len(RUN_COLOURS)])
        pen = series_pen(colour, dashed=True)
        items = []
        if "batch_losses" in curves:
            self._raw_losses[run_id] = x, y = curves["batch_losses"]
            items.append(self._loss.plot(x, smooth(y, self._smoothing), pen=pen, name=label))
        elif "batch_loss" in curves:
            items.append(self._loss.plot(*curves["batch_loss"], pen=pen, name=label))
        accuracy = next((curves[name] for name in ACCURACY_CURVES if name in curves), None)
        if accuracy is not None:
            items.append(self._accuracy.plot(
                *accuracy, pen=pen, name=label, symbol="t", symbolSize=MARKER_SIZE,
                symbolBrush=SERIES_COLOURS[colour], symbolPen=None))
        self._shown[run_id] = (colour, items)
        self.relabel(run_id, label, tooltip)
        self._fit()

    def set_smoothing(self, weight):
        """Smooth the shown runs' batch losses with this weight (those that kept them raw)."""
        self._smoothing = weight
        for run_id, (x, y) in self._raw_losses.items():
            self._shown[run_id][1][0].setData(x, smooth(y, weight))

    def hide(self, run_id):
        _, items = self._shown.pop(run_id, (None, []))
        self._raw_losses.pop(run_id, None)
        for item in items:
            plot = self._loss if item in self._loss.listDataItems() else self._accuracy
            plot.legend.removeItem(item)
            plot.removeItem(item)
        self._fit()

    def relabel(self, run_id, label, tooltip=""):
        """Change the legend text and tooltip of a shown run (its curves stay as they are)."""
        for item in self._shown[run_id][1]:
            for plot in (self._loss, self._accuracy):
                legend_label = plot.legend.getLabel(item)
                if legend_label is not None:
                    legend_label.setText(label)
                    legend_label.setToolTip(tooltip)
                    plot.legend.updateSize()

    def label_of(self, run_id):
        """The legend text of a shown run."""
        item = self._shown[run_id][1][0]
        for plot in (self._loss, self._accuracy):
            legend_label = plot.legend.getLabel(item)
            if legend_label is not None:
                return legend_label.text
        return ""

    def set_live_epochs(self, epochs):
        """The live run spans ``epochs``: the x axis covers it and every shown run."""
        self._live_epochs = epochs
        self._fit()

    def _fit(self):
        ends = [self._live_epochs]
        for _, items in self._shown.values():
            ends += [float(item.xData.max()) for item in items if item.xData is not None
                     and len(item.xData)]
        if max(ends) > 0:
            for plot in (self._loss, self._accuracy):
                plot.setXRange(0, max(ends), padding=X_PADDING)
