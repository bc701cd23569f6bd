"""The 28x28 network input drawn large and crisp: the Draw tab's preview, the tiles of the
handwriting and Inspect tabs, and the augmentation preview all show inputs this way."""

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

PREVIEW_MIN_SIDE = 4 * 28  # logical px: 4 screen pixels per input pixel at least
PREVIEW_PREFERRED_SIDE = 6 * 28


class NetworkInputView(QWidget):
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
        self._image = None

    def set_input(self, x):
        """Show x, a (28, 28) float array in [0, 1] with ink = 1, or nothing for None."""
        if x is None:
            self._image = None
        else:
            pixels = np.ascontiguousarray(np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8))
            h, w = pixels.shape
            # copy(): the QImage must own its pixels, not borrow a NumPy buffer that goes away.
            self._image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        self.update()

    def sizeHint(self):
        return QSize(PREVIEW_PREFERRED_SIDE, PREVIEW_PREFERRED_SIDE)

    def paintEvent(self, event):
        target = crisp_square(self)
        painter = QPainter(self)
        painter.fillRect(target, Qt.GlobalColor.black)  # blank: an all-zero input
        if self._image is not None:
            painter.drawImage(target, self._image)  # no SmoothPixmapTransform: nearest
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(target.adjusted(0, 0, -1, -1))
        painter.end()


def crisp_square(widget, pixels=28):
    """The centred square of ``widget`` to draw a ``pixels`` x ``pixels`` image in, with a
    whole number of screen pixels per image pixel, all the same size. (No heightForWidth:
    the layout would then give the widget its neighbours' room.)"""
    side = max(pixels, min(widget.width(), widget.height()) // pixels * pixels)
    return QRect((widget.width() - side) // 2, (widget.height() - side) // 2, side, side)
