"""Which of the user's drawings a fine-tuning run keeps out of training, to measure it honestly.

Accuracy on drawings the run trained on shows how well it memorised them, not how well it
reads the user. So every fifth drawing of each digit (in the order they were kept) is held
out, and at least one of every digit that has two or more: the run trains on the others and
reports its accuracy on these, before and after.
"""

import numpy as np

EVERY = 5


def held_out(labels):
    """(m,) bool: True for the drawings to hold out. labels: (m,) ints, in collection order."""
    labels = np.asarray(labels)
    mask = np.zeros(len(labels), bool)
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        chosen = where[EVERY - 1::EVERY]
        if len(chosen) == 0 and len(where) >= 2:
            chosen = where[-1:]
        mask[chosen] = True
    return mask
