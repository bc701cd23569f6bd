"""Convolution and pooling layers for images, forward and backward side by side.

A batch of images is ``(n, C, H, W)`` at the interface of every layer.

im2col, the trick that makes a convolution one matrix product: every output position needs the
``C*k*k`` input values under the kernel. Lay them out as a column, one column per output
position and image, and the convolution of all of them is ``W (O, C*k*k) @ cols (C*k*k, ...)``.
The backward pass uses the same matrix for dW, and scatters the input gradient back with one
slice-add per kernel offset ("col2im").

The classes read as the maths; what makes them fast (memory layout, reused buffers) lives in
named helpers at the end of the module, explained once in "Speed" there.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nn.network.layers import DTYPE, Layer, init_weights

# At inference (no backward pass to feed), a batch is convolved in chunks whose im2col matrix
# stays under this size, so evaluating 1,000 images at once never needs gigabytes.
MAX_INFERENCE_COLS_BYTES = 8 * 2**20
PADDINGS = ("valid", "same")


class Conv2D(Layer):
    """2-D convolution, stride 1: ``y[n, o] = b[o] + sum_c x[n, c] * W[o, c]`` (cross-correlation,
    as in every deep-learning library).

    - x: (n, in_channels, H, W); y: (n, out_channels, H_out, W_out);
    - W: (out_channels, in_channels, k, k); b: (out_channels,);
    - ``padding="valid"``: no padding, H_out = H - k + 1; ``"same"``: zeros around the image so
      that H_out = H (for an even k the extra row and column go at the bottom and right).

    ``backward`` uses what the last ``forward(x, training=True)`` saved (the im2col matrix),
    once: it reuses that matrix's memory for the input gradient.
    """

    param_names = ("W", "b")

    def __init__(self, in_channels, out_channels, kernel_size, padding="valid", init="he",
                 rng=None):
        if padding not in PADDINGS:
            raise ValueError(f"unknown padding {padding!r}: use 'valid' or 'same'")
        if min(in_channels, out_channels, kernel_size) < 1:
            raise ValueError("channels and kernel size must be positive")
        rng = rng if rng is not None else np.random.default_rng(0)
        self.c_in, self.c_out, self.k = int(in_channels), int(out_channels), int(kernel_size)
        self.padding, self.init = padding, init
        k = self.k
        # Each output sums c_in*k*k inputs and each input reaches c_out*k*k outputs.
        self.W = init_weights(init, self.c_in * k * k, self.c_out * k * k,
                              (self.c_out, self.c_in, k, k), rng)
        self.b = np.zeros(self.c_out, dtype=DTYPE)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        before = (k - 1) // 2 if padding == "same" else 0
        self.pad = (before, k - 1 - before) if padding == "same" else (0, 0)
        self._cols = ReusedBuffer()  # the training passes' im2col matrix

    def forward(self, x, training=False):
        if not training:
            return self._infer(x)
        cols = im2col(pad_chwn(x, self.pad), self.k, self._cols)
        self.cols, self.input_shape = cols, x.shape  # what backward needs
        return from_chwn(self._convolve(cols, x.shape))

    def _convolve(self, cols, input_shape):
        """y = W cols + b, one matrix product for the whole batch, as (O, H_out, W_out, n)."""
        n = input_shape[0]
        h_out, w_out = self.output_shape(input_shape[1:])[1:]
        out = self.W.reshape(self.c_out, -1) @ cols
        out += self.b[:, None]
        return out.reshape(self.c_out, h_out, w_out, n)

    def _infer(self, x):
        """The forward pass without saving anything, in chunks of a bounded im2col matrix."""
        n, (h_out, w_out) = len(x), self.output_shape(x.shape[1:])[1:]
        per_image = self.c_in * self.k * self.k * h_out * w_out * x.itemsize
        chunk = max(1, MAX_INFERENCE_COLS_BYTES // per_image)
        if n <= chunk:
            return from_chwn(self._convolve(im2col(pad_chwn(x, self.pad), self.k), x.shape))
        out = np.empty((self.c_out, h_out, w_out, n), dtype=np.result_type(x, self.W))
        for s in range(0, n, chunk):
            part = x[s:s + chunk]
            out[..., s:s + chunk] = self._convolve(im2col(pad_chwn(part, self.pad), self.k),
                                                   part.shape)
        return from_chwn(out)

    def backward(self, grad_out, need_input_grad=True):
        # y = W cols + b  =>  dW = g cols^T,  db = g summed over positions,  dcols = W^T g;
        # each input value appears in k*k columns, so col2im adds their gradients up.
        g = to_chwn(grad_out).reshape(self.c_out, -1)  # (O, H_out*W_out*n)
        weight_gradient(self.cols, g, out=self.dW.reshape(self.c_out, -1))
        np.sum(g, axis=1, out=self.db)
        if not need_input_grad:
            return None
        dcols, self.cols = self.cols, None  # the columns have served: dcols takes their memory
        np.matmul(self.W.reshape(self.c_out, -1).T, g, out=dcols)
        return from_chwn(col2im(dcols, self.input_shape, self.k, self.pad))

    def inference_copy(self):
        twin = super().inference_copy()
        twin._cols = ReusedBuffer()  # its training pass must not write into this layer's buffer
        return twin

    def spec(self):
        return {"type": "Conv2D", "in_channels": self.c_in, "out_channels": self.c_out,
                "kernel_size": self.k, "padding": self.padding, "init": self.init}

    @classmethod
    def from_spec(cls, spec, rng):
        return cls(spec["in_channels"], spec["out_channels"], spec["kernel_size"],
                   padding=spec.get("padding", "valid"), init=spec.get("init", "he"), rng=rng)

    def output_shape(self, input_shape):
        c, h, w = input_shape
        if c != self.c_in:
            raise ValueError(f"Conv2D expects {self.c_in} input channels, got {c}")
        extra = sum(self.pad) - self.k + 1
        if h + extra < 1 or w + extra < 1:
            raise ValueError(f"a {self.k}x{self.k} kernel does not fit a {h}x{w} image")
        return (self.c_out, h + extra, w + extra)


class MaxPool2D(Layer):
    """Max pooling over non-overlapping ``size`` x ``size`` windows: (n, C, H, W) ->
    (n, C, H // size, W // size). Rows and columns that do not fill a window are dropped.

    The gradient of a maximum flows to the input that was the maximum. When several inputs of
    a window tie, the maximum has no derivative, and the choice matters: on blank paper every
    window of a convolution's output holds its bias, so every window ties. Giving it all to
    one of them (the first, say) paints a speckle over empty paper that means nothing, so it is
    split equally among the tied inputs: raising all k of them together by h raises the
    maximum by h (the k shares add up to that), and no input is favoured over its equals.
    """

    def __init__(self, size=2):
        if not 1 <= int(size) <= MAX_POOL_SIZE:
            raise ValueError(f"pool size must be between 1 and {MAX_POOL_SIZE}, got {size}")
        self.size = int(size)

    def forward(self, x, training=False):
        x_chwn = to_chwn(x)
        offsets = window_offsets(x_chwn, self.size)
        out = offsets[0].copy()
        for value in offsets[1:]:
            np.maximum(out, value, out=out)
        if training:  # backward finds the maxima again by comparing the input with out
            self.x, self.out, self.input_shape = x_chwn, out, x.shape
        return from_chwn(out)

    def backward(self, grad_out, need_input_grad=True):
        if not need_input_grad:
            return None
        n, c, h, w = self.input_shape
        g = to_chwn(grad_out)
        s = self.size
        # Every input inside a window gets a value below; only a cropped edge needs zeros.
        dx = (np.zeros if h % s or w % s else np.empty)((c, h, w, n), dtype=g.dtype)
        is_max = [value == self.out for value in window_offsets(self.x, s)]
        # Each window's gradient over the number of its maxima, counted in the gradient's own
        # float32 (a sum of booleans would be int64, and dividing by it, float64: twice the bytes).
        share = is_max[0].astype(g.dtype)
        for here in is_max[1:]:
            share += here
        np.divide(g, share, out=share)
        for grad, here in zip(window_offsets(dx, s), is_max):
            np.multiply(share, here, out=grad)
        self.x = self.out = None
        return from_chwn(dx)

    def spec(self):
        return {"type": "MaxPool2D", "size": self.size}

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // self.size, w // self.size)


CONV_LAYERS = (Conv2D, MaxPool2D)


# --- Speed --------------------------------------------------------------------------------------
#
# Memory layout. Inside, these layers keep their activations in "CHWN" order (channels, rows,
# columns, and the batch innermost) and hand the next layer a *transposed view* shaped
# (n, C, H, W) (``from_chwn``). Element-wise layers (ReLU, Dropout) keep that memory order, so
# the next convolution or pooling finds its input already laid out the way it wants
# (``to_chwn`` is then a view, not a copy). Why CHWN: for a fixed channel and kernel offset,
# the patch values a whole output row needs are one contiguous run of ``W_out * n`` numbers, so
# building the im2col matrix is a few thousand long memcpy-like copies instead of millions of
# short ones; and the matrix product writes its result straight back in CHWN order. ``Flatten``
# turns the view into ordinary (n, C*H*W) rows (a small copy), so dense layers and model files
# see the standard NCHW order.
#
# Reused buffers. The im2col matrix is the largest array of a training step. A fresh one every
# batch would cost page faults on every batch, so training passes write it into one buffer kept
# by the layer (``ReusedBuffer``), and the backward pass, once dW is computed, reuses that
# same memory for the gradient of the columns. Inference takes a fresh matrix instead, so that
# a prediction made between a training forward and its backward cannot spoil the saved columns,
# and no large buffer outlives it.
#
# Products in the faster order. dW^T = cols g^T is the same product as dW = g cols^T, but BLAS
# runs it faster in that order (``weight_gradient``).

MAX_POOL_SIZE = 15  # larger windows than any image here needs are refused


def to_chwn(x):
    """The (n, C, H, W) batch x as a contiguous (C, H, W, n) array (a view when it already is)."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))


def from_chwn(a):
    """The (C, H, W, n) array a seen as an (n, C, H, W) batch (a view, nothing copied)."""
    return a.transpose(3, 0, 1, 2)


class ReusedBuffer:
    """One array kept from call to call, replaced only when the shape or dtype asked changes."""

    def __init__(self):
        self.array = None

    def get(self, shape, dtype):
        if self.array is None or self.array.shape != shape or self.array.dtype != dtype:
            self.array = np.empty(shape, dtype)
        return self.array


def pad_chwn(x, pad):
    """x (n, C, H, W) as a contiguous (C, H + pads, W + pads, n) array, ``pad = (before,
    after)`` rows and columns of zeros around each image."""
    before, after = pad
    if before == after == 0:
        return to_chwn(x)
    n, c, h, w = x.shape
    xp = np.zeros((c, h + before + after, w + before + after, n), dtype=x.dtype)
    xp[:, before:before + h, before:before + w, :] = x.transpose(1, 2, 3, 0)
    return xp


def im2col(xp, k, buffer=None):
    """Patches of the padded CHWN input xp as a (C*k*k, H_out*W_out*n) matrix, written into
    ``buffer`` (a ``ReusedBuffer``) when given.

    Row (c, i, j) holds, for every output position and image, the input value at kernel
    offset (i, j) of channel c: exactly what ``W.reshape(O, C*k*k)`` multiplies.
    """
    c, hp, wp, n = xp.shape
    # windows[c, y, x, n, i, j] = xp[c, y + i, x + j, n], a strided view (no copy).
    windows = sliding_window_view(xp, (k, k), axis=(1, 2))
    shape = (c, k, k, hp - k + 1, wp - k + 1, n)
    cols = np.empty(shape, xp.dtype) if buffer is None else buffer.get(shape, xp.dtype)
    np.copyto(cols, windows.transpose(0, 4, 5, 1, 2, 3))
    return cols.reshape(c * k * k, -1)


def col2im(dcols, input_shape, k, pad):
    """The gradient of the input (C, H, W, n) from that of its columns: every input value was
    copied into k*k columns, so their gradients add up (one slice-add per kernel offset)."""
    n, c, h, w = input_shape
    before, after = pad
    h_out, w_out = h + before + after - k + 1, w + before + after - k + 1
    dcols = dcols.reshape(c, k, k, h_out, w_out, n)
    dxp = np.zeros((c, h + before + after, w + before + after, n), dtype=dcols.dtype)
    for i in range(k):          # a loop over the k*k kernel offsets, never over images
        for j in range(k):
            dxp[:, i:i + h_out, j:j + w_out, :] += dcols[:, i, j]
    return dxp[:, before:before + h, before:before + w, :]


def weight_gradient(cols, g, out):
    """out = g cols^T, computed as (cols g^T)^T (passing out's transpose as ``out=`` would make
    NumPy swap the product back)."""
    out[...] = (cols @ g.T).T


def window_offsets(a, s):
    """The s*s views (C, H', W', n) of a CHWN array a holding the value at each offset of the
    s x s windows, in reading order; rows and columns that do not fill a window are left out."""
    c, h, w, n = a.shape
    windows = a[:, :h - h % s, :w - w % s].reshape(c, h // s, s, w // s, s, n)
    return [windows[:, :, p // s, :, p % s] for p in range(s * s)]

