"""Finite differences, the independent check of every backward pass."""

import numpy as np

EPS = 1e-6


def numerical_grad(f, a, eps=EPS):
    """Central differences of the scalar f() with respect to every element of ``a`` (in place)."""
    grad = np.zeros(a.shape, dtype=np.float64)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        f_plus = f()
        a[idx] = old - eps
        f_minus = f()
        a[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
