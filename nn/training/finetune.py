"""Fine-tuning a model on one person's drawings, so that a few corrections count.

A network trained on MNIST reads most people well and some people badly: a 7 with a crossbar,
a 4 drawn in one stroke, a 9 with a tiny head are common in the world and rare in MNIST. When
the user has corrected twenty of its readings, the model should read that person's *other*
digits better, and everyone else as well as before.

Training the whole network one more epoch on MNIST plus the drawings barely moves it: twenty
drawings among 55,000 digits are seen a few times each. Here only the head learns (the last
layer, `nn.training.head`), on the body's features of

- each drawing as it is and distorted copies of it (`nn.ink.augment`: shifted, rotated,
  scaled, slanted, thicker or thinner), so that a drawing counts ``weight`` times in all and
  the head learns the style, not the pixels;
- ``anchor`` MNIST training digits, so that it keeps reading everyone else's writing;

and its weights are pulled back towards where they started (``stay``), so that what it knew
of writing neither the drawings nor MNIST show (other people's pen digits, when the model was
trained on some) is kept unless the drawings ask to change it.

That alone cannot read every writer: a style the head reads as another digit (8s drawn as a
slanted stroke crossed by a second, read as 7) often stays there for every head that still
reads everyone else. So the head also *remembers* the drawings (`nn.network.memory`): each
digit's mean direction in feature space, over the drawings of it and their distorted copies,
adds up to ``memory`` spreads of the head's scores to that digit's score when a drawing points
the same way. A model
fine-tuned again forgets the old memory and remembers the drawings it is given then.

The MNIST features are computed once per body (`FeatureCache`), so fine-tuning again, or
fine-tuning the fine-tuned model, takes a few seconds.

How well it learnt is measured on drawings it did not train on, and every drawing counts: the
drawings are split into `FOLDS` groups (each digit's drawings spread over the groups); for each
group a head is trained on the other groups and reads it (cross-validation). So every drawing
is read by a head that never saw it, and the figure moves in steps of one drawing, not one
held-out fifth. The model delivered is then trained on all of them.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from nn.ink.augment import Augmentation, augment_batch
from nn.network.errors import TrainingError
from nn.network.memory import TINY_NORM
from nn.training.head import (
    FeatureCache,
    body_features,
    head_scores,
    head_start,
    train_head,
    with_head,
    with_memory,
)

FOLDS = 5
MIN_DRAWINGS = 10           # fewer teach nothing worth measuring
# More is a data set, not one person's drawings, and each is learnt `weight` times: 10,000
# take about 1 GB (MNIST's 60,000 training digits by mistake took 5 GB and hours).
MAX_DRAWINGS = 10_000
TUNED_SUFFIX = "-tuned"     # of a fine-tuned model's name


@dataclass(frozen=True)
class FineTuneSettings:
    """How the head learns the drawings (see the module's docstring)."""

    weight: int = 80          # each drawing counts this many times: itself and weight - 1
                              # distorted copies
    anchor: int = 10_000      # MNIST training digits trained on beside the drawings
    epochs: int = 6           # over the anchor digits and the drawings' copies
    learning_rate: float = 1e-3
    stay: float = 0.1         # pull of the head's weights towards where they started
    memory: float = 1.5       # most a remembered digit adds to its score, in spreads of the
                              # head's scores (0: no memory; see FineTuning.score_spread)
    augmentation: Augmentation = field(default_factory=lambda: Augmentation(
        shift=1.5, rotation=10.0, scale=0.1, shear=0.15, thickness=0.3))
    seed: int = 0


@dataclass(frozen=True)
class FineTuneProgress:
    fraction: float           # of the whole fine-tuning, 0-1
    text: str                 # what it is doing: "Learning your drawings (round 2 of 6)"


def check_can_fine_tune(model, labels):
    """Raise TrainingError with one sentence when ``model`` cannot be fine-tuned on drawings
    labelled ``labels``."""
    if not model.reads_digits:
        raise TrainingError("This model does not read digits as 28x28 images; fine-tune a "
                            "model trained on MNIST.")
    head_start(model)
    if len(labels) < MIN_DRAWINGS:
        raise TrainingError(f"Fine-tuning needs at least {MIN_DRAWINGS} drawings; there are "
                            f"{len(labels)}.")
    if len(labels) > MAX_DRAWINGS:
        raise TrainingError(f"Fine-tuning takes at most {MAX_DRAWINGS:,} drawings, one "
                            f"person's; there are {len(labels):,}: a data set is for training.")


def fold_of(labels, folds=FOLDS):
    """(m,) the group of each drawing: each digit's drawings, in order, go round the groups,
    continuing where the previous digit stopped, so a group holds a few drawings of many
    digits rather than all of one."""
    labels = np.asarray(labels)
    group = np.zeros(len(labels), np.int64)
    turn = 0
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        group[where] = (turn + np.arange(len(where))) % folds
        turn += len(where)
    return group


def memory_of(drawings, labels, classes, strength):
    """M (features, classes) of a `DenseWithMemory` remembering ``drawings`` ((weight, m,
    features), `distorted_features`) labelled ``labels`` (m,): column c is ``strength`` times
    the mean direction of the features of the drawings of class c and their copies (zero for
    a class without drawings)."""
    norms = np.maximum(np.linalg.norm(drawings, axis=2, keepdims=True), TINY_NORM)
    directions = (drawings / norms).mean(axis=0)                       # (m, features)
    memory = np.zeros((drawings.shape[2], classes), np.float32)
    for c in np.unique(labels):
        memory[:, c] = strength * directions[labels == c].mean(axis=0)
    return memory


def distorted_features(model, x, settings, rng, stop=None):
    """Body features of each drawing as it is and of ``settings.weight - 1`` distorted copies:
    (weight, m, features), copy 0 undistorted."""
    images = np.asarray(x, np.float32).reshape(len(x), 784)
    # One copy at a time: all the copies' images at once took gigabytes for many drawings.
    copies = [body_features(model, images, stop)]
    for _ in range(settings.weight - 1):
        copies.append(body_features(model, augment_batch(images.copy(), settings.augmentation,
                                                         rng), stop))
    return np.stack(copies)


class FineTuning:
    """What every head trained in one fine-tuning shares: the model, the features of the
    anchor and test digits (from ``cache``: pass the same `FeatureCache` to fine-tune again
    quickly), the settings, the progress report and the stop event."""

    def __init__(self, model, mnist, settings=FineTuneSettings(), cache=None, on_progress=None,
                 stop=None):
        self.model, self.settings, self.stop = model, settings, stop
        self._on_progress = on_progress
        self._rounds = FOLDS + 1
        self.say(0.0, "Computing the features of the MNIST digits (once per model)…")
        cache = cache if cache is not None else FeatureCache()
        anchor = slice(0, settings.anchor)
        self.anchor_x = cache.features(model, f"{mnist.name} train[:{settings.anchor}]",
                                       mnist.x_train[anchor], stop)
        self.anchor_y = np.asarray(mnist.y_train[anchor], np.int64)
        self.test_x = cache.features(model, f"{mnist.name} test", mnist.x_test, stop)
        self.test_y = np.asarray(mnist.y_test, np.int64)
        # How far apart the head's scores of one digit are (their standard deviation over the
        # classes, averaged over the anchor digits): a memory measured in it weighs the same
        # against a confident head's large scores as against a small network's.
        self.score_spread = float(head_scores(model, self.anchor_x).std(axis=1).mean())

    def head_for(self, drawings, labels, round_=0):
        """A head trained on the anchor digits and ``drawings`` ((weight, m, features),
        `distorted_features`) labelled ``labels`` (m,), remembering those drawings."""
        weight, m = drawings.shape[:2]
        x = np.concatenate([self.anchor_x, drawings.reshape(weight * m, -1)])
        y = np.concatenate([self.anchor_y, np.tile(np.asarray(labels, np.int64), weight)])
        text = f"Learning your drawings (round {round_ + 1} of {self._rounds})…"

        def progress(fraction):
            self.say((round_ + fraction) / self._rounds, text)

        s = self.settings
        head = train_head(self.model, x, y, s.epochs, s.learning_rate, s.stay, s.seed, progress,
                          self.stop)
        return with_memory(head, memory_of(drawings, labels, len(self.model.class_names),
                                           s.memory * self.score_spread))

    def say(self, fraction, text):
        if self._on_progress is not None:
            self._on_progress(FineTuneProgress(min(fraction, 1.0), text))


def fine_tune(model, x, y, mnist, settings=FineTuneSettings(), cache=None, on_progress=None,
              stop=None):
    """A copy of ``model`` whose head has learnt the drawings x ((m, 784) float32 in [0, 1])
    labelled y ((m,) ints), with the figures of how well in ``info["fine_tune"]``:

    drawings: m; weight; folds; before / after: {"drawings": accuracy on the drawings, "test": on
    MNIST test} of ``model`` and of the fine-tuning, the "after" on the drawings
    cross-validated (each drawing read by a head trained without it); seconds.

    ``mnist`` is a `nn.data.datasets.Split` (its train digits anchor the head, its test digits
    measure it); ``on_progress`` receives `FineTuneProgress` records; setting ``stop`` (a
    threading.Event) raises `nn.training.head.Stopped`.
    """
    y = np.asarray(y, np.int64)
    check_can_fine_tune(model, y)
    started = time.perf_counter()
    job = FineTuning(model, mnist, settings, cache, on_progress, stop)
    rng = np.random.default_rng(settings.seed)
    drawings = distorted_features(model, x, settings, rng, stop)
    base = head_scores(model, drawings[0]).argmax(axis=1)
    read = np.empty(len(y), np.int64)
    groups = fold_of(y)
    for k in range(FOLDS):
        held = groups == k
        head = job.head_for(drawings[:, ~held], y[~held], k)
        read[held] = head.predict(drawings[0, held])
    head = job.head_for(drawings, y, FOLDS)
    tuned = with_head(model, head)
    figures = {
        "drawings": len(y), "weight": settings.weight, "folds": FOLDS,
        "before": {"drawings": float(np.mean(base == y)),
                   "test": float(np.mean(head_scores(model, job.test_x).argmax(1)
                                         == job.test_y))},
        "after": {"drawings": float(np.mean(read == y)),
                  "test": float(np.mean(head.predict(job.test_x) == job.test_y))},
    }
    figures["seconds"] = time.perf_counter() - started
    tuned.info["fine_tune"] = figures
    tuned.info["test_accuracy"] = figures["after"]["test"]
    name = str(model.info.get("name") or "model")
    tuned.info["name"] = name if name.endswith(TUNED_SUFFIX) else name + TUNED_SUFFIX
    job.say(1.0, "Done.")
    return tuned

