"""A pad to draw on with the mouse or a tablet pen: square for a digit, wide for a number.

The pad keeps every stroke as points (`strokes`, in image coordinates whatever the window size
or the screen's DPI): that is what the network reads, through `nn.ink.strokes.strokes_to_mnist`,
so the pen only changes what the pad shows. Strokes are painted, in the input handlers, into
an off-screen grayscale image of a fixed size (white ink on black, the way MNIST stores
digits); `paintEvent` only copies that image to the screen.
"""

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

IMAGE_SIDE = 280  # internal height in image pixels (10x MNIST), whatever the widget size
# The default pen is this fraction of the pad's height: a digit drawn at a natural size (about
# 65% of the pad's height) then looks like an MNIST digit, strokes about 3 of 28 px wide.
DEFAULT_PEN_FRACTION = 0.11
DEFAULT_PEN_WIDTH = round(DEFAULT_PEN_FRACTION * IMAGE_SIDE)
MIN_PEN_WIDTH = 4
MAX_PEN_WIDTH = 60
MIN_SIDE = 200        # logical pixels: Qt scales them on high-DPI screens
PREFERRED_SIDE = 360
# Mouse moves shorter than this (in image pixels) add no point: the stroke would not change.
MIN_POINT_DISTANCE = 0.5
# Keys that wipe the pad. Backspace too, because the Mac keyboard's "delete" key sends it.
CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Escape, Qt.Key.Key_Backspace)
PLACEHOLDER = "Draw a digit here"
# Strokes one pad holds: room for a long number (a digit takes one to four), and a bound on
# what each pen-up reads (a scribble of hundreds of strokes took half a second to read).
MAX_STROKES = 60
FULL_TEXT = (f"The pad holds at most {MAX_STROKES} strokes: Undo or Clear to draw more "
             f"(that stroke was not drawn).")


