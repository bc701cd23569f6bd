"""Turn a drawing into an MNIST-like 28x28 input, the way the MNIST digits themselves were made.

LeCun et al. fitted each digit into a 20x20 box keeping its aspect ratio (with anti-aliasing),
then placed it in a 28x28 field so that its centre of mass sits at the centre. A network trained
on MNIST only reads drawings well if they go through the same steps:

1. find the ink's bounding box and crop to it,
2. scale so the longest side is 20 px, by area averaging (each output pixel is the mean of
   the input area it covers, counting partly covered input pixels by their covered fraction),
3. paste into 28x28 and shift, to sub-pixel accuracy, so the centre of mass is at `CENTRE`.

Both resampling steps are linear maps along each axis, so each is written as a pair of small
matrices: `out = Ry @ img @ Rx.T`. That is exact and takes well under a millisecond.
"""

import numpy as np

SIZE = 28
BOX = 20
# Centre of mass in pixel-index coordinates (pixel i covers [i - 0.5, i + 0.5]). Measured on the
# 60,000 MNIST training digits: mean (row, col) = (13.996, 14.007), std 0.29 -- the std of a
# uniform rounding error, so MNIST shifted by whole pixels to put the centre of mass at index 14.
CENTRE = 14.0
# A drawing whose brightest pixel is below this has no ink: "nothing drawn".
NO_INK_BELOW = 0.1
# Pixels fainter than this fraction of the brightest one do not count for the bounding box, so
# stray specks of noise do not shrink the digit. Kept low because the faint anti-aliased rim of a
# stroke is part of its extent (MNIST's 20 px boxes include it).
BOX_THRESHOLD = 0.05


def _area_matrix(n_in: int, scale: float) -> np.ndarray:
    """Area-averaging weights of shape (n_out, n_in) for resizing one axis by a factor `scale`.

    Input pixel j covers [j * scale, (j + 1) * scale) in output units; output pixel i covers
    [i, i + 1). Weight (i, j) is the length of their overlap, so a fully covered output pixel's
    weights sum to 1 (an average) and a partly covered one at the end sums to its coverage.
    """
    n_out = max(1, int(np.ceil(n_in * scale - 1e-6)))
    lo = np.arange(n_in) * scale
    i = np.arange(n_out)[:, None]
    overlap = np.minimum(i + 1, lo + scale) - np.maximum(i, lo)
    return np.clip(overlap, 0.0, None).astype(np.float32)


def _shift_matrix(n_in: int, offset: float) -> np.ndarray:
    """Weights of shape (SIZE, n_in) that place input pixel j at position j + offset in the canvas.

    A fractional offset splits each pixel between its two neighbours in proportion to overlap
    (linear interpolation); this moves the centre of mass by exactly `offset`.
    """
    pos = np.arange(n_in) + offset
    left = np.floor(pos).astype(int)
    frac = (pos - left).astype(np.float32)
    mat = np.zeros((SIZE, n_in), np.float32)
    cols = np.arange(n_in)
    mat[left, cols] = 1.0 - frac
    # The caller keeps pos <= SIZE - 1, so left + 1 only reaches SIZE when frac is ~0.
    mat[np.minimum(left + 1, SIZE - 1), cols] += frac
    return mat


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a non-negative 2-D image, in pixel-index coordinates."""
    total = float(img.sum())
    rows = float(img.sum(axis=1) @ np.arange(img.shape[0])) / total
    cols = float(img.sum(axis=0) @ np.arange(img.shape[1])) / total
    return rows, cols


def image_to_mnist(image: np.ndarray) -> np.ndarray | None:
    """Make an MNIST-like digit from a grayscale drawing, or return None if nothing is drawn.

    image: (H, W) uint8 in 0..255 or float in [0, 1], ink = high values (white on black).
    Returns (28, 28) float32 in [0, 1], ink = 1: the ink's bounding box scaled so its longest
    side is 20 px (aspect ratio kept, area averaged), its centre of mass at (CENTRE, CENTRE).
    The drawing is first divided by its brightest value, so a grey pen still gives full ink.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {image.shape}")
    if image.dtype == np.uint8:
        full = 255.0
    elif np.issubdtype(image.dtype, np.floating):
        full = 1.0
    else:
        raise TypeError(f"expected uint8 or float pixels, got {image.dtype}")
    peak = float(image.max(initial=0))
    if not peak >= NO_INK_BELOW * full:  # "not >=" also treats NaN as nothing drawn
        return None

    # Bounding box on the raw values: one comparison, no float copy of the whole pad.
    ink = image > BOX_THRESHOLD * peak
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    crop *= np.float32(1.0 / peak)

    scale = BOX / max(crop.shape)
    small = _area_matrix(crop.shape[0], scale) @ crop @ _area_matrix(crop.shape[1], scale).T
    return place_in_field(small)


def place_in_field(small: np.ndarray) -> np.ndarray:
    """Put a digit already fitted to its box into the 28x28 field, centre of mass at CENTRE.

    small: (h, w) float32 with h, w <= SIZE and some ink. Returns (28, 28) float32 in [0, 1].
    The shift is sub-pixel, but never pushes the box off the field.
    """
    com_row, com_col = _centre_of_mass(small)
    top = float(np.clip(CENTRE - com_row, 0, SIZE - small.shape[0]))
    left = float(np.clip(CENTRE - com_col, 0, SIZE - small.shape[1]))
    out = _shift_matrix(small.shape[0], top) @ small @ _shift_matrix(small.shape[1], left).T
    return np.clip(out, 0.0, 1.0, out=out)
