"""One step of gradient descent on the notebook's network, with every intermediate array kept.

The notebook's network is Dense(784 -> h), ReLU, Dense(h -> 10), trained with softmax
cross-entropy and plain gradient descent. Written as the notebook writes it, in column form
(one example per column), one step on a batch X (784 x m) with one-hot labels Y (10 x m) is

    forward:   Z1 = W1 X + b1      A1 = ReLU(Z1)      Z2 = W2 A1 + b2      A2 = softmax(Z2)
    loss:      L = -1/m sum over the batch of log A2[true class]
    backward:  dZ2 = A2 - Y        dW2 = 1/m dZ2 A1^T  db2 = 1/m sum(dZ2)
               dA1 = W2^T dZ2      dZ1 = dA1 * [Z1 > 0]
               dW1 = 1/m dZ1 X^T   db1 = 1/m sum(dZ1)
    update:    W <- W - alpha dW,  b <- b - alpha db

`trace_step` runs exactly that with the engine's own code: the layers' ``forward`` and
``backward`` (`nn.network.layers`), the fused softmax cross-entropy (`nn.network.losses`) and
the `GradientDescent` optimizer (`nn.network.optim`), the same calls `nn.training.train`
makes, and keeps a copy of each array as it is made.

Two differences from the notebook's notation, both only bookkeeping:

- The engine is row-major: one example per *row*, x (m, 784), W1 (784, h), Z1 = x W1 + b1
  (m, h). Every engine array is the transpose of the notebook's (Z1_engine = Z1_notebook^T,
  since (W X)^T = X^T W^T), so the numbers are the same, read across instead of down.
- The loss is a mean, so its gradient carries a factor 1/m. The notebook applies it in dW and
  db; the engine applies it once, in dZ2 = (A2 - Y) / m, and every gradient after inherits it.
"""

from dataclasses import dataclass

import numpy as np

from nn.network.layers import DTYPE, Dense, ReLU
from nn.network.losses import softmax_cross_entropy
from nn.network.optim import GradientDescent


@dataclass(frozen=True)
class StepTrace:
    """Every array of one gradient-descent step, in the engine's row-major shapes.

    m examples, n inputs (784), h hidden units, k classes (10). Weights before the step:
    ``w1`` (n, h), ``b1`` (h,), ``w2`` (h, k), ``b2`` (k,); after it: ``new_w1`` ... ``new_b2``.
    Forward: ``x`` (m, n), ``y`` (m,) int labels, ``z1`` (m, h), ``relu_mask`` (m, h) bool
    (True where a hidden unit passed its value, and so its gradient), ``a1`` (m, h), ``z2``
    (m, k), ``a2`` (m, k) probabilities, ``loss`` the batch's mean cross-entropy. Backward:
    ``dz2`` (m, k), ``dw2`` (h, k), ``db2`` (k,), ``da1`` (m, h), ``dz1`` (m, h), ``dw1``
    (n, h), ``db1`` (h,). After the update, the same batch again: ``a2_after`` (m, k) and
    ``loss_after``.
    """

    x: np.ndarray
    y: np.ndarray
    learning_rate: float
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    z1: np.ndarray
    relu_mask: np.ndarray
    a1: np.ndarray
    z2: np.ndarray
    a2: np.ndarray
    loss: float
    dz2: np.ndarray
    dw2: np.ndarray
    db2: np.ndarray
    da1: np.ndarray
    dz1: np.ndarray
    dw1: np.ndarray
    db1: np.ndarray
    new_w1: np.ndarray
    new_b1: np.ndarray
    new_w2: np.ndarray
    new_b2: np.ndarray
    a2_after: np.ndarray
    loss_after: float


def notebook_layers(model):
    """The (Dense, ReLU, Dense) layers of a model shaped like the notebook's network.

    Raises ValueError, saying what the model is instead, for any other architecture.
    """
    layers = model.layers
    if [type(layer) for layer in layers] != [Dense, ReLU, Dense]:
        names = " > ".join(type(layer).__name__ for layer in layers)
        raise ValueError(f"the model is {names}, not the notebook's Dense > ReLU > Dense")
    return tuple(layers)


def trace_step(model, x, y, learning_rate):
    """One gradient-descent step of ``model`` on images x (m, n) and labels y (m,).

    Trains ``model`` in place (its weights become ``new_w1`` ... ``new_b2``) and returns the
    `StepTrace` of every array on the way. Raises ValueError for a model that is not
    Dense > ReLU > Dense (`notebook_layers`).
    """
    dense1, relu, dense2 = notebook_layers(model)
    x = np.asarray(x, dtype=DTYPE).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.int64)
    w1, b1, w2, b2 = (p.copy() for p in model.params)
    # Forward, remembering what backward needs (training=True), exactly as training does.
    z1 = dense1.forward(x, training=True)
    a1 = relu.forward(z1, training=True)
    z2 = dense2.forward(a1, training=True)
    loss, a2, dz2 = softmax_cross_entropy(z2, y)
    # Backward: each layer turns dLoss/dOutput into dLoss/dInput and fills its dW, db.
    da1 = dense2.backward(dz2)
    dz1 = relu.backward(da1)
    dense1.backward(dz1, need_input_grad=False)   # dLoss/dX is of no use: X is the data
    # The layers reuse their gradient buffers, and the optimizer updates the weights in
    # place: keep copies of the values of this step.
    dw1, db1, dw2, db2 = (g.copy() for g in model.grads)
    GradientDescent(model.params, model.grads).step(learning_rate)
    loss_after, a2_after, _ = softmax_cross_entropy(model.forward(x), y)
    new_w1, new_b1, new_w2, new_b2 = (p.copy() for p in model.params)
    return StepTrace(x=x, y=y, learning_rate=float(learning_rate),
                     w1=w1, b1=b1, w2=w2, b2=b2, z1=z1, relu_mask=relu.mask.copy(), a1=a1,
                     z2=z2, a2=a2, loss=loss, dz2=dz2, dw2=dw2, db2=db2, da1=da1, dz1=dz1,
                     dw1=dw1, db1=db1, new_w1=new_w1, new_b1=new_b1, new_w2=new_w2,
                     new_b2=new_b2, a2_after=a2_after, loss_after=loss_after)
