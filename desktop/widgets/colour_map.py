"""The app's colour maps, in one place, and the colour bar that gives a map its scale.

- Signed values (saliency maps, learned weights, activations): one diverging map, blue for
  negative, near-white for 0, red for positive (ColorBrewer's RdBu ends: red and blue stay
  distinct for the common colour-vision deficiencies). The colour says the sign and the
  strength; a ``ColourBar`` beside the picture says what strength, in the picture's units.
- Ordered series (a network's layers, first to last; time): viridis, dark to bright.
"""

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

NEGATIVE, ZERO, POSITIVE = (np.array(c, dtype=float) for c in
                            ((33, 102, 172), (247, 247, 247), (178, 24, 43)))
# Viridis from five of its colours (pyqtgraph's own reads a file, a pause for the event loop).
SEQUENTIAL = pg.ColorMap(np.linspace(0.0, 1.0, 5),
                         ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"])
SEQUENTIAL_RANGE = (0.0, 0.85)  # viridis' last yellow is too pale on a light background
BAR_HEIGHT = 10                 # logical px of the colour strip
BAR_MIN_WIDTH = 84             # logical px: as narrow as the smallest map it labels
UNIT_LINES = 2                 # the units may wrap onto a second line


def diverging_rgb(values, scale=None):
    """(..., 3) uint8 RGB for ``values``: 0 is near-white, -scale full blue, +scale full red.

    Symmetric around 0 so that the colour says the sign and the strength alone, the same way
    in every picture that shares ``scale`` (default: the largest magnitude in values).
    """
    v = np.asarray(values, dtype=np.float64)
    if scale is None:
        scale = float(np.max(np.abs(v))) if v.size else 0.0
    t = np.clip(v / scale, -1.0, 1.0) if scale > 0 else np.zeros_like(v)
    end = np.where(t[..., None] < 0, NEGATIVE, POSITIVE)
    rgb = ZERO + (end - ZERO) * np.abs(t)[..., None]
    return np.ascontiguousarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))


def layer_colours(n):
    """n colours for layers first to last (dark to bright), as pyqtgraph colour tuples."""
    return SEQUENTIAL.getLookupTable(*SEQUENTIAL_RANGE, nPts=max(2, n))[:n]


def nice_ceiling(value):
    """The smallest 1, 2 or 5 times a power of ten that is >= value (> 0): a scale whose
    ends read as round numbers on a colour bar."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-9))


def format_scale(value):
    """A colour bar's end label: no more digits than the number has."""
    return f"{value:g}"


class ColourBar(QWidget):
    """A horizontal blue-white-red strip from -scale to +scale, labelled in units."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scale = None   # None: nothing to show
        self.units = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scale(self, scale, units):
        """Show -scale .. +scale in units (a short phrase such as "Δ log p per pixel"), or
        nothing for scale None."""
        self.scale, self.units = scale, units
        self.setToolTip("" if scale is None else
                        f"Colour scale: full blue is -{format_scale(scale)}, full red "
                        f"+{format_scale(scale)} ({units}); stronger values are clipped.")
        self.update()

    def labels(self):
        """The three tick labels under the strip (left, middle, right), for tests and painting."""
        if self.scale is None:
            return ()
        s = format_scale(self.scale)
        return (f"-{s}", "0", f"+{s}")

    def sizeHint(self):
        line = self.fontMetrics().height()
        return QSize(BAR_MIN_WIDTH, BAR_HEIGHT + (1 + UNIT_LINES) * line + 4)

    def minimumSizeHint(self):
        return self.sizeHint()

    def paintEvent(self, event):
        if self.scale is None:
            return
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.Text)
        line = self.fontMetrics().height()
        strip = QRectF(1, 1, self.width() - 2, BAR_HEIGHT)
        gradient = QLinearGradient(strip.topLeft(), strip.topRight())
        for stop, colour in ((0.0, NEGATIVE), (0.5, ZERO), (1.0, POSITIVE)):
            gradient.setColorAt(stop, QColor(*(int(c) for c in colour)))
        painter.fillRect(strip, gradient)
        painter.setPen(text)
        painter.drawRect(strip)
        row = QRectF(0, BAR_HEIGHT + 2, self.width(), line)
        left, middle, right = self.labels()
        painter.drawText(row, Qt.AlignmentFlag.AlignLeft, left)
        painter.drawText(row, Qt.AlignmentFlag.AlignHCenter, middle)
        painter.drawText(row, Qt.AlignmentFlag.AlignRight, right)
        units = QRectF(0, row.bottom(), self.width(), UNIT_LINES * line)
        painter.drawText(units, Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                         self.units)
        painter.end()
