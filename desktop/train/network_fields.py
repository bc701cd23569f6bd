"""The network part of the Train form as plain values: hidden layers typed as text, the fields a
preset's dense network fills in, and whether the active model can be trained further."""

import math
import re

from nn.datasets import DATASETS
from nn.layers import ACTIVATIONS
from nn.presets import mlp_architecture

DENSE_INPUT = (784,)
MAX_HIDDEN_LAYERS = 8
MAX_HIDDEN_WIDTH = 4096


def parse_hidden_layers(text):
    """ "512, 256" -> (512, 256); raises ValueError with a sentence for the user."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"Hidden layers “{text}” must be whole numbers separated by commas, "
                         f"for example 512, 256.")
    widths = tuple(int(p) for p in parts)
    if len(widths) > MAX_HIDDEN_LAYERS or any(not 1 <= w <= MAX_HIDDEN_WIDTH for w in widths):
        raise ValueError(f"Use at most {MAX_HIDDEN_LAYERS} hidden layers of 1 to "
                         f"{MAX_HIDDEN_WIDTH:,} neurons each (now “{text}”).")
    return widths


def dropout_rate(specs):
    """The rate of the network's first Dropout layer; 0 without one."""
    return next((s["rate"] for s in specs if s["type"] == "Dropout"), 0.0)


def mlp_fields(preset):
    """(hidden, activation, dropout, init) when the preset's network is a plain dense network
    the form can edit; None otherwise (a CNN, say: then its own architecture is used)."""
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


def continue_problem(model, dataset):
    """Why ``model`` cannot be trained further on ``dataset`` (a short phrase), or None."""
    if model is None:
        return "none loaded"
    if math.prod(model.input_shape) != math.prod(DENSE_INPUT):
        return "it does not take 28x28 images"
    info = DATASETS.get(dataset)
    if info is not None and tuple(model.class_names) != tuple(info.class_names):
        return f"it was made for other classes than {info.title.split()[0]}"
    return None
