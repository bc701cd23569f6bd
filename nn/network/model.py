"""A model: an ordered list of layers, plus what a trained network needs to be used.

A trained network's probabilities are often surer than it is right (a modern network can say
"99%" of digits it gets wrong one time in ten). A model therefore carries its *calibration*
(``nn.training.calibration`` fits it on examples the network never trained on):

- ``temperature`` T: its probabilities are softmax(scores / T). T > 1 softens them, T < 1
  sharpens them; dividing every score by the same positive number never changes which score
  is largest, so the answer (``predict``) stays the same and only how sure it is changes.
- ``unsure_below``: an answer whose probability is below it is shown "unsure" (`is_unsure`).

A model nobody calibrated has T = 1 (the plain softmax) and ``UNSURE_BELOW``.
"""

import math

import numpy as np

from nn.network import metrics
from nn.network.conv import CONV_LAYERS
from nn.network.layers import ACTIVATIONS, BASIC_LAYERS, DTYPE
from nn.network.errors import DigitLabError
from nn.network.losses import softmax
from nn.network.memory import DenseWithMemory

INFERENCE_BATCH = 1000
OVERFLOW = ("the weights are so large that the scores overflow (they are not finite numbers); "
            "retrain the model or open another")
# Numbers (float32) the activations of one batch may take: 128 MB. A forward pass holds a few
# arrays of that size at once (a layer's output, its patch matrix, a transposed copy), so a
# batch sized by it stays well under 1 GB whatever the network.
ACTIVATION_BUDGET = 2**25
LAYER_TYPES = {cls.__name__: cls for cls in BASIC_LAYERS + CONV_LAYERS + (DenseWithMemory,)}
ACTIVATION_TYPES = {cls.__name__ for cls in ACTIVATIONS.values()}
UNSURE_BELOW = 0.60           # the "unsure" threshold of a model nobody calibrated
# A temperature outside these bounds is no calibration but a broken one: T = 100 already
# turns scores 10 apart into probabilities within 10% of each other.
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.01, 100.0


DIGITS = tuple("0123456789")   # the class names of a model that reads digits: MNIST's


