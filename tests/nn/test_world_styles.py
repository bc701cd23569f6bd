"""Styles of the world added to pen digits: a slashed 0, a crossed 7, a 1 with a foot or a flag,
any digit with a lead-in or a joining tail."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nn.data.unipen import PenDigits
from nn.ink.strokes import strokes_to_mnist
from nn.ink.world_styles import STYLES, restyle, styled
from nn.training.writers import style_counts

STYLE = {s.name: s for s in STYLES}
t = np.linspace(0, 2 * np.pi, 40)
ZERO = [np.stack([50 + 20 * np.sin(t), 50 - 32 * np.cos(t)], axis=1)]   # an oval, 40 x 64
SEVEN = [np.array([[30.0, 20.0], [70.0, 20.0], [45.0, 90.0]])]           # bar, then stem
ONE = [np.array([[50.0, 10.0], [50.0, 90.0]])]


def test_a_slashed_zero_is_the_oval_and_a_line_through_it_corner_to_corner():
    for seed in range(20):
        strokes = styled(ZERO, STYLE["slashed 0"], np.random.default_rng(seed))
        np.testing.assert_array_equal(strokes[0], ZERO[0])
        (slash,) = strokes[1:]
        width, height = np.ptp(slash, axis=0)
        assert width >= 40 and height >= 60, "from one corner of the oval to the other"
        start, end = slash[0], slash[-1]
        along = end - start
        to_middle = np.array([50, 50]) - start
        off_line = abs(along[0] * to_middle[1] - along[1] * to_middle[0]) / np.hypot(*along)
        assert off_line < 6, "through the oval's middle"


def test_a_crossed_seven_has_its_bar_across_the_stem_and_a_one_its_flag_at_the_top():
    (stem_start, stem_end) = SEVEN[0][1:]
    for seed in range(20):
        rng = np.random.default_rng(seed)
        *_, bar = styled(SEVEN, STYLE["crossed 7"], rng)
        y = bar[0, 1]
        assert np.allclose(bar[:, 1], y) and 45 < y < 70, "level, about half-way down"
        stem_x = stem_start[0] + (y - stem_start[1]) / (stem_end[1] - stem_start[1]) * (
            stem_end[0] - stem_start[0])
        assert bar[0, 0] < stem_x < bar[-1, 0], "across the stem"
        flag, one = styled(ONE, STYLE["1 with a long flag"], rng)
        np.testing.assert_array_equal(flag[-1], [50, 10])
        assert flag[0, 0] < 50 and flag[0, 1] > 10, "drawn from below left up to the top"
        one, foot = styled(ONE, STYLE["1 with a foot"], rng)
        assert np.allclose(foot[:, 1], 90) and foot[0, 0] < 50 < foot[-1, 0]


def test_a_lead_in_and_a_tail_run_on_the_first_and_last_strokes_as_joined_writing_does():
    rng = np.random.default_rng(3)
    (led,) = styled(SEVEN, STYLE["with a lead-in"], rng)
    np.testing.assert_array_equal(led[-3:], SEVEN[0])
    assert led[0, 0] < 30 and led[0, 1] > 20, "from below left of where the 7 starts"
    (tailed,) = styled(SEVEN, STYLE["with a joining tail"], rng)
    np.testing.assert_array_equal(tailed[:3], SEVEN[0])
    assert tailed[-1, 0] > 45 + 10 and tailed[-1, 1] <= 90, "on to the right, not down"


def test_restyle_writes_some_copies_in_a_style_and_adds_a_digit_s_own_strokes_only_to_it():
    rng = np.random.default_rng(0)
    zeros = [restyle(ZERO, 0, rng) for _ in range(200)]
    slashed = sum(len(z) == 2 for z in zeros)
    assert 15 < slashed < 80, "a share of them, not all or none"
    assert sum(len(z[0]) == len(ZERO[0]) for z in zeros) > 80, "many keep their first stroke"
    sevens = [restyle(SEVEN, 7, rng) for _ in range(200)]
    assert 15 < sum(len(z) == 2 for z in sevens) < 80, "crossed"
    assert all(len(restyle(SEVEN, 3, rng)) == 1 for _ in range(200)), "a 3 is never crossed"
    assert all(len(restyle(ZERO, 8, rng)) == 1 for _ in range(200)), "nor an 8 slashed"


@settings(max_examples=60, deadline=None)
@given(st.lists(arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)),
                       elements=st.floats(-1e3, 1e3)), min_size=1, max_size=3),
       st.sampled_from(STYLES), st.integers(0, 2**32 - 1))
def test_any_digit_written_in_any_style_gains_finite_ink_and_keeps_its_own_strokes(
        strokes, style, seed):
    before = [s.copy() for s in strokes]
    out = styled(strokes, style, np.random.default_rng(seed))
    assert all(s.shape[1] == 2 and np.isfinite(s).all() for s in out)
    points = sum(len(s) for s in strokes)
    if style.digits == tuple(range(10)):    # joined to the first or the last stroke
        assert len(out) == len(strokes) and sum(len(s) for s in out) > points
    else:                                   # a stroke of its own
        assert len(out) == len(strokes) + 1
    for a, b in zip(before, strokes):
        np.testing.assert_array_equal(a, b)


def test_style_counts_read_every_digit_of_a_style_in_that_style():
    class AlwaysZero:
        """Answers 0 to everything, and keeps what it was shown."""

        def __init__(self):
            self.shown = []

        def predict(self, images):
            self.shown.append(images.reshape(-1, 28, 28))
            return np.zeros(len(images), int)

    digits = PenDigits((ZERO, ZERO, SEVEN), np.array([0, 0, 7]), np.array([1, 1, 1]))
    reader = AlwaysZero()
    counts = style_counts(reader, digits, np.random.default_rng(0))
    assert counts == {"slashed 0": (2, 2), "crossed 7": (0, 1), "1 with a foot": (0, 0),
                      "1 with a long flag": (0, 0), "with a lead-in": (2, 3),
                      "with a joining tail": (2, 3)}
    plain = strokes_to_mnist(ZERO)
    slashed = reader.shown[0]
    assert all(np.abs(image - plain).sum() > 20 for image in slashed), "zeros shown slashed"
