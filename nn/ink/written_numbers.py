"""Whole numbers written by hand, for measuring how well a number pad reads them.

A number is made of MNIST *test* digits (handwriting no model here trains on) turned into
pen strokes by `nn.ink.skeleton`, or of one real writer's pen digits, written side by side on
a line the way people write: the whole number at some height, each digit a little larger or
smaller, a little above or below the line, with gaps that vary from generous to touching.
Coordinates are in units of the pad's height (the pad is `[0, aspect] x [0, 1]`, y down), so
any pad size can replay them.

Two digits written touching and drawn for the network as one input (`touching_pairs`) are also
what a digit reader is taught to be unsure of: they are no one digit, and the Number tab's split
must not take them for one.
"""

from dataclasses import dataclass

import numpy as np

from nn.network.errors import DataError
from nn.ink.skeleton import strokes_of
from nn.ink.strokes import strokes_to_mnist

MIN_DIGITS, MAX_DIGITS = 3, 6
HEIGHT = (0.45, 0.75)      # a number's digit height, of the pad's height
SIZE_JITTER = 0.12         # each digit's height varies by up to this share of the number's
BASELINE_JITTER = 0.06     # each digit's bottom moves up or down by up to this, of the height
GAP = (0.0, 0.40)          # space between two digits' ink, of the digit height
TOUCHING = (0.0, 0.03)     # a number written so tightly that its digits' inks meet
MARGIN = 0.05              # of the pad's height, kept free around the number
PAIR_GAP = (-0.05, 0.10)   # a touching pair: from a little into each other to a little apart


@dataclass(frozen=True)
class WrittenNumber:
    """One number as written: its text, its strokes and which digit each stroke belongs to.

    strokes: list of (k, 2) float arrays of (x, y) points in pad-height units; owner: (s,)
    int array, the position in `text` of the digit each stroke is part of.
    """

    text: str
    strokes: list
    owner: np.ndarray


def held_out_numbers(images, labels, count, aspect, rng, gap=GAP):
    """`count` numbers of MIN_DIGITS..MAX_DIGITS digits picked at random from `images`.

    images: (m, 784) or (m, 28, 28) floats in [0, 1] (MNIST test digits), labels: (m,); each
    digit is used once. A digit whose centre lines cannot be found (no ink) is left out of its
    number. Returns a list of WrittenNumber, each fitting a pad `aspect` times as wide as high,
    its digits `gap` apart (see `write_number`).
    """
    lengths = rng.integers(MIN_DIGITS, MAX_DIGITS + 1, count)
    if lengths.sum() > len(images):
        raise DataError(f"{count:,} numbers need {lengths.sum():,} digits, but there are only "
                        f"{len(images):,}: ask for fewer numbers.")
    chosen = rng.choice(len(images), int(lengths.sum()), replace=False)
    strokes = strokes_of(np.asarray(images)[chosen])
    numbers, start = [], 0
    for length in lengths:
        picked = [i for i in range(start, start + length) if strokes[i]]
        start += length
        digits = [strokes[i] for i in picked]
        text = "".join(str(int(labels[chosen[i]])) for i in picked)
        numbers.append(write_number(text, digits, aspect, rng, gap))
    return numbers


def writer_numbers(digits, count, aspect, rng, gap=GAP):
    """`count` numbers of MIN_DIGITS..MAX_DIGITS digits, each written by one person.

    digits: pen digits with `strokes` (per digit, a sequence of (k, 2) point arrays, y down),
    `labels` (n,) and `writers` (n,) (`nn.data.unipen.PenDigits`). Each number's writer is
    drawn at random and its digits from that writer's, each digit used once. Returns a list of
    WrittenNumber fitting a pad `aspect` times as wide as high, its digits `gap` apart.
    """
    writers = np.asarray(digits.writers)
    unused = {int(w): list(rng.permutation(np.flatnonzero(writers == w)))
              for w in np.unique(writers)}
    numbers = []
    for length in rng.integers(MIN_DIGITS, MAX_DIGITS + 1, count):
        able = [w for w, left in unused.items() if len(left) >= length]
        if not able:
            raise DataError(f"{count:,} numbers need more digits than the {len(writers):,} "
                            f"pen digits hold: ask for fewer numbers.")
        writer = unused[able[rng.integers(len(able))]]
        picked = [writer.pop() for _ in range(length)]
        text = "".join(str(int(digits.labels[i])) for i in picked)
        numbers.append(write_number(text, [list(digits.strokes[i]) for i in picked], aspect,
                                    rng, gap))
    return numbers


def write_number(text, digits, aspect, rng, gap=GAP):
    """Put digits (each a list of (k, 2) stroke arrays, any unit) side by side on a pad, the
    space between two digits' ink drawn uniformly from `gap` (low, high), of the digit height.

    Returns a WrittenNumber whose ink fits `[MARGIN, aspect - MARGIN] x [MARGIN, 1 - MARGIN]`.
    """
    height = rng.uniform(*HEIGHT)
    strokes, owner, right = [], [], 0.0
    for position, digit in enumerate(digits):
        points = np.concatenate(digit)
        low, high = points.min(axis=0), points.max(axis=0)
        size = height * (1 + rng.uniform(-SIZE_JITTER, SIZE_JITTER))
        scale = size / max(float(high[1] - low[1]), 1e-9)
        bottom = 1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * height
        left = right + (rng.uniform(*gap) * height if position else 0.0)
        offset = np.array([left, bottom - size]) - low * scale
        strokes += [np.asarray(s, dtype=np.float64) * scale + offset for s in digit]
        owner += [position] * len(digit)
        right = left + float(high[0] - low[0]) * scale
    # Fit the whole line into the pad, keeping its shape, and centre it.
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    room = np.array([aspect, 1.0]) - 2 * MARGIN
    fit = min(1.0, *(room / np.maximum(high - low, 1e-9)))
    centre = np.array([aspect, 1.0]) / 2
    strokes = [(s - (low + high) / 2) * fit + centre for s in strokes]
    return WrittenNumber(text, strokes, np.array(owner))


def touching_pairs(digits, count, rng):
    """`count` inputs of two random `digits` (each a list of (k, 2) strokes; never one twice)
    side by side `PAIR_GAP` apart and drawn as one, as the pad draws a drawing for the network:
    (count, 784) float32."""
    images = np.empty((count, 784), np.float32)
    for i in range(count):
        a, b = rng.choice(len(digits), 2, replace=False)
        pair = write_number("00", [digits[a], digits[b]], 3.0, rng, PAIR_GAP)
        images[i] = strokes_to_mnist(pair.strokes).ravel()
    return images
