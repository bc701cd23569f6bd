"""Splitting a written number's strokes into digits (nn.ink.segment), on hand-made strokes.

Coordinates are in units of a digit's height (1.0), y down, as on a pad.
"""

import numpy as np
import pytest

from nn.network.errors import DataError
from nn.ink.written_numbers import held_out_numbers, write_number
from nn.ink.segment import split_digits

# Two-stroke digits, each at x = 0..0.6, drawn the way people draw them.
FOUR = [[(0.4, 0.0), (0.05, 0.6), (0.6, 0.6)], [(0.45, 0.2), (0.45, 1.0)]]
FIVE = [[(0.1, 0.0), (0.05, 0.45), (0.5, 0.5), (0.55, 0.8), (0.05, 1.0)],
        [(0.12, 0.02), (0.6, 0.0)]]   # the bar, drawn second, from near the body's top
SEVEN = [[(0.0, 0.0), (0.6, 0.0), (0.25, 1.0)], [(0.2, 0.5), (0.55, 0.5)]]  # with a crossbar
ONE = [[(0.0, 0.0), (0.0, 1.0)]]
ZERO = [[(0.3 + 0.3 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 30)]]


def moved(digit, dx, dy=0.0):
    return [[(x + dx, y + dy) for x, y in stroke] for stroke in digit]


def test_nothing_written_is_no_digit():
    assert split_digits([]) == []


def test_two_stroke_digits_stay_whole():
    for digit in (FOUR, FIVE, SEVEN):
        assert split_digits(digit) == [[0, 1]]


def test_neighbours_never_merge_and_come_left_to_right():
    # 4, 5, 7 written at 0.9 apart, but their strokes given in a scrambled order.
    strokes = moved(FOUR, 0.0) + moved(FIVE, 0.9) + moved(SEVEN, 1.8)   # indices 0-5
    order = [5, 2, 0, 4, 1, 3]
    groups = split_digits([strokes[i] for i in order])
    assert [sorted(order[i] for i in group) for group in groups] == [[0, 1], [2, 3], [4, 5]]


def test_a_bar_reaching_over_the_next_digit_stays_with_its_own():
    # "51": the 5's bar ends 0.05 past the 1, which starts 0.1 below it and 0.05 after the body.
    five = [FIVE[0], [(0.12, 0.02), (0.7, 0.0)]]
    one = moved(ONE, 0.65, 0.1)
    assert split_digits(five + one) == [[0, 1], [2]]
    # and a 1 close behind a 0: apart (they do not touch)
    assert split_digits(ZERO + moved(ONE, 0.68)) == [[0], [1]]


def test_a_one_with_a_long_serif_and_a_base_is_one_digit():
    one = [[(-0.25, 0.25), (0.0, 0.0), (0.0, 1.0)], [(-0.2, 1.0), (0.2, 1.0)]]
    strokes = moved(ZERO, 0.0) + moved(one, 0.95) + moved(ZERO, 1.3)
    assert split_digits(strokes) == [[0], [1, 2], [3]]


def test_a_dot_joins_the_nearest_digit():
    dot = [(0.95, 0.9)]   # a tap just right of the 0, far from the 7
    strokes = ZERO + [dot] + moved(SEVEN, 1.5)
    assert split_digits(strokes) == [[0, 1], [2, 3]]
    assert split_digits([dot]) == [[0]]   # alone, it is what was written


def test_digits_that_touch_without_joining_strokes_stay_apart():
    # A 7 whose bar ends exactly where the next 1 begins... touching at a corner:
    strokes = [[(0.0, 0.0), (0.6, 0.0), (0.25, 1.0)], [(0.6, 0.0), (0.62, 1.0)]]
    assert split_digits(strokes) == [[0, 1]]   # joined strokes: one digit (a 7 with a tail)
    # ...while a 0 and a 1 whose inks meet side by side (no stroke ends on the other) stay two.
    assert split_digits(ZERO + moved(ONE, 0.6)) == [[0], [1]]


def test_written_numbers_split_into_their_digits():
    rng = np.random.default_rng(0)
    images = np.zeros((18, 28, 28), np.float32)
    for i in range(18):  # plain upright bars and boxes: "digits" that never break
        if i % 2:
            images[i, 4:24, 13:15] = 1
        else:
            images[i, 4:24, 8:20] = 1
            images[i, 7:21, 11:17] = 0
    numbers = held_out_numbers(images, np.arange(18) % 10, 3, 3.0, rng)
    for number in numbers:
        groups = split_digits(number.strokes)
        assert [sorted(set(number.owner[g].tolist())) for g in groups] == [
            [d] for d in range(len(number.text))]
        points = np.concatenate(number.strokes)
        assert points.min() >= 0 and points[:, 0].max() <= 3.0 and points[:, 1].max() <= 1.0


def test_write_number_places_digits_left_to_right_on_the_pad():
    rng = np.random.default_rng(1)
    digits = [[np.array([[0.0, 0.0], [0.0, 20.0]])] for _ in range(6)]
    number = write_number("111111", digits, 2.0, rng)
    xs = [stroke[0, 0] for stroke in number.strokes]
    assert xs == sorted(xs) and number.owner.tolist() == list(range(6))


def test_a_piece_that_joins_nothing_goes_to_the_nearest_digit():
    # A 7 whose bar stops short of its stem (no overlap, no contact, side by side with it),
    # then a 1: the bar is no digit of its own.
    seven = [[(0.3, 0.0), (0.0, 1.0)], [(-0.4, 0.02), (-0.05, 0.0)]]
    strokes = seven + moved(ONE, 0.8)
    assert split_digits(strokes) == [[0, 1], [2]]


def test_specks_one_above_the_other_are_not_a_digit():
    # A 1, then two taps stacked far apart (tall together, but hardly any ink), then a 0.
    strokes = ONE + [[(0.45, 0.1)], [(0.45, 0.95), (0.45, 1.0)]] + moved(ZERO, 1.0)
    assert split_digits(strokes) == [[0, 1, 2], [3]]


def test_asking_for_more_numbers_than_there_are_digits_says_so():
    with pytest.raises(DataError, match="ask for fewer numbers"):
        held_out_numbers(np.zeros((10, 28, 28), np.float32), np.zeros(10), 5, 3.0,
                         np.random.default_rng(0))
