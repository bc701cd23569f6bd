"""Softmax and the cross-entropy loss, fused into one numerically stable step."""

import numpy as np


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
    """
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1)
    rows = np.arange(n)
    # -log softmax(z)[y] = log(sum exp z) - z[y], computed on the shifted scores.
    loss = float(np.mean(np.log(total) - shifted[rows, labels]))
    probs = exp / total[:, None]
    grad = probs.copy()
    grad[rows, labels] -= 1.0
    grad /= n
    return loss, probs, grad
