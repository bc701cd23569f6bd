"""Small views the Inspect tab is made of: arrays drawn as crisp colour images, tile grids,
the first layer's learned weights, the tiles of the confusion-cell gallery, and the
layer-by-layer path of one input through a network.

Everything here only draws what it is given; the tab decides what to compute and when.
"""

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.widgets.colour_map import diverging_rgb
from desktop.widgets.network_input import NetworkInputView, qimage_of
from desktop.widgets.tile_flow import TileFlow

TILE_SIDE = 56          # logical px for a 28x28 tile: two screen pixels per input pixel
STRIP_CELL = 14         # logical px per unit of a 1-D heat strip
STRIP_WRAP = 32         # longer 1-D layers wrap into rows of this many units (a block)
GRID_COLUMNS = 8        # most tiles in a row (5 when there are exactly ten, see tile_columns)
MAX_CHANNEL_MAPS = 16   # conv layers: show at most this many channels' maps per layer
MAP_SIDE = 40           # logical px per feature-map tile
GALLERY_TILE_SIDE = 56  # logical px of a gallery image: two screen pixels per input pixel


class HeatImage(QWidget):
    """A 2-D array drawn as a diverging-colour image, nearest-neighbour scaled, aspect kept."""

    def __init__(self, side=TILE_SIDE, parent=None):
        super().__init__(parent)
        self.values = None     # the array shown, kept for tests and tooltips
        self._image = None
        self._side = side
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_values(self, values, scale=None):
        self.values = None if values is None else np.atleast_2d(np.asarray(values))
        if self.values is None:
            self._image = None
        else:
            self._image = qimage_of(diverging_rgb(self.values, scale))
        self.updateGeometry()
        self.update()

    def sizeHint(self):
        if self.values is None or self.values.shape[0] == self.values.shape[1]:
            return QSize(self._side, self._side)
        h, w = self.values.shape  # a strip or a wrapped block: square cells
        return QSize(w * STRIP_CELL, h * STRIP_CELL)

    def minimumSizeHint(self):
        return self.sizeHint()

    def paintEvent(self, event):
        painter = QPainter(self)
        if self._image is not None:
            size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            painter.drawImage(target, self._image)  # no smoothing: pixels stay crisp
            painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
            painter.drawRect(target.adjusted(0, 0, -1, -1))
        painter.end()


def tile_columns(n):
    # Ten tiles (the notebook's ten units) as two rows of five keep the picture compact.
    return 5 if n == 10 else min(n, GRID_COLUMNS)


