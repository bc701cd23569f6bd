"""Tests for nn.ink.ways: where and how each way puts a digit's strokes on the pad."""

import numpy as np
import pytest

from nn.ink.strokes import strokes_to_mnist
from nn.ink.ways import MOUSE_STEP, WAYS, Way, held_out_digits, inputs_for

SIDE = 400
# A 4: two strokes in 28x28 pixel coordinates (x, y), 8 wide and 16 tall.
FOUR = [np.array([[16.0, 6.0], [8.0, 16.0], [16.0, 16.0]]), np.array([[14.0, 10.0], [14.0, 22.0]])]


def box(strokes):
    points = np.concatenate(strokes)
    return points.min(axis=0), points.max(axis=0)


def by_name(name):
    return next(way for way in WAYS if way.name == name)


def test_the_ways_people_draw_are_all_there_once():
    names = [way.name for way in WAYS]
    assert len(set(names)) == len(names) == 9
    assert {"natural", "large", "small in a corner", "tiny in the middle", "small bottom right",
            "thin pen", "thick pen", "fast strokes", "slanted"} == set(names)


def test_natural_size_fills_two_thirds_of_the_pad_in_its_middle():
    low, high = box(by_name("natural").mouse_strokes(FOUR, SIDE))
    assert high[1] - low[1] == pytest.approx(0.65 * SIDE, abs=1)
    np.testing.assert_allclose((low + high) / 2, SIDE / 2, atol=1)


@pytest.mark.parametrize("name, corner", [("small in a corner", (0, 0.4)),
                                          ("small bottom right", (0.5, 1))])
def test_small_digits_go_where_the_way_says(name, corner):
    low, high = box(by_name(name).mouse_strokes(FOUR, SIDE))
    assert corner[0] * SIDE <= low.min() and high.max() <= corner[1] * SIDE
    assert high[1] - low[1] < 0.35 * SIDE


def test_positions_are_whole_pixels_a_mouse_step_apart_and_keep_each_strokes_ends():
    strokes = by_name("natural").mouse_strokes(FOUR, SIDE)
    assert len(strokes) == 2
    for positions in strokes:
        np.testing.assert_array_equal(positions, np.rint(positions))
        assert np.hypot(*np.diff(positions, axis=0).T).max() <= MOUSE_STEP + 1.5
    fast = by_name("fast strokes").mouse_strokes(FOUR, SIDE)
    for slow, quick in zip(strokes, fast):
        assert len(quick) == pytest.approx(len(slow) / 3, abs=2)
        np.testing.assert_array_equal(quick[[0, -1]], slow[[0, -1]])


def test_slanted_leans_right_going_up_and_a_dot_stays_a_dot():
    upright = Way("upright").mouse_strokes([np.array([[5.0, 0.0], [5.0, 20.0]])], SIDE)[0]
    slanted = Way("slanted", slant=0.3).mouse_strokes([np.array([[5.0, 0.0], [5.0, 20.0]])],
                                                      SIDE)[0]
    assert upright[0, 0] == upright[-1, 0]
    assert slanted[0, 0] > slanted[-1, 0], "the top (y = 0) is further right"
    (dot,) = Way("natural").mouse_strokes([np.array([[3.0, 4.0]])], SIDE)
    np.testing.assert_array_equal(dot, [[SIDE / 2, SIDE / 2]])


def test_size_place_and_pen_do_not_change_the_networks_input():
    natural = inputs_for(by_name("natural"), [FOUR])[0]
    for name in ("thin pen", "thick pen"):
        np.testing.assert_array_equal(inputs_for(by_name(name), [FOUR])[0], natural)
    # Only the mouse's whole pixels differ: coarser on a smaller digit.
    for name in ("large", "small in a corner", "small bottom right", "tiny in the middle"):
        assert np.abs(inputs_for(by_name(name), [FOUR])[0] - natural).mean() < 0.02, name
    assert np.abs(inputs_for(by_name("slanted"), [FOUR])[0] - natural).mean() > 0.05


def test_held_out_digits_are_a_seeded_choice_of_traced_digits():
    images = np.zeros((6, 28, 28), np.float32)
    for i in range(6):
        images[i, 4:24, 3 + 3 * i:6 + 3 * i] = 1  # a bar, further right in each image
    digits, labels = held_out_digits(images, np.arange(6), 3, seed=1)
    again, _ = held_out_digits(images, np.arange(6), 3, seed=1)
    assert len(digits) == 3 and len(set(labels.tolist())) == 3
    for strokes, label, same in zip(digits, labels, again):
        (bar,) = strokes
        np.testing.assert_allclose(bar[:, 0], 4 + 3 * label, atol=0.6)
        np.testing.assert_array_equal(bar, same[0])
    assert strokes_to_mnist(digits[0]) is not None
