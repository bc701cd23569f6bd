"""The Inspect tab's background job: predict the whole test set with a model and count the
answers into a confusion matrix (see `ModelJob` for how it runs and stops)."""

from desktop.inspect.model_job import ModelJob
from nn.data.datasets import load_dataset
from nn.network.metrics import confusion_matrix


class ConfusionJob(ModelJob):
    """Predict the whole test set with ``model`` (a private copy) on a pool thread."""

    def __init__(self, key, model, dataset, data_dir, limit, test_set=None):
        super().__init__(key, model)
        self.dataset, self.data_dir, self.limit, self.test_set = dataset, data_dir, limit, test_set

    def _compute(self):
        """The result dict, or None once cancelled."""
        if self.test_set is None and not self.cancelled:
            split = load_dataset(self.dataset, self.data_dir, self.limit)
            self.test_set = (split.x_test, split.y_test)
        if self.cancelled:
            return None
        x, y = self.test_set
        probs = self.probabilities(x)
        if probs is None:
            return None
        pred = probs.argmax(axis=1)
        matrix = confusion_matrix(y, pred, probs.shape[1])  # row = true class
        return {"matrix": matrix, "pred": pred, "confidence": probs.max(axis=1), "x": x, "y": y}
