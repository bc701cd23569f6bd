"""Split the ink of a number written on a pad into its digits by reading it.

Rules alone cannot tell a 4 written in two strokes from "11", or a 7 with a crossbar from "7-":
the upright of a 4 *is* a fine 1. So the classifier takes part in the split (segmentation by
recognition, as in LeCun, Bottou, Bengio and Haffner 1998, on reading digit strings): every
plausible way of cutting the ink into digits is read, and the cut that reads best wins.

1. Atoms. Strokes that cross, or where one ends on the other (within TOUCH x H), are one piece
   of ink (`nn.ink.pieces`). Pieces that clearly overlap sideways belong to one digit,
   whatever they look like: a 4's upright over its angle, a 7's crossbar, a 5's bar over its
   body. Two overlap clearly when they share at least JOIN_AT (half) of the narrower one's
   width; a very narrow one (under NARROW x H, H being the height of the whole line of ink: a
   "1", a dot) has no width to share, so its centre must lie INSIDE x H or more within the
   other. A sweep from left to right joins each piece to the atom it overlaps most; atoms are
   then ordered by their centres. Ink of two digits that merely come close stays in two
   atoms: whether it is one digit is for the reading to say.
   Digits written so close that their strokes touch or cross are one piece, though. So an
   atom of 2 to CUT_STROKES strokes that is wider than CUT_AT x H (wider than most digits)
   may also be cut in two: its strokes, ordered by their centres, split between any two of
   them. (A scribble of more strokes is not cut: reading its cuts would take work that grows
   with the square of its strokes.)
2. Candidates. Every run of 1 to MAX_PARTS consecutive parts that is no wider than
   MAX_WIDTH x H is a candidate digit: the parts are the atoms, and at either end of a run
   the side of a cut atom. Their number grows in step with the strokes.
3. Scores. Each candidate is drawn for the network (`nn.ink.strokes.strokes_to_mnist`, the path
   of the Draw tab) and all are read in one call of the classifier. A candidate scores the log
   probability of its likeliest digit, less what makes it unlike one digit of this number:
   GAP_COST per H of empty space between its parts, WIDE_COST per H of width beyond
   WIDE_AT x H (two digits side by side), LOW_COST per H of height below LOW_AT x H (the
   digits of a number are about as tall as each other, so a low candidate is a piece of one:
   the network reads the upright of a 4 as a sure 1, but it is lower than the line), and
   SHORT_COST with less than SHORT x H of ink (a dot, a tap). A candidate that ends at a cut
   pays CUT_COST: two digits that touch are rarer than two that do not.
4. Path. The grouping of the parts, left to right, whose scores add up to the most is found by
   dynamic programming over the line's nodes (the edges between atoms and the cuts inside
   them): best[j] = max over candidates from node i to node j of best[i] + score.

The costs were chosen on numbers written from MNIST *training* digits and from the pen digits
of 18 of the 30 writers (`nn.training.writers.writer_folds` folds 0-2), read by a model trained
on MNIST only; CUT_AT and CUT_COST on numbers of MNIST training digits written with these
gaps and with gaps of at most 3% of their height (touching), read by the bundled model.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nn.ink.pieces import ink_pieces
from nn.ink.strokes import drawn_paths, strokes_to_mnist

JOIN_AT = 0.5      # overlap, as a share of the narrower one's width, that makes one atom
NARROW = 0.15      # of H: a piece narrower than this joins only with its centre...
INSIDE = 0.08      # ...this far inside the other
TOUCH = 0.01       # of H: a stroke's end this close to another stroke joins them
MAX_PARTS = 4      # atoms one digit may be made of
MAX_WIDTH = 1.6    # of H: no digit is wider
GAP_COST = 20.0    # per H of empty space between the parts of one digit
WIDE_AT, WIDE_COST = 0.8, 5.0   # per H of width beyond WIDE_AT x H
LOW_AT, LOW_COST = 0.7, 20.0    # per H of height below LOW_AT x H
SHORT, SHORT_COST = 0.3, 6.0    # a digit with less than SHORT x H of ink pays SHORT_COST
FLOOR = 1e-6       # probabilities are read as at least this, so a log stays finite
MAX_LINE_RATIO = 1000.0    # H is at least this share of the ink's extent
CUT_AT = 0.9       # of H: an atom of 2..CUT_STROKES strokes wider than this may be two
CUT_STROKES = 12   # digits, cut in two between its strokes...
CUT_COST = 2.0     # ...for this much


@dataclass(frozen=True)
class Reading:
    """The digits found in a number's strokes, left to right.

    groups: list of sorted lists of stroke indices, one per digit; images: (g, 28, 28)
    float32, each digit as the network saw it; probabilities: (g, 10) float, the classifier's
    answer for each.
    """

    groups: list
    images: np.ndarray
    probabilities: np.ndarray


class NumberReader:
    """Reads numbers with one classifier, remembering what it read.

    classify: a callable taking images (n, 28, 28) float32 and returning probabilities (n, 10).
    look_again: None, or a callable taking a digit's strokes and its probabilities and
    returning the probabilities after a second look (`nn.ink.second_look`), which the digits
    of the chosen split get.
    Between two calls of `read` the strokes mostly stay the same (the pad only adds, removes or
    clears strokes), so the candidates already read are kept, keyed by their strokes, and a
    pen-up draws and reads only the candidates with the new stroke. Only the candidates of the
    last reading are kept: memory stays in step with the strokes.
    """

    def __init__(self, classify, look_again=None):
        self._classify, self._look_again = classify, look_again
        self._known = {}   # candidate's strokes (tuple of bytes) -> (image, probabilities)
        self._looked = {}  # a chosen digit's strokes -> its probabilities after a second look

    def read(self, strokes):
        """Split `strokes` into digits and read them; returns a `Reading`.

        strokes: a sequence of strokes, each a sequence of (x, y) points (y down, any unit); a
        stroke of one point is a dot. As in `strokes_to_mnist`, points that are not finite are
        ignored; a stroke left without points belongs to no digit.
        """
        drawn, paths = drawn_paths(strokes)
        if not paths:
            self._known, self._looked = {}, {}
            return Reading([], np.zeros((0, 28, 28), np.float32), np.zeros((0, 10)))
        # The geometry on the strokes scaled into [-1, 1] by a power of two, which is exact: no
        # distance between huge coordinates overflows, and no other drawing changes at all.
        exponent = np.frexp(max(float(np.abs(p).max()) for p in paths))[1]
        shapes = [np.ldexp(p, -exponent) for p in paths]
        low = np.array([p.min(axis=0) for p in shapes])     # (n, 2): each stroke's box
        high = np.array([p.max(axis=0) for p in shapes])
        atoms, line = _atoms(shapes, low, high)
        candidates, last = _candidates(shapes, low, high, atoms, line)
        names = [p.tobytes() for p in paths]
        keys = [tuple(names[i] for i in c.strokes) for c in candidates]
        known = {key: self._known[key] for key in keys if key in self._known}
        new = list(dict.fromkeys(key for key in keys if key not in known))
        if new:
            strokes_of = {key: c.strokes for key, c in zip(keys, candidates)}
            images = np.stack([strokes_to_mnist([paths[i] for i in strokes_of[key]])
                               for key in new])
            probabilities = np.asarray(self._classify(images), dtype=np.float64)
            known.update(zip(new, zip(images, probabilities)))
        self._known = known
        sure = np.array([np.log(max(float(known[key][1].max()), FLOOR)) for key in keys])
        chosen = _best_path(candidates, sure + np.array([c.prior for c in candidates]), last)
        probabilities = [known[keys[k]][1] for k in chosen]
        if self._look_again is not None:
            looked = {}
            for k, p in zip(chosen, probabilities):
                if keys[k] not in self._looked:   # a digit read again only when it changed
                    self._looked[keys[k]] = self._look_again(
                        [paths[i] for i in candidates[k].strokes], p)
                looked[keys[k]] = self._looked[keys[k]]
            self._looked = looked
            probabilities = [looked[keys[k]] for k in chosen]
        return Reading([[drawn[i] for i in candidates[k].strokes] for k in chosen],
                       np.stack([known[keys[k]][0] for k in chosen]), np.stack(probabilities))


def split_digits(strokes, classify):
    """Group a number's strokes into digits read by `classify` (see `NumberReader`); returns
    a list of sorted lists of stroke indices, left to right ([] when there are no strokes)."""
    return NumberReader(classify).read(strokes).groups


@dataclass(frozen=True)
class _Candidate:
    start: int        # the node it starts at
    stop: int         # the node it ends at
    strokes: tuple    # sorted stroke indices
    prior: float      # everything in its score but the classifier's log probability


def _atoms(paths, low, high):
    """Join the strokes that are joined or clearly overlap sideways; returns (atoms, H): atoms
    as lists of stroke indices, ordered by their centres, and the line's height H. low, high:
    (n, 2), each stroke's smallest and largest x and y."""
    line = float(high[:, 1].max() - low[:, 1].min()) or float((high - low).max()) or 1.0
    # Costs are counted per H: a line of ink a million times wider than high (a flat scribble)
    # would make them infinite, and then no way of reading it would be left.
    line = max(line, float((high.max(axis=0) - low.min(axis=0)).max()) / MAX_LINE_RATIO)
    # Joined strokes first (crossing, or one ending on the other): one piece of ink.
    pieces = ink_pieces(paths, low, high, TOUCH * line)
    left = np.array([low[p, 0].min() for p in pieces])
    right = np.array([high[p, 0].max() for p in pieces])
    # Then pieces that overlap clearly, in a sweep from left to right.
    atoms, atom_left, atom_right = [], [], []
    active = []   # the atoms reaching past the last piece's left edge: only they can overlap
    for s in np.argsort(left, kind="stable"):
        active = [a for a in active if atom_right[a] >= left[s]]
        best, best_share = None, 0.0
        for a in active:
            share = _clear_overlap(left[s], right[s], atom_left[a], atom_right[a], line)
            if share > best_share:
                best, best_share = a, share
        if best is None:
            active.append(len(atoms))
            atoms.append(list(pieces[s]))
            atom_left.append(left[s])
            atom_right.append(right[s])
        else:
            atoms[best] += pieces[s]
            atom_right[best] = max(atom_right[best], right[s])
    order = np.argsort((np.array(atom_left) + np.array(atom_right)) / 2, kind="stable")
    return [sorted(atoms[a]) for a in order], line


