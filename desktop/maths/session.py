"""The Maths tab's network and the step it explains.

A StepSession holds the weights of its own 784-10-10 network (never the active model's
arrays: a step here changes nothing anywhere else), the batch, and the learning rate. Its
``trace`` is the step those weights would take next on that batch, as
`nn.training.one_step.trace_step` computes it on a copy; `take_steps` makes that step (and
more) real. Anything that changes the weights, the batch or the rate computes the trace again
and emits ``trace_changed``.
"""

import numpy as np
from PySide6.QtCore import QObject, Signal

from nn.network.model import Model
from nn.training.one_step import notebook_layers, trace_step
from nn.training.presets import PRESETS

FRESH_SEED = 2          # the notebook preset's seed: the same first weights every time
DEFAULT_LEARNING_RATE = 0.1   # the notebook's


def fresh_notebook_model(seed=FRESH_SEED):
    """The notebook's 784-10-10 with its uniform(-0.5, 0.5) initial weights."""
    return Model.from_architecture(PRESETS["notebook"].architecture,
                                   rng=np.random.default_rng(seed))


def fits(model):
    """True for a model the tab can step: the notebook's Dense(784 -> 10), ReLU, Dense(10 -> 10)."""
    try:
        dense1, _, dense2 = notebook_layers(model)
    except ValueError:
        return False
    return dense1.W.shape == (784, 10) and dense2.W.shape == (10, 10)


class StepSession(QObject):
    trace_changed = Signal(object)   # the new StepTrace, or None without a batch

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = fresh_notebook_model()
        self.learning_rate = DEFAULT_LEARNING_RATE
        self.x = self.y = None
        self.trace = None
        self.steps_taken = 0     # since the weights were chosen
        self.batch_steps = 0     # since the batch was chosen
        self.first_loss = None   # the batch's loss before the first of those

    def reset(self, model):
        """Start again from a copy of ``model``'s weights (a model that `fits`)."""
        self.model = model.weights_copy()
        self.steps_taken = self.batch_steps = 0
        self.first_loss = None
        self._retrace()

    def set_batch(self, x, y):
        """Images x (m, 784) and labels y (m,): the batch every step is taken on."""
        self.x, self.y = x, y
        self.batch_steps, self.first_loss = 0, None
        self._retrace()

    def set_learning_rate(self, rate):
        self.learning_rate = float(rate)
        self._retrace()

    def take_steps(self, n):
        """Take the step shown, then n - 1 more on the same batch."""
        if self.trace is None:
            return
        for _ in range(n):
            if self.first_loss is None:
                self.first_loss = self.trace.loss
            self.model = self._next_model
            self.steps_taken += 1
            self.batch_steps += 1
            self._compute_trace()
        self.trace_changed.emit(self.trace)   # once: the pages show the last step only

    def _retrace(self):
        self._compute_trace()
        self.trace_changed.emit(self.trace)

    def _compute_trace(self):
        if self.x is None:
            self.trace = None
            return
        self._next_model = self.model.weights_copy()   # trace_step trains it in place
        self.trace = trace_step(self._next_model, self.x, self.y, self.learning_rate)
