"""Splitting a written number's strokes into digits by reading them (nn.ink.segment).

Coordinates are in units of a digit's height (1.0), y down, as on a pad. The classifier is a
stand-in that knows a few hand-made digits (the nearest of their images, softmax of minus the
distance): like a real network it reads a whole digit surely, and also reads a piece of one
surely when the piece looks like another digit (the upright of a 4 is a fine 1).
"""

import tracemalloc
from pathlib import Path

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nn.files.modelfile import load_model
from nn.ink.segment import NumberReader, split_digits
from nn.ink.strokes import strokes_to_mnist
from nn.ink.written_numbers import GAP, TOUCHING, held_out_numbers, write_number, writer_numbers
from nn.network.errors import DataError

FOUR = [[(0.4, 0.0), (0.05, 0.6), (0.6, 0.6)], [(0.45, 0.2), (0.45, 1.0)]]
OPEN_FOUR = [[(0.05, 0.0), (0.05, 0.6), (0.5, 0.6)], [(0.55, 0.0), (0.55, 1.0)]]  # ⊔ then |
FIVE = [[(0.1, 0.0), (0.05, 0.45), (0.5, 0.5), (0.55, 0.8), (0.05, 1.0)],
        [(0.12, 0.02), (0.6, 0.0)]]   # the bar, drawn second, from near the body's top
SEVEN = [[(0.0, 0.0), (0.6, 0.0), (0.25, 1.0)], [(0.2, 0.5), (0.55, 0.5)]]  # with a crossbar
ONE = [[(0.0, 0.0), (0.0, 1.0)]]
ZERO = [[(0.3 + 0.3 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 30)]]
BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "default-model.npz"


def moved(digit, dx, dy=0.0):
    return [[(x + dx, y + dy) for x, y in stroke] for stroke in digit]


def template_classifier(templates):
    """classify(images (n, 28, 28)) -> (n, 10): softmax over the classes of minus the squared
    distance to each class's nearest template image (templates: {class: [strokes, ...]})."""
    images = {c: np.stack([strokes_to_mnist(s) for s in shapes]) for c, shapes in templates.items()}

    def classify(x):
        logits = np.full((len(x), 10), -np.inf)
        for c, shapes in images.items():
            logits[:, c] = -((x[:, None] - shapes[None]) ** 2).sum(axis=(2, 3)).min(axis=1) / 4
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    return classify


CLASSIFY = template_classifier({0: [ZERO], 1: [ONE], 4: [FOUR, OPEN_FOUR], 5: [FIVE],
                                7: [SEVEN, SEVEN[:1]]})


def read(strokes):
    reading = NumberReader(CLASSIFY).read(strokes)
    return reading.groups, "".join(str(int(np.argmax(p))) for p in reading.probabilities)


def test_nothing_written_is_no_digit():
    assert read([]) == ([], "")


def test_two_stroke_digits_stay_whole():
    for digit, text in ((FOUR, "4"), (OPEN_FOUR, "4"), (FIVE, "5"), (SEVEN, "7")):
        assert read(digit) == ([[0, 1]], text)
    # In a number, with their strokes given in a scrambled order: each still one digit.
    strokes = moved(FOUR, 0.0) + moved(FIVE, 0.9) + moved(SEVEN, 1.8) + moved(OPEN_FOUR, 2.6)
    order = [5, 2, 0, 4, 1, 7, 3, 6]
    groups, text = read([strokes[i] for i in order])
    assert [sorted(order[i] for i in group) for group in groups] == [[0, 1], [2, 3], [4, 5],
                                                                      [6, 7]]
    assert text == "4574"


def test_the_upright_of_an_open_four_is_no_one_of_its_own():
    # The network reads the upright alone as a sure 1, and the strokes neither cross nor
    # overlap: only reading both pieces together, and the pieces' height, keep the 4 whole.
    assert CLASSIFY(strokes_to_mnist(OPEN_FOUR[1:])[None])[0, 1] > 0.99
    assert read(moved(OPEN_FOUR, 0.0) + moved(ONE, 0.8)) == ([[0, 1], [2]], "41")


def test_ones_side_by_side_are_two_digits():
    for gap in (0.08, 0.2, 0.5):
        assert read(ONE + moved(ONE, gap) + moved(ONE, 2 * gap)) == ([[0], [1], [2]], "111")


def test_digits_that_touch_stay_apart():
    # A 0 and a 1 whose inks meet side by side, two 0s that touch, a slanted 1 leaning over
    # the 0 before it (their boxes overlap): apart, since no stroke crosses or ends on the other.
    assert read(ZERO + moved(ONE, 0.6)) == ([[0], [1]], "01")
    assert read(ZERO + moved(ZERO, 0.6)) == ([[0], [1]], "00")
    assert read(ZERO + [[(0.75, 0.0), (0.55, 1.0)]]) == ([[0], [1]], "01")


