"""Layers: each one's forward pass and backward pass side by side.

Every layer has the same small interface:

- ``forward(x, training)`` computes the output. Only a training pass (``training=True``)
  remembers what the backward pass needs: inference never touches that state, so a
  prediction made between a training forward and its backward (the drawing pad while a model
  trains) cannot change the gradient;
- ``backward(grad_out)`` receives dLoss/dOutput and returns dLoss/dInput, storing the
  gradients of its own parameters in ``grads`` (same order as ``params``);
- ``params`` / ``grads`` are lists of arrays that optimizers update in place: the attributes
  named in ``param_names`` (``W``, ``b``) and their gradients (``dW``, ``db``);
- ``spec()`` is a JSON-able dict from which ``build_layer`` makes the same layer again;
- ``inference_copy()`` is a layer that computes the same *inference* function with the same
  parameter arrays but its own gradients and backward state: a training pass through it
  differentiates what the model predicts (``nn.network.saliency``) and leaves this layer untouched.

Shapes: a batch of ``n`` examples is ``(n, features)`` for dense layers. Everything is float32.
"""

import copy

import numpy as np

DTYPE = np.float32


class Layer:
    """Base class: a layer with no parameters."""

    param_names: tuple = ()

    @property
    def params(self):
        return [getattr(self, name) for name in self.param_names]

    @property
    def grads(self):
        return [getattr(self, "d" + name) for name in self.param_names]

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad_out, need_input_grad=True):
        """Return dLoss/dInput. The first layer of a model is told ``need_input_grad=False``:
        its input is the data, so that (often expensive) product can be skipped."""
        raise NotImplementedError

    def spec(self):
        return {"type": type(self).__name__}

    def inference_copy(self):
        """A shallow copy sharing the parameters (read, never written) with fresh gradient
        arrays: its forward and backward rebind its own attributes, never this layer's."""
        twin = copy.copy(self)
        for name in self.param_names:
            setattr(twin, "d" + name, np.zeros_like(getattr(self, name)))
        return twin

    @classmethod
    def from_spec(cls, spec, rng):
        """Make the layer a ``spec()`` describes; ``rng`` draws initial weights or masks."""
        return cls(**{k: v for k, v in spec.items() if k != "type"})

    def output_shape(self, input_shape):
        """Shape of one example's output, given one example's input shape (a tuple)."""
        return input_shape


# --- initialisation ---------------------------------------------------------------------------

def init_weights(scheme, fan_in, fan_out, shape, rng):
    """Draw initial weights.

    - ``he``: normal with std sqrt(2 / fan_in), keeps the variance of ReLU activations steady;
    - ``glorot``: uniform in +-sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid;
    - ``uniform``: uniform in [-0.5, 0.5), the notebook's choice.
    """
    if scheme == "he":
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    elif scheme == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, size=shape)
    elif scheme == "uniform":
        w = rng.uniform(-0.5, 0.5, size=shape)
    else:
        raise ValueError(f"unknown initialisation {scheme!r}: use 'he', 'glorot' or 'uniform'")
    return w.astype(DTYPE)


# --- the layers -------------------------------------------------------------------------------

class Dense(Layer):
    """Fully connected layer: ``y = x @ W + b`` with W of shape (n_in, n_out), b (n_out,)."""

    param_names = ("W", "b")

    def __init__(self, n_in, n_out, init="he", rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.n_in, self.n_out, self.init = n_in, n_out, init
        self.W = init_weights(init, n_in, n_out, (n_in, n_out), rng)
        # The notebook also draws its biases from uniform(-0.5, 0.5); the others start at zero.
        if init == "uniform":
            self.b = init_weights(init, n_in, n_out, (n_out,), rng)
        else:
            self.b = np.zeros(n_out, dtype=DTYPE)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x, training=False):
        if training:
            self.x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(self, grad_out, need_input_grad=True):
        # y = x W + b  =>  dW = x^T g,  db = sum of g over the batch,  dx = g W^T
        np.matmul(self.x.T, grad_out, out=self.dW)
        np.sum(grad_out, axis=0, out=self.db)
        return grad_out @ self.W.T if need_input_grad else None

    def spec(self):
        return {"type": "Dense", "in": self.n_in, "out": self.n_out, "init": self.init}

    @classmethod
    def from_spec(cls, spec, rng):
        return cls(spec["in"], spec["out"], init=spec.get("init", "he"), rng=rng)

    def output_shape(self, input_shape):
        return (self.n_out,)


class ReLU(Layer):
    """max(0, x): passes positive values, blocks the rest (and their gradient)."""

    def forward(self, x, training=False):
        mask = x > 0
        if training:
            self.mask = mask
        return x * mask

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self.mask


class LeakyReLU(Layer):
    """Like ReLU, but negative inputs keep a small slope so their units never die."""

    def __init__(self, slope=0.01):
        self.slope = float(slope)

    def forward(self, x, training=False):
        scale = np.where(x > 0, DTYPE(1.0), DTYPE(self.slope))
        if training:
            self.scale = scale
        return x * scale

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self.scale

    def spec(self):
        return {"type": "LeakyReLU", "slope": self.slope}


class Sigmoid(Layer):
    """1 / (1 + e^-x), squashing to (0, 1). Its derivative is s * (1 - s)."""

    def forward(self, x, training=False):
        # exp of a negative number never overflows; handle each sign on its own.
        e = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(DTYPE)
        if training:
            self.s = s
        return s

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self.s * (1 - self.s)


class Tanh(Layer):
    """tanh(x), squashing to (-1, 1). Its derivative is 1 - tanh^2."""

    def forward(self, x, training=False):
        t = np.tanh(x)
        if training:
            self.t = t
        return t

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * (1 - self.t * self.t)


class Dropout(Layer):
    """During training, zero each input with probability ``rate`` and scale the survivors by
    1 / (1 - rate), so that at inference (where nothing is dropped) the expected sum is the same.
    """

    def __init__(self, rate=0.5, rng=None):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def forward(self, x, training=False):
        if not training:
            return x
        if self.rate == 0.0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=DTYPE) >= self.rate
        self.mask = keep * DTYPE(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, grad_out, need_input_grad=True):
        return grad_out if self.mask is None else grad_out * self.mask

    def inference_copy(self):
        # Inference drops nothing: a rate-0 dropout is that identity in training passes too,
        # and it never draws from (so never advances) this layer's random stream.
        return Dropout(0.0)

    def spec(self):
        return {"type": "Dropout", "rate": self.rate}

    @classmethod
    def from_spec(cls, spec, rng):
        return cls(spec.get("rate", 0.5), rng=rng)


class Flatten(Layer):
    """Reshape (n, ...) into (n, features), e.g. images (n, 1, 28, 28) into (n, 784)."""

    def forward(self, x, training=False):
        if training:
            self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_out, need_input_grad=True):
        return grad_out.reshape(self.shape)

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)


# Every layer type defined here; the convolutional ones are nn.network.conv.CONV_LAYERS.
BASIC_LAYERS = (Dense, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout, Flatten)
ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
