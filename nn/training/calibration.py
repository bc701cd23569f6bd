"""Confidence that means what it says: temperature scaling, calibration error, "unsure".

A network trained to minimise cross-entropy ends up *overconfident*: its probability for the
answer is, on average, higher than how often that answer is right, most of all on inputs
unlike its training set (Guo, Pleiss, Sun and Weinberger, "On calibration of modern neural
networks", 2017): of the answers it gives as "99% sure", far more than one in a hundred can
be wrong.

**Reliability** (`reliability`). Sort the answers into ``BINS`` equal-width bins of confidence
(the top probability): bin m holds the answers with confidence in ((m-1)/M, m/M]. A model is
calibrated when, in every bin, the share of right answers equals the mean confidence. The
*expected calibration error* (ECE) is the gap between the two, weighted by how many answers
each bin holds: sum over bins of (count / n) * |accuracy - mean confidence|. A reliability
diagram plots accuracy against confidence per bin; a calibrated model lies on the diagonal.

**Temperature scaling** (`fit_temperature`). Divide the network's scores by one number T
before the softmax: p = softmax(z / T). T > 1 flattens the probabilities, T < 1 sharpens them;
the order of the scores, hence the answer, never changes. T is chosen to minimise the negative
log-likelihood (the cross-entropy) of examples *the network never trained on*: on its own
training set a network is right far more often than elsewhere and would learn to stay
overconfident. One parameter cannot overfit a few thousand examples, and it does not touch
the accuracy.

**"Unsure"** (`choose_unsure_below`). The app shows "unsure" when the calibrated top
probability is below a threshold (``nn.network.model.shown_unsure``). A higher threshold
flags more misreads and also more right answers; the threshold is chosen on held-out
examples as the highest one that flags at most a given share of the right answers.

The scores given to these functions may be logits or log-probabilities: softmax(z / T) is the
same for both, since they differ by one number per row (log-sum-exp) and T divides it too.
"""

from dataclasses import dataclass

import numpy as np

from nn.network.losses import softmax
from nn.network.model import MAX_TEMPERATURE, MIN_TEMPERATURE, shown_unsure
from nn.training.writers import FOLDS, writer_folds

BINS = 15                 # equal-width confidence bins of the ECE, as in Guo et al.
CORRECT_UNSURE_BUDGET = 0.02  # at most this share of right answers may be shown "unsure"
# A probability that underflowed to 0 (log = -inf) counts as the smallest float32 can hold.
LOG_FLOOR = float(np.log(np.finfo(np.float32).tiny))
GOLDEN = (np.sqrt(5) - 1) / 2
TOLERANCE = 1e-7          # of log T: T to seven digits


def calibrated_probabilities(scores, temperature):
    """softmax(scores / temperature) in float64: scores (n, classes) -> (n, classes)."""
    return softmax(_checked(scores) / temperature)


def negative_log_likelihood(scores, labels, temperature):
    """Mean -log p[label] of softmax(scores / temperature); scores (n, classes), labels (n,)."""
    z = _checked(scores) / temperature
    top = z.max(axis=1)
    log_sum = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(log_sum - z[np.arange(len(z)), labels]))


def fit_temperature(scores, labels):
    """The temperature T that minimises the held-out NLL of softmax(scores / T).

    scores: (n, classes) logits or log-probabilities of examples the network never trained
    on; labels: (n,) ints. Returns T within [MIN_TEMPERATURE, MAX_TEMPERATURE].

    Golden-section search on log T. Why it finds the minimum: as a function of b = 1/T the
    NLL, mean(log sum_j exp(b z_j) - b z_label), is convex (its second derivative is the
    variance of z under p), so it falls, then rises; log T = -log b runs monotonically, so
    along log T too the NLL has one valley and no other dip, which is all golden section needs.
    """
    scores, labels = _checked(scores), np.asarray(labels)
    if len(scores) == 0:
        raise ValueError("no examples to fit a temperature on")
    low, high = np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)
    a, b = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
    fa, fb = (negative_log_likelihood(scores, labels, np.exp(t)) for t in (a, b))
    while high - low > TOLERANCE:
        if fa <= fb:   # the minimum is left of b
            high, b, fb = b, a, fa
            a = high - GOLDEN * (high - low)
            fa = negative_log_likelihood(scores, labels, np.exp(a))
        else:          # the minimum is right of a
            low, a, fa = a, b, fb
            b = low + GOLDEN * (high - low)
            fb = negative_log_likelihood(scores, labels, np.exp(b))
    return float(np.exp((low + high) / 2))


