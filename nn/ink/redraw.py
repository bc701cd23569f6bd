"""Training digits drawn again the way the app draws a user's strokes for the network.

The app does not show the network the pen's ink: it redraws the pen's centre lines at MNIST's
stroke width (`nn.ink.strokes`). A digit redrawn like that is a little different from the scanned
original: even width, round ends, no ink blots. Redrawing MNIST's training digits too (their
centre lines from `nn.ink.skeleton`, through the very same renderer) and training on both shows the
network exactly what a drawing becomes.
"""

import numpy as np

from nn.network.errors import TrainingError
from nn.ink.skeleton import strokes_of
from nn.ink.strokes import strokes_to_mnist

REDRAW_CHUNK = 1000  # digits redrawn between two looks at the stop event


def redraw(images, stop=None):
    """images (n, 784) or (n, 1, 28, 28) floats in [0, 1] -> redrawn, same shape, float32.

    A digit whose centre lines cannot be found (no pixel above the thinning threshold) is
    kept as it is. Redrawing 60,000 digits takes a minute or two: once `stop` (a
    threading.Event) is set, the digits not yet redrawn are kept as they are too.
    """
    images = np.asarray(images, dtype=np.float32)
    out = images.reshape(len(images), int(np.prod(images.shape[1:]))).copy()  # none: (0, 784)
    for start in range(0, len(images), REDRAW_CHUNK):
        if stop is not None and stop.is_set():
            break
        for i, strokes in enumerate(strokes_of(images[start:start + REDRAW_CHUNK]), start):
            if strokes:
                out[i] = strokes_to_mnist(strokes).ravel()
    return out.reshape(images.shape)


def redrawn_count(n, share):
    """How many of n examples `with_redrawn` redraws for a `share` of them."""
    return round(share * n)


def with_redrawn(x, y, share, rng, stop=None):
    """(x, y) followed by redrawings of a random `share` (0 to 1) of its examples.

    x: (n, ...) float32 images, y: (n,) labels; returns (n + m, ...) and (n + m,) with
    m = `redrawn_count` (n, share). `stop` is `redraw`'s.
    """
    if not 0 <= share <= 1:
        raise TrainingError(f"The share of training digits to redraw must be between 0 and 1, "
                            f"not {share}.")
    chosen = rng.choice(len(x), redrawn_count(len(x), share), replace=False)
    return np.concatenate([x, redraw(x[chosen], stop)]), np.concatenate([y, y[chosen]])
