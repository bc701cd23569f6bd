"""What one training step did to the batch it learnt from, for step-by-step training.

A step moves the weights a little down the gradient of *this batch's* loss, so on this very
batch the loss should fall and a few more examples come out right; by how much depends on the
learning rate. ``OneStepCheck`` measures the batch before the step and again after it, both
times the same way (an inference pass: no dropout, no augmentation), so the two numbers
differ only by what the step changed. It costs two forward passes of one batch, so the
training loop does it only for the batches that Step lets through.
"""

from dataclasses import dataclass

import numpy as np

from nn.network.losses import softmax_cross_entropy


@dataclass(frozen=True)
class OneStep:
    number: int             # the run's batch number, 1 for its first
    batches_per_epoch: int
    size: int               # examples in the batch
    loss_before: float      # mean cross-entropy on the batch before the step...
    loss_after: float       # ...and after it
    right_before: int       # examples of the batch classified right before the step...
    right_after: int        # ...and after it


def loss_and_right(model, x, y):
    """Mean loss of model on the batch (x, y) and how many of it it classifies right."""
    loss, probs, _ = softmax_cross_entropy(model.forward(x), y)
    return loss, int(np.count_nonzero(probs.argmax(axis=1) == y))


class OneStepCheck:
    """Measures a batch before a step (when made) and after it (`after`)."""

    def __init__(self, model, x, y, number, batches_per_epoch):
        self.model, self.x, self.y = model, x, y
        self.number, self.batches_per_epoch = number, batches_per_epoch
        self.before = loss_and_right(model, x, y)

    def after(self):
        """The `OneStep` record, once the optimizer has updated the weights."""
        loss, right = loss_and_right(self.model, self.x, self.y)
        return OneStep(self.number, self.batches_per_epoch, len(self.y), float(self.before[0]),
                       float(loss), self.before[1], right)