@dataclass(frozen=True)
class Reliability:
    """How sure vs how often right, per equal-width confidence bin (arrays of ``BINS``).

    edges: (bins + 1,) from 0 to 1; confidence: mean top probability in each bin; accuracy:
    share of right answers in each bin (both NaN for an empty bin); count: answers per bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray

    @property
    def ece(self):
        """Expected calibration error: sum of count / n * |accuracy - confidence| (0 to 1)."""
        seen = self.count > 0
        gaps = np.abs(self.accuracy[seen] - self.confidence[seen])
        return float(np.sum(self.count[seen] * gaps) / max(1, self.count.sum()))


def reliability(confidence, correct, bins=BINS):
    """Sort answers into ``bins`` equal-width bins ((m-1)/M, m/M] of their confidence.

    confidence: (n,) top probabilities in [0, 1]; correct: (n,) bools, the answer was right.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty bin is NaN, not an error
        mean_confidence = np.bincount(which, confidence, bins) / count
        accuracy = np.bincount(which, correct, bins) / count
    return Reliability(np.linspace(0, 1, bins + 1), mean_confidence, accuracy, count)


def unsure_rates(confidence, correct, unsure_below):
    """(share of misreads shown unsure, share of right answers shown unsure) at the threshold
    ``unsure_below`` (a number, or one per answer); NaN for a share of nothing (no misreads)."""
    unsure, correct = shown_unsure(confidence, unsure_below), np.asarray(correct, dtype=bool)
    return tuple(float(unsure[part].mean()) if part.any() else float("nan")
                 for part in (~correct, correct))


def choose_unsure_below(confidence, correct, budget=CORRECT_UNSURE_BUDGET):
    """The highest threshold, in whole percent, that shows at most ``budget`` of the right
    answers unsure; confidence (n,), correct (n,) bools of held-out examples.

    Sorted, the right answers' confidences c_0 <= c_1 <= ...: a threshold t flags those
    below it, so t = c_k with k = floor(budget * count) flags at most k of them, and any
    higher t flags c_k too. Rounding down to a whole percent flags no more, and reads plainly
    ("unsure below 87%").
    """
    right = np.sort(np.asarray(confidence, dtype=np.float64)[np.asarray(correct, dtype=bool)])
    if len(right) == 0:
        raise ValueError("no right answers to choose a threshold on")
    k = int(np.floor(budget * len(right)))
    return float(np.floor(right[k] * 100) / 100)


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration and what it does on held-out examples.

    ``before`` and ``after`` are the reliability at temperature 1 and at ``temperature``;
    ``misreads_unsure`` and ``correct_unsure`` the shares of misreads and right answers shown
    unsure at ``unsure_below``. ``cross_checked`` says how these were measured: when the
    examples' writers are known (at least ``FOLDS`` of them), each fold of writers is measured
    with a temperature and a threshold fitted on the other folds' writers only (so nobody is
    scored by a calibration fitted on their own digits); otherwise on the very examples they
    were fitted on.
    """

    temperature: float
    unsure_below: float
    examples: int
    accuracy: float
    before: Reliability
    after: Reliability
    misreads_unsure: float
    correct_unsure: float
    cross_checked: bool


def calibrate(scores, labels, writers=None, budget=CORRECT_UNSURE_BUDGET):
    """Fit a temperature and an unsure threshold on held-out ``scores`` (n, classes) and
    ``labels`` (n,), and measure them (see `Calibration`); ``writers`` (n,) ids, if known,
    make the measurement writer-independent."""
    scores, labels = _checked(scores), np.asarray(labels, dtype=np.int64)
    correct = scores.argmax(axis=1) == labels
    temperature, unsure_below = _fit(scores, labels, correct, budget)
    after, thresholds = calibrated_probabilities(scores, temperature).max(axis=1), unsure_below
    cross_checked = writers is not None and len(np.unique(writers)) >= FOLDS
    if cross_checked:
        writers = np.asarray(writers)
        thresholds = np.empty(len(labels))
        for fold in writer_folds(writers):
            held_out = np.isin(writers, fold)
            t, u = _fit(scores[~held_out], labels[~held_out], correct[~held_out], budget)
            after[held_out] = calibrated_probabilities(scores[held_out], t).max(axis=1)
            thresholds[held_out] = u
    before = calibrated_probabilities(scores, 1.0).max(axis=1)
    return Calibration(temperature, unsure_below, len(labels), float(correct.mean()),
                       reliability(before, correct), reliability(after, correct),
                       *unsure_rates(after, correct, thresholds), cross_checked)


def _fit(scores, labels, correct, budget):
    temperature = fit_temperature(scores, labels)
    confidence = calibrated_probabilities(scores, temperature).max(axis=1)
    return temperature, choose_unsure_below(confidence, correct, budget)


def _checked(scores):
    """scores as float64 with -inf (a log-probability that underflowed) raised to LOG_FLOOR;
    ValueError for NaN or +inf."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(f"scores must be (examples, classes), not shape {scores.shape}")
    if np.isnan(scores).any() or np.isposinf(scores).any():
        raise ValueError("scores hold NaN or +inf")
    return np.where(np.isneginf(scores), LOG_FLOOR, scores)
