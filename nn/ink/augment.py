"""Random affine distortions of digit images, applied to each training batch on the fly.

People draw digits off-centre, small or large, slanted, with thick or thin strokes. Showing
the network randomly distorted copies of MNIST teaches it that none of that changes the digit.

Every image in a batch gets its own random transform: a rotation, a scale, a shear and a
shift, combined into one 2x2 matrix plus an offset. Each output pixel looks up where it
comes from in the input and interpolates bilinearly between the four pixels around that
point, all batch-wide with array operations (no loop over images).
"""

from dataclasses import dataclass

import numpy as np

SIDE = 28
CENTRE = (SIDE - 1) / 2


@dataclass(frozen=True)
class Augmentation:
    """How strongly to distort; each value is the largest change drawn (uniformly).

    Directions, on the image as displayed (row 0 at the top): a positive rotation turns the
    digit counter-clockwise; a positive shear moves each row to the right in proportion to
    its distance below the centre (the top leans left, like a backslash); a positive shift
    moves the ink up (rows) or left (columns); a scale above 1 makes the digit larger.
    """

    shift: float = 2.0        # pixels, in each direction
    rotation: float = 12.0    # degrees, either way
    scale: float = 0.12       # relative: 0.12 draws sizes from 88% to 112%
    shear: float = 0.2        # horizontal shear factor (slant), either way
    thickness: float = 0.3    # share of images whose strokes get thicker or thinner


# Output pixel coordinates relative to the centre, shared by every batch.
_rows, _cols = np.meshgrid(np.arange(SIDE, dtype=np.float32) - CENTRE,
                           np.arange(SIDE, dtype=np.float32) - CENTRE, indexing="ij")
_GRID = np.stack([_rows.ravel(), _cols.ravel()])  # (2, 784)


def random_matrices(n, aug, rng):
    """(n, 2, 2) matrices and (n, 2) offsets mapping output to input coordinates (row, col)."""
    angle = np.radians(rng.uniform(-aug.rotation, aug.rotation, n))
    scale = 1.0 + rng.uniform(-aug.scale, aug.scale, n)
    shear = rng.uniform(-aug.shear, aug.shear, n)
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    # Inverse map: rotate by -angle, undo the scale, then undo a horizontal shear
    # (col += shear * row).
    m = np.empty((n, 2, 2), dtype=np.float32)
    m[:, 0, 0], m[:, 0, 1] = cos, sin
    m[:, 1, 0], m[:, 1, 1] = -sin - shear * cos, cos - shear * sin
    offset = rng.uniform(-aug.shift, aug.shift, (n, 2)).astype(np.float32)
    return m, offset


def warp(images, m, offset):
    """Apply per-image affine maps to images (n, 28, 28) with bilinear interpolation.

    Output pixel p takes its value from input position m @ p + offset (coordinates relative
    to the centre); positions outside the image read as 0 (background).
    """
    # Each image gets a zero border: one pixel before it and two after, so that positions
    # clamped into [0, 29] and their +1 neighbours always land in the image or the border.
    n, padded_side = len(images), SIDE + 3
    src = m @ _GRID                                        # (n, 2, 784): rows, then columns
    src += (CENTRE + 1 + offset)[:, :, None]               # +1 for the border
    np.clip(src, 0, SIDE + 1, out=src)
    top_left = np.floor(src)
    # One flat index per output pixel into the batch of padded images.
    # (Exact in float32: a row or column index times 31 stays far below 2**24. Converting the
    # sum once is several times faster than converting the two strided halves of top_left.)
    index = (top_left[:, 0] * padded_side + top_left[:, 1]).astype(np.intp)
    index += (np.arange(n) * padded_side * padded_side)[:, None]
    src -= top_left                                        # how far past the top-left pixel
    down, right = src[:, 0], src[:, 1]
    padded = np.zeros((n, padded_side, padded_side), dtype=np.float32)
    padded[:, 1:SIDE + 1, 1:SIDE + 1] = images
    flat = padded.ravel()
    # The neighbours to the right and below: flat[index + 1] is flat[1:][index], and so on.
    top = lerp(flat.take(index), flat[1:].take(index), right)
    bottom = lerp(flat[padded_side:].take(index), flat[padded_side + 1:].take(index), right)
    return lerp(top, bottom, down).reshape(n, SIDE, SIDE)


def lerp(a, b, t):
    """a + t * (b - a), computed in place: the result is a, and b is overwritten."""
    b -= a
    b *= t
    a += b
    return a


def change_thickness(images, share, rng):
    """Thicken the strokes of some images (a 2x2 maximum filter) and thin others (minimum)."""
    pick = rng.random(len(images))
    thicker, thinner = pick < share / 2, (pick >= share / 2) & (pick < share)
    for mask, combine in ((thicker, np.maximum), (thinner, np.minimum)):
        if mask.any():
            x = images[mask]
            out = x.copy()
            combine(out[:, 1:, :], x[:, :-1, :], out=out[:, 1:, :])
            combine(out[:, :, 1:], x[:, :, :-1], out=out[:, :, 1:])
            images[mask] = out
    return images


def augment_batch(x, aug, rng):
    """A randomly distorted copy of a batch x, shaped (n, 784) or (n, 1, 28, 28)."""
    images = x.reshape(len(x), SIDE, SIDE)
    m, offset = random_matrices(len(x), aug, rng)
    out = warp(images, m, offset)
    if aug.thickness:
        out = change_thickness(out, aug.thickness, rng)
    return out.reshape(x.shape)