def _clear_overlap(left_a, right_a, left_b, right_b, line):
    """How clearly two horizontal extents overlap: a positive share when they do (see the
    module's docstring), 0 when they do not."""
    overlap = min(right_a, right_b) - max(left_a, left_b)
    narrower = min(right_a - left_a, right_b - left_b)
    if narrower < NARROW * line:
        # The narrower one's centre, this deep inside the other.
        if right_a - left_a <= right_b - left_b:
            centre, left, right = (left_a + right_a) / 2, left_b, right_b
        else:
            centre, left, right = (left_b + right_b) / 2, left_a, right_a
        depth = min(centre - left, right - centre)
        return 1.0 + depth / line if depth >= INSIDE * line else 0.0
    share = overlap / narrower
    return share if share >= JOIN_AT else 0.0


class _Part(NamedTuple):
    """One atom, or one side of a cut atom: what a candidate digit is made of."""

    left: float
    top: float
    right: float
    bottom: float
    ink: float        # length of its strokes
    strokes: list     # stroke indices
    stop: int         # the node it ends at
    is_cut: bool      # it ends at a cut inside an atom


def _candidates(paths, low, high, atoms, line):
    """Every way of taking 1..MAX_PARTS consecutive parts of the line as one digit, with its
    prior; returns (candidates, the number of the line's last node).

    The parts are the atoms and, for a wide atom of several strokes, its two sides at each
    cut. The line's nodes, numbered left to right, are the edges between atoms and the cuts
    inside them: a candidate runs from one node to another. It may start with the right side
    of a cut atom and end with the left side of one, but not both within the same atom.
    """
    ink = np.array([np.hypot(*np.diff(p, axis=0).T).sum() for p in paths])
    middle = (low[:, 0] + high[:, 0]) / 2

    def part(strokes, stop, is_cut):
        return _Part(*low[strokes].min(axis=0), *high[strokes].max(axis=0),
                     ink[strokes].sum(), list(strokes), stop, is_cut)

    leaving = []   # per node, the parts that start there
    for atom in atoms:
        # The atom starts at `node`; its cut k (k strokes on the left) is node + k, and it
        # ends at `after`: the whole atom and each left side start at `node`, each right
        # side at its cut.
        node = len(leaving)
        wide = np.ptp(np.r_[low[atom, 0], high[atom, 0]]) > CUT_AT * line
        cuts = range(1, len(atom)) if wide and len(atom) <= CUT_STROKES else ()
        after = node + 1 + len(cuts)
        ordered = sorted(atom, key=lambda i: middle[i])
        leaving.append([part(atom, after, False)])
        leaving[node] += [part(ordered[:k], node + k, True) for k in cuts]
        leaving += [[part(ordered[k:], after, False)] for k in cuts]
    leaving.append([])   # the last node
    candidates = []
    for start in range(len(leaving)):
        runs = [()]   # the runs of parts from `start` that a longer run may extend
        for _ in range(MAX_PARTS):
            longer = []
            for run in runs:
                for extended in (run + (p,) for p in leaving[run[-1].stop if run else start]):
                    prior = _prior(extended, line)
                    if prior is None:
                        continue   # too wide for one digit, and a longer run is wider still
                    strokes = tuple(sorted(i for p in extended for i in p.strokes))
                    candidates.append(_Candidate(start, extended[-1].stop, strokes, prior))
                    if not extended[-1].is_cut:
                        longer.append(extended)
            runs = longer
    return candidates, len(leaving) - 1


