import numpy as np
import pytest

from nn.ink.augment import Augmentation, augment_batch, change_thickness, random_matrices, warp

IDENTITY = np.eye(2, dtype=np.float32)


def digits(n=16, seed=0):
    """Random blobs standing in for digits: ink in the middle, background at the border."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    images[:, 6:22, 8:20] = rng.random((n, 16, 12), dtype=np.float32)
    return images


def test_identity_transform_returns_the_images_unchanged():
    images = digits()
    m = np.tile(IDENTITY, (len(images), 1, 1))
    out = warp(images, m, np.zeros((len(images), 2), dtype=np.float32))
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize("axis", [0, 1])
def test_whole_pixel_offset_moves_the_image_exactly(axis):
    images = digits()
    offset = np.zeros((len(images), 2), dtype=np.float32)
    offset[:, axis] = 2  # each output pixel reads the input two pixels further on
    out = warp(images, np.tile(IDENTITY, (len(images), 1, 1)), offset)
    np.testing.assert_array_equal(np.take(out, range(26), axis=axis + 1),
                                  np.take(images, range(2, 28), axis=axis + 1))


def test_half_pixel_offset_interpolates_between_neighbours():
    images = digits()
    offset = np.zeros((len(images), 2), dtype=np.float32)
    offset[:, 1] = 0.5
    out = warp(images, np.tile(IDENTITY, (len(images), 1, 1)), offset)
    expected = (images[:, :, :-1] + images[:, :, 1:]) / 2
    np.testing.assert_allclose(out[:, :, :-1], expected, atol=1e-6)


def test_positions_outside_the_image_read_as_background():
    images = np.ones((4, 28, 28), dtype=np.float32)
    offset = np.array([[40, 0], [-40, 0], [0, 40], [0, -40]], dtype=np.float32)
    out = warp(images, np.tile(IDENTITY, (4, 1, 1)), offset)
    assert out.max() == 0.0


def test_rotation_by_90_degrees_turns_the_image():
    images = digits(4)
    n = len(images)
    m, _ = random_matrices(n, Augmentation(rotation=0, scale=0, shear=0, shift=0),
                           np.random.default_rng(0))
    np.testing.assert_allclose(m, np.tile(IDENTITY, (n, 1, 1)), atol=1e-7)
    quarter = np.tile(np.array([[0, 1], [-1, 0]], dtype=np.float32), (n, 1, 1))
    out = warp(images, quarter, np.zeros((n, 2), dtype=np.float32))
    np.testing.assert_allclose(out, np.rot90(images, k=1, axes=(1, 2)), atol=1e-5)


def test_augment_batch_keeps_shape_dtype_range_and_varies_per_image():
    rng = np.random.default_rng(1)
    same = np.tile(digits(1), (8, 1, 1)).reshape(8, 784)
    out = augment_batch(same, Augmentation(), rng)
    assert out.shape == same.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    # One input, eight different random distortions.
    assert len({o.tobytes() for o in out}) == 8
    conv_shaped = augment_batch(same.reshape(8, 1, 28, 28), Augmentation(), rng)
    assert conv_shaped.shape == (8, 1, 28, 28)


def test_augmentation_keeps_the_ink_roughly_and_is_seeded():
    images = digits(64).reshape(64, 784)
    a = augment_batch(images, Augmentation(thickness=0), np.random.default_rng(5))
    b = augment_batch(images, Augmentation(thickness=0), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    ratio = a.sum(axis=1) / images.sum(axis=1)
    assert 0.7 < ratio.mean() < 1.3  # scale changes area by at most ~25%


def test_thickness_changes_make_strokes_thicker_or_thinner():
    stroke = np.zeros((200, 28, 28), dtype=np.float32)
    stroke[:, 5:23, 13:15] = 1.0  # a two-pixel-wide vertical bar
    out = change_thickness(stroke.copy(), 1.0, np.random.default_rng(0))
    ink = out.sum(axis=(1, 2))
    assert (ink > stroke[0].sum()).any() and (ink < stroke[0].sum()).any()
    assert ((ink > stroke[0].sum()) | (ink < stroke[0].sum())).all()


# --- the random transforms: their ranges and their directions ----------------------------------

class Largest:
    """A stand-in generator whose uniform draws are always the top of their range."""

    def uniform(self, low, high, size=None):
        return np.full(size, high, dtype=np.float64)


def ink_centre(image, rows=slice(None)):
    """(row, column) centre of the ink of a 28x28 image, within ``rows``."""
    r, c = np.nonzero(image[rows] > 0.3)
    return r.mean() + (rows.start or 0), c.mean()


def one_transform(aug):
    m, offset = random_matrices(1, aug, Largest())
    return lambda image: warp(image[None], m, offset)[0]


def test_a_positive_rotation_turns_the_digit_counter_clockwise():
    dot = np.zeros((28, 28), dtype=np.float32)
    dot[13:15, 22:24] = 1.0  # right of the centre (13.5, 13.5), on its row
    turn = one_transform(Augmentation(rotation=30, scale=0, shear=0, shift=0))
    row, col = ink_centre(turn(dot))
    # Counter-clockwise by 30 degrees: 9 px right of the centre goes to 9 * (cos, sin) = (7.8, 4.5).
    assert row == pytest.approx(13.5 - 4.5, abs=0.5) and col == pytest.approx(13.5 + 7.8, abs=0.5)


def test_a_positive_shear_moves_the_bottom_right_and_the_top_left():
    bar = np.zeros((28, 28), dtype=np.float32)
    bar[4:24, 13:15] = 1.0  # a vertical bar through the centre
    slant = one_transform(Augmentation(rotation=0, scale=0, shear=0.3, shift=0))(bar)
    _, top = ink_centre(slant, slice(4, 10))
    _, bottom = ink_centre(slant, slice(18, 24))
    assert top < 13.5 - 1 and bottom > 13.5 + 1
    assert bottom - top == pytest.approx(0.3 * 14, abs=1)  # rows 7 and 21: 14 rows apart


def test_a_positive_shift_moves_the_ink_up_and_left_and_a_larger_scale_enlarges():
    dot = np.zeros((28, 28), dtype=np.float32)
    dot[13:15, 13:15] = 1.0
    row, col = ink_centre(one_transform(Augmentation(rotation=0, scale=0, shear=0, shift=3))(dot))
    assert (row, col) == (pytest.approx(10.5), pytest.approx(10.5))
    bar = np.zeros((28, 28), dtype=np.float32)
    bar[4:24, 13:15] = 1.0
    grown = one_transform(Augmentation(rotation=0, scale=0.2, shear=0, shift=0))(bar)
    rows = np.nonzero(grown.max(axis=1) > 0.3)[0]
    assert rows[-1] - rows[0] + 1 == pytest.approx(20 * 1.2, abs=1)


def test_the_transforms_drawn_span_the_ranges_asked_for():
    aug = Augmentation(rotation=20, scale=0.1, shear=0.25, shift=3)
    m, offset = random_matrices(4000, aug, np.random.default_rng(3))
    scale = 1 / np.hypot(m[:, 0, 0], m[:, 0, 1])  # the first row is (cos, sin) / scale
    angle = np.degrees(np.arctan2(m[:, 0, 1], m[:, 0, 0]))
    # The second row is (-sin - shear cos, cos - shear sin) / scale.
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    shear = -(m[:, 1, 0] * scale + sin) / cos
    for drawn, limit in ((angle, 20), (scale - 1, 0.1), (shear, 0.25), (offset, 3)):
        assert np.abs(drawn).max() <= limit * 1.0001
        assert drawn.min() < -0.9 * limit and drawn.max() > 0.9 * limit
