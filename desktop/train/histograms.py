"""Per layer, how its weights and its units change over a run: TensorBoard's histograms.

Two pictures of the layer chosen in the combo box, time running left to right, each column
one moment of the run, its colour how many of the layer's weights (or units) fall in each
bin from the bottom of the plot to the top (on a log scale, log(1 + count): a bin of ten
stays visible beside one of ten thousand):

- its weights (from the copies of the weights the run sends a few times a second). The bins
  are fixed at the run's first copy, from -1.5 to +1.5 times its largest weight, so a
  layer's weights can be seen spreading or shrinking; weights beyond go into the end bins;
- how often each of its ReLU units fires: the share of a batch's examples for which it
  outputs more than 0 (``nn.network.diagnostics``, 0 to 1). Units that die pile up in the
  bottom row: the "Dying ReLUs" experiment shows it within a few batches.

Records only append to lists; `redraw` (on the live view's timer) rebuilds the two images of
the chosen layer when something new came in.
"""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.widgets.colour_map import SEQUENTIAL
from nn.network.diagnostics import ACTIVE_BINS

WEIGHT_BINS = 41
WEIGHT_RANGE = 1.5   # the weight bins span this many times the first copy's largest weight
# A layer's histogram counts at most this many of its weights, evenly spread over it: the
# shape is the same, and a copy of a CNN's weights costs a millisecond, not ten.
WEIGHT_SAMPLE = 20_000
NO_RELU = "no ReLU after this layer"
TOOLTIP = ("Each column is a moment of the run; its colours count the layer's weights (left) "
           "or its ReLU units (right) in each bin, bright: many. Units that stop firing pile "
           "up in the bottom row of the right plot.")


def layer_names(model):
    """"Dense 1", "Conv2D 2"...: the layers with parameters, named as nn.network.diagnostics
    names them, with their weights (the first parameter)."""
    layers = [layer for layer in model.layers if layer.params]
    return {f"{type(layer).__name__} {i + 1}": layer.params[0] for i, layer in enumerate(layers)}


class History:
    """One layer's histograms over time: bin edges and (epoch, counts) columns."""

    def __init__(self, edges):
        self.edges, self.epochs, self.columns = edges, [], []

    def add(self, epoch, counts):
        self.epochs.append(epoch)
        self.columns.append(np.asarray(counts, dtype=float))

    def image(self):
        """(columns, bins) counts, and the rectangle (epochs x values) they cover."""
        first, last = self.epochs[0], self.epochs[-1]
        width = max(last - first, 1e-3)
        rect = QRectF(first, self.edges[0], width, self.edges[-1] - self.edges[0])
        return np.stack(self.columns), rect


class HistogramView(QWidget):
    """The chosen layer's weights and unit firing over time (objectName histogramView)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("histogramView")
        self.setToolTip(TOOLTIP)
        self.layer = QComboBox(objectName="histogramLayerCombo")
        self.layer.setToolTip("The layer whose histograms are shown.")
        self.layer.currentIndexChanged.connect(self._layer_chosen)
        self.graphics = pg.GraphicsLayoutWidget()
        palette = self.palette()
        self.graphics.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        self.plots, self.images = {}, {}
        for name, y_label in (("weights", "weight value"),
                              ("firing", "share of examples it fires for")):
            plot = self.graphics.addPlot()
            plot.setLabel("left", y_label)
            plot.setLabel("bottom", "epoch")
            plot.getAxis("left").enableAutoSIPrefix(False)
            for side in ("left", "bottom"):
                plot.getAxis(side).setPen(text)
                plot.getAxis(side).setTextPen(text)
            image = pg.ImageItem(axisOrder="col-major")
            image.setColorMap(SEQUENTIAL)
            plot.addItem(image)
            self.plots[name], self.images[name] = plot, image
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer:"))
        row.addWidget(self.layer)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.graphics)
        self.weights, self.firing = {}, {}   # layer name -> History
        self._changed = False

    def reset(self):
        """Forget the former run's histograms."""
        self.weights, self.firing = {}, {}
        self.layer.clear()
        for image in self.images.values():
            image.clear()
        self._changed = False

    def add_weights(self, epoch, model):
        """A copy of the weights at ``epoch``: one more column per layer."""
        new = []
        for name, w in layer_names(model).items():
            if name not in self.weights:
                top = WEIGHT_RANGE * float(np.max(np.abs(w))) or 1.0
                self.weights[name] = History(np.linspace(-top, top, WEIGHT_BINS + 1))
                new.append(name)
            history = self.weights[name]
            sample = w.ravel()[::max(1, w.size // WEIGHT_SAMPLE)]
            clipped = np.clip(sample, history.edges[0], history.edges[-1])
            history.add(epoch, np.histogram(clipped, history.edges)[0])
        self.layer.addItems(new)  # after their first column: choosing one draws it
        self._changed = True

    def add_firing(self, epoch, stats):
        """A batch's ``nn.network.diagnostics.LayerStats``: how often each ReLU unit fired."""
        for name, counts in zip(stats.relu_names, stats.active_counts):
            if name not in self.firing:
                self.firing[name] = History(np.linspace(0.0, 1.0, ACTIVE_BINS + 1))
            self.firing[name].add(epoch, counts)
        self._changed = True

    def redraw(self):
        if self._changed:
            self._changed = False
            self._draw(self.layer.currentText())

    @Slot(int)
    def _layer_chosen(self, _index):
        self._draw(self.layer.currentText())

    def _draw(self, name):
        for kind, histories in (("weights", self.weights), ("firing", self.firing)):
            history, image = histories.get(name), self.images[kind]
            history = history if history is not None and history.columns else None
            self.plots[kind].setTitle(f"{name}: {'weights' if kind == 'weights' else 'units'}"
                                      if history is not None else
                                      (NO_RELU if kind == "firing" and name else None),
                                      size="9pt")
            if history is None:
                image.clear()
                continue
            counts, rect = history.image()
            shade = np.log1p(counts)
            image.setImage(shade, levels=(0, max(float(shade.max()), 1.0)))
            image.setRect(rect)
