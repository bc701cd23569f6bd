"""Turn pen strokes into the network's 28x28 input, whatever the pen and the drawing's size.

A drawing rasterised at the pen's own width and then shrunk to MNIST's 20 px box gets strokes
as thick as the pen was wide *relative to the digit*: a small digit drawn with the usual pen
becomes blobs, a large one with a thin pen hair lines. Instead the strokes (centre lines, as
the pad records them) are drawn again for the network, at one stroke width measured in the
network's own pixels:

1. scale the points so that the strokes' extent plus one stroke width (the ink's box) is
   `BOX` (20) px on its longest side, aspect ratio kept;
2. draw the strokes `STROKE_WIDTH` wide, anti-aliased by distance: a pixel whose centre lies
   at distance d from the nearest stroke gets ink clip(STROKE_WIDTH / 2 + 0.5 - d, 0, 1), the
   share of a pixel a straight edge at that distance covers;
3. place the result in the 28x28 field with its centre of mass at the centre
   (`nn.ink.images.place_in_field`, the step shared with drawings given as images).

Why these choices (measured on held-out MNIST test digits traced into strokes and read by a
model trained without them; the figures are in the commit history):

- Width: 2.5 px is MNIST's mean stroke width (the test digits' ink divided by the length of
  their centre lines), and it read best of 2, 2.5, 3 and 3.5 px.
- Box: the ink, not the centre lines, fills the 20 px box, as in MNIST (whose box was that of
  the scanned ink). Letting the centre lines fill it, the ink reaching past, read worse. A
  "1" drawn as a straight vertical line therefore keeps its natural box, 20 px tall and one
  stroke wide, like MNIST's upright 1s; a dot is one round spot of the stroke width.
- Anti-aliasing by distance reads as well as 4x4 supersampling at a fraction of the cost,
  and better than no anti-aliasing.

The distance from a pixel to the strokes is taken to samples `SAMPLE_STEP` apart along them,
many at once as (pixel, sample) arrays; a drawing takes a fraction of a millisecond. A scribble
longer than `MAX_SAMPLES` samples (a digit's strokes take a few hundred) is sampled more
sparsely, so that no drawing, however long or however many its points, takes more work.
"""

import numpy as np

from nn.ink.images import BOX, place_in_field

STROKE_WIDTH = 2.5   # in pixels of the 28x28 field
SAMPLE_STEP = 0.25   # pixels of the 28x28 field between two samples along a stroke
MAX_SAMPLES = 4096   # samples of a whole drawing at most: 1,000 px of ink at SAMPLE_STEP
CHUNK_ELEMENTS = 1 << 16  # (pixel, sample) distances computed at a time
# A drawing whose extent is below this share of its largest coordinate is a dot: its shape is
# lost in the coordinates' rounding anyway, and scaling it up to the box would overflow.
MIN_EXTENT = 1e-12


def strokes_to_mnist(strokes) -> np.ndarray | None:
    """The network's input for a drawing given as strokes, or None if nothing is drawn.

    strokes: a sequence of strokes, each a sequence of (x, y) points (any unit, y pointing
    down, as on a screen); a stroke of one point is a dot. Points that are not finite are
    ignored. Returns (28, 28) float32 in [0, 1], ink = 1, centre of mass at the centre.
    """
    _, paths = drawn_paths(strokes)
    if not paths:
        return None
    # Divide by the largest coordinate first, so that huge coordinates cannot overflow below.
    peak = max(float(np.abs(p).max()) for p in paths) or 1.0
    paths = [p / peak for p in paths]
    low = np.min([p.min(axis=0) for p in paths], axis=0)
    extent = np.max([p.max(axis=0) for p in paths], axis=0) - low
    longest = float(extent.max())
    scale = (BOX - STROKE_WIDTH) / longest if longest > MIN_EXTENT else 0.0
    # Canvas (rows, cols) just large enough for the ink, the strokes centred in it.
    ink_size = extent * scale + STROKE_WIDTH
    cols, rows = np.ceil(ink_size - 1e-9).astype(int)
    origin = (np.array([cols, rows]) - ink_size) / 2 + STROKE_WIDTH / 2 - 0.5
    canvas = _draw([(p - low) * scale + origin for p in paths], rows, cols)
    return place_in_field(canvas)


def drawn_paths(strokes):
    """(numbers, paths): the strokes that hold a finite point, as their numbers in ``strokes``
    and as (k, 2) float64 arrays of their finite points (a point that is not finite draws
    nothing)."""
    paths = [np.asarray(stroke, dtype=np.float64).reshape(-1, 2) for stroke in strokes]
    paths = [p[np.isfinite(p).all(axis=1)] for p in paths]
    numbers = [i for i, p in enumerate(paths) if len(p)]
    return numbers, [paths[i] for i in numbers]


def _samples(path, spacing):
    """(k, 2) points along a polyline (m, 2), ``spacing`` or less apart, both ends included.

    Of the points closer together than that (a densely sampled stroke), only the first of
    every ``spacing`` of length is kept; longer segments get points in between.
    """
    steps = np.hypot(*np.diff(path, axis=0).T)
    bucket = np.floor(np.concatenate(([0.0], np.cumsum(steps))) / spacing)
    keep = np.concatenate(([True], bucket[1:] != bucket[:-1]))
    keep[-1] = True
    path = path[keep]
    steps = np.diff(path, axis=0)
    count = np.maximum(1, np.ceil(np.hypot(*steps.T) / spacing)).astype(int)
    # Sample j of the segment from path[i]: path[i] + j / count[i] * steps[i], j < count[i].
    j = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    fraction = (j / np.repeat(count, count))[:, None]
    inner = np.repeat(path[:-1], count, axis=0) + fraction * np.repeat(steps, count, axis=0)
    return np.concatenate([inner, path[-1:]])


def _draw(paths, rows, cols):
    """(rows, cols) float32 canvas with the polylines (x, y) drawn STROKE_WIDTH wide.

    The distance from a pixel to the strokes is taken to their nearest sample; samples
    SAMPLE_STEP apart make that the distance to the polyline within 0.01 px where it matters
    (at the stroke's edge). Squared distances add up from a row part and a column part.
    """
    length = sum(float(np.hypot(*np.diff(path, axis=0).T).sum()) for path in paths)
    spacing = max(SAMPLE_STEP, length / MAX_SAMPLES)
    samples = np.concatenate([_samples(path, spacing) for path in paths]).astype(np.float32)
    row_index = np.arange(rows, dtype=np.float32)[:, None]
    col_index = np.arange(cols, dtype=np.float32)[:, None]
    nearest = np.full((rows, cols), np.inf, np.float32)
    # A few samples at a time, of all strokes at once: memory stays small whatever is drawn.
    step = max(1, CHUNK_ELEMENTS // (rows * cols))
    for i in range(0, len(samples), step):
        down = (row_index - samples[i:i + step, 1]) ** 2                   # (rows, n)
        across = (col_index - samples[i:i + step, 0]) ** 2                 # (cols, n)
        np.minimum(nearest, (down[:, None, :] + across[None, :, :]).min(axis=2), out=nearest)
    return np.clip(STROKE_WIDTH / 2 + 0.5 - np.sqrt(nearest), 0.0, 1.0)
