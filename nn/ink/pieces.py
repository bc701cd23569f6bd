"""Which strokes make one piece of ink: those that cross, or where one ends on another.

A pen lifted and put down again on the ink it drew continues the same piece: the crossbar of
a 7, the two strokes of a 4, a 5's bar drawn from its body. `ink_pieces` finds these pieces
among a drawing's strokes with two exact tests on their polylines, an end of one within a
distance of the other (`_near`) and a segment of each crossing a segment of the other
(`_cross`), and compares only strokes whose boxes come close, so that the cost follows the
strokes that lie near each other, not all pairs.
"""

import numpy as np

CHUNK_ELEMENTS = 1 << 16   # segment pairs compared at a time when looking for crossings


def ink_pieces(paths, low, high, distance):
    """The strokes joined into pieces of ink: a list of lists of stroke indices, each index in
    exactly one list.

    paths: list of (k, 2) float arrays, each stroke's points (x, y); low, high: (n, 2), each
    stroke's smallest and largest x and y; distance: how close an end of one stroke must come
    to another to join them. Strokes already joined through others are not compared again.
    """
    piece = list(range(len(paths)))   # union-find of the strokes joined so far

    def root(i):
        while piece[i] != i:
            piece[i] = piece[piece[i]]
            i = piece[i]
        return i

    active = []
    for s in np.argsort(low[:, 0], kind="stable"):
        active = [a for a in active if high[a, 0] + distance >= low[s, 0]]
        for a in active:
            if (root(a) != root(s)
                    and low[s, 1] - distance <= high[a, 1] and low[a, 1] - distance <= high[s, 1]
                    and (_near(paths[s][[0, -1]], paths[a], distance)
                         or _near(paths[a][[0, -1]], paths[s], distance)
                         or _cross(paths[a], paths[s]))):
                piece[root(a)] = root(s)
        active.append(s)
    pieces = {}
    for i in range(len(paths)):
        pieces.setdefault(root(i), []).append(i)
    return list(pieces.values())


def _near(points, path, distance):
    """Whether any of points (k, 2) lies within `distance` of the polyline path (m, 2)."""
    start = path[:-1] if len(path) > 1 else path
    step = np.diff(path, axis=0) if len(path) > 1 else np.zeros((1, 2))
    along = ((points[:, None] - start) * step).sum(axis=2) / np.maximum(
        (step ** 2).sum(axis=1), 1e-300)
    nearest = start + np.clip(along, 0.0, 1.0)[..., None] * step             # (k, m - 1, 2)
    return bool((np.hypot(*(nearest - points[:, None]).transpose(2, 0, 1)) <= distance).any())


def _cross(a, b):
    """Whether the polylines a (m, 2) and b (k, 2) cross: a segment of each on either side
    of the other's line. Only the segments inside the other's box are compared."""
    a_start, a_step = _segments_within(a, b)
    b_start, b_step = _segments_within(b, a)

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    # A block of a's segments at a time against all of b's: memory stays bounded.
    block = max(1, CHUNK_ELEMENTS // max(len(b_start), 1))
    for i in range(0, len(a_start), block):
        start, step = a_start[i:i + block, None], a_step[i:i + block, None]
        gap = b_start[None] - start                                          # (p, q, 2)
        # b's ends on either side of a's segment, and a's ends on either side of b's.
        b_sides = cross(step, gap) * cross(step, gap + b_step[None])
        a_sides = cross(b_step[None], -gap) * cross(b_step[None], step - gap)
        if ((b_sides < 0) & (a_sides < 0)).any():
            return True
    return False


def _segments_within(path, other):
    """The segments (starts (p, 2), steps (p, 2)) of `path` that reach into `other`'s box."""
    low, high = other.min(axis=0), other.max(axis=0)
    start, end = path[:-1], path[1:]
    inside = ((np.minimum(start, end) <= high) & (np.maximum(start, end) >= low)).all(axis=1)
    return start[inside], (end - start)[inside]
