"""A last layer that also remembers examples: what makes twenty corrections count.

A Dense last layer is one straight cut through the feature space per class. A person's
unusual 8 (a slanted stroke crossed by a second, like a crossed 7) can sit on the 7 side of
that cut for every way the cut can move without misreading other people: the user's own
corrected 8s then teach the layer almost nothing. Yet the user's *other* 8s are near the
corrected ones (the layers before the last have already put them together), so remembering
where the corrections lie reads them.

`DenseWithMemory` adds to the Dense layer's scores the cosine similarity of the input to
each class's remembered direction:

    scores = x W + b + (x / |x|) M

Column c of M is a class's memory: the mean direction (unit vector) of the remembered
examples of class c, times a strength (`nn.training.finetune` builds it from the user's
drawings). An input pointing the way a class's examples point gains up to that strength on
that class's score, whatever its length; a class nobody remembered has a zero column and
gains nothing. This is the nearest-class-mean classifier with cosine similarity (Mensink et
al., TPAMI 2013), blended with the layer; with M = 0 the layer is a plain Dense.
"""

import numpy as np

from nn.network.layers import DTYPE, Dense

TINY_NORM = 1e-6   # below this length an input has no direction: it remembers nothing


class DenseWithMemory(Dense):
    """``y = x W + b + (x / |x|) M``, with W and M of shape (n_in, n_out), b (n_out,)."""

    param_names = ("W", "b", "M")

    def __init__(self, n_in, n_out, rng=None):
        super().__init__(n_in, n_out, rng=rng)
        self.M = np.zeros((n_in, n_out), dtype=DTYPE)
        self.dM = np.zeros_like(self.M)

    @classmethod
    def remembering(cls, dense, memory):
        """A DenseWithMemory with copies of ``dense``'s W and b and ``memory`` as M."""
        layer = cls(*dense.W.shape)
        np.copyto(layer.W, dense.W)
        np.copyto(layer.b, dense.b)
        np.copyto(layer.M, memory)
        return layer

    def forward(self, x, training=False):
        norm = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), TINY_NORM)
        direction = x / norm
        if training:
            self.x, self.norm, self.direction = x, norm, direction
        out = x @ self.W
        out += self.b
        out += direction @ self.M
        return out

    def backward(self, grad_out, need_input_grad=True):
        # The Dense part as in Dense; for u = x / |x|:  dM = u^T g, and with h = g M^T,
        # dx = (h - u (u . h)) / |x|: moving x along itself does not change its direction.
        np.matmul(self.x.T, grad_out, out=self.dW)
        np.sum(grad_out, axis=0, out=self.db)
        np.matmul(self.direction.T, grad_out, out=self.dM)
        if not need_input_grad:
            return None
        h = grad_out @ self.M.T
        along = np.sum(h * self.direction, axis=1, keepdims=True)
        return grad_out @ self.W.T + (h - self.direction * along) / self.norm

    def spec(self):
        return {"type": "DenseWithMemory", "in": self.n_in, "out": self.n_out}

    @classmethod
    def from_spec(cls, spec, rng):
        return cls(spec["in"], spec["out"], rng=rng)
