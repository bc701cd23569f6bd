"""A preview of what the Augment option does: sample digits above, random distortions below.

No dataset is loaded on the GUI thread, so the samples are the characters "0".."9" typed in a
bold font and put through `nn.ink.images.image_to_mnist`, the same steps a drawing goes through.
The distortions come from `nn.ink.augment.augment_batch` with the default `Augmentation`, the one
the form puts in the training config, so the preview shows exactly what training does.
"""

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop.widgets.network_input import NetworkInputView
from nn.ink.augment import Augmentation, augment_batch
from nn.ink.images import SIZE, image_to_mnist
from nn.network.model import DIGITS

CAPTION = ("What augmentation shows the network: random shifts, rotations, sizes, slants and "
           "stroke widths")
# Typed large, then area-averaged down to MNIST's 20 px box like a drawing, so the edges get
# MNIST's soft anti-aliased rim. Bold, because thin strokes shrink to faint 1 px lines.
RENDER_SIDE = 128        # px of the offscreen image each character is typed into
RENDER_FONT_PIXELS = 96  # the font's size in that image
TILE_SIDE = SIZE         # logical px: at least one screen pixel per input pixel, crisp
SPACING_EMS = 0.2        # space between tiles, relative to the font's height

_samples = None  # the rendered digits, (10, 28, 28): made once, they never change


def render_digit(char):
    """The character typed white on black in a bold font, as an (H, W) uint8 array."""
    image = QImage(RENDER_SIDE, RENDER_SIDE, QImage.Format.Format_Grayscale8)
    image.fill(0)
    font = QFont()
    font.setPixelSize(RENDER_FONT_PIXELS)
    font.setBold(True)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.white)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, char)
    painter.end()
    # Rows may be padded to 4 bytes: read them with the real stride, then cut the padding off.
    stride = image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=stride * RENDER_SIDE)
    return pixels.reshape(RENDER_SIDE, stride)[:, :RENDER_SIDE].copy()


def sample_digits():
    """The digits "0".."9" as MNIST-like inputs, (10, 28, 28) float32 in [0, 1] (cached)."""
    global _samples
    if _samples is None:
        _samples = np.stack([image_to_mnist(render_digit(c)) for c in DIGITS]).astype(np.float32)
    return _samples


class _Tile(NetworkInputView):
    """One 28x28 image: the Draw tab's crisp nearest-neighbour view, sized for a grid."""

    def __init__(self, tooltip, parent=None):
        super().__init__(parent)
        self.setObjectName("")  # not the Draw tab's "networkInputPreview"
        self.setToolTip(tooltip)
        self.setMinimumSize(TILE_SIDE, TILE_SIDE)

    def sizeHint(self):
        # The parent's 6x preview would not fit ten to a row in the Train tab's form column.
        return QSize(TILE_SIDE, TILE_SIDE)


class AugmentPreview(QWidget):
    """Ten sample digits and a random distortion of each; Shuffle draws new distortions."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("augmentPreview")
        self._rng = np.random.default_rng()  # unseeded: every shuffle looks different
        self.samples = sample_digits()
        self.distorted = self.samples
        self._originals = [_Tile("A sample digit as the network receives it.") for _ in DIGITS]
        self._copies = [_Tile("A random distortion of the digit above, as training makes "
                              "them.") for _ in DIGITS]
        for tile, x in zip(self._originals, self.samples):
            tile.set_input(x)

        caption = QLabel(CAPTION, wordWrap=True)  # wraps rather than widen the form column
        self.shuffleButton = QToolButton(objectName="augmentShuffleButton", text="Shuffle")
        self.shuffleButton.setToolTip("Draw new random distortions.")
        self.shuffleButton.clicked.connect(self.shuffle)
        self._grid = QGridLayout()
        for column, (top, bottom) in enumerate(zip(self._originals, self._copies)):
            self._grid.addWidget(top, 0, column)
            self._grid.addWidget(bottom, 1, column)
        header = QVBoxLayout()
        header.addWidget(caption)
        header.addWidget(self.shuffleButton, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(self._grid)
        self._update_spacing()
        self.shuffle()

    def _update_spacing(self):
        # Relative to the font, so the gaps grow with the user's font size and the DPI.
        self._grid.setSpacing(max(1, round(self.fontMetrics().height() * SPACING_EMS)))

    def changeEvent(self, event):
        if event.type() == QEvent.Type.FontChange:
            self._update_spacing()
        super().changeEvent(event)

    def shuffle(self):
        """Show new random distortions of the sample digits."""
        self.distorted = augment_batch(self.samples, Augmentation(), self._rng)
        for tile, x in zip(self._copies, self.distorted):
            tile.set_input(x)

    def showEvent(self, event):
        # Fresh distortions each time the preview appears (the Augment box was just ticked).
        self.shuffle()
        super().showEvent(event)
