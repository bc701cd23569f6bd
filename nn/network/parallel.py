"""Data parallelism: every core of the CPU takes a share of each training batch.

NumPy runs a matrix product on all cores (its BLAS library has a thread per core), but all
the rest -- im2col copies, pooling, ReLU, the optimizer, augmentation -- on one core. In a
convolutional network that rest is about half the work, so the other cores mostly wait.

Here each core takes a part of the batch instead, in its own thread, through augmentation and
the forward and backward passes, and BLAS keeps to one thread per call. NumPy releases Python's
global lock while it works on arrays, so the threads really do run at the same time
(docs/measurements.md has the figures). A dense network gains nothing: nearly all its work is
matrix products, which BLAS already shares out with threads of its own, so it keeps to one part.

Those BLAS threads help on free cores and hurt on busy ones. A BLAS thread that finishes its
share of a product spins until the others are done; when other programs keep a core busy, it
waits for a thread that is not running. Measured on a 2-core machine: at a load of 11-15 an MLP
epoch took 8 to 11 times longer with BLAS's two threads than with one, but at a load under 1
the one-thread version lost (the notebook preset 1.16x the notebook's own code instead of
0.79x, the reference MLP 1.62 s an epoch instead of 1.22 s). The machine a learner runs
DigitLab on is mostly idle, so a dense network keeps BLAS's threads.

Each thread has its own *replica* of the model: the same weight arrays (one optimizer step
updates every replica), but its own gradients and saved activations. The gradient of the batch's
mean loss is the size-weighted mean of the parts' gradients, so the result is the whole batch's
gradient, up to float rounding.
"""

import copy
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from nn.network.conv import CONV_LAYERS

# A part smaller than this would spend more on the split than it saves.
MIN_PART = 32


def available_cores():
    """How many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parts_for(model, batch_size):
    """Into how many parts to split batches of ``batch_size`` for ``model``: one per core for
    a convolutional network, as long as each part keeps ``MIN_PART`` examples; else one."""
    if not any(isinstance(layer, CONV_LAYERS) for layer in model.layers):
        return 1
    return max(1, min(available_cores(), batch_size // MIN_PART))


def replica(model, rng):
    """A copy of ``model`` that shares its weight arrays, with its own gradients, saved
    activations and random numbers (dropout must not drop the same units in every part)."""
    twin = copy.deepcopy(model, memo={id(p): p for p in model.params})
    for layer in twin.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(rng.integers(2**63))
    return twin


class DataParallel:
    """Computes batch gradients of ``model`` with ``parts`` threads, inside a ``with`` block
    (the helper threads and the one-thread limit on BLAS last as long as the block).

    ``gradient(work, x, y)`` splits the batch into ``parts`` and calls ``work(model, x, y, rng)``
    on each part with a replica of the model and a random generator of its own; ``work`` leaves
    the part's mean gradient in ``model.grads`` and returns (mean loss, number correct). One
    part uses the caller's ``rng``, so that with one part nothing changes. The replicas'
    dropout generators are drawn from ``dropout_rng`` (by default ``rng``). ``map`` runs any
    other work on the parts the same way, for example measuring held-out examples.
    """

    def __init__(self, model, parts, rng, dropout_rng=None):
        dropout_rng = rng if dropout_rng is None else dropout_rng
        self.models = [model] + [replica(model, dropout_rng) for _ in range(parts - 1)]
        self.rngs = [rng] + [np.random.default_rng(rng.integers(2**63)) for _ in range(parts - 1)]

    def __enter__(self):
        helpers = len(self.models) - 1
        self.pool = ThreadPoolExecutor(helpers) if helpers else None
        self.blas = threadpool_limits(1, user_api="blas") if helpers else None
        return self

    def __exit__(self, *exc):
        if self.pool:
            self.pool.shutdown()
            self.blas.restore_original_limits()

    def map(self, work, x, y):
        """``work(model, x_part, y_part, rng)`` on each part, each with its own replica, in the
        parts' threads; returns [(the part's share of the examples, its result), ...].
        A short batch holds fewer examples than there are parts: never an empty part."""
        used = min(len(self.models), len(x))
        if used <= 1:
            return [(1.0, work(self.models[0], x, y, self.rngs[0]))]
        bounds = np.linspace(0, len(x), used + 1).astype(int)
        parts = [(m, x[a:b], y[a:b], rng)
                 for m, rng, a, b in zip(self.models, self.rngs, bounds, bounds[1:])]
        futures = [self.pool.submit(work, *part) for part in parts[1:]]
        results = [work(*parts[0])] + [f.result() for f in futures]
        shares = (np.diff(bounds) / len(x)).tolist()  # Python floats keep float32 float32
        return list(zip(shares, results))

    def gradient(self, work, x, y):
        """The batch's gradient in ``model.grads`` (``work`` leaves each part's there) and its
        (mean loss, number correct)."""
        done = self.map(work, x, y)
        if len(done) == 1:
            return done[0][1]
        shares = [share for share, _ in done]
        for g, *g_parts in zip(*(m.grads for m in self.models[:len(done)])):
            g *= shares[0]
            for share, g_part in zip(shares[1:], g_parts):
                g_part *= share
                g += g_part
        loss = sum(share * loss for share, (loss, _) in done)
        return float(loss), sum(correct for _, (_, correct) in done)
