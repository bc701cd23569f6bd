"""Drawing on the pad the way a user does, for the GUI tests: real mouse events (press,
moves with the button held, release) sent through QApplication.sendEvent, since
qtbot.mouseMove does not carry a held button."""

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from nn.network.model import Model

LEFT, NO_BUTTON = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
STEP = 4.0  # widget pixels between two mouse moves, about what a real mouse reports


# --- drawing like a user ----------------------------------------------------------------------

def send_mouse(widget, kind, pos, button, buttons):
    pos = QPointF(*pos)
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def press_and_move(widget, points, step=STEP):
    """Press at points[0], then move along the polyline with the button held (no release)."""
    send_mouse(widget, QEvent.Type.MouseButtonPress, points[0], LEFT, LEFT)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) / step)) if step else 1
        for t in np.arange(1, n + 1) / n:
            send_mouse(widget, QEvent.Type.MouseMove, (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t),
                       NO_BUTTON, LEFT)


def release(widget, point):
    send_mouse(widget, QEvent.Type.MouseButtonRelease, point, LEFT, NO_BUTTON)


def draw(widget, points, step=STEP):
    """One stroke along a polyline given in widget coordinates: press, moves, release."""
    press_and_move(widget, points, step)
    release(widget, points[-1])


def on_pad(pad, points):
    """Points given as fractions (0..1) of the pad's visible width and height, in widget
    coordinates (the visible area is the largest centred rectangle of the pad's aspect)."""
    height = min(pad.height(), pad.width() / pad.aspect)
    width = height * pad.aspect
    ox, oy = (pad.width() - width) / 2, (pad.height() - height) / 2
    return [(ox + fx * width, oy + fy * height) for fx, fy in points]


ONE = [(0.5, 0.18), (0.5, 0.83)]                              # a vertical bar, ~65% tall
SEVEN = [(0.3, 0.2), (0.7, 0.2), (0.45, 0.83)]
ZERO = [(0.5 + 0.2 * np.sin(t), 0.5 - 0.32 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 48)]
DASH = [(0.3, 0.5), (0.7, 0.5)]


# --- models -----------------------------------------------------------------------------------

def ink_position_model(strength=0.2):
    """A model made without data whose answer depends on where the ink is, after image_to_mnist has
    centred it: ink in the middle columns reads "1", ink away from them reads "0"."""
    model = Model.from_architecture([{"type": "Dense", "in": 784, "out": 10, "init": "glorot"}],
                                    rng=np.random.default_rng(0))
    weights, bias = model.layers[0].params
    weights[:] = 0
    bias[:] = 0
    middle = np.abs(np.arange(784) % 28 - 13.5) < 3
    weights[middle, 1] = strength
    weights[~middle, 0] = strength
    return model


def shown(qtbot, widget, size):
    """``widget`` at ``size``, shown and exposed, cleaned up with the test."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def draw_on_pad(pad, fractions, step=STEP):
    """One stroke along a polyline given as fractions of the pad's visible area."""
    draw(pad, on_pad(pad, fractions), step)
