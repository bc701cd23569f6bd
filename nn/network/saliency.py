"""Why did the network say that? Two maps over the input image, one number per pixel.

**Input gradient** (``input_gradient``): how much the class's log-probability changes when a
pixel gets a little more ink, d log p_class / d x. It is the same backward pass that trains
the network, carried one step further: past the first layer's weights to the input itself.
A positive pixel means "more ink here would make the network surer of this class", a negative
one "ink here speaks against it". The map is local: it tells what a *small* change would do
to this very drawing, not what a pixel meant on its own, so it can be noisy and it can light
up empty paper (where ink would change the answer) as well as the strokes.

Why the log-probability and not the raw score (logit) of the class: the probabilities are
what the network answers, and softmax ignores anything that raises every class's score alike.
The logit's gradient keeps such shared evidence ("more ink anywhere raises every score"); the
log-probability's gradient, sum_j ([j == c] - p_j) d logit_j / d x, is the class's evidence
*minus* the probability-weighted evidence for all the others, so it shows what sets this class
apart. And unlike the probability's own gradient (p_c times this one) it does not vanish for
the unlikely classes, so "why not a 3?" has a readable answer too. For a confident answer
it is sum_{j != c} p_j (d logit_c - d logit_j) / d x: mostly what tells the class from its
closest rival.

**Occlusion** (``occlusion``): how much the class's probability drops when a square patch of
the image is erased (set to 0, the background: for MNIST the data's mean grey, 0.13, is
nearly that). Each pixel gets the mean drop over the patches that cover it. It needs no
gradient, only the image with ``OCCLUSION_PATCH``-sized holes fed through the model in one
batch, and it
answers a blunter question: which parts of *your strokes* carried the answer (erasing empty
paper changes nothing, so the map is zero there).

Neither map changes the model: both run on ``Layer.inference_copy()`` twins or through
inference passes, so a map computed while the model trains leaves its parameters, gradients
and saved activations exactly as they were.
"""

import numpy as np

from nn.network.layers import DTYPE
from nn.network.losses import softmax
from nn.network.model import Model

OCCLUSION_PATCH = 6   # pixels: about one stroke crossing, 3 % of the 28x28 field
OCCLUSION_STRIDE = 2  # between patch positions: 12 x 12 = 144 of them on a 28x28 image


def input_gradient(model, x, class_index):
    """d log p[class_index] / d x for one input x, and the probabilities it was taken at.

    x: one example, any shape with ``prod(model.input_shape)`` values, e.g. (28, 28); float32
    (float64 parameters and input give float64, for checking). Returns ``(gradient shaped
    like x, probabilities (classes,))``; the probabilities are those ``predict_proba`` gives.
    """
    x = np.asarray(x)
    batch = x.astype(np.promote_types(x.dtype, DTYPE)).reshape((1,) + model.input_shape)
    twin = Model([layer.inference_copy() for layer in model.layers], model.input_shape)
    logits = twin.forward(batch, training=True).astype(np.float64)
    probs = softmax(logits / model.temperature)[0]
    # With p = softmax(logit / T): d log p_c / d logit_j = ([j == c] - p_j) / T; these weights
    # add up to 0. For the class itself 1 - p_c would round to 0 once p_c is within 1e-16 of 1;
    # the sum of the others does not.
    weights = -probs / model.temperature
    weights[class_index] = 0
    weights[class_index] = -weights.sum()
    grad = twin.backward(weights[None].astype(batch.dtype), input_grad=True)
    return grad.reshape(x.shape), probs.astype(batch.dtype)


def occlusion(model, image, class_index):
    """The drop in p[class_index] when patches of image are erased, averaged per pixel.

    image: (h, w) with h * w = prod(model.input_shape), ink = 1. Returns (h, w): positive
    where erasing the ink lowers the class's probability (the ink supported it), negative
    where erasing raises it.
    """
    image = np.asarray(image, dtype=DTYPE)
    h, w = image.shape
    s = OCCLUSION_PATCH
    corners = [(r, c) for r in range(0, h - s + 1, OCCLUSION_STRIDE)
               for c in range(0, w - s + 1, OCCLUSION_STRIDE)]
    drop_sum, cover = np.zeros((h, w)), np.zeros((h, w))
    for r, c in corners:
        cover[r:r + s, c:c + s] += 1
    # Erasing a patch of empty paper leaves the image as it was: its drop is exactly 0, so
    # only the patches with ink go through the model (a digit leaves most of them empty).
    inked = [(r, c) for r, c in corners if image[r:r + s, c:c + s].any()]
    batch = np.repeat(image[None], len(inked) + 1, axis=0)  # the last copy stays whole
    for i, (r, c) in enumerate(inked):
        batch[i, r:r + s, c:c + s] = 0
    probs = model.predict_proba(batch)[:, class_index]
    for (r, c), p in zip(inked, probs[:-1]):
        drop_sum[r:r + s, c:c + s] += probs[-1] - p
    return (drop_sum / np.maximum(cover, 1)).astype(DTYPE)
