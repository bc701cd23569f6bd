"""Named, documented configurations: an architecture and how to train it.

Each preset is a starting point the CLI (`--preset NAME`) and the Train tab offer.
"""

import re
from dataclasses import dataclass

from nn.network.errors import SettingError
from nn.network.layers import ACTIVATIONS
from nn.training.train import TrainConfig

DENSE_INPUT = (784,)
MAX_HIDDEN_LAYERS = 8
MAX_HIDDEN_WIDTH = 4096


def mlp_architecture(hidden=(256, 128), activation="relu", dropout=0.0, init="he",
                     n_in=784, n_out=10):
    """Layer specs of a dense network: n_in -> hidden... -> n_out.

    Each hidden layer is Dense, then the activation, then Dropout when ``dropout`` > 0.
    The output layer has no activation: the loss applies softmax to its scores.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: use one of {', '.join(ACTIVATIONS)}")
    specs, size = [], n_in
    for width in hidden:
        specs.append({"type": "Dense", "in": size, "out": int(width), "init": init})
        specs.append({"type": ACTIVATIONS[activation].__name__})
        if dropout > 0:
            specs.append({"type": "Dropout", "rate": float(dropout)})
        size = int(width)
    specs.append({"type": "Dense", "in": size, "out": n_out,
                  "init": init if init == "uniform" else "glorot"})
    return specs


def cnn_architecture(channels=(16, 32), kernel=5, padding="valid", dense=(128,), dropout=0.0,
                     input_shape=(1, 28, 28), n_out=10):
    """Layer specs of a convolutional network for images ``input_shape`` (C, H, W).

    Each entry of ``channels`` is a block Conv2D (``kernel`` x ``kernel``, ``padding``) ->
    MaxPool2D(2) -> ReLU; then Flatten, the hidden Dense layers of ``dense`` (each followed by
    ReLU and, when ``dropout`` > 0, Dropout) and the output layer of ``n_out`` scores.

    Pooling before the ReLU gives exactly the same network as the usual conv -> ReLU -> pool
    (both are monotonic, so max(relu(x)) = relu(max(x)), gradients included), but the ReLU
    then works on a quarter of the values.
    """
    specs, (c, h, w) = [], input_shape
    for out in channels:
        specs += [{"type": "Conv2D", "in_channels": c, "out_channels": int(out),
                   "kernel_size": kernel, "padding": padding, "init": "he"},
                  {"type": "MaxPool2D", "size": 2}, {"type": "ReLU"}]
        shrink = 0 if padding == "same" else kernel - 1
        c, h, w = int(out), (h - shrink) // 2, (w - shrink) // 2
    specs.append({"type": "Flatten"})
    return specs + mlp_architecture(dense, dropout=dropout, n_in=c * h * w, n_out=n_out)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    architecture: list
    config: TrainConfig
    input_shape: tuple = (784,)


NOTEBOOK = Preset(
    "notebook", "Notebook 784-10-10",
    "The notebook's network exactly: 784 inputs, 10 ReLU units, 10 softmax outputs, weights "
    "and biases from uniform(-0.5, 0.5), full-batch gradient descent with learning rate 0.1 "
    "for 500 iterations on 41,000 training images (the notebook's Kaggle split: 42,000 minus "
    "1,000 held out). About 85% on the MNIST test set.",
    mlp_architecture((10,), init="uniform"),
    TrainConfig(epochs=500, batch_size=0, optimizer="gd", learning_rate=0.1,
                train_size=42000, validation_size=1000, seed=2))

MLP = Preset(
    "mlp", "Deep MLP",
    "784-512-256-10 with ReLU and dropout 0.2, trained with Adam (learning rate 0.002) in "
    "mini-batches of 128 with a cosine learning-rate decay. About 98.5% on the MNIST test set "
    "in 10 epochs.",
    mlp_architecture((512, 256), dropout=0.2),
    TrainConfig(epochs=10, batch_size=128, optimizer="adam", learning_rate=2e-3,
                schedule="cosine", validation_size=5000))

CNN = Preset(
    "cnn", "Convolutional network",
    "Two 5x5 convolutions (16 and 32 filters), each followed by 2x2 max pooling and ReLU, then "
    "256 ReLU units with dropout 0.4 and 10 outputs; Adam (learning rate 0.002) in mini-batches "
    "of 128 with a cosine learning-rate decay. About 99.3% on the MNIST test set in 5 epochs.",
    cnn_architecture((16, 32), kernel=5, dense=(256,), dropout=0.4),
    TrainConfig(epochs=5, batch_size=128, optimizer="adam", learning_rate=2e-3,
                schedule="cosine", validation_size=5000),
    input_shape=(1, 28, 28))

PRESETS = {p.name: p for p in (NOTEBOOK, MLP, CNN)}
# Former names that still select their preset (command lines, saved settings).
PRESET_ALIASES = {"seed": "notebook"}


def preset_name(name):
    """The preset ``name`` stands for: itself, or the preset a former name now has."""
    return PRESET_ALIASES.get(name, name)


def parse_hidden_layers(text):
    """ "512, 256" -> (512, 256): hidden layer widths as a user types them (commas and/or
    spaces; empty means no hidden layer). Raises SettingError with a sentence for the user."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not all(re.fullmatch("[0-9]+", p) for p in parts):   # not str.isdigit: "²" is one
        raise SettingError(f"Hidden layers “{text}” must be whole numbers separated by commas, "
                           f"for example 512, 256.")
    widths = tuple(int(p) for p in parts)
    if len(widths) > MAX_HIDDEN_LAYERS or any(not 1 <= w <= MAX_HIDDEN_WIDTH for w in widths):
        raise SettingError(f"Use at most {MAX_HIDDEN_LAYERS} hidden layers of 1 to "
                           f"{MAX_HIDDEN_WIDTH:,} neurons each (now “{text}”).")
    return widths


