"""The Number tab's wide pad: the drawing pad, plus a box around each digit it found."""

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from desktop.theme import SERIES_COLOURS
from desktop.widgets.drawing_pad import DEFAULT_PEN_WIDTH, DrawingPad

ASPECT = 3.0                      # width:height: room for six digits at a natural size
PLACEHOLDER = "Write a number here, digit by digit from left to right"
SURE_COLOUR = SERIES_COLOURS[0]   # blue
UNSURE_COLOUR = SERIES_COLOURS[3]  # vermilion: the model is unsure of this digit
BOX_MARGIN = 3                    # image pixels between a digit's ink and its box
PEN_SHARE = 0.6                   # of the Draw pad's pen: a number's digits are written smaller


class NumberPad(DrawingPad):
    """A DrawingPad ASPECT times as wide as high that outlines digits (see set_boxes)."""

    def __init__(self, parent=None):
        super().__init__(parent, aspect=ASPECT, placeholder=PLACEHOLDER)
        self.setObjectName("numberPad")
        self.setToolTip("Write a number, digit by digit; Ctrl+Z undoes a stroke, Delete or "
                        "Escape clears the pad.")
        self._boxes = []
        self.pen_width = DEFAULT_PEN_WIDTH * PEN_SHARE
        # As high as its width allows and no higher: the spare room goes below the digits.
        policy = self.sizePolicy()
        policy.setVerticalPolicy(policy.Policy.Preferred)
        self.setSizePolicy(policy)

    def set_boxes(self, boxes):
        """boxes: a list of ((left, top, right, bottom) in image coordinates, sure) pairs."""
        self._boxes = list(boxes)
        self.update()

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._boxes:
            return
        target = self._target_rect()
        scale = target.height() / self._image.height()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for (left, top, right, bottom), sure in self._boxes:
            pen = QPen(QColor(SURE_COLOUR if sure else UNSURE_COLOUR), 2,
                       Qt.PenStyle.SolidLine if sure else Qt.PenStyle.DashLine)
            painter.setPen(pen)
            margin = BOX_MARGIN + self.pen_width / 2
            painter.drawRect(QRectF(target.x() + (left - margin) * scale,
                                    target.y() + (top - margin) * scale,
                                    (right - left + 2 * margin) * scale,
                                    (bottom - top + 2 * margin) * scale).intersected(target))
        painter.end()