class Model:
    """A feed-forward network: layers applied one after another.

    ``input_shape`` is the shape of one example, e.g. (784,) for a dense network or
    (1, 28, 28) for a convolutional one; ``predict_proba`` accepts images as (n, 784)
    or (n, 1, 28, 28) and reshapes them to it.
    """

    def __init__(self, layers, input_shape=(784,), class_names=DIGITS):
        self.layers = list(layers)
        self.input_shape = tuple(input_shape)
        self.class_names = tuple(class_names)
        # What is known about how the model was made (dataset, training config, history,
        # test accuracy...): a JSON-able dict saved in model files.
        self.info = {}
        self.optimizer_state = None  # (settings, arrays) read from a file, for resuming
        # Where the last run's random streams stopped (nn.network.randomness), so the next
        # continues them.
        self.random_state = None
        self.temperature = 1.0
        self.unsure_below = UNSURE_BELOW

    # --- training -------------------------------------------------------------------------------

    def forward(self, x, training=False):
        """Scores (n, classes) for a batch x shaped (n, *input_shape)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad, input_grad=False):
        """Back-propagate dLoss/dScores through every layer, filling each layer's ``grads``.

        With ``input_grad`` the pass goes one step further and returns dLoss/dInput, shaped
        like the last training forward's x; otherwise the first layer skips that product.
        """
        last = len(self.layers) - 1
        for i, layer in enumerate(reversed(self.layers)):
            grad = layer.backward(grad, need_input_grad=input_grad or i != last)
        return grad

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]

    def named_params(self):
        """(name, array) pairs such as ("layer0.W", W), in a stable order."""
        return [(f"layer{i}.{name}", p)
                for i, layer in enumerate(self.layers)
                for name, p in zip(layer.param_names, layer.params)]

    def weights_copy(self):
        """A new model with copies of this one's weights and info, and none of the state its
        layers keep between a training pass forward and backward (or its optimizer state)."""
        twin = Model.from_architecture(self.architecture(), self.input_shape, self.class_names)
        for mine, theirs in zip(twin.params, self.params):
            np.copyto(mine, theirs)
        twin.info = dict(self.info)
        twin.set_calibration(self.temperature, self.unsure_below)
        return twin

    @property
    def n_params(self):
        return sum(p.size for p in self.params)

    @property
    def reads_digits(self):
        """Whether it reads digits as 28x28 images, as the pads and the pen digits give them."""
        return tuple(self.class_names) == DIGITS and int(np.prod(self.input_shape)) == 784

    # --- inference ------------------------------------------------------------------------------

    def batch_limit(self, most):
        """How many examples to put through at once: ``most``, or fewer when their
        activations would pass ACTIVATION_BUDGET (a wide convolution takes a million numbers
        per example: 1,000 of them would take 4 GB)."""
        per_example = activations_per_example(self.architecture(), self.input_shape)
        return max(1, min(most, ACTIVATION_BUDGET // per_example))

    def predict_proba(self, x, batch_size=None):
        """Class probabilities (n, classes) for images x, (n, 784) or (n, 1, 28, 28).

        Works through x in batches (of `batch_limit` examples unless ``batch_size`` is
        given), so evaluating 10,000 images never holds more than one batch of activations.
        The probabilities are calibrated: see `probabilities`.
        """
        batch_size = batch_size or self.batch_limit(INFERENCE_BATCH)
        x = np.asarray(x, dtype=DTYPE).reshape((-1,) + self.input_shape)
        out = np.empty((len(x), len(self.class_names)), dtype=DTYPE)
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, len(x), batch_size):
                out[start:start + batch_size] = self.probabilities(
                    self.forward(x[start:start + batch_size]))
        if not np.isfinite(out).all():
            raise DigitLabError(f"For these images {OVERFLOW}.")
        return out

    def probabilities(self, scores):
        """The calibrated probabilities (n, classes) of the last layer's scores (n, classes):
        softmax(scores / temperature)."""
        return softmax(scores / self.temperature)

    def is_unsure(self, probs):
        """Whether an answer is shown "unsure": its probability, the largest of ``probs``
        ((classes,) or (n, classes)), is below ``unsure_below``. A bool, or (n,) bools."""
        return shown_unsure(np.max(probs, axis=-1), self.unsure_below)

    def set_calibration(self, temperature, unsure_below):
        """Use ``temperature`` and ``unsure_below`` from now on (ValueError if either is not
        a valid value, see `calibration_problem`)."""
        problem = calibration_problem(temperature, unsure_below)
        if problem:
            raise ValueError(problem)
        self.temperature, self.unsure_below = float(temperature), float(unsure_below)

    def predict(self, x, batch_size=None):
        """Predicted class index (n,) for images x."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def accuracy(self, x, y):
        """Fraction of examples whose predicted class equals the label."""
        return metrics.accuracy(y, self.predict(x))

    # --- description ----------------------------------------------------------------------------

    def architecture(self):
        """The layer specs: a JSON-able list that ``Model.from_architecture`` rebuilds."""
        return [layer.spec() for layer in self.layers]

    @classmethod
    def from_architecture(cls, specs, input_shape=(784,), class_names=DIGITS,
                          rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        return cls([build_layer(s, rng) for s in specs], input_shape, class_names)

    def summary(self):
        """A short human description, e.g. "784-128-10 (ReLU), 101,770 parameters"."""
        return f"{describe(self.architecture())}, {self.n_params:,} parameters"


def layer_output(spec, shape):
    """(output shape, numbers of its patch matrix) of the layer ``spec`` for one example of
    ``shape``: the patch matrix (im2col) is what a convolution holds besides its output. The
    spec is assumed to fit the shape (``nn.files.model_meta`` checks that first)."""
    kind = spec["type"]
    if kind in ("Dense", "DenseWithMemory"):
        return (spec["out"],), 0
    if kind == "Flatten":
        return (math.prod(shape),), 0
    if kind == "MaxPool2D":
        size, (c, h, w) = spec.get("size", 2), shape
        return (c, h // size, w // size), 0
    if kind == "Conv2D":
        k, (c, h, w) = spec["kernel_size"], shape
        fit = 1 - k + (k - 1 if spec.get("padding", "valid") == "same" else 0)
        return (spec["out_channels"], h + fit, w + fit), c * k * k * (h + fit) * (w + fit)
    return tuple(shape), 0   # activations and dropout keep the shape


def activations_per_example(specs, input_shape):
    """Numbers one example takes on its way through the layers ``specs``: its input, every
    layer's output and every patch matrix."""
    shape, total = tuple(input_shape), math.prod(input_shape)
    for spec in specs:
        shape, patches = layer_output(spec, shape)
        total += patches + math.prod(shape)
    return total


def shown_unsure(confidence, unsure_below):
    """The app's rule: an answer given with probability ``confidence`` (a number or an array)
    is shown "unsure" when that probability is below ``unsure_below``."""
    return np.asarray(confidence) < unsure_below


def calibration_problem(temperature, unsure_below):
    """What is wrong with a calibration, as a phrase, or "" if nothing is: the temperature
    must be a number from MIN_TEMPERATURE to MAX_TEMPERATURE, the threshold one from 0 to 1."""
    def number(v):
        return (isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
                and np.isfinite(v))

    if not (number(temperature) and MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE):
        return (f"temperature {temperature!r:.40} is not a number from {MIN_TEMPERATURE:g} to "
                f"{MAX_TEMPERATURE:g}")
    if not (number(unsure_below) and 0 <= unsure_below <= 1):
        return f"unsure threshold {unsure_below!r:.40} is not a probability from 0 to 1"
    return ""


def build_layer(spec, rng):
    """Make a layer from its ``spec()`` dict, e.g. {"type": "Dense", "in": 784, "out": 10}."""
    cls = LAYER_TYPES.get(spec.get("type"))
    if cls is None:
        raise ValueError(f"unknown layer type {spec.get('type')!r}")
    return cls.from_spec(spec, rng)


def describe(specs):
    """Compact architecture name: "784-128-10 ReLU" for dense nets, "Conv5x5x16 > MaxPool2 >
    ReLU > ..." for anything else."""
    shown = [s for s in specs if s["type"] not in ("Dropout", "Flatten")]
    dense = [s for s in shown if s["type"] == "Dense"]
    activations = sorted({s["type"] for s in shown if s["type"] != "Dense"})
    if dense and all(s["type"] in ACTIVATION_TYPES for s in shown if s["type"] != "Dense"):
        sizes = [dense[0]["in"]] + [s["out"] for s in dense]
        return "-".join(map(str, sizes)) + "".join(f" {a}" for a in activations)
    labels = {"Dense": "Dense({out})", "DenseWithMemory": "Dense({out}) with memory",
              "MaxPool2D": "MaxPool{size}",
              "Conv2D": "Conv{kernel_size}x{kernel_size}x{out_channels}"}
    return " > ".join(labels.get(s["type"], s["type"]).format(**s) for s in shown)
