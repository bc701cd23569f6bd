"""Which strokes are one piece of ink (nn.ink.pieces): crossing or touching, nothing else."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.ink.pieces import CHUNK_ELEMENTS, ink_pieces


def pieces(strokes, distance=0.01):
    paths = [np.asarray(s, dtype=np.float64) for s in strokes]
    low = np.array([p.min(axis=0) for p in paths])
    high = np.array([p.max(axis=0) for p in paths])
    return sorted(sorted(p) for p in ink_pieces(paths, low, high, distance))


def test_strokes_that_cross_are_one_piece():
    assert pieces([[(0, 0), (1, 1)], [(0, 1), (1, 0)]]) == [[0, 1]]


def test_strokes_side_by_side_are_two_pieces():
    assert pieces([[(0, 0), (0, 1)], [(0.5, 0), (0.5, 1)]]) == [[0], [1]]


def test_an_end_on_the_other_stroke_joins_them_and_a_gap_does_not():
    bar = [(0.0, 0.5), (1.0, 0.5)]
    assert pieces([bar, [(0.5, 0.505), (0.5, 1.0)]]) == [[0, 1]]     # 0.005 from the bar
    assert pieces([bar, [(0.5, 0.52), (0.5, 1.0)]]) == [[0], [1]]    # 0.02: a gap


def test_strokes_joined_through_a_third_are_one_piece():
    # The first and last never meet; the middle one crosses both.
    assert pieces([[(0, 0), (0, 1)], [(-0.5, 0.5), (2.5, 0.5)], [(2, 0), (2, 1)]]) == [[0, 1, 2]]


def test_a_crossing_among_more_segments_than_one_block_is_found():
    # Two long zigzags, one above the other, each with a lead past the other's end so that all
    # their segments lie in each other's box: more segment pairs than one block compares. A
    # single dip of the upper one, near the end, crosses the lower one.
    n = 3 * int(np.sqrt(CHUNK_ELEMENTS))
    x = np.linspace(0, 1, n)
    zigzag = 0.05 * (np.arange(n) % 2)
    lower = np.vstack([[-1.0, 0.7], np.column_stack([x, 0.40 + zigzag])])
    upper = np.vstack([np.column_stack([x + 0.5 / n, 0.50 + zigzag]), [2.0, 0.3]])
    assert pieces([lower, upper]) == [[0], [1]]
    upper[n - 40, 1] = 0.3
    assert pieces([lower, upper]) == [[0, 1]]


# Points on a grid of tenths, each moved by its own small irrational amount: Hypothesis would
# otherwise shrink towards strokes that only touch, a vertex of one exactly on a segment of the
# other, where whether they "cross" is a tie of floating-point signs.
grid_strokes = st.lists(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10)), min_size=1, max_size=6),
    min_size=1, max_size=8)


def generic(drawn):
    return [[(x / 10 + 1e-3 * np.sin(7.1 * i + 1.3 * j), y / 10 + 1e-3 * np.cos(3.7 * i + 2.9 * j))
             for j, (x, y) in enumerate(stroke)] for i, stroke in enumerate(drawn)]


@settings(max_examples=200, deadline=None)
@given(grid_strokes, st.randoms(use_true_random=False))
def test_the_pieces_are_a_partition_that_does_not_depend_on_order_or_direction(drawn, rng):
    drawn = generic(drawn)
    found = pieces(drawn)
    assert sorted(i for piece in found for i in piece) == list(range(len(drawn)))
    order = list(range(len(drawn)))
    rng.shuffle(order)
    shuffled = pieces([drawn[i][::-1] for i in order])
    assert sorted(sorted(order[i] for i in piece) for piece in shuffled) == found