def dropout_rate(specs):
    """The rate of the network's first Dropout layer; 0 without one."""
    return next((s["rate"] for s in specs if s["type"] == "Dropout"), 0.0)


def mlp_fields(preset):
    """(hidden, activation, dropout, init) when the preset's network is a plain dense network
    whose hidden layers, activation and dropout can be edited; None otherwise (a CNN)."""
    specs = preset.architecture
    dense = [s for s in specs if s["type"] == "Dense"]
    if tuple(preset.input_shape) != DENSE_INPUT or not dense:
        return None
    types = {s["type"] for s in specs}
    activation = next((k for k, cls in ACTIVATIONS.items() if cls.__name__ in types), "relu")
    dropout = dropout_rate(specs)
    hidden, init = tuple(s["out"] for s in dense[:-1]), dense[0].get("init", "he")
    try:
        rebuilt = mlp_architecture(hidden, activation, dropout, init, n_out=dense[-1]["out"])
    except (ValueError, KeyError):
        return None
    return (hidden, activation, dropout, init) if rebuilt == specs else None


def edited_network(preset, hidden=None, activation=None, dropout=None):
    """(layer specs, input shape) of ``preset``'s network with other hidden layer widths, a
    different activation or dropout rate (None keeps the preset's). Only a plain dense
    network can be edited: for any other, asking for a change raises SettingError."""
    fields = mlp_fields(preset)
    if fields is None:
        if (hidden, activation, dropout) != (None, None, None):
            editable = ", ".join(p.name for p in PRESETS.values() if mlp_fields(p))
            raise SettingError(f"The {preset.name} preset's network cannot be edited: hidden "
                               f"layers, activation and dropout change dense networks only "
                               f"(presets {editable}).")
        return preset.architecture, tuple(preset.input_shape)
    base_hidden, base_activation, base_dropout, init = fields
    if activation is not None and activation not in ACTIVATIONS:
        raise SettingError(f"Unknown activation {activation!r}: choose one of "
                           f"{', '.join(ACTIVATIONS)}.")
    if dropout is not None and not 0.0 <= dropout < 1.0:
        raise SettingError(f"A dropout rate is a fraction from 0 up to 1 (now {dropout:g}).")
    specs = mlp_architecture(base_hidden if hidden is None else hidden,
                             activation or base_activation,
                             base_dropout if dropout is None else dropout, init=init)
    return specs, DENSE_INPUT