def test_digits_whose_strokes_meet_are_cut_apart():
    # A 4 whose bar runs into the 0 after it, a 5 whose bar meets the 7's: each pair is one
    # piece of ink, too wide for one digit, cut in two between its strokes.
    assert read(FOUR + moved(ZERO, 0.6)) == ([[0, 1], [2]], "40")
    assert read(FIVE + moved(SEVEN, 0.6)) == ([[0, 1], [2, 3]], "57")
    # A narrower piece is not cut: the 4's strokes stay one digit however they read apart.
    assert read(FOUR) == ([[0, 1]], "4")


def test_a_digit_whose_stroke_broke_stays_one_digit():
    # A 0 drawn in two halves that meet, a 1 lifted half-way, a 7 whose bar stops short.
    halves = [ZERO[0][:16], ZERO[0][15:]]
    broken_one = [[(0.0, 0.0), (0.0, 0.48)], [(0.01, 0.55), (0.0, 1.0)]]
    short_bar = [[(0.6, 0.0), (0.25, 1.0)], [(0.0, 0.0), (0.55, 0.0)]]
    strokes = halves + moved(broken_one, 0.9) + moved(short_bar, 1.3)
    assert read(strokes) == ([[0, 1], [2, 3], [4, 5]], "017")


def test_a_tap_beside_a_digit_is_no_digit():
    dot = [(0.7, 0.9)]   # a tap just right of the 0, far from the 7
    assert read(ZERO + [dot] + moved(SEVEN, 1.6)) == ([[0, 1], [2, 3]], "07")


def test_points_that_are_not_finite_and_empty_strokes_belong_to_no_digit():
    # The strokes' numbers stay those of the strokes given: stroke 1 (empty) and stroke 3
    # (no finite point) are left out, the 4's two strokes (0 and 2) stay one digit.
    broken = [np.vstack([FOUR[0], [(np.nan, 0.5)]]), [], [(np.inf, 0.0)] + FOUR[1],
              [(np.nan, np.inf)], moved(ONE, 0.9)[0]]
    assert read(broken) == ([[0, 2], [4]], "41")


coordinate = st.floats(allow_nan=True, allow_infinity=True, width=64)
hostile_strokes = st.lists(st.lists(st.tuples(coordinate, coordinate), max_size=6), max_size=6)


