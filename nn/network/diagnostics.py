"""What each layer does in one training step: how large its gradient is, how much the step
changes its weights, and how many of its ReLU units are dead.

- The gradient norm of a layer is the Euclidean norm of all its parameters' gradients taken
  together. In a deep sigmoid network the first layers' norms are orders of magnitude below
  the last's (vanishing gradients): every sigmoid multiplies the gradient by at most 1/4.
- The update ratio is |delta w| / |w|, the same norms over the layer's parameters before and
  after the optimizer's step. Around 1e-3 is healthy; far above, the step tears the weights
  apart; far below, the layer hardly learns.
- A ReLU unit is dead for a batch when it outputs 0 for every example of it (a channel of a
  convolution counts as one unit). A unit dead for every input gets no gradient and never
  comes back: a learning rate far too high kills many at once.
- How often each ReLU unit fires: the fraction of the batch's examples (and, for a channel,
  positions) for which it outputs more than 0, counted into ``ACTIVE_BINS`` equal bins from
  0 to 1. A healthy layer spreads over the middle; dying units pile up in the first bin.

Everything is a few norms and one count per layer, yet for a small dense network that is a
seventh of a training step (copying the weights to measure the step is most of it). Nobody
reads fifty figures a second, so a run measures a step at most every `EVERY_SECONDS` (and
the last of each epoch).
"""

import time
from dataclasses import dataclass

import numpy as np

from nn.network.layers import ReLU

ACTIVE_BINS = 20
EVERY_SECONDS = 0.02   # of training between two measured steps (the first step is measured)
ACTIVE_EDGES = np.linspace(0.0, 1.0, ACTIVE_BINS + 1)


@dataclass(frozen=True)
class LayerStats:
    """One training step's figures. The first three tuples have one entry per layer with
    parameters, in the model's order; the last three one per ReLU layer."""

    names: tuple            # "Dense 1", "Conv2D 2"...: type and rank among layers with parameters
    gradient_norms: tuple   # |gradient| of each of those layers
    update_ratios: tuple    # |delta w| / |w| of the step, per layer
    relu_names: tuple       # the name of the layer with parameters before each ReLU
    dead_units: tuple       # units of each ReLU layer that output 0 for every example
    relu_units: tuple       # units of each ReLU layer
    active_counts: tuple = ()  # per ReLU layer, (ACTIVE_BINS,) units by the share they fire


class LayerWatch:
    """Measures `LayerStats` around each optimizer step of ``model``.

    ``replicas`` are the models that computed parts of the batch (``nn.network.parallel``; the model
    itself first): a unit is dead only when it is dead in every part. Call `before_step` once
    the batch's gradient is in ``model.grads`` and `after_step` once the optimizer has
    updated the weights. For batches computed in chunks (``nn.training.train.GRADIENT_CHUNK``)
    the ReLU layers hold the last chunk's outputs, so dead units are counted on that chunk.
    """

    def __init__(self, model, replicas):
        layers = [layer for layer in model.layers if layer.params]
        self.names, after = [], {}
        for i, layer in enumerate(model.layers):
            if layer.params:
                self.names.append(f"{type(layer).__name__} {len(self.names) + 1}")
            after[i] = self.names[-1] if self.names else "input"
        self.layers = layers
        self.relus = [i for i, layer in enumerate(model.layers) if isinstance(layer, ReLU)]
        self.relu_names = tuple(after[i] for i in self.relus)
        self.replicas = replicas
        self.before = [[np.empty_like(p) for p in layer.params] for layer in layers]
        self.gradient_norms = ()
        self._last = -float("inf")   # when the last measured step was

    def due(self):
        """Whether to measure the coming step: `EVERY_SECONDS` have passed since the last."""
        now = time.perf_counter()
        if now - self._last < EVERY_SECONDS:
            return False
        self._last = now
        return True

    def before_step(self):
        """Keep the weights and measure the gradients, before the optimizer step."""
        for layer, kept in zip(self.layers, self.before):
            for p, k in zip(layer.params, kept):
                np.copyto(k, p)
        self.gradient_norms = tuple(_norm(layer.grads) for layer in self.layers)

    def after_step(self):
        """The step's LayerStats (the weights have been updated since `before_step`)."""
        ratios = []
        for layer, kept in zip(self.layers, self.before):
            size = _norm(kept)
            for p, k in zip(layer.params, kept):
                np.subtract(p, k, out=k)  # k is now the step delta w; refilled next step
            ratios.append(_norm(kept) / size if size > 0 else 0.0)
        dead, units, active = [], [], []
        for i in self.relus:
            masks = [m.layers[i].mask for m in self.replicas]
            fired = sum(_fired_per_unit(mask) for mask in masks)
            share = fired / sum(mask.size // fired.size for mask in masks)
            dead.append(int(np.count_nonzero(fired == 0)))
            units.append(int(fired.size))
            active.append(np.histogram(share, ACTIVE_EDGES)[0])
        return LayerStats(tuple(self.names), self.gradient_norms, tuple(ratios),
                          self.relu_names, tuple(dead), tuple(units), tuple(active))


def _norm(arrays):
    """The Euclidean norm of the arrays taken together, as a Python float."""
    return float(np.sqrt(sum(float(np.vdot(a, a)) for a in arrays)))


def _fired_per_unit(mask):
    """(units,) int: for how many examples (and positions) each unit was positive in
    ``mask``, a ReLU's (n, units) or (n, channels, height, width) boolean output > 0."""
    axes = (0,) + tuple(range(2, mask.ndim))
    return np.count_nonzero(mask, axis=axes)
