"""Distorted copies of pen digits: new, plausible, and never a change to the original."""

import numpy as np

from nn.ink.stroke_augment import distort_strokes
from nn.ink.strokes import strokes_to_mnist

SEVEN = [np.array([[0.0, 0.0], [10.0, 0.0], [4.0, 20.0]]), np.array([[3.0, 10.0], [9.0, 10.0]])]


def test_copies_differ_from_the_original_and_from_each_other_but_stay_close():
    rng = np.random.default_rng(0)
    original = strokes_to_mnist(SEVEN)
    copies = [strokes_to_mnist(distort_strokes(SEVEN, rng)) for _ in range(20)]
    changes = [np.abs(c - original).mean() for c in copies]
    assert min(changes) > 0.005                       # each copy is new...
    assert max(changes) < 0.15                        # ...but still this digit's shape
    assert np.abs(copies[0] - copies[1]).mean() > 0.005


def test_the_input_strokes_are_left_as_they_were():
    before = [s.copy() for s in SEVEN]
    distort_strokes(SEVEN, np.random.default_rng(1))
    for a, b in zip(before, SEVEN):
        np.testing.assert_array_equal(a, b)


def test_the_same_seed_gives_the_same_copy_and_dots_and_single_points_survive():
    strokes = SEVEN + [np.array([[5.0, 25.0]])]
    a = distort_strokes(strokes, np.random.default_rng(7))
    b = distort_strokes(strokes, np.random.default_rng(7))
    assert len(a) == 3 and all(np.isfinite(s).all() and len(s) for s in a)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
