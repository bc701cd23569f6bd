"""Which drawings a fine-tuning run holds out (desktop.train.holdout)."""

import numpy as np

from desktop.train.holdout import held_out


def test_every_fifth_of_each_digit_in_collection_order():
    labels = np.array([3] * 12 + [7] * 5)
    mask = held_out(labels)
    assert np.flatnonzero(mask[:12]).tolist() == [4, 9]
    assert np.flatnonzero(mask[12:]).tolist() == [4]


def test_a_digit_drawn_two_to_four_times_gives_its_last_and_a_single_one_gives_none():
    labels = np.array([0, 1, 1, 2, 2, 2, 2, 5])
    assert held_out(labels).tolist() == [False, False, True, False, False, False, True, False]


def test_interleaved_digits_are_counted_each_on_their_own():
    labels = np.array([4, 9] * 6)   # six 4s, six 9s, alternating
    mask = held_out(labels)
    assert np.flatnonzero(mask).tolist() == [8, 9]   # the fifth 4 and the fifth 9
    assert held_out(np.zeros(0, np.int64)).tolist() == []
