"""Tests for nn.ink.images.image_to_mnist: a drawing must come out the way MNIST
digits were made."""

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from nn.ink.images import CENTRE, image_to_mnist

PAD = 280  # a 10x drawing pad, like the desktop app's


def centre_of_mass(img):
    """(row, col) centre of mass in pixel-index coordinates, the convention of nn.ink.images."""
    total = img.sum()
    rows = img.sum(1) @ np.arange(img.shape[0]) / total
    cols = img.sum(0) @ np.arange(img.shape[1]) / total
    return rows, cols


def ink_box(img, threshold=0.01):
    """(height, width) of the pixels brighter than `threshold`."""
    rows = np.flatnonzero((img > threshold).any(1))
    cols = np.flatnonzero((img > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def draw_segments(shape, segments, radius):
    """Float image with thick, anti-aliased line segments ((r0, c0), (r1, c1)) of ink 1."""
    rr, cc = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    dist = np.full(shape, np.inf)
    for (r0, c0), (r1, c1) in segments:
        dr, dc = r1 - r0, c1 - c0
        t = np.clip(((rr - r0) * dr + (cc - c0) * dc) / (dr * dr + dc * dc), 0, 1)
        dist = np.minimum(dist, np.hypot(rr - r0 - t * dr, cc - c0 - t * dc))
    return np.clip(radius - dist + 0.5, 0, 1)


def seven(scale, offset):
    """A "7" (a top bar and a slanted stem) on the pad, `scale` times its base size, moved."""
    base = [((0, 0), (0, 60)), ((0, 60), (90, 20))]
    segments = [
        tuple((r * scale + offset[0], c * scale + offset[1]) for r, c in seg) for seg in base
    ]
    return draw_segments((PAD, PAD), segments, radius=6 * scale)


def test_empty_pad_is_nothing_drawn():
    assert image_to_mnist(np.zeros((PAD, PAD), np.uint8)) is None
    assert image_to_mnist(np.zeros((PAD, PAD), np.float32)) is None


def test_faint_noise_alone_is_nothing_drawn():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 3, size=(PAD, PAD), dtype=np.uint8)  # max 2/255
    assert noise.max() == 2
    assert image_to_mnist(noise) is None
    assert image_to_mnist(noise.astype(np.float32) / 255) is None


def test_output_is_float32_28x28_in_unit_range_with_full_ink():
    out = image_to_mnist(seven(scale=1, offset=(40, 40)))
    assert out.dtype == np.float32
    assert out.shape == (28, 28)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() > 0.99


def test_uint8_and_float_drawings_give_the_same_digit():
    drawing = seven(scale=2, offset=(20, 50))
    as_uint8 = np.round(drawing * 255).astype(np.uint8)
    np.testing.assert_allclose(image_to_mnist(as_uint8), image_to_mnist(drawing), atol=0.01)


def test_input_is_not_modified():
    drawing = np.round(seven(scale=1, offset=(40, 40)) * 255).astype(np.uint8)
    before = drawing.copy()
    image_to_mnist(drawing)
    np.testing.assert_array_equal(drawing, before)


def test_grey_pen_is_normalised_to_full_ink():
    out = image_to_mnist(np.round(seven(scale=1, offset=(40, 40)) * 128).astype(np.uint8))
    assert out.max() > 0.99


def test_rejects_colour_images():
    with pytest.raises(ValueError, match="2-D"):
        image_to_mnist(np.zeros((PAD, PAD, 3), np.uint8))


def test_wide_rectangle_fills_20x10_box_centred_on_its_centre_of_mass():
    pad = np.zeros((PAD, PAD), np.uint8)
    pad[100:200, 30:230] = 255  # 200 wide x 100 tall
    out = image_to_mnist(pad)
    height, width = ink_box(out)
    assert abs(width - 20) <= 1
    assert abs(height - 10) <= 1
    np.testing.assert_allclose(centre_of_mass(out), (CENTRE, CENTRE), atol=0.5)
    np.testing.assert_allclose(out.sum(), 20 * 10, rtol=1e-4)  # area averaging keeps the mass


@pytest.mark.parametrize("offset", [(30, 150), (31, 153), (107, 94)])
def test_centre_of_mass_lands_on_mnists_centre_to_sub_pixel_accuracy(offset):
    # MNIST's 60,000 training digits have their mean centre of mass at (13.996, 14.007) in
    # pixel-index coordinates. A whole-pixel shift would miss by up to half a pixel.
    out = image_to_mnist(seven(scale=1, offset=offset))
    np.testing.assert_allclose(centre_of_mass(out), (14.0, 14.0), atol=0.01)


def test_same_digit_at_other_size_and_place_gives_the_same_input():
    small = image_to_mnist(seven(scale=1, offset=(30, 150)))
    large = image_to_mnist(seven(scale=2, offset=(60, 20)))
    moved = image_to_mnist(seven(scale=1, offset=(160, 10)))
    assert np.abs(small - large).mean() < 0.05
    assert np.abs(small - moved).max() < 1e-5  # a whole-pixel move changes nothing at all


def test_faint_noise_does_not_change_the_digits_box():
    rng = np.random.default_rng(1)
    clean = seven(scale=1, offset=(80, 80))
    noisy = np.maximum(clean, rng.uniform(0, 3 / 255, size=clean.shape))
    # Counted in the box, the noise would make it the whole pad and the 7 half as big.
    assert ink_box(image_to_mnist(noisy), 0.05) == ink_box(image_to_mnist(clean), 0.05)
    # Inside the box the noise stays (it is below any threshold that would hurt a real stroke).
    assert np.abs(image_to_mnist(noisy) - image_to_mnist(clean)).mean() < 0.01


def test_thin_vertical_one_keeps_its_aspect_ratio():
    pad = np.zeros((PAD, PAD), np.uint8)
    pad[20:260, 134:146] = 255  # 12 wide x 240 tall
    out = image_to_mnist(pad)
    height, width = ink_box(out)
    assert height >= 19
    assert width <= 3  # stretched to the 20x20 box it would be 20 wide


@pytest.mark.parametrize("size", [200, 280])
def test_checkerboard_is_area_averaged_to_uniform_grey(size):
    # Each output pixel covers an even number of 1-px squares, so the exact average is 0.5; a
    # nearest-neighbour or strided resize would alias to 0s and 1s instead.
    board = ((np.indices((size, size)).sum(0) % 2) * 255).astype(np.uint8)
    out = image_to_mnist(board)
    interior = out[6:22, 6:22]  # away from the half-covered rim left by the sub-pixel shift
    np.testing.assert_allclose(interior, 0.5, atol=1e-5)


def test_lopsided_digit_is_clamped_inside_the_field():
    # Most of the ink is in the top-left corner, so centring its mass would push the box out of
    # the 28x28 field; the shift is clamped instead, and no ink is lost.
    pad = np.zeros((PAD, PAD), np.uint8)
    pad[:100, :100] = 255
    pad[-2:, :] = 255
    pad[:, -2:] = 255
    out = image_to_mnist(pad)
    expected_mass = (pad > 0).sum() * (20 / PAD) ** 2
    np.testing.assert_allclose(out.sum(), expected_mass, rtol=1e-4)
    assert ink_box(out) == (20, 20)
    # The box was pushed right up to the bottom-right edge, and the mass stopped short of centre.
    assert out[27, 8:].min() > 0.1 and out[8:, 27].min() > 0.1
    assert np.all(np.array(centre_of_mass(out)) < CENTRE - 1)


def mnist_folder():
    """The folder with real MNIST, from $DIGITLAB_DATA or the shared copy next to the checkout."""
    candidates = [Path(os.environ["DIGITLAB_DATA"])] if os.environ.get("DIGITLAB_DATA") else []
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "mnist")
    for folder in candidates:
        if (folder / "t10k-images-idx3-ubyte.gz").is_file():
            return folder
    pytest.skip(
        "real MNIST not found: set DIGITLAB_DATA to a folder with t10k-images-idx3-ubyte.gz"
    )


def read_idx_images(path, count):
    """The first `count` images of a gzipped IDX file, (count, 28, 28) uint8."""
    with gzip.open(path) as f:
        data = f.read(16 + count * 28 * 28)
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, 28, 28)


def test_round_trip_of_real_mnist_digits_drawn_10x_larger():
    digits = read_idx_images(mnist_folder() / "t10k-images-idx3-ubyte.gz", 200)
    originals = digits.astype(np.float32) / 255
    outputs = np.stack([image_to_mnist(np.kron(d, np.ones((10, 10), np.uint8))) for d in digits])

    # Measured: mean 0.025, worst 0.060 per image. MNIST shifted by whole pixels; the sub-pixel
    # shift here spreads a stroke edge over two pixels, which is all that is left.
    per_image = np.abs(outputs - originals).mean(axis=(1, 2))
    assert per_image.max() < 0.08
    assert per_image.mean() < 0.035

    com_out = np.mean([centre_of_mass(o) for o in outputs], axis=0)
    com_mnist = np.mean([centre_of_mass(o) for o in originals], axis=0)
    np.testing.assert_allclose(com_out, com_mnist, atol=0.3)
