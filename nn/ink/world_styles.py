"""Ways of writing a digit that the world uses and a data set's writers may not.

Thirty writers on a tablet and the American census staff behind MNIST hardly ever slash their
zeros, yet programmers and much of Europe do: the network, never shown one, reads a slashed
zero as a 0 about half the time. Each style here adds to a digit's strokes the stroke a person
writing that way adds, drawn as a separate stroke, as the pen is lifted for it:

- a **slashed 0**: a straight line through the oval, corner to corner and a little beyond it
  (mostly rising to the right, sometimes falling);
- a **crossed 7**: a short bar through the stem at about half its height;
- a **1 with a foot**: a bar under the stem;
- a **1 with a long flag**: a lead-in stroke down to the left from the top, as long as a
  third to a half of the digit's height.

`restyle` gives a share of a digit's training copies one of its styles (`nn.training.writers`),
and `styled` gives every digit one, to measure how well a model reads each style
(``python -m nn writers``).
"""

from dataclasses import dataclass

import numpy as np

STYLE_SHARE = 0.25      # of a digit's rewritten training copies that get one of its styles
POINTS = 10             # points of an added stroke


@dataclass(frozen=True)
class Style:
    name: str
    digit: int
    add: object         # add(strokes, rng) -> the stroke to add, a (POINTS, 2) array


def _box(strokes):
    """(lowest x and y, highest x and y, the longest side) of a digit's points."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    return low, high, float((high - low).max()) or 1.0


def _line(start, end):
    return np.linspace(start, end, POINTS)


def _slash(strokes, rng):
    low, high, size = _box(strokes)
    over = rng.uniform(0.0, 0.15, size=2) * size          # how far beyond the oval each end goes
    start = np.array([low[0] - over[0], high[1] + over[0] / 2])   # bottom left
    end = np.array([high[0] + over[1], low[1] - over[1] / 2])     # top right
    if rng.random() < 0.25:                              # falling: top left to bottom right
        start[1], end[1] = low[1] - over[0] / 2, high[1] + over[1] / 2
    return _line(start, end)


def _crossbar(strokes, rng):
    low, high, size = _box(strokes)
    points = np.concatenate(strokes)
    y = low[1] + rng.uniform(0.45, 0.65) * (high[1] - low[1])
    x = points[np.argsort(np.abs(points[:, 1] - y))[:3], 0].mean()   # where the stem is at y
    half = rng.uniform(0.15, 0.3) * size
    return _line([x - half, y], [x + half, y])


def _foot(strokes, rng):
    low, high, size = _box(strokes)
    points = np.concatenate(strokes)
    x = points[np.argmax(points[:, 1]), 0]                           # the stem's lowest point
    half = rng.uniform(0.15, 0.3) * size
    return _line([x - half, high[1]], [x + half, high[1]])


def _flag(strokes, rng):
    low, high, size = _box(strokes)
    points = np.concatenate(strokes)
    top = points[np.argmin(points[:, 1])]
    length = rng.uniform(0.3, 0.5) * size
    angle = np.radians(rng.uniform(30, 60))                          # below the horizontal
    return _line(top + length * np.array([-np.cos(angle), np.sin(angle)]), top)


STYLES = (Style("slashed 0", 0, _slash), Style("crossed 7", 7, _crossbar),
          Style("1 with a foot", 1, _foot), Style("1 with a long flag", 1, _flag))


def styled(strokes, style, rng):
    """The digit's strokes (a sequence of (k, 2) (x, y) arrays, y down) written in ``style``:
    a new list, the digit's own strokes unchanged and the style's stroke added (a lead-in
    flag first, as the pen draws it first; any other last)."""
    strokes = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    added = style.add(strokes, rng)
    return [added] + strokes if style.add is _flag else strokes + [added]


def restyle(strokes, label, rng):
    """With probability STYLE_SHARE, the digit written in one of its label's styles (chosen at
    random); otherwise the strokes as they are. Digits without a style are never changed."""
    mine = [s for s in STYLES if s.digit == label]
    if not mine or rng.random() >= STYLE_SHARE:
        return list(strokes)
    return styled(strokes, mine[rng.integers(len(mine))], rng)
