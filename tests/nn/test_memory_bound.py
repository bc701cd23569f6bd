"""Memory before allocation: a valid 64 KB model whose one convolution has 1,268 channels (a
million numbers per example, just under the file format's limit) is evaluated in batches
sized by its activations: predict (the command line's evaluate) and the training loop's
evaluation here, the Inspect tab's confusion matrix in tests/desktop/inspect."""

import tracemalloc

import numpy as np
import pytest

from nn.files.model_meta import MAX_ACTIVATIONS
from nn.network.model import ACTIVATION_BUDGET, Model, activations_per_example
from nn.training.train import evaluate

WIDE = [{"type": "Conv2D", "in_channels": 1, "out_channels": 1268, "kernel_size": 1},
        {"type": "MaxPool2D", "size": 15}, {"type": "Flatten"},
        {"type": "Dense", "in": 1268, "out": 10}]
N_IMAGES = 120        # 480 MB of activations in one batch of them
PEAK_BOUND = 300 * 2**20


@pytest.fixture(scope="module")
def wide():
    return Model.from_architecture(WIDE, (1, 28, 28), rng=np.random.default_rng(0))


def peak_of(call):
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_wide_model_is_just_under_the_activation_limit(wide):
    per_example = activations_per_example(WIDE, (1, 28, 28))
    assert 0.99 * MAX_ACTIVATIONS < per_example <= MAX_ACTIVATIONS
    assert wide.batch_limit(1000) == ACTIVATION_BUDGET // per_example == 33


def test_a_small_network_keeps_its_batches_of_a_thousand():
    mlp = Model.from_architecture([{"type": "Dense", "in": 784, "out": 128},
                                   {"type": "ReLU"}, {"type": "Dense", "in": 128, "out": 10}])
    assert mlp.batch_limit(1000) == 1000


@pytest.mark.parametrize("path", ["predict", "evaluate"])
def test_evaluating_a_wide_model_stays_within_its_budget(wide, path):
    rng = np.random.default_rng(1)
    x = rng.random((N_IMAGES, 784), dtype=np.float32)
    y = rng.integers(0, 10, N_IMAGES)
    call = {"predict": lambda: wide.predict(x),
            "evaluate": lambda: evaluate(wide, x.reshape(-1, 1, 28, 28), y)}[path]
    result, peak = peak_of(call)
    assert result is not None
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.0f} MB"
