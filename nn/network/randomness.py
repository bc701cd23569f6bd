"""A training run's random numbers: one independent stream per use, all from the run's seed.

Initial weights, the choice of validation examples, each epoch's shuffle, dropout masks and
augmentation each draw from their own generator, spawned from the seed by
``np.random.SeedSequence(seed).spawn``. So one use never shifts another's numbers: turning
augmentation on, for instance, leaves the shuffles as they were.

A run ends by recording in ``model.random_state`` where the streams that go on from run to run
(shuffle, dropout, augmentation) stopped, and model files keep that record. A run that
continues a model with the same seed picks those streams up where they stopped, instead of
drawing the first run's shuffles and masks again. Initial weights and the validation split
always come from the seed alone, so a continued model keeps its validation examples held out.
"""

import numpy as np

STREAMS = ("init", "split", "shuffle", "dropout", "augmentation")
CONTINUED = ("shuffle", "dropout", "augmentation")


class RandomStreams:
    """The generators of a run with ``seed``, one attribute per name in ``STREAMS``."""

    def __init__(self, seed):
        self.seed = seed
        for name, child in zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS))):
            setattr(self, name, np.random.default_rng(child))

    @classmethod
    def resume(cls, seed, state):
        """The streams of ``seed``; the continued ones where ``state`` (a ``state()`` record,
        or None) left them, if it was recorded for the same seed."""
        streams = cls(seed)
        if state is not None and state.get("seed") == seed:
            for name in CONTINUED:
                getattr(streams, name).bit_generator.state = state[name]
        return streams

    def state(self):
        """A JSON-able record of where the continued streams are, for ``resume``."""
        return {"seed": self.seed} | {name: getattr(self, name).bit_generator.state
                                      for name in CONTINUED}


def init_rng(seed):
    """The generator that draws a new model's initial weights for a run with ``seed``."""
    return RandomStreams(seed).init


def is_valid_state(state):
    """Whether ``state`` (read from a file) is a record ``RandomStreams.resume`` accepts."""
    if not isinstance(state, dict) or not isinstance(state.get("seed"), int):
        return False
    try:
        RandomStreams.resume(state["seed"], state)
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
    return True
