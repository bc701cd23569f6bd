"""A network as a fixed body and a head that learns: the pieces of a fast fine-tuning.

The *head* is the network's last Dense layer: it turns the penultimate features (what the
layers before it make of an image) into the ten class scores. The *body* is every layer before
it. When only the head learns, the body's features of an image never change, so they can be
computed once and the head trained on them alone: a small linear problem that takes a second
where training the whole network on MNIST takes minutes.

`FeatureCache` keeps the features of fixed image sets (the MNIST digits) per body, so a second
fine-tuning of the same model, or of a model fine-tuned from it (same body, new head), does not
compute them again.
"""

import copy
import hashlib

import numpy as np

from nn.network.errors import TrainingError
from nn.network.layers import Dense
from nn.network.losses import softmax_cross_entropy
from nn.network.memory import DenseWithMemory
from nn.network.model import Model
from nn.network.optim import Adam

FEATURE_BATCH = 500       # images through the body at a time
HEAD_BATCH = 128
MAX_BODIES = 3            # whose features a FeatureCache keeps


class Stopped(Exception):
    """The stop event was set: the work was abandoned, nothing is delivered."""


def head_start(model):
    """Index of the model's last Dense layer: the head starts there, the body is before it."""
    for i in range(len(model.layers) - 1, -1, -1):
        if isinstance(model.layers[i], Dense):
            return i
    raise TrainingError("This model has no Dense layer to fine-tune.")


def body_features(model, x, stop=None):
    """What the head reads: the body's output for images x (n, 784), as (n, features) float32.
    Raises Stopped when ``stop`` (a threading.Event) is set between batches."""
    start = head_start(model)
    x = np.asarray(x, np.float32).reshape((-1,) + model.input_shape)
    out = [np.zeros((0, model.layers[start].params[0].shape[0]), np.float32)]
    for i in range(0, len(x), FEATURE_BATCH):
        if stop is not None and stop.is_set():
            raise Stopped()
        f = x[i:i + FEATURE_BATCH]
        for layer in model.layers[:start]:
            f = layer.forward(f)
        out.append(f.reshape(len(f), -1))
    return np.concatenate(out)


def head_scores(model, features):
    """The class scores (n, classes) ``model``'s head gives body features (n, features)."""
    out = features
    for layer in model.layers[head_start(model):]:
        out = layer.forward(out)
    return out


def body_key(model):
    """A hash of the body's architecture and weights: equal bodies give equal features."""
    start = head_start(model)
    digest = hashlib.sha256(repr(model.architecture()[:start]).encode())
    for layer in model.layers[:start]:
        for p in layer.params:
            digest.update(np.ascontiguousarray(p).tobytes())
    return digest.hexdigest()


class FeatureCache:
    """Body features of named, fixed image sets, computed once per body. The features of the
    `MAX_BODIES` bodies used last are kept (those of MNIST take about 20 MB a body)."""

    def __init__(self):
        self._bodies = {}   # body key -> {(name, n): features}, the last used last

    def features(self, model, name, x, stop=None):
        """``body_features(model, x)``, computed only the first time for this body and name
        (the name stands for the images: "MNIST test", for example)."""
        body = body_key(model)
        sets = self._bodies.pop(body, {})
        self._bodies[body] = sets
        while len(self._bodies) > MAX_BODIES:
            del self._bodies[next(iter(self._bodies))]
        if (name, len(x)) not in sets:
            sets[name, len(x)] = body_features(model, x, stop)
        return sets[name, len(x)]


def head_of(model):
    """The head of ``model`` as a model of its own, reading features: a copy, free to train.
    A memory the head has (`nn.network.memory`) is left out: only the Dense part learns."""
    start = head_start(model)
    last = model.layers[start]
    dense = Dense(*last.W.shape)
    np.copyto(dense.W, last.W)
    np.copyto(dense.b, last.b)
    return Model([dense] + copy.deepcopy(model.layers[start + 1:]), (last.W.shape[0],),
                 model.class_names)


def with_memory(head, memory):
    """``head`` (a model reading features, as `train_head` gives) whose Dense layer also
    remembers: a new model whose first layer is a `DenseWithMemory` with M = ``memory``."""
    layers = [DenseWithMemory.remembering(head.layers[0], memory)]
    return Model(layers + copy.deepcopy(head.layers[1:]), head.input_shape, head.class_names)


def train_head(model, x, y, epochs, learning_rate, stay, seed, on_progress=None, stop=None):
    """The head of ``model``, trained on features x (n, features) labelled y (n,): a new
    model reading features (``model`` is not changed).

    Mini-batches of `HEAD_BATCH` in a new random order each epoch, softmax cross-entropy,
    Adam. ``stay`` pulls the weights back towards where they started (the gradient of
    stay/2 * |w - w_start|^2 is added to each weight's): what the head knew about inputs the
    training examples do not show (other people's writing) is kept unless the examples ask
    to change it. ``on_progress`` receives the fraction done after each batch; setting
    ``stop`` raises Stopped.
    """
    head = head_of(model)
    start = [p.copy() for p in head.params]
    optimizer = Adam(head.params, head.grads)
    order_rng = np.random.default_rng(seed)
    n_batches = -(-len(x) // HEAD_BATCH)
    for epoch in range(epochs):
        order = order_rng.permutation(len(x))
        for b in range(n_batches):
            if stop is not None and stop.is_set():
                raise Stopped()
            batch = order[b * HEAD_BATCH:(b + 1) * HEAD_BATCH]
            _, _, grad = softmax_cross_entropy(head.forward(x[batch], training=True), y[batch])
            head.backward(grad)
            for p, g, p_start in zip(head.params, head.grads, start):
                g += stay * (p - p_start)
            optimizer.step(learning_rate)
            if on_progress is not None:
                on_progress((epoch + (b + 1) / n_batches) / epochs)
    return head


def with_head(model, head):
    """A copy of ``model`` (weights and info, no optimizer state) whose head is a copy of
    ``head`` (a model reading features: its layers replace the model's from `head_start` on)."""
    tuned = model.weights_copy()
    tuned.layers[head_start(tuned):] = copy.deepcopy(head.layers)
    return tuned
