"""Optimizers: rules that turn gradients into parameter updates.

An optimizer knows nothing about networks. It is given two lists of arrays, the parameters
and their gradients (same order, same shapes), keeps whatever running state it needs per
array, and updates the parameters in place when ``step(lr)`` is called.

Weight decay applies to weight matrices and kernels only (arrays with more than one
dimension): shrinking biases towards zero does not regularise anything.
"""

import math

import numpy as np


class Optimizer:
    state_names = ()

    def __init__(self, params, grads, weight_decay=0.0):
        self.params, self.grads = params, grads
        self.weight_decay = float(weight_decay)
        self.t = 0  # steps taken so far
        self.state = {name: [np.zeros_like(p) for p in params] for name in self.state_names}

    def step(self, lr):
        self.t += 1
        for i, (p, g) in enumerate(zip(self.params, self.grads)):
            self.update(i, p, g, lr, self.weight_decay if p.ndim > 1 else 0.0)

    def update(self, i, p, g, lr, decay):
        raise NotImplementedError

    def config(self):
        """JSON-able settings, saved in model files so training can resume."""
        return {"name": OPTIMIZER_NAMES[type(self)], "weight_decay": self.weight_decay}

    def state_arrays(self):
        """Running state as {"momentum.0": array, ...}, for saving alongside the model."""
        return {f"{name}.{i}": a for name, arrays in self.state.items()
                for i, a in enumerate(arrays)}

    def snapshot(self):
        """``(settings, arrays)``: a copy of everything needed to resume, as model files hold it."""
        return (self.config() | {"t": self.t},
                {k: a.copy() for k, a in self.state_arrays().items()})

    def load_state_arrays(self, arrays, t):
        for key, a in arrays.items():
            name, i = key.rsplit(".", 1)
            np.copyto(self.state[name][int(i)], a)
        self.t = int(t)


class GradientDescent(Optimizer):
    """Plain gradient descent, as in the notebook: p -= lr * (g + decay * p)."""

    def update(self, i, p, g, lr, decay):
        if decay:
            g = g + decay * p  # L2 penalty decay/2 * |p|^2 has gradient decay * p
        p -= lr * g


class SGD(Optimizer):
    """Gradient descent with momentum: a velocity that averages recent gradients.

    v = momentum * v + g;  p -= lr * v.  With ``nesterov`` the step looks ahead along v:
    p -= lr * (g + momentum * v).
    """

    state_names = ("velocity",)

    def __init__(self, params, grads, momentum=0.9, nesterov=False, weight_decay=0.0):
        super().__init__(params, grads, weight_decay)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update(self, i, p, g, lr, decay):
        if decay:
            g = g + decay * p
        v = self.state["velocity"][i]
        v *= self.momentum
        v += g
        p -= lr * (g + self.momentum * v) if self.nesterov else lr * v

    def config(self):
        return super().config() | {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient (m) and of its
    square (v), with bias correction for their zero start.

    With ``decoupled`` (AdamW) weight decay shrinks the weights directly, p -= lr * decay * p,
    instead of being added to the gradient, where Adam's scaling would weaken it.
    """

    state_names = ("m", "v")

    def __init__(self, params, grads, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled=False):
        super().__init__(params, grads, weight_decay)
        self.beta1, self.beta2, self.eps, self.decoupled = beta1, beta2, eps, decoupled
        # Adam runs a dozen element-wise steps per array per batch. Doing them in place,
        # through one scratch array per parameter, avoids allocating a large temporary for
        # each (and the page faults that come with every fresh large allocation).
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, lr):
        # Fold both bias corrections into one step size per call, not per array. A Python
        # float, not a NumPy float64: with one of those, ``tmp *= corrected_lr`` would be
        # computed in float64 and cast back to float32, a slow detour on every array.
        t = self.t + 1
        self.corrected_lr = lr * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        super().step(lr)

    def update(self, i, p, g, lr, decay):
        if decay and not self.decoupled:
            g = g + decay * p
        m, v, tmp = self.state["m"][i], self.state["v"][i], self.scratch[i]
        # m = beta1 * m + (1 - beta1) * g
        m *= self.beta1
        np.multiply(g, 1 - self.beta1, out=tmp)
        m += tmp
        # v = beta2 * v + (1 - beta2) * g^2
        v *= self.beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.beta2
        v += tmp
        if decay and self.decoupled:
            p *= 1 - lr * decay
        # p -= corrected_lr * m / (sqrt(v) + eps)
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.corrected_lr
        p -= tmp

    def config(self):
        return super().config() | {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter)."""

    def __init__(self, params, grads, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(params, grads, beta1, beta2, eps, weight_decay, decoupled=True)


OPTIMIZERS = {"gd": GradientDescent, "sgd": SGD, "adam": Adam, "adamw": AdamW}
OPTIMIZER_NAMES = {cls: name for name, cls in OPTIMIZERS.items()}

# What a user chooses from (the CLI's --optimizer, the Train form): gradient descent with
# momentum comes with and without Nesterov's look-ahead, which TrainConfig holds as the
# optimizer "sgd" with ``nesterov`` False or True.
OPTIMIZER_CHOICES = {"gd": ("gd", False), "momentum": ("sgd", False), "nesterov": ("sgd", True),
                     "adam": ("adam", False), "adamw": ("adamw", False)}


def optimizer_choice(optimizer, nesterov):
    """The OPTIMIZER_CHOICES key for TrainConfig's ``optimizer`` and ``nesterov``."""
    return next(key for key, value in OPTIMIZER_CHOICES.items()
                if value == (optimizer, optimizer == "sgd" and bool(nesterov)))