@settings(max_examples=150, deadline=None)
@given(hostile_strokes)
@example([[(0.0, 287.0), (2.7909654843216696e-305, 287.0)]])   # an extent of 1e-307 overflowed
def test_any_strokes_are_read_without_a_warning_each_drawn_stroke_in_one_digit(strokes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # an overflow on the way is a wrong answer too
        reading = NumberReader(CLASSIFY).read(strokes)
    drawn = [i for i, stroke in enumerate(strokes)
             if any(np.isfinite(x) and np.isfinite(y) for x, y in stroke)]
    assert sorted(i for group in reading.groups for i in group) == drawn
    assert np.isfinite(reading.probabilities).all()
    assert reading.images.shape == (len(reading.groups), 28, 28)


def test_split_digits_gives_the_groups():
    assert split_digits(FOUR + moved(ONE, 0.9), CLASSIFY) == [[0, 1], [2]]


def test_a_pen_up_reads_only_the_new_candidates():
    seen = []

    def counting(images):
        seen.append(len(images))
        return CLASSIFY(images)

    reader = NumberReader(counting)
    strokes = []
    for k, digit in enumerate([ONE, ZERO, SEVEN, FOUR, ZERO, FIVE]):
        for stroke in moved(digit, 0.9 * k):
            strokes.append(stroke)
            reader.read(strokes)
    calls = len(seen)
    assert len(reader.read(strokes).groups) == 6 and len(seen) == calls  # nothing new to read
    # Each pen-up read only the few candidates holding the new stroke, however long the number.
    assert max(seen) <= 4


def test_memory_stays_in_step_with_the_strokes():
    # 120 hatched strokes of 60 points each, as a mouse records them: comparing every stroke's
    # ends with every point (as an earlier splitter did) would take over 50 MB here, and GBs
    # for the 2,000 strokes a user can scribble.
    rng = np.random.default_rng(0)
    line = np.linspace(0, 1, 60)[:, None]
    strokes = [np.hstack([x + 0.03 * line, line]) + rng.normal(0, 0.002, (60, 2))
               for x in np.arange(120) * 0.05]
    tracemalloc.start()
    groups = split_digits(strokes, lambda images: np.full((len(images), 10), 0.1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sorted(i for g in groups for i in g) == list(range(120))
    assert peak < 10e6


def bars_and_boxes(n):
    """n 28x28 'digits': upright bars (odd) and hollow boxes (even), which never break."""
    images = np.zeros((n, 28, 28), np.float32)
    images[1::2, 4:24, 13:15] = 1
    images[0::2, 4:24, 8:20] = 1
    images[0::2, 7:21, 11:17] = 0
    return images


def test_written_numbers_split_into_their_digits():
    rng = np.random.default_rng(0)
    images = bars_and_boxes(18)
    classify = template_classifier({0: [[[(0, 0), (0.6, 0), (0.6, 1), (0, 1), (0, 0)]]],
                                    1: [ONE]})
    for number in held_out_numbers(images, np.arange(18) % 2, 3, 3.0, rng):
        groups = split_digits(number.strokes, classify)
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


def test_touching_numbers_are_written_with_their_digits_inks_almost_meeting():
    rng = np.random.default_rng(4)
    digits = [[np.array([[0.0, 0.0], [0.3, 0.5], [0.0, 1.0]])] for _ in range(6)]
    # Gaps are drawn as a share of the number's height; each digit's is within 12% of it.
    for gap, widest in ((TOUCHING, 0.035), (GAP, 0.46)):
        gaps = []
        for _ in range(20):
            number = write_number("111111", digits, 3.0, rng, gap)
            height = min(np.ptp(stroke[:, 1]) for stroke in number.strokes)
            gaps += [(b[:, 0].min() - a[:, 0].max()) / height
                     for a, b in zip(number.strokes, number.strokes[1:])]
        assert 0.0 <= min(gaps) and max(gaps) <= widest
        assert max(gaps) > widest / 2   # the whole range is used


class Pen:
    """Pen digits as nn.data.unipen.PenDigits holds them."""

    def __init__(self, strokes, labels, writers):
        self.strokes, self.labels, self.writers = strokes, np.array(labels), np.array(writers)


def test_writer_numbers_take_each_number_from_one_writer():
    # Writer 7 writes 1s, writer 9 writes two-stroke 4s: no number mixes them.
    pen = Pen([ONE] * 12 + [FOUR] * 12, [1] * 12 + [4] * 12, [7] * 12 + [9] * 12)
    numbers = writer_numbers(pen, 4, 3.0, np.random.default_rng(2))
    for number in numbers:
        assert set(number.text) in ({"1"}, {"4"}) and 3 <= len(number.text) <= 6
        assert len(number.strokes) == len(number.text) * (2 if number.text[0] == "4" else 1)
    with pytest.raises(DataError, match="ask for fewer numbers"):
        writer_numbers(pen, 20, 3.0, np.random.default_rng(2))


def test_real_writers_two_stroke_fours_stay_whole_with_the_bundled_model():
    from nn.data.unipen import load_pendigits

    try:
        pen, _ = load_pendigits()
    except DataError as error:
        pytest.skip(str(error))
    twos = [i for i in range(len(pen)) if pen.labels[i] == 4 and len(pen.strokes[i]) == 2]
    fours = pen.select(np.isin(np.arange(len(pen)), twos))
    model = load_model(BUNDLED)
    reader = NumberReader(model.predict_proba)
    numbers = writer_numbers(fours, 8, 3.0, np.random.default_rng(0))
    counts = [len(reader.read(number.strokes).groups) == len(number.text) for number in numbers]
    assert np.mean(counts) == 1.0


def test_real_writers_numbers_written_touching_split_with_the_bundled_model():
    from nn.data.unipen import load_pendigits

    try:
        pen, _ = load_pendigits()
    except DataError as error:
        pytest.skip(str(error))
    numbers = writer_numbers(pen, 300, 3.0, np.random.default_rng(0), TOUCHING)
    reader = NumberReader(load_model(BUNDLED).predict_proba)
    counts = [len(reader.read(number.strokes).groups) == len(number.text) for number in numbers]
    # 97.0% (291); 95.7% before the split could cut a piece of ink between its strokes.
    assert np.mean(counts) >= 0.97


def test_asking_for_more_numbers_than_there_are_digits_says_so():
    with pytest.raises(DataError, match="ask for fewer numbers"):
        held_out_numbers(np.zeros((10, 28, 28), np.float32), np.zeros(10), 5, 3.0,
                         np.random.default_rng(0))


def test_a_second_look_goes_to_each_chosen_digit_once_and_to_the_changed_ones_after():
    looked = []

    def look_again(strokes, probabilities):
        looked.append(len(strokes))
        return np.roll(probabilities, 1)      # a second look that always reads the next digit

    reader = NumberReader(CLASSIFY, look_again)
    strokes = moved(ONE, 0) + moved(FOUR, 0.9) + moved(SEVEN, 1.8)
    first = NumberReader(CLASSIFY).read(strokes)
    reading = reader.read(strokes)
    assert reading.groups == first.groups and len(looked) == 3
    np.testing.assert_array_equal(reading.probabilities, np.roll(first.probabilities, 1, axis=1))
    assert sorted(looked) == [1, 2, 2]            # each digit's own strokes
    reader.read(strokes)
    assert len(looked) == 3                       # nothing changed: nothing read again
    reader.read(strokes + moved(ZERO, 2.7))
    assert looked[3:] == [1]                      # only the new digit
    reader.read([])
    reader.read(strokes)
    assert len(looked) == 7                       # a cleared pad forgets what it looked at
