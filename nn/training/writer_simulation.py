"""Does fine-tuning learn *you*? Each real pen writer plays the user, with a model that
never saw them.

For every writer of the pen digits (`nn.data.unipen`): two of their drawings of each digit (20)
are the corrections they give the My Handwriting tab; `nn.training.finetune.fine_tune` learns
them exactly as the tab does; their *other* digits are then read before and after. The model
must never have seen the writer: either one model trained without any pen writer (MNIST only),
or one model per writer fold (`nn.training.writers.writer_folds`), each trained without its
fold's writers. A fine-tuning must not make the model worse for anyone else, so each one is
also measured on the other writers that model never saw and on the MNIST test set.
"""

import time

import numpy as np

from nn.training.finetune import FineTuneSettings, fine_tune
from nn.training.head import FeatureCache, head_scores

CORRECTIONS_PER_DIGIT = 2


def corrections(labels, rng, per_digit=CORRECTIONS_PER_DIGIT):
    """Indices into ``labels`` ((n,) one writer's digits): ``per_digit`` of each digit drawn
    at random, in the order 0, 0, 1, 1, ..."""
    return np.concatenate([rng.choice(np.flatnonzero(labels == d), per_digit, replace=False)
                           for d in np.unique(labels)])


def simulate(groups, pen, pen_x, mnist, settings=FineTuneSettings(), players=None, seed=0,
             on_writer=None):
    """Play the writers of ``groups`` as the user.

    groups: list of (model, writer ids) pairs, the model never trained on those writers;
    pen: `PenDigits`; pen_x: their images (n, 784) (`nn.training.writers.pen_images`);
    mnist: a `Split`; players: how many writers of each group play the user (None: all; the
    others of the group are measured all the same). ``on_writer`` receives each writer's
    record as it is done.

    Returns one record per writer: writer, corrections, before / after (accuracy on their
    other digits), cross_validated (the figure the tab shows: before, after), others (the
    other writers of the group, before / after), mnist_test (before / after), seconds.
    """
    cache = FeatureCache()
    records = []
    for model, writers in groups:
        in_group = np.isin(pen.writers, writers)
        images = pen_x[in_group]
        features = cache.features(model, f"pen writers {list(writers)}", images)
        labels, owners = pen.labels[in_group], pen.writers[in_group]
        base_right = head_scores(model, features).argmax(axis=1) == labels
        for writer in writers[:players]:
            mine = np.flatnonzero(owners == writer)
            chosen = mine[corrections(labels[mine], np.random.default_rng(seed + int(writer)))]
            rest = np.setdiff1d(mine, chosen)
            others = owners != writer
            started = time.perf_counter()
            tuned = fine_tune(model, images[chosen], labels[chosen],
                              mnist, settings, cache)
            seconds = time.perf_counter() - started
            right = head_scores(tuned, features).argmax(axis=1) == labels
            figures = tuned.info["fine_tune"]
            record = {
                "writer": int(writer), "corrections": len(chosen), "digits": len(rest),
                "before": float(base_right[rest].mean()), "after": float(right[rest].mean()),
                "cross_validated": {"before": figures["before"]["drawings"],
                                    "after": figures["after"]["drawings"]},
                "others": {"before": float(base_right[others].mean()),
                           "after": float(right[others].mean())},
                "mnist_test": {"before": figures["before"]["test"],
                               "after": figures["after"]["test"]},
                "seconds": seconds,
            }
            records.append(record)
            if on_writer is not None:
                on_writer(record)
    return records


def summary(records):
    """Means and extremes over the writers: what the targets are about."""
    def column(key, part=None):
        return np.array([r[key] if part is None else r[key][part] for r in records])

    after = column("after")
    others = column("others", "after") - column("others", "before")
    test = column("mnist_test", "after") - column("mnist_test", "before")
    return {
        "writers": len(records),
        "before": {"mean": float(column("before").mean()), "min": float(column("before").min())},
        "after": {"mean": float(after.mean()), "min": float(after.min()),
                  "below_97": int((after < 0.97).sum())},
        "others_change": {"mean": float(others.mean()), "min": float(others.min())},
        "mnist_test_change": {"mean": float(test.mean()), "min": float(test.min())},
        "seconds": {"mean": float(column("seconds").mean()),
                    "max": float(column("seconds").max())},
    }
