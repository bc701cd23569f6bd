"""Small things the engine tests make, shared by several test modules: four tiny IDX files, a
small model with a known layout, a saved file's entries, and for each layer type a network
that holds one."""

import json

import numpy as np

from nn.data.idx import write_idx
from nn.network.model import Model
from nn.training.presets import mlp_architecture

# --- datasets --------------------------------------------------------------------------------


def write_tiny_dataset(folder, n_train=12, n_test=5, gz=True, seed=0):
    """Four valid IDX files of random 28x28 images and labels 0-9 in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}",
                  rng.integers(0, 10, n, dtype=np.uint8))
    return folder


# --- model files -----------------------------------------------------------------------------

N_IN = 30
CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INFO = {"dataset": "mnist", "test_accuracy": 0.9312,
        "history": [{"epoch": 1, "val_accuracy": 0.5}, {"epoch": 2, "val_accuracy": 0.75}],
        "config": {"optimizer": "adam", "learning_rate": 0.001}}


def make_model(seed=0, dropout=0.1, activation="leaky_relu"):
    """A 30-12-8-10 network; its Dense layers are layers 0, 3 and 6."""
    model = Model.from_architecture(
        mlp_architecture((12, 8), activation=activation, dropout=dropout, n_in=N_IN),
        (N_IN,), CLASS_NAMES, rng=np.random.default_rng(seed))
    # Non-zero biases, so that a bias lost on the way shows.
    for p in model.params:
        if p.ndim == 1:
            p[:] = np.random.default_rng(seed + 1).normal(size=p.shape)
    model.info = json.loads(json.dumps(INFO))
    return model


def npz_entries(path):
    """A saved file's entries, meta decoded: (arrays without meta, meta dict)."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return arrays, json.loads(str(arrays.pop("meta")))


def write_npz(path, arrays, meta=None):
    entries = dict(arrays)
    if meta is not None:
        entries["meta"] = np.array(json.dumps(meta))
    np.savez(path, **entries)
    return path


# --- a network for each layer type -----------------------------------------------------------

def dense(n_in, n_out):
    return {"type": "Dense", "in": n_in, "out": n_out}


CONV = {"type": "Conv2D", "in_channels": 1, "out_channels": 2, "kernel_size": 3}
# For each layer type, a small network in which a layer of that type feeds a layer whose
# gradient depends on what the first one saved for its backward pass.
NETWORKS_WITH = {
    "Dense": ((6,), [dense(6, 5), {"type": "ReLU"}, dense(5, 4)]),
    "ReLU": ((6,), [dense(6, 5), {"type": "ReLU"}, dense(5, 4)]),
    "LeakyReLU": ((6,), [dense(6, 5), {"type": "LeakyReLU"}, dense(5, 4)]),
    "Sigmoid": ((6,), [dense(6, 5), {"type": "Sigmoid"}, dense(5, 4)]),
    "Tanh": ((6,), [dense(6, 5), {"type": "Tanh"}, dense(5, 4)]),
    "Dropout": ((6,), [dense(6, 5), {"type": "Dropout", "rate": 0.5}, dense(5, 4)]),
    "Flatten": ((6,), [dense(6, 5), {"type": "Flatten"}, dense(5, 4)]),
    "DenseWithMemory": ((6,), [dense(6, 5), {"type": "ReLU"},
                               {"type": "DenseWithMemory", "in": 5, "out": 4}]),
    "Conv2D": ((1, 6, 6), [CONV, {"type": "Flatten"}, dense(32, 4)]),
    "MaxPool2D": ((1, 6, 6), [CONV, {"type": "MaxPool2D", "size": 2}, {"type": "Flatten"},
                              dense(8, 4)]),
}
