"""Held-out handwriting replayed through the real Draw tab, the way a user draws it.

Each digit's strokes (MNIST test digits traced by `nn.ink.skeleton`) are drawn on the tab's pad in
every way of `nn.ink.ways`: real mouse events (press, moves with the left button held, release)
sent through `QApplication.sendEvent`, at the positions `Way.mouse_strokes` gives for the pad's
size, with the way's pen. The answer is what the tab then shows as its predicted digit.
"""

import numpy as np
from PySide6.QtWidgets import QApplication, QLabel

from desktop.widgets.drawing_pad import DEFAULT_PEN_WIDTH
from desktop.widgets.mouse import draw_stroke
from nn.ink.ways import WAYS

# Let queued events (repaints, timers) run after this many digits: a long replay must not pile
# them up, and running them after every digit would make it several times slower.
EVENTS_EVERY = 20



def draw_digit(tab, strokes, way):
    """Clear the tab's pad and draw strokes (a list of (k, 2) (x, y) paths) the way `way` does;
    returns the digit the tab shows afterwards ("" if none)."""
    pad = tab.pad
    pad.clear()
    pad.pen_width = DEFAULT_PEN_WIDTH * way.pen
    side = min(pad.width(), pad.height())
    origin = np.array([pad.width() - side, pad.height() - side]) / 2
    for positions in way.mouse_strokes(strokes, side):
        draw_stroke(pad, positions + origin)
    return tab.findChild(QLabel, "predictedDigit").text()


def replay(tab, digits, labels, ways=WAYS):
    """{way name: accuracy} of the tab reading digits (stroke lists) with labels, each way.

    The tab must be shown, with a model. Its pen is put back as it was.
    """
    pen = tab.pad.pen_width
    names = [str(label) for label in labels]
    accuracy = {}
    try:
        for way in ways:
            right = 0
            for i, (strokes, name) in enumerate(zip(digits, names)):
                right += draw_digit(tab, strokes, way) == name
                if i % EVENTS_EVERY == 0:
                    QApplication.processEvents()
            accuracy[way.name] = right / len(names)
    finally:
        tab.pad.clear()
        tab.pad.pen_width = pen
    return accuracy
