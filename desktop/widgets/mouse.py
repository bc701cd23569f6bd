"""Mouse input sent to a widget the way Qt delivers a user's: the replays of held-out
handwriting and the GUI benchmark draw on the real pads with these."""

import time

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

LEFT, NO_BUTTON = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton


def send_mouse(widget, kind, position, button, buttons):
    """Deliver one QMouseEvent of ``kind`` at ``position`` ((x, y) in widget coordinates);
    ``button`` caused it, ``buttons`` are held (a move that draws holds LEFT)."""
    position = QPointF(*position)
    QApplication.sendEvent(widget, QMouseEvent(kind, position, widget.mapToGlobal(position),
                                               button, buttons, Qt.KeyboardModifier.NoModifier))


def draw_stroke(widget, positions):
    """Press at the first of ``positions`` ((m, 2) widget coordinates), move through the rest
    with the left button held, release at the last. Returns the seconds the release took to
    deliver: what the widget does at pen-up, such as reading the drawing."""
    send_mouse(widget, QEvent.Type.MouseButtonPress, positions[0], LEFT, LEFT)
    for position in positions[1:]:
        send_mouse(widget, QEvent.Type.MouseMove, position, NO_BUTTON, LEFT)
    start = time.perf_counter()
    send_mouse(widget, QEvent.Type.MouseButtonRelease, positions[-1], LEFT, NO_BUTTON)
    return time.perf_counter() - start
