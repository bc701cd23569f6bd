"""Softmax and the cross-entropy loss, fused into one numerically stable step.

A training example may also be labelled `NONE`: an input that is none of the classes (two
digits written as one, for a digit reader). Its target is the uniform distribution, so the
network learns to be unsure of such inputs without an extra output ("outlier exposure",
Hendrycks, Mazeika and Dietterich, 2019).
"""

import numpy as np

NONE = -1          # the label of an example that belongs to none of the classes
NONE_WEIGHT = 0.5  # how much such an example counts, against 1 for a labelled one


def softmax(logits):
    """Turn scores (n, classes) into probabilities (n, classes) that sum to 1 per row.

    Subtracting each row's maximum first changes nothing mathematically (softmax is shift
    invariant) but keeps exp() from overflowing for large scores.
    """
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits: (n, classes) float32; labels: (n,) int. Returns ``(loss, probs, grad)`` where
    grad = dLoss/dLogits has shape (n, classes).

    Why the gradient is ``probs - onehot``: with p = softmax(z) and L = -log p[y],
    dL/dz_k = p_k - [k == y]. The softmax's own Jacobian and the log's 1/p cancel, which is
    why the two are fused: the combined gradient is simple and never divides by a tiny p.

    A label `NONE` asks for the uniform target t_k = 1/K instead of a one-hot: its loss is
    NONE_WEIGHT * -sum_k t_k log p_k = NONE_WEIGHT * (log sum exp z - mean z), and its
    gradient NONE_WEIGHT * (p - t), by the same cancellation.
    """
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1)
    probs = exp / total[:, None]
    grad = probs.copy()
    none = labels == NONE
    rows = np.flatnonzero(~none)
    # -log softmax(z)[y] = log(sum exp z) - z[y], computed on the shifted scores.
    losses = np.log(total)
    losses[rows] -= shifted[rows, labels[rows]]
    grad[rows, labels[rows]] -= 1.0
    if none.any():
        losses[none] = NONE_WEIGHT * (losses[none] - shifted[none].mean(axis=1))
        grad[none] = NONE_WEIGHT * (grad[none] - 1.0 / logits.shape[1])
    grad /= n
    return float(losses.mean()), probs, grad


def of_a_class(labels):
    """Which of ``labels`` name a class (all but the `NONE` ones): an (n,) bool mask."""
    return np.asarray(labels) != NONE
