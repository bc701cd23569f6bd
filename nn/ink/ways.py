"""The ways people draw a digit on a pad, for measuring how well a model reads handwriting.

A way takes a digit's strokes (from `nn.ink.skeleton`, in the 28x28 image's pixels) and says
what a person drawing it that way does with the mouse: where on the pad and how large the
digit goes, how slanted it is, how thick the pen is, and how many points the mouse reports.
`Way.mouse_strokes` gives those points in the pixels of a pad of a given side, rounded to
whole pixels as a mouse reports them; both the Qt replay through the real pad
(`desktop.bench --handwriting`) and the NumPy evaluation here use exactly these points.
"""

from dataclasses import dataclass

import numpy as np

from nn.ink.skeleton import strokes_of
from nn.ink.strokes import strokes_to_mnist

# A mouse reports a moving pointer about every 4 screen pixels at a natural drawing speed.
MOUSE_STEP = 4.0
PAD_SIDE = 360   # pixels of the pad for the NumPy evaluation: the app's preferred size


@dataclass(frozen=True)
class Way:
    """How one person draws: the digit's size and centre as fractions of the pad's side,
    its slant, the pen as a multiple of the pad's default pen, and which mouse points are
    kept (every `keep_every`-th: a fast hand gives the mouse fewer chances to report)."""

    name: str
    size: float = 0.65           # the digit's longest side on the pad
    centre: tuple = (0.5, 0.5)   # (x, y)
    slant: float = 0.0           # horizontal shift per unit of height, rightwards going up
    pen: float = 1.0
    keep_every: int = 1

    def mouse_strokes(self, strokes, side=PAD_SIDE):
        """The mouse positions drawing `strokes` this way on a pad `side` pixels wide.

        strokes: list of (k, 2) arrays of (x, y) points in any unit (y down). Returns a list
        of (m, 2) float arrays of whole-pixel (x, y) positions, one per stroke: the press,
        the moves and the release point; at least one position per stroke.
        """
        points = np.concatenate(strokes)
        centre = (points.min(axis=0) + points.max(axis=0)) / 2
        slanted = [s - centre for s in strokes]
        for s in slanted:
            s[:, 0] -= self.slant * s[:, 1]
        spread = np.concatenate(slanted)
        longest = float((spread.max(axis=0) - spread.min(axis=0)).max()) or 1.0
        scale = self.size * side / longest
        middle = (spread.min(axis=0) + spread.max(axis=0)) / 2
        target = np.array(self.centre) * side
        return [self._sampled((s - middle) * scale + target) for s in slanted]

    def _sampled(self, path):
        """Positions every MOUSE_STEP pixels along path, every keep_every-th of them kept,
        with the path's first and last point, rounded to whole pixels."""
        along = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))))
        at = np.arange(0.0, along[-1], MOUSE_STEP)[::self.keep_every]
        x = np.interp(at, along, path[:, 0])
        y = np.interp(at, along, path[:, 1])
        positions = np.concatenate([np.stack([x, y], axis=1), path[-1:]])
        return np.rint(positions)


WAYS = (
    Way("natural"),
    Way("large", size=0.9),
    Way("small in a corner", size=0.25, centre=(0.2, 0.2)),
    Way("tiny in the middle", size=0.12),
    Way("small bottom right", size=0.3, centre=(0.75, 0.75)),
    Way("thin pen", pen=0.5),
    Way("thick pen", pen=1.6),
    Way("fast strokes", keep_every=3),
    Way("slanted", slant=0.3),
)


def inputs_for(way, digits, side=PAD_SIDE):
    """The network's inputs (n, 28, 28) for digits (a list of stroke lists) drawn this way."""
    return np.stack([strokes_to_mnist(way.mouse_strokes(strokes, side)) for strokes in digits])


def accuracy_by_way(model, digits, labels, ways=WAYS):
    """{way name: accuracy} of model reading each of digits (stroke lists) drawn each way."""
    labels = np.asarray(labels)
    return {way.name: float(np.mean(model.predict(inputs_for(way, digits)) == labels))
            for way in ways}


def held_out_digits(x_test, y_test, n, seed=0):
    """n test digits picked at random (seeded) as strokes: (n stroke lists, labels (n,)).

    x_test (m, 784) or (m, 28, 28) floats in [0, 1], y_test (m,). MNIST's test digits are
    handwriting no model here has trained on.
    """
    chosen = np.sort(np.random.default_rng(seed).choice(len(x_test), min(n, len(x_test)),
                                                         replace=False))
    return strokes_of(x_test[chosen]), np.asarray(y_test)[chosen]
