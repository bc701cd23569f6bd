"""Tests for nn.ink.strokes.strokes_to_mnist: the network's input drawn again from pen strokes."""

import itertools
import time
import tracemalloc
import warnings

import numpy as np
import pytest

from nn.ink.images import CENTRE
from nn.ink.strokes import STROKE_WIDTH, strokes_to_mnist


def centre_of_mass(img):
    total = img.sum()
    return (img.sum(1) @ np.arange(28) / total, img.sum(0) @ np.arange(28) / total)


def ink_box(img, threshold=0.05):
    rows = np.flatnonzero((img > threshold).any(1))
    cols = np.flatnonzero((img > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def seven(scale=1.0, offset=(0.0, 0.0), step=None):
    """A 7 (a bar and a slanted stem) as one stroke of (x, y) points; with `step`, each side
    is cut into pieces of at most that length, as a mouse reports them."""
    corners = np.array([(0.0, 0.0), (60.0, 0.0), (20.0, 90.0)]) * scale + offset
    if step is None:
        return [corners]
    pieces = [a + (b - a) * np.linspace(0, 1,
                                        int(np.ceil(np.hypot(*(b - a)) / step)) + 1)[:-1, None]
              for a, b in itertools.pairwise(corners)]
    return [np.concatenate(pieces + [corners[-1:]])]


@pytest.mark.parametrize("nothing", [[], [[]], [[(np.nan, 3.0)]], [[(np.inf, 1.0)], []]])
def test_nothing_drawn_gives_none(nothing):
    assert strokes_to_mnist(nothing) is None


def test_output_is_float32_28x28_in_unit_range_centred_on_its_mass():
    out = strokes_to_mnist(seven())
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)
    np.testing.assert_allclose(centre_of_mass(out), (CENTRE, CENTRE), atol=0.05)


def test_size_and_place_do_not_change_the_input():
    small = strokes_to_mnist(seven(scale=0.2, offset=(230, 10)))
    large = strokes_to_mnist(seven(scale=3.0, offset=(5, 7)))
    huge = strokes_to_mnist(seven(scale=1e12, offset=(1e13, -4e12)))
    np.testing.assert_allclose(small, large, atol=1e-4)
    np.testing.assert_allclose(huge, large, atol=1e-4)


def test_how_densely_the_mouse_reports_changes_little():
    corners_only = strokes_to_mnist(seven())
    for step in (0.3, 4.0, 13.0):  # a tablet, a mouse, a fast hand
        dense = strokes_to_mnist(seven(step=step))
        assert np.abs(dense - corners_only).max() < 0.06, step


def test_the_longest_side_fills_the_20px_box_and_strokes_have_mnists_width():
    out = strokes_to_mnist([[(0, 0), (100, 0)]])  # a horizontal line
    height, width = ink_box(out)
    assert width in (20, 21)  # 20, and the faint rim of the round caps
    # Each column crossed by the line holds one stroke width of ink, wherever it falls.
    np.testing.assert_allclose(out[:, 6:22].sum(axis=0), STROKE_WIDTH, atol=0.02)
    assert height <= 4


def test_a_vertical_one_keeps_its_aspect_ratio():
    out = strokes_to_mnist([[(140, 40), (140, 240)]])
    height, width = ink_box(out)
    assert height in (20, 21) and width <= 4
    np.testing.assert_allclose(centre_of_mass(out), (CENTRE, CENTRE), atol=0.05)


def test_a_dot_is_a_round_spot_and_stays_in_a_drawing():
    dot = strokes_to_mnist([[(50, 50)]])
    np.testing.assert_allclose(dot, dot.T, atol=1e-6)            # round: symmetric
    np.testing.assert_allclose(centre_of_mass(dot), (CENTRE, CENTRE), atol=0.01)
    assert dot.sum() == pytest.approx(np.pi * (STROKE_WIDTH / 2) ** 2, rel=0.2)
    line = strokes_to_mnist([[(0, 0), (0, 100)]])
    with_dot = strokes_to_mnist([[(0, 0), (0, 100)], [(30, 50)]])  # e.g. an "i"-like mark
    assert with_dot.sum() > line.sum() + 2


@pytest.mark.parametrize("stroke", [[(0.0, 287.0), (2.79e-305, 287.0)],   # found by Hypothesis
                                    [(1e6, 1e6), (1e6 + 1e-7, 1e6)], [(5.0, 5.0), (5.0, 5.0)]])
def test_a_drawing_too_small_to_have_a_shape_is_a_dot_without_a_warning(stroke):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = strokes_to_mnist([stroke])
    np.testing.assert_allclose(image, strokes_to_mnist([[(50, 50)]]), atol=1e-6)


def test_input_strokes_are_not_modified():
    strokes = seven(step=4.0)
    before = [s.copy() for s in strokes]
    strokes_to_mnist(strokes)
    np.testing.assert_array_equal(strokes[0], before[0])


def test_a_densely_drawn_digit_takes_well_under_two_milliseconds():
    t = np.linspace(0, 2 * np.pi, 400)
    zero = [list(zip(140 + 50 * np.sin(t), 140 - 80 * np.cos(t)))]  # a pad's list of tuples
    seconds = []
    for _ in range(20):  # the fastest of 20: other work on the machine only adds time
        start = time.perf_counter()
        strokes_to_mnist(zero)
        seconds.append(time.perf_counter() - start)
    assert min(seconds) < 2e-3


@pytest.mark.parametrize("strokes", [
    [np.random.default_rng(0).random((500_000, 2))],              # a scribble, one stroke
    [np.random.default_rng(1).random((1, 2)) for _ in range(500)],  # 500 taps
], ids=["half a million points", "500 dots"])
def test_any_scribble_is_drawn_in_bounded_memory(strokes):
    # Every sample 0.25 px apart, half a million random points took 20 s and over a GB.
    tracemalloc.start()
    try:
        image = strokes_to_mnist(strokes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB"
    assert image.shape == (28, 28) and np.isfinite(image).all() and image.max() == 1.0
