"""One stored drawing in the My Handwriting tab's grid: its 28x28 input, selectable by a click."""

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QPainter, QPalette, QPen

from desktop.widgets.network_input import NetworkInputView

TILE_SIDE = 2 * 28         # logical px: 2 screen pixels per input pixel
SELECTED_FRAME_WIDTH = 3


class DrawingTile(NetworkInputView):
    """One stored drawing; a click selects it (a highlighted frame shows which)."""

    clicked = Signal(int)  # the drawing's id

    def __init__(self, drawing_id, image, parent=None):
        super().__init__(parent)
        self.setObjectName("drawingTile")
        self.drawing_id = int(drawing_id)
        self.selected = False
        self.setMinimumSize(TILE_SIDE, TILE_SIDE)
        self.setToolTip("Click to select; Delete removes it from your collection.")
        self.set_input(image.astype(np.float32) / 255)

    def sizeHint(self):
        return QSize(TILE_SIDE, TILE_SIDE)

    def mousePressEvent(self, event):
        self.clicked.emit(self.drawing_id)

    def paintEvent(self, event):
        super().paintEvent(event)
        if self.selected:
            painter = QPainter(self)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight),
                                SELECTED_FRAME_WIDTH))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
            painter.end()
