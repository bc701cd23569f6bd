"""What the Inspect tab draws, taken out of a model as plain arrays: the first layer's weights
and every layer's output for one image.

NumPy only, no widgets: the views in inspect_views draw these arrays.
"""

import numpy as np

from nn.network.conv import Conv2D
from nn.network.layers import Dense

MAX_UNIT_IMAGES = 64      # first-layer units drawn as 28x28 weight images


def first_layer_picture(model):
    """("dense", W (n, 28, 28)), ("conv", index, W (O, k, k)) or None for other first layers."""
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense) and layer.W.shape[0] == 784:
            n = min(layer.W.shape[1], MAX_UNIT_IMAGES)
            return ("dense", layer.W[:, :n].T.reshape(n, 28, 28))
        if isinstance(layer, Conv2D):
            return ("conv", i, layer.W[:, 0])   # input channel 0: MNIST has one
        if layer.params:
            return None
    return None


def activation_path(model, image):
    """[(name, output without the batch axis)] of every layer for one (28, 28) image.

    Runs the layers one by one with training=False, so no layer keeps training state."""
    x = np.asarray(image, dtype=np.float32).reshape((1,) + model.input_shape)
    entries = []
    for i, layer in enumerate(model.layers):
        x = layer.forward(x, training=False)
        last = " (output scores: the largest wins)" if i == len(model.layers) - 1 else ""
        entries.append((f"{i + 1}. {type(layer).__name__}{last}", np.array(x[0])))
    return entries
