"""The Inspect tab's confusion matrix of a model with a million activations per example stays
within the memory budget of its evaluation batches (nn.network.model.batch_limit)."""

import numpy as np

from desktop.inspect.confusion_job import ConfusionJob
from nn.network.model import Model
from tests.nn.test_memory_bound import N_IMAGES, PEAK_BOUND, WIDE, peak_of


def test_the_confusion_matrix_of_a_wide_model_stays_within_its_budget():
    wide = Model.from_architecture(WIDE, (1, 28, 28), rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x = rng.random((N_IMAGES, 784), dtype=np.float32)
    y = rng.integers(0, 10, N_IMAGES)
    job = ConfusionJob("key", wide, "mnist", None, None, (x, y))
    result, peak = peak_of(job._compute)
    assert result["matrix"].sum() == N_IMAGES
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.0f} MB"