class TileGrid(QWidget):
    """Captioned HeatImage tiles in rows (`tile_columns` of them, fewer when the room is
    narrower); ``tiles`` lists them in order."""

    def __init__(self, arrays, captions, object_name, side=TILE_SIDE, tooltip="", parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.flow = TileFlow(tile_columns(len(arrays)), 4, self)
        self.tiles = []
        scale = float(max((np.max(np.abs(a)) for a in arrays), default=0.0))  # one shared scale
        for array, caption in zip(arrays, captions):
            tile = HeatImage(side)
            tile.setObjectName(object_name + "Tile")
            tile.setToolTip(tooltip)
            tile.set_values(array, scale)
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(tile, 0, Qt.AlignmentFlag.AlignHCenter)
            label = QLabel(caption)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            column.addWidget(label)
            self.flow.addWidget(cell)
            self.tiles.append(tile)

    def set_arrays(self, arrays):
        scale = float(max((np.max(np.abs(a)) for a in arrays), default=0.0))
        for tile, array in zip(self.tiles, arrays):
            tile.set_values(array, scale)


def take_all(layout):
    """Remove every widget of ``layout`` at once (deleteLater alone leaves them as children
    until the event loop runs, where findChildren still sees them)."""
    while layout.count():
        widget = layout.takeAt(0).widget()
        widget.setParent(None)
        widget.deleteLater()


class LearnedWeights(QWidget):
    """The first layer's weights: one 28x28 image per dense unit, or the first convolution's
    filters with their feature maps for the current drawing."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("learnedWeights")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._feature_maps = None
        self._conv_index = None
        self._grid = self._shown = None   # the tiles of the picture and its (kind, shape)

    def show_picture(self, picture, message):
        """``picture`` as from first_layer_picture; ``message`` is shown when it is None. The
        tiles of a picture of the same kind and shape (a model that trains) are redrawn in
        place, not rebuilt."""
        shown = None if picture is None else (picture[0], np.shape(picture[-1]))
        if shown is not None and shown == self._shown:
            self._grid.set_arrays(list(picture[-1]))
            return
        take_all(self._layout)
        self._feature_maps = None
        self._shown = shown
        if picture is None:
            self._layout.addWidget(QLabel(message))
        elif picture[0] == "dense":
            self._show_units(picture[1])
        else:
            self._show_filters(*picture[1:])

    def follow_drawing(self, entries):
        """Feature maps for the drawing, from its activation path ``entries`` (conv only)."""
        if self._feature_maps is not None:
            self._feature_maps.set_arrays(list(entries[self._conv_index][1]))

    def _show_units(self, weights):
        self._layout.addWidget(QLabel(
            f"Each first-layer unit's weights over the 28x28 input ({len(weights)} "
            "units): red pixels push the unit up, blue pixels down.", wordWrap=True))
        self._grid = TileGrid(
            list(weights), [str(i) for i in range(len(weights))], "unitWeights",
            tooltip="A unit's 784 weights laid out like the image they multiply.")
        self._layout.addWidget(self._grid)

    def _show_filters(self, conv_index, filters):
        self._conv_index = conv_index
        captions = [str(i) for i in range(len(filters))]
        self._layout.addWidget(QLabel(
            f"The first convolution's {len(filters)} filters "
            f"({filters.shape[1]}x{filters.shape[2]})"))
        self._grid = TileGrid(list(filters), captions, "convFilters",
                              tooltip="Red weights respond to ink, blue ones to its absence.")
        self._layout.addWidget(self._grid)
        self._layout.addWidget(QLabel("…and what they make of the current drawing"))
        self._feature_maps = TileGrid(
            [np.zeros(filters.shape[1:])] * len(filters), captions, "featureMaps",
            tooltip="The first convolution's output for the drawing (before pooling).")
        self._layout.addWidget(self._feature_maps)


def gallery_tile(image, caption):
    """One (28, 28) test image of a confusion cell over its ``caption``."""
    tile = QWidget()
    column = QVBoxLayout(tile)
    column.setContentsMargins(0, 0, 0, 0)
    view = NetworkInputView()
    view.setObjectName("galleryImage")
    view.setMinimumSize(GALLERY_TILE_SIDE, GALLERY_TILE_SIDE)
    view.setFixedSize(GALLERY_TILE_SIDE, GALLERY_TILE_SIDE)
    view.set_input(image)
    column.addWidget(view)
    column.addWidget(QLabel(caption))
    tile.setFixedSize(tile.sizeHint())   # the grid must not squeeze the caption away
    return tile


def layer_view_values(activation):
    """What one layer's output (without the batch axis) looks like on screen: a list of 2-D
    arrays, one per channel for conv maps (C, H, W), else a single 1 x n strip; strips longer
    than STRIP_WRAP wrap into rows (the last one padded with zeros, i.e. white)."""
    a = np.asarray(activation)
    if a.ndim == 3:
        return [a[c] for c in range(min(len(a), MAX_CHANNEL_MAPS))]
    a = a.reshape(-1)
    if a.size <= STRIP_WRAP:
        return [a.reshape(1, -1)]
    rows = -(-a.size // STRIP_WRAP)
    return [np.pad(a, (0, rows * STRIP_WRAP - a.size)).reshape(rows, STRIP_WRAP)]


class ActivationPath(QWidget):
    """One row per layer: its name and shape, then a heat strip (1-D) or channel maps (conv).

    ``entries`` holds (layer name, output array without the batch axis) for every layer, or
    is empty when there is no input.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("activationPath")
        self.setToolTip("What every layer outputs for the current drawing: red positive, blue "
                        "negative, white zero.")
        self._layout = QVBoxLayout(self)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._message = QLabel()
        self._layout.addWidget(self._message)
        self._rows = []
        self.entries = []

    def show_path(self, entries, message=""):
        """entries: [(name, activation)]; rebuilds the rows only when their shapes change."""
        self.entries = list(entries)
        self._message.setText(message)
        self._message.setVisible(bool(message))
        shapes = [(name, np.shape(a)) for name, a in self.entries]
        if shapes != [row.key for row in self._rows]:
            for row in self._rows:
                row.setParent(None)   # gone from findChildren now, not at the next event loop
                row.deleteLater()
            self._rows = []
            for name, a in self.entries:
                # A caption over the tiles, in one widget so they go away together.
                row = QWidget()
                row.key = (name, np.shape(a))
                column = QVBoxLayout(row)
                column.setContentsMargins(0, 0, 0, 0)
                column.addWidget(QLabel(f"{name}   {' x '.join(map(str, np.shape(a)))}"))
                views = layer_view_values(a)
                row.grid = TileGrid(views, [""] * len(views), "activationRow", MAP_SIDE)
                column.addWidget(row.grid)
                self._layout.addWidget(row)
                self._rows.append(row)
        else:
            for row, (_, a) in zip(self._rows, self.entries):
                row.grid.set_arrays(layer_view_values(a))
