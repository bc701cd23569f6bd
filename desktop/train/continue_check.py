"""Whether the active model can be trained further, as a short phrase for the Train form's
"Start from" choice."""

import math

from nn.data.datasets import DATASETS
from nn.training.presets import DENSE_INPUT


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
