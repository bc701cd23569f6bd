"""Real writers' digits as training examples, and figures that never score a writer seen
in training.

A model that has seen a person's digits reads that person's other digits better than anyone
else's: the same hand makes the same 4. So every figure on real handwriting here is
*writer-independent*: the writers are split into folds, a model is trained without one fold's
writers and scored only on them, and each writer is scored exactly once, by a model that never
saw them. The digits are drawn for the network by `nn.ink.strokes.strokes_to_mnist`, the very
path the drawing pad takes.

A run on pen digits is also taught what is *not* one digit: two digits written touching and drawn
as one input (`nn.ink.written_numbers.touching_pairs`), labelled `nn.network.losses.NONE`. A
reader sure that such a pair is an 8 makes the Number tab read "18" as "8"; one taught to be unsure
of pairs lets the split part them.
"""

import dataclasses

import numpy as np

from nn.ink.redraw import with_redrawn
from nn.ink.skeleton import strokes_of
from nn.ink.stroke_augment import distort_strokes
from nn.ink.strokes import strokes_to_mnist
from nn.ink.world_styles import STYLES, restyle, styled
from nn.ink.written_numbers import touching_pairs
from nn.network.errors import SettingError
from nn.network.losses import NONE

FOLDS = 5
FOLD_SEED = 0
PAIR_SHARE = 1 / 16  # touching pairs added, of the other training examples
TRACED_FOR_PAIRS = 12_000  # MNIST digits traced for them: each used about once


def writer_folds(writers, folds=FOLDS, seed=FOLD_SEED):
    """Split the distinct writer ids of ``writers`` ((n,) ints) into ``folds`` groups.

    Returns a list of ``folds`` sorted int64 arrays of writer ids; every writer is in exactly
    one. The writers are shuffled with ``seed`` first, so a fold is no particular kind of
    writer (ids were given in the order people came).
    """
    ids = np.unique(np.asarray(writers, dtype=np.int64))
    if len(ids) < 2:   # every writer must be read by a model trained on others
        writers = "1 writer" if len(ids) == 1 else f"{len(ids)} writers"
        raise SettingError(f"The pen digits are of {writers}; measuring by writer needs pen "
                           f"digits of 2 writers or more.")
    if not 2 <= folds <= len(ids):
        raise SettingError(f"{len(ids)} writers cannot be split into {folds} folds; choose 2 to "
                           f"{len(ids)} folds, or pen digits of more writers.")
    order = np.random.default_rng(seed).permutation(ids)
    return [np.sort(order[k::folds]) for k in range(folds)]


def pen_images(digits):
    """The network's inputs for pen digits (`nn.data.unipen.PenDigits`): (n, 784) float32."""
    return np.stack([strokes_to_mnist(strokes).ravel() for strokes in digits.strokes])


def pen_examples(digits, copies, rng):
    """Training examples from pen digits: each digit as written plus ``copies`` rewritten
    copies (`distort_strokes`), a share of them written in a style of the world that these
    writers may not use (`nn.ink.world_styles.restyle`: slashed zeros, crossed 7s...).
    Returns x ((n * (1 + copies), 784) float32) and y (int64)."""
    x = [pen_images(digits)]
    for _ in range(copies):
        x.append(np.stack([
            strokes_to_mnist(distort_strokes(restyle(strokes, label, rng), rng)).ravel()
            for strokes, label in zip(digits.strokes, digits.labels)]))
    return np.concatenate(x), np.tile(digits.labels, 1 + copies)


def traced_digits(images, count, rng):
    """The centre lines (`nn.ink.skeleton`) of ``count`` random ones of MNIST ``images``
    ((n, 784)): a list of stroke lists, digits without any left out."""
    chosen = rng.choice(len(images), min(count, len(images)), replace=False)
    return [strokes for strokes in strokes_of(images[chosen]) if strokes]


def pair_examples(count, traced, digits, rng):
    """``count`` touching pairs, half of two random ``traced`` digits (stroke lists), half of
    two random pen ``digits``: x ((count, 784) float32) and y, all `NONE`. A source of fewer
    than two digits makes no pairs."""
    sources = [s for s in (traced, [list(d) for d in digits.strokes]) if len(s) >= 2]
    shares = [count // len(sources) + (k < count % len(sources)) for k in range(len(sources))]
    x = [touching_pairs(source, share, rng) for source, share in zip(sources, shares)]
    x = np.concatenate(x) if x else np.empty((0, 784), np.float32)
    return x, np.full(len(x), NONE, dtype=np.int64)


def with_pen_digits(x, y, digits, copies, traced, rng):
    """Training images x ((n, 784) float32) and labels y with `pen_examples` of ``digits`` and
    `pair_examples` (PAIR_SHARE of all the others, from ``traced`` MNIST digits and ``digits``)
    appended; the order does not matter, as training shuffles."""
    px, py = pen_examples(digits, copies, rng)
    nx, ny = pair_examples(round(PAIR_SHARE * (len(x) + len(px))), traced, digits, rng)
    return np.concatenate([x.reshape(len(x), -1), px, nx]), np.concatenate([y, py, ny])


def from_mnist(x, y, config, rng):
    """What a run on pen digits takes from MNIST, the same for every writer fold: the training
    images x ((n, 784) float32) and labels y with ``config.redraw`` of them redrawn
    (`nn.ink.redraw`), the `traced_digits` its pairs are made of (drawn with ``rng``), and
    config asking ``train`` to redraw nothing more. Returns (x, y, traced, config).

    Pen digits join after this: they are drawn by the pad's own renderer already, and redrawing
    them again would only cost time.
    """
    traced = traced_digits(x.reshape(len(x), -1), TRACED_FOR_PAIRS, rng)
    if config.redraw:
        x, y = with_redrawn(x, y, config.redraw, np.random.default_rng(config.seed))
    return x, y, traced, dataclasses.replace(config, redraw=0.0)


def pen_training_set(x, y, digits, copies, config):
    """The training set of a run on MNIST and pen digits: `from_mnist`, then
    `with_pen_digits`, its traced pairs made of MNIST's own digits. Returns (x, y, config)."""
    rng = np.random.default_rng(config.seed)
    x, y, traced, config = from_mnist(x, y, config, rng)
    x, y = with_pen_digits(x, y, digits, copies, traced, rng)
    return x, y, config


def style_counts(model, digits, rng):
    """{style name: (read right, digits)}: each of ``digits`` whose label has a style of
    `nn.ink.world_styles.STYLES`, written in that style and read by ``model``."""
    counts = {}
    for style in STYLES:
        mine = np.isin(digits.labels, style.digits)
        images = [strokes_to_mnist(styled(strokes, style, rng)).ravel()
                  for strokes, keep in zip(digits.strokes, mine) if keep]
        right = (np.count_nonzero(model.predict(np.stack(images)) == digits.labels[mine])
                 if images else 0)
        counts[style.name] = (int(right), len(images))
    return counts


def scores(predicted, labels, writers):
    """Accuracy overall, per digit (0-9) and per writer, as plain floats for reports."""
    right = np.asarray(predicted) == np.asarray(labels)
    return {
        "overall": float(right.mean()),
        "per_digit": {int(d): float(right[labels == d].mean()) for d in np.unique(labels)},
        "per_writer": {int(w): float(right[writers == w].mean()) for w in np.unique(writers)},
    }
