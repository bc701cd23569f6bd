"""The 28x28 network input drawn large and crisp: the Draw tab's preview, the tiles of the
handwriting and Inspect tabs, and the augmentation preview all show inputs this way."""

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

PREVIEW_MIN_SIDE = 4 * 28  # logical px: 4 screen pixels per input pixel at least
PREVIEW_PREFERRED_SIDE = 6 * 28


def qimage_of(pixels):
    """A QImage owning a copy of ``pixels``: (h, w) uint8 grey or (h, w, 3) uint8 RGB. (The
    copy matters: a QImage made on a NumPy buffer only borrows it, and the buffer goes away.)"""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class CrispSquareView(QWidget):
    """A 28x28 image scaled up with nearest-neighbour in `crisp_square`, framed; the square is
    `blank_colour` while there is no image."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._image = None

    def show_pixels(self, pixels):
        """Show pixels (see `qimage_of`), or nothing for None."""
        self._image = None if pixels is None else qimage_of(pixels)
        self.update()

    def blank_colour(self):
        return self.palette().color(QPalette.ColorRole.Base)

    def sizeHint(self):
        return QSize(PREVIEW_PREFERRED_SIDE, PREVIEW_PREFERRED_SIDE)

    def paintEvent(self, event):
        target = crisp_square(self)
        painter = QPainter(self)
        painter.fillRect(target, self.blank_colour())
        if self._image is not None:
            painter.drawImage(target, self._image)  # no SmoothPixmapTransform: nearest
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(target.adjusted(0, 0, -1, -1))
        painter.end()


class NetworkInputView(CrispSquareView):
    """The 28x28 network input scaled up with nearest-neighbour, so its pixels stay crisp."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkInputPreview")
        self.setToolTip("The 28x28 image the network receives: your strokes drawn again at "
                        "MNIST's stroke width, scaled to a 20-pixel box and centred like the "
                        "MNIST digits.")
        self.setMinimumSize(PREVIEW_MIN_SIDE, PREVIEW_MIN_SIDE)
        # Its preferred size and no more: the spare room goes to the bar chart.
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def set_input(self, x):
        """Show x, a (28, 28) float array in [0, 1] with ink = 1, or nothing for None."""
        self.show_pixels(None if x is None else np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8))

    def blank_colour(self):
        return Qt.GlobalColor.black  # an all-zero input


def crisp_square(widget, pixels=28):
    """The centred square of ``widget`` to draw a ``pixels`` x ``pixels`` image in, with a
    whole number of screen pixels per image pixel, all the same size. (No heightForWidth:
    the layout would then give the widget its neighbours' room.)"""
    side = max(pixels, min(widget.width(), widget.height()) // pixels * pixels)
    return QRect((widget.width() - side) // 2, (widget.height() - side) // 2, side, side)
