"""The Inspect tab's second background job: read the real writers' pen digits with a model,
to see how sure it is against how often it is right on people's handwriting.

The pen digits (``nn.data.unipen``, found like MNIST) are drawn for the network the way the
drawing pad's strokes are (``nn.training.writers.pen_images``), once per session: the job
hands them back, and the next job for another model starts from them.
"""

import numpy as np

from desktop.inspect.model_job import CHUNK, ModelJob
from nn.data.unipen import PenDigits, load_pendigits
from nn.training.writers import pen_images


class PenJob(ModelJob):
    """Predict the pen digits (the first ``limit`` of them, or all) with ``model``."""

    def __init__(self, key, model, limit=None, pen_set=None):
        super().__init__(key, model)
        self.limit, self.pen_set = limit, pen_set

    def _compute(self):
        """{"confidence", "correct", "writers", "pen_set"}, or None once cancelled."""
        if self.pen_set is None:
            self.pen_set = self._draw(load_pendigits()[0])
            if self.pen_set is None:
                return None
        x, labels, writers = self.pen_set
        probs = self.probabilities(x)
        if probs is None:
            return None
        return {"confidence": probs.max(axis=1), "correct": probs.argmax(axis=1) == labels,
                "writers": writers, "pen_set": self.pen_set}

    def _draw(self, digits):
        """(images (n, 784), labels, writers), drawn a chunk at a time; None once cancelled."""
        n = len(digits) if self.limit is None else min(self.limit, len(digits))
        images = []
        for start in range(0, n, CHUNK):
            if self.cancelled:
                return None
            stop = min(n, start + CHUNK)
            images.append(pen_images(PenDigits(digits.strokes[start:stop],
                                               digits.labels[start:stop],
                                               digits.writers[start:stop])))
        return np.concatenate(images), digits.labels[:n], digits.writers[:n]
