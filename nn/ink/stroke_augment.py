"""New handwriting from old: random, plausible changes to a digit's pen strokes.

Thirty people's digits hold only thirty people's habits. Distorting each of their digits a few
ways, before it is drawn for the network, shows the network the same digit written a little
differently, the way another person might write it. Each change acts on the strokes (the pen's
path), not on the finished image, so the copies stay what a pen makes: even, unbroken lines.

- the whole digit slanted, rotated and made narrower or wider (a random affine map);
- each stroke moved a little on its own, so a 7's crossbar sits higher or lower, a 4's two
  strokes meet or stay apart, a 5's flag floats;
- each stroke's ends trimmed or run on a little, so loops open or close (an open 4 or 9);
- a slow random wave along each stroke, as an unsteady hand makes.

`distort_strokes` returns new arrays and never changes its input.
"""

import numpy as np

ROTATION = 12.0    # degrees, either way
SHEAR = 0.3        # horizontal shift per unit of height, either way
ASPECT = 0.2       # the width changes by up to this share, either way
STROKE_SHIFT = 0.05  # of the digit's size: how far one stroke moves on its own
END_CHANGE = 0.08  # of a stroke's points: how much of each end is cut off or drawn on
WAVE = 0.025       # of the digit's size: how far the slow wave bends a stroke


def distort_strokes(strokes, rng):
    """A randomly rewritten copy of a digit.

    strokes: sequence of (k, 2) float arrays of (x, y) points (y down); rng: a
    np.random.Generator. Returns a list of (k', 2) float64 arrays, one per stroke.
    """
    paths = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    every = np.concatenate(paths)
    centre = (every.min(axis=0) + every.max(axis=0)) / 2
    size = float(np.ptp(every, axis=0).max()) or 1.0
    affine = _random_affine(rng)
    out = []
    for path in paths:
        path = _change_ends(path, rng)
        path = path + _wave(len(path), rng) * size
        path = path + rng.uniform(-STROKE_SHIFT, STROKE_SHIFT, size=2) * size
        out.append((path - centre) @ affine.T + centre)
    return out


def _random_affine(rng):
    """A 2x2 map: rotation, then horizontal shear, then a change of width."""
    angle = np.radians(rng.uniform(-ROTATION, ROTATION))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    shear = np.array([[1.0, rng.uniform(-SHEAR, SHEAR)], [0.0, 1.0]])
    width = np.diag([1.0 + rng.uniform(-ASPECT, ASPECT), 1.0])
    return width @ shear @ rotation


def _change_ends(path, rng):
    """Cut off or draw on up to END_CHANGE of the stroke at each end (along its end direction)."""
    if len(path) < 4:
        return path
    reach = max(1, int(END_CHANGE * len(path)))
    start, end = rng.integers(-reach, reach + 1, size=2)
    if start > 0:
        path = path[start:]
    elif start < 0:
        path = np.concatenate([_run_on(path[::-1], -start)[::-1][:-len(path)], path])
    if end > 0 and len(path) - end >= 2:
        path = path[:-end]
    elif end < 0:
        path = np.concatenate([path, _run_on(path, -end)[len(path):]])
    return path


def _run_on(path, count):
    """The path with ``count`` more points going on in the direction of its last step."""
    step = path[-1] - path[-2]
    extra = path[-1] + step * np.arange(1, count + 1)[:, None]
    return np.concatenate([path, extra])


def _wave(count, rng):
    """(count, 2): a smooth random displacement along a stroke, one slow sine per axis."""
    t = np.linspace(0.0, 1.0, count)[:, None]
    frequency = rng.uniform(0.5, 1.5, size=2)
    phase = rng.uniform(0, 2 * np.pi, size=2)
    return WAVE * rng.uniform(-1, 1, size=2) * np.sin(2 * np.pi * frequency * t + phase)