class DrawingPad(QWidget):
    """Draw with the left mouse button or a pen; Ctrl+Z undoes a stroke, Delete/Escape clears.

    ``strokes`` is a list of strokes, each a list of (x, y) points in image coordinates
    (x in 0..IMAGE_SIDE * aspect, y in 0..IMAGE_SIDE); ``pen_width`` is in image pixels, so on
    screen the pen is always the same fraction of the pad's height. The pen width applies to
    the strokes drawn after it is set. ``aspect`` is the pad's width:height, ``placeholder``
    the text an empty pad shows.
    """

    stroke_started = Signal()
    drawing_changed = Signal()   # the image changed while a stroke is being drawn
    stroke_finished = Signal()   # pen up
    stroke_undone = Signal()
    cleared = Signal()
    full = Signal()              # a pen put down on a pad of MAX_STROKES strokes: not drawn

    def __init__(self, parent=None, aspect=1.0, placeholder=PLACEHOLDER):
        super().__init__(parent)
        self.aspect = float(aspect)
        self._placeholder = placeholder
        self.setObjectName("drawingPad")
        self.setToolTip("Draw a digit with the mouse or a pen; Ctrl+Z undoes a stroke, "
                        "Delete or Escape clears the pad.")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(self.minimumSizeHint())
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

        self._image = QImage(round(IMAGE_SIDE * self.aspect), IMAGE_SIDE,
                             QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self.strokes = []
        self._widths = []      # pen width of each stroke, to repaint them after an undo
        self._drawing = False  # a stroke is in progress (button or pen down)
        self._pen_width = float(DEFAULT_PEN_WIDTH)
        self._pen = self._make_pen(self._pen_width)

    # --- public API -----------------------------------------------------------------------------

    @property
    def pen_width(self):
        return self._pen_width

    @pen_width.setter
    def pen_width(self, width):
        self._pen_width = float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))
        self._pen = self._make_pen(self._pen_width)

    def is_empty(self):
        return not self.strokes

    def to_array(self):
        """The drawing as an (IMAGE_SIDE, IMAGE_SIDE * aspect) uint8 array, ink = 255 on 0
        (a copy)."""
        rows = np.frombuffer(self._image.constBits(), np.uint8).reshape(
            IMAGE_SIDE, self._image.bytesPerLine())
        return rows[:, :self._image.width()].copy()

    def clear(self):
        self._drawing = False
        self.strokes = []
        self._widths = []
        self._image.fill(0)
        self.update()
        self.cleared.emit()

    def undo(self):
        """Remove the last stroke (the one being drawn, if any) by repainting the others."""
        if not self.strokes:
            return
        self._drawing = False
        self.strokes.pop()
        self._widths.pop()
        self._repaint_image()
        self.update()
        self.stroke_undone.emit()

    # --- drawing --------------------------------------------------------------------------------

    def _begin_stroke(self, position):
        if len(self.strokes) >= MAX_STROKES:
            self.full.emit()
            return
        point = self._to_image(position)
        self._drawing = True
        self.strokes.append([point])
        self._widths.append(self._pen_width)
        self._paint_segment(point, point)
        self.stroke_started.emit()
        self.drawing_changed.emit()

    def _extend_stroke(self, position):
        stroke = self.strokes[-1]
        point, last = self._to_image(position), stroke[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) < MIN_POINT_DISTANCE:
            return
        stroke.append(point)
        self._paint_segment(last, point)
        self.drawing_changed.emit()

    def _finish_stroke(self):
        self._drawing = False
        self.stroke_finished.emit()

    def _paint_segment(self, start, end):
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        self._draw(painter, start, end)
        painter.end()
        # Repaint only the part of the screen the segment touched.
        margin = self._pen_width / 2 + 2
        dirty = QRectF(QPointF(*start), QPointF(*end)).normalized().adjusted(
            -margin, -margin, margin, margin)
        target = self._target_rect()
        scale = target.height() / IMAGE_SIDE
        self.update(QRectF(target.x() + dirty.x() * scale, target.y() + dirty.y() * scale,
                           dirty.width() * scale, dirty.height() * scale).toAlignedRect())

    def _repaint_image(self):
        # Segment by segment, exactly as they were drawn live, so undo restores the very
        # same pixels the earlier strokes had.
        self._image.fill(0)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke, width in zip(self.strokes, self._widths):
            painter.setPen(self._make_pen(width))
            self._draw(painter, stroke[0], stroke[0])
            for start, end in zip(stroke, stroke[1:]):
                self._draw(painter, start, end)
        painter.end()

    @staticmethod
    def _draw(painter, start, end):
        if start == end:
            painter.drawPoint(QPointF(*start))  # a click: a round dot as wide as the pen
        else:
            painter.drawLine(QPointF(*start), QPointF(*end))

    @staticmethod
    def _make_pen(width):
        # White (255) ink on black, as in MNIST itself.
        return QPen(QColor(255, 255, 255), width, Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)

    # --- geometry -------------------------------------------------------------------------------

    def _target_rect(self):
        """Where the image is shown: the largest centred rectangle of the pad's aspect."""
        height = min(self.height(), self.width() / self.aspect)
        width = height * self.aspect
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def _to_image(self, position):
        """The pad's point under ``position``, held inside the pad: a stroke dragged past its
        edge runs along the edge, as it is shown, and is read as it is shown."""
        target = self._target_rect()
        scale = IMAGE_SIDE / max(target.height(), 1.0)
        x, y = (position.x() - target.x()) * scale, (position.y() - target.y()) * scale
        return (min(max(x, 0.0), target.width() * scale), min(max(y, 0.0), IMAGE_SIDE))

    def hasHeightForWidth(self):
        return True

    def heightForWidth(self, width):
        return round(width / self.aspect)

    def sizeHint(self):
        return QSize(round(PREFERRED_SIDE * self.aspect), PREFERRED_SIDE)

    def minimumSizeHint(self):
        return QSize(round(MIN_SIDE * self.aspect), MIN_SIDE)

    # --- Qt event handlers ----------------------------------------------------------------------

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin_stroke(event.position())
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._drawing and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend_stroke(event.position())

    def mouseReleaseEvent(self, event):
        if self._drawing and event.button() == Qt.MouseButton.LeftButton:
            self._finish_stroke()

    def tabletEvent(self, event):
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin_stroke(event.position())
        elif kind == QEvent.Type.TabletMove and self._drawing:
            self._extend_stroke(event.position())
        elif kind == QEvent.Type.TabletRelease and self._drawing:
            self._finish_stroke()
        # Accepted, so Qt does not also synthesise mouse events that would draw it twice.
        event.accept()

    def keyPressEvent(self, event):
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.key() in CLEAR_KEYS:
            self.clear()
        else:
            super().keyPressEvent(event)

    def event(self, event):
        # Claim our keys while the pad has focus, so a window-wide shortcut (Edit > Undo, a
        # dialog's Escape) does not take them first.
        if event.type() == QEvent.Type.ShortcutOverride and (
                event.matches(QKeySequence.StandardKey.Undo) or event.key() in CLEAR_KEYS):
            event.accept()
            return True
        return super().event(event)

    def focusInEvent(self, event):
        self.update()  # the frame shows whether the keys go to the pad
        super().focusInEvent(event)

    def focusOutEvent(self, event):
        self.update()
        super().focusOutEvent(event)

    def paintEvent(self, event):
        painter = QPainter(self)
        target = self._target_rect()
        palette = self.palette()
        painter.fillRect(target, palette.color(QPalette.ColorRole.Base))
        # |base - ink| per channel: dark ink on a light theme, light ink on a dark one, while
        # the image itself stays white on black for the network.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Difference)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        if not self.strokes:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, self._placeholder)
        frame = QPalette.ColorRole.Highlight if self.hasFocus() else QPalette.ColorRole.Mid
        painter.setPen(QPen(palette.color(frame), 1))
        painter.drawRect(target.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()
