"""What a training step costs: arithmetic and memory traffic, per layer and per phase.

A layer's time has a floor set by the machine. Its matrix products need a number of
floating-point operations (FLOPs: a multiply and an add count as two), which cannot go faster
than the CPU's rate on one large matrix product; everything else (copying image patches,
pooling, ReLU, the optimizer's update) does almost no arithmetic and is limited by the bytes
that must be read from and written to memory. A phase can do both at once at best, so its
floor is the larger of

    FLOPs / (large-GEMM rate)   and   bytes / (memory bandwidth)

(the "roofline"), and the ratio of the time a phase really takes to its floor says where
speed is left. The
counts here are exact for the arithmetic and the least traffic for the memory: every array
a phase must read is read once, every array it must produce is written once.

Phases of a training step, for a batch of n examples:

- ``im2col``: copy the input (C, H, W) of a convolution into its patch matrix (C*k*k, Ho*Wo*n);
- ``gemm``: the matrix products, three per layer with weights: forward ``y = W x``, the weight
  gradient ``dW = g x^T`` and the input gradient ``dx = W^T g`` (skipped by the first layer,
  whose input is the data); each is 2 * (rows of W) * (columns of W) * (positions) FLOPs;
- ``col2im``: add the patch gradients back into an input gradient;
- ``pooling``, ``activation`` (ReLU and other element-wise layers, Flatten's copy), ``loss``
  (softmax and cross-entropy), ``optimizer`` (one update of every parameter);
- ``data``: gathering each mini-batch of training images in the epoch's order, and their
  augmentation.
"""

from dataclasses import dataclass, field

import numpy as np

from nn.network.conv import Conv2D, MaxPool2D
from nn.network.layers import Dense, Flatten

PHASES = ("data", "im2col", "gemm", "col2im", "pooling", "activation", "loss", "optimizer")
FLOAT = np.dtype(np.float32).itemsize
# The optimizer reads and writes these float32 arrays per parameter: (read, written).
OPTIMIZER_ARRAYS = {"gd": (2, 1), "sgd": (3, 2), "adam": (4, 3), "adamw": (4, 3)}
# Bilinear augmentation reads four input pixels and writes one output pixel per pixel.
AUGMENT_ARRAYS = 5


@dataclass
class Cost:
    """FLOPs and bytes moved, per phase."""

    flops: dict = field(default_factory=lambda: dict.fromkeys(PHASES, 0))
    bytes: dict = field(default_factory=lambda: dict.fromkeys(PHASES, 0))

    def add(self, phase, flops=0, nbytes=0):
        self.flops[phase] += int(flops)
        self.bytes[phase] += int(nbytes)

    def __iadd__(self, other):
        for phase in PHASES:
            self.add(phase, other.flops[phase], other.bytes[phase])
        return self

    def scaled(self, factor):
        out = Cost()
        for phase in PHASES:
            out.add(phase, self.flops[phase] * factor, self.bytes[phase] * factor)
        return out

    def floor(self, gemm_flops_per_second, bytes_per_second):
        """The floor of each phase, in seconds: its FLOPs at the GEMM rate or its bytes at
        the memory bandwidth, whichever takes longer."""
        return {p: max(self.flops[p] / gemm_flops_per_second, self.bytes[p] / bytes_per_second)
                for p in PHASES}


def layer_step_cost(layer, input_shape, n, first):
    """Cost of one forward and backward pass of ``layer`` over n examples of ``input_shape``
    (one example's shape); the ``first`` layer computes no input gradient."""
    cost, size_in = Cost(), n * int(np.prod(input_shape))
    size_out = n * int(np.prod(layer.output_shape(input_shape)))
    if isinstance(layer, Conv2D):
        c, h, w = input_shape
        _, ho, wo = layer.output_shape(input_shape)
        positions = ho * wo * n                       # columns of the patch matrix
        cols = c * layer.k * layer.k * positions      # its size
        padded = n * c * (h + sum(layer.pad)) * (w + sum(layer.pad))
        cost.add("im2col", 0, (padded + cols) * FLOAT)
        matrix_products(cost, layer, positions, cols, size_out, first)
        if not first:
            cost.add("col2im", 0, (cols + padded) * FLOAT)
    elif isinstance(layer, Dense):
        matrix_products(cost, layer, n, size_in, size_out, first)
    elif isinstance(layer, MaxPool2D):
        # Forward: one comparison per input, read x, write the maxima and which offset won
        # (a byte each); backward: read the gradient and the winners, write the input gradient.
        cost.add("pooling", size_in, (size_in + size_out) * FLOAT + size_out)
        cost.add("pooling", 0, (size_out + size_in) * FLOAT + size_out)
    elif isinstance(layer, Flatten):
        cost.add("activation", 0, 2 * size_in * FLOAT)  # the copy into (n, features) rows
    else:
        # An element-wise layer: read x, write y and a mask; read g and the mask, write dx.
        cost.add("activation", size_in, 4 * size_in * FLOAT)
    return cost


def matrix_products(cost, layer, positions, size_in, size_out, first):
    """The three products of a layer whose weights W meet its input at ``positions`` places
    (examples for a dense layer, output pixels times examples for a convolution): forward
    ``y = W x + b``, ``dW = g x^T`` with ``db`` = g summed, and (not for the first layer)
    ``dx = W^T g``. ``size_in`` is what W multiplies (the patch matrix of a convolution)."""
    flops, weights = 2 * layer.W.size * positions, layer.W.size + layer.b.size
    cost.add("gemm", flops + size_out, (size_in + weights + size_out) * FLOAT)
    cost.add("gemm", flops + size_out, (size_in + size_out + weights) * FLOAT)
    if not first:
        cost.add("gemm", flops, (size_out + weights + size_in) * FLOAT)


def model_costs(model, n):
    """[(layer name, Cost)] of one training step of ``model`` on a batch of n examples."""
    shape, out = model.input_shape, []
    for i, layer in enumerate(model.layers):
        out.append((f"{i}:{type(layer).__name__}", layer_step_cost(layer, shape, n, i == 0)))
        shape = layer.output_shape(shape)
    return out


def epoch_costs(model, n_train, batch_size, optimizer, augmented):
    """[(name, Cost)] of one epoch of ``n_train`` examples in batches of ``batch_size``: each
    layer's steps, then the loss, the optimizer (one update per batch) and the data phase."""
    steps = n_train / batch_size
    rows = [(name, cost.scaled(steps)) for name, cost in model_costs(model, batch_size)]
    classes = len(model.class_names)
    loss, update, data = Cost(), Cost(), Cost()
    # Softmax and cross-entropy: read the scores, write the probabilities and the gradient.
    loss.add("loss", 5 * n_train * classes, 3 * n_train * classes * FLOAT)
    read, written = OPTIMIZER_ARRAYS[optimizer]
    n_batches = -(-n_train // batch_size)
    update.add("optimizer", 10 * model.n_params * n_batches,
               (read + written) * model.n_params * n_batches * FLOAT)
    image = n_train * int(np.prod(model.input_shape)) * FLOAT
    if batch_size < n_train:
        data.add("data", 0, 2 * image)  # each image read, and written into its batch
    if augmented:
        data.add("data", 0, AUGMENT_ARRAYS * image)
    return rows + [("loss", loss), ("optimizer", update), ("data", data)]


def total(costs):
    """The sum of the Costs of [(name, Cost)]."""
    out = Cost()
    for _, cost in costs:
        out += cost
    return out
