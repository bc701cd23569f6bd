"""Why did the network say that? Maps over the input image, one number per pixel.

**Input gradient** (``input_gradient``): how much the class's log-probability changes when a
pixel gets a little more ink, d log p_class / d x. It is the same backward pass that trains
the network, carried one step further: past the first layer's weights to the input itself.
The map is local: it tells what a *small* change would do to this very drawing, not what a
pixel meant on its own, so it is noisy and it lights up empty paper too.

Why the log-probability and not the raw score (logit) of the class: the probabilities are
what the network answers, and softmax ignores anything that raises every class's score alike.
The logit's gradient keeps such shared evidence ("more ink anywhere raises every score"); the
log-probability's gradient, sum_j ([j == c] - p_j) d logit_j / d x, is the class's evidence
*minus* the probability-weighted evidence for all the others, so it shows what sets this class
apart. And unlike the probability's own gradient (p_c times this one) it does not vanish for
the unlikely classes, so "why not a 3?" has a readable answer too.

**Integrated gradients** (``integrated_gradients``, Sundararajan et al. 2017): each pixel's
share of the change in log p_class from a blank pad (all zeros, the input of an empty pad) to
the drawing. The image is faded in along the straight path a * x, a from 0 to 1; along the
way the input gradient is averaged, and each pixel's average times its ink is its share:
``(x_i - 0) * mean over a of d log p / d x_i (a * x)``. Because the path's derivative is
exactly sum_i x_i d log p / d x_i, the shares add up to ``log p(x) - log p(blank)``
(*completeness*: a check anyone can run; with ``steps`` midpoint samples of the path the sum
is off by a few percent at most on a real drawing). Empty paper gets exactly 0: it did not
change on the way, so it changed nothing. The ``steps`` copies go through the network as one
batch: one forward and one backward pass.

**Occlusion** (``occlusion``): how much the class's probability drops when a square patch of
the image is erased (set to 0, the background: for MNIST the data's mean grey, 0.13, is
nearly that). Each pixel gets the mean drop over the patches that cover it, in probability
units. It needs no gradient, only the image with ``OCCLUSION_PATCH``-sized holes fed through
the model in one batch, and it answers a blunter question: which parts of *your strokes*
carried the answer (erasing empty paper changes nothing, so the map is zero there).

None of the maps changes the model: they run on ``Layer.inference_copy()`` twins or through
inference passes, so a map computed while the model trains leaves its parameters, gradients
and saved activations exactly as they were.
"""

import numpy as np

from nn.network.layers import DTYPE
from nn.network.model import Model

OCCLUSION_PATCH = 6   # pixels: about one stroke crossing, 3 % of the 28x28 field
OCCLUSION_STRIDE = 2  # between patch positions: 12 x 12 = 144 of them on a 28x28 image
IG_STEPS = 16         # samples of the path from the blank pad: 2 classes x 16 = one batch of 32


def input_gradient(model, x, class_index):
    """d log p[class_index] / d x for one input x, and the probabilities it was taken at.

    x: one example, any shape with ``prod(model.input_shape)`` values, e.g. (28, 28); float32
    (float64 parameters and input give float64, for checking). Returns ``(gradient shaped
    like x, probabilities (classes,))``; the probabilities are those ``predict_proba`` gives.
    """
    x = np.asarray(x)
    grads, log_probs = class_gradients(model, x[None], [class_index])
    return grads[0], np.exp(log_probs[0]).astype(grads.dtype)


def class_gradients(model, xs, classes):
    """d log p[classes[i]] / d xs[i] for a batch, by one forward and one backward pass.

    xs: (n, ...) with ``prod(model.input_shape)`` values per example; classes: n class
    indices. Returns ``(gradients shaped like xs, log-probabilities (n, classes) float64)``.
    """
    xs = np.asarray(xs)
    batch = xs.astype(np.promote_types(xs.dtype, DTYPE)).reshape((len(xs),) + model.input_shape)
    twin = Model([layer.inference_copy() for layer in model.layers], model.input_shape)
    logits = twin.forward(batch, training=True).astype(np.float64)
    log_probs = log_softmax(logits / model.temperature)
    # With p = softmax(logit / T): d log p_c / d logit_j = ([j == c] - p_j) / T; these weights
    # add up to 0. For the class itself 1 - p_c would round to 0 once p_c is within 1e-16 of 1;
    # the sum of the others does not.
    weights = -np.exp(log_probs) / model.temperature
    rows = np.arange(len(xs))
    weights[rows, classes] = 0
    weights[rows, classes] = -weights.sum(axis=1)
    grads = twin.backward(weights.astype(batch.dtype), input_grad=True)
    return grads.reshape(xs.shape), log_probs


def integrated_gradients(model, x, classes, steps=IG_STEPS):
    """Each pixel's share of log p(x) - log p(blank), for each class of classes.

    x: one example shaped like the image, e.g. (28, 28). Returns ``(shares (len(classes),
    *x.shape), change (len(classes),) float64)``: the change of log p from the blank input to
    x, which the shares add up to (within the error of ``steps`` midpoint samples).
    """
    x = np.asarray(x)
    # Midpoints of steps equal pieces of [0, 1]: twice as accurate as either end's samples.
    alphas = (np.arange(steps) + 0.5) / steps
    path = (alphas.reshape((-1,) + (1,) * x.ndim) * x).astype(x.dtype)
    grads, _ = class_gradients(model, np.concatenate([path] * len(classes)),
                               np.repeat(classes, steps))
    ends = log_softmax(model.forward(np.stack([x, np.zeros_like(x)]).reshape(
        (2,) + model.input_shape).astype(np.promote_types(x.dtype, DTYPE))).astype(np.float64)
        / model.temperature)
    shares = x * grads.reshape((len(classes), steps) + x.shape).mean(axis=1)
    return shares, ends[0, classes] - ends[1, classes]


def log_softmax(logits):
    """log softmax(logits) (n, classes), exact where a probability rounds to 0 or 1."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def occlusion(model, image, classes):
    """The drop in p[c] when patches of image are erased, averaged per pixel, for each c.

    image: (h, w) with h * w = prod(model.input_shape), ink = 1; classes: class indices (one
    batch of erased copies serves them all). Returns (len(classes), h, w), in probability
    units: positive where erasing the ink lowers the class's probability (the ink supported
    it), negative where erasing raises it.
    """
    image = np.asarray(image, dtype=DTYPE)
    h, w = image.shape
    s = OCCLUSION_PATCH
    corners = [(r, c) for r in range(0, h - s + 1, OCCLUSION_STRIDE)
               for c in range(0, w - s + 1, OCCLUSION_STRIDE)]
    drop_sum, cover = np.zeros((len(classes), h, w)), np.zeros((h, w))
    for r, c in corners:
        cover[r:r + s, c:c + s] += 1
    # Erasing a patch of empty paper leaves the image as it was: its drop is exactly 0, so
    # only the patches with ink go through the model (a digit leaves most of them empty).
    inked = [(r, c) for r, c in corners if image[r:r + s, c:c + s].any()]
    batch = np.repeat(image[None], len(inked) + 1, axis=0)  # the last copy stays whole
    for i, (r, c) in enumerate(inked):
        batch[i, r:r + s, c:c + s] = 0
    probs = model.predict_proba(batch)[:, classes]
    for (r, c), p in zip(inked, probs[:-1]):
        drop_sum[:, r:r + s, c:c + s] += (probs[-1] - p)[:, None, None]
    return (drop_sum / np.maximum(cover, 1)).astype(DTYPE)
