"""Writer-independent folds and pen digits as training examples."""

import numpy as np
import pytest

from nn.data.unipen import PenDigits
from nn.ink.strokes import strokes_to_mnist
from nn.network.losses import NONE
from nn.training.writers import pair_examples, pen_examples, scores, writer_folds


def test_folds_hold_every_writer_once_and_are_the_same_every_time():
    writers = np.repeat(np.arange(1, 31), 5)
    folds = writer_folds(writers)
    assert len(folds) == 5 and all(len(f) == 6 for f in folds)
    assert sorted(np.concatenate(folds).tolist()) == list(range(1, 31))
    assert all((a == b).all() for a, b in zip(folds, writer_folds(writers[::-1])))
    # Shuffled: the first fold is not simply the first writers to come.
    assert folds[0].tolist() != [1, 6, 11, 16, 21, 26]


def test_more_folds_than_writers_is_refused():
    with pytest.raises(ValueError, match="3 writers cannot be split into 5 folds"):
        writer_folds([1, 2, 3])


def test_pen_digits_of_one_writer_say_that_more_writers_are_needed():
    # Before: "1 writers cannot be split into 5 folds; choose 2 to 1 folds".
    with pytest.raises(ValueError, match="of 1 writer; measuring by writer needs pen digits "
                                         "of 2 writers or more"):
        writer_folds([7, 7, 7])


def test_pen_examples_are_the_digits_and_their_copies_drawn_for_the_network():
    one = (np.array([[0.0, 0.0], [0.0, 30.0]]),)
    seven = (np.array([[0.0, 0.0], [12.0, 0.0], [5.0, 25.0]]),)
    digits = PenDigits((one, seven), np.array([1, 7]), np.array([4, 4]))
    x, y = pen_examples(digits, copies=2, rng=np.random.default_rng(0))
    assert x.shape == (6, 784) and x.dtype == np.float32 and y.tolist() == [1, 7] * 3
    assert x.max() <= 1 and x.min() >= 0
    assert not np.array_equal(x[1], x[3])  # a copy is rewritten, not repeated


def test_scores_count_per_digit_and_per_writer():
    result = scores(np.array([1, 2, 2, 3]), np.array([1, 2, 3, 3]), np.array([5, 5, 6, 6]))
    assert result["overall"] == 0.75
    assert result["per_digit"] == {1: 1.0, 2: 1.0, 3: 0.5}
    assert result["per_writer"] == {5: 1.0, 6: 0.5}


ONE = (np.array([[0.0, 0.0], [0.0, 30.0]]),)
ZERO = (np.array([[10 + 10 * np.cos(t), 15 + 15 * np.sin(t)]
                  for t in np.linspace(0, 2 * np.pi, 40)]),)


def test_a_touching_pair_is_two_digits_drawn_as_one_input_of_no_class():
    zeros = PenDigits((ZERO, ZERO), np.array([0, 0]), np.array([4, 4]))
    x, y = pair_examples(5, [], zeros, np.random.default_rng(0))
    assert x.shape == (5, 784) and x.dtype == np.float32 and (y == NONE).all()
    assert x.min() >= 0 and x.max() <= 1
    # A zero is taller than wide; two of them side by side, drawn as one, are wider than tall.
    def extent(images, axis):
        return (images.reshape(-1, 28, 28).max(axis=axis) > 0.5).sum(axis=1)
    single = strokes_to_mnist(ZERO)[None]
    assert extent(single, 2) > extent(single, 1)
    assert (extent(x, 1) > extent(x, 2)).all()


def test_pairs_are_shared_between_the_traced_digits_and_the_pen_digits():
    ones = PenDigits((ONE, ONE), np.array([1, 1]), np.array([4, 4]))
    zeros = [list(ZERO), list(ZERO)]
    x, y = pair_examples(7, zeros, ones, np.random.default_rng(1))
    assert len(x) == len(y) == 7
    # Two zeros hold far more ink than two ones: the first 4 pairs are traced, the last 3 pen.
    ink = (x > 0.5).sum(axis=1)
    assert ink[:4].min() > 1.5 * ink[4:].max()
    # A source of one digit cannot make a pair: the other makes them all, or none is made.
    x, _ = pair_examples(7, [list(ZERO)], ones, np.random.default_rng(1))
    assert len(x) == 7 and (x > 0.5).sum(axis=1).max() < ink[:4].min()
    one_pen = PenDigits((ONE,), np.array([1]), np.array([4]))
    x, y = pair_examples(7, [list(ZERO)], one_pen, np.random.default_rng(1))
    assert x.shape == (0, 784) and y.shape == (0,)