def _prior(parts, line):
    """Everything in the score of a candidate made of `parts` but the classifier's log
    probability (see the module's docstring); None when it is too wide to be one digit."""
    left, right = min(p.left for p in parts), max(p.right for p in parts)
    if len(parts) > 1 and (right - left) / line > MAX_WIDTH:
        return None
    top, bottom = min(p.top for p in parts), max(p.bottom for p in parts)
    # Empty space between the parts, scanning them from left to right.
    ordered = sorted((p.left, p.right) for p in parts)
    reach, gap = ordered[0][1], 0.0
    for next_left, next_right in ordered[1:]:
        gap = max(gap, next_left - reach)
        reach = max(reach, next_right)
    width, height = (right - left) / line, (bottom - top) / line
    return -(GAP_COST * gap / line + WIDE_COST * max(0.0, width - WIDE_AT)
             + LOW_COST * max(0.0, LOW_AT - height)
             + SHORT_COST * (sum(p.ink for p in parts) < SHORT * line)
             + CUT_COST * parts[-1].is_cut)


def _best_path(candidates, scores, count):
    """Indices of the candidates that lead from node 0 to node `count` with the best total."""
    best = np.full(count + 1, -np.inf)
    best[0] = 0.0
    came_from = [None] * (count + 1)
    # Candidates come ordered by their first node, so every best[start] is final when used.
    for k, candidate in enumerate(candidates):
        total = best[candidate.start] + scores[k]
        if total > best[candidate.stop]:
            best[candidate.stop], came_from[candidate.stop] = total, k
    chosen, end = [], count
    while end > 0:
        chosen.append(came_from[end])
        end = candidates[came_from[end]].start
    return chosen[::-1]
