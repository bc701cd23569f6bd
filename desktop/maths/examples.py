"""Where the Maths tab's examples come from: the drawing on the Draw tab, MNIST training
images, or, when MNIST is not on this computer, a few digits written here as pen strokes.

MNIST is read on a pool thread (`MnistLoader`): reading the files takes most of a second,
which the GUI thread must not spend while a network trains.
"""

import logging

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal

from desktop import settings
from nn.data.datasets import load_dataset
from nn.network.errors import DigitLabError
from nn.ink.strokes import strokes_to_mnist

MNIST_EXAMPLES = 1000   # training images offered (the first of the training file)
CIRCLE = [(0.5 + 0.3 * np.cos(t), 0.5 + 0.45 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
# Pen strokes (x, y down) of the digits offered without MNIST, turned into inputs the way
# the pad's drawings are.
BUILT_IN_STROKES = {0: [CIRCLE], 1: [[(0.5, 0.1), (0.5, 0.9)]],
                    7: [[(0.2, 0.15), (0.8, 0.15), (0.45, 0.9)]],
                    4: [[(0.6, 0.9), (0.6, 0.1), (0.15, 0.65), (0.85, 0.65)]]}

log = logging.getLogger(__name__)


class ExamplePool:
    """Images x (n, 784) float32 in [0, 1] with labels y (n,) int64, and what they are."""

    def __init__(self, x, y, source):
        self.x, self.y, self.source = x, y, source

    def __len__(self):
        return len(self.y)

    def batch(self, m, first=0, drawing=None, drawing_label=0):
        """m examples: the drawing (a (28, 28) array, with ``drawing_label``) then pool
        images from 0; or, without a drawing, pool images from ``first`` on (wrapping)."""
        rows = [(i % len(self)) for i in range(first, first + m)]
        x, y = self.x[rows], self.y[rows]
        if drawing is not None:
            x = np.concatenate([drawing.reshape(1, 784), x[:m - 1]]).astype(np.float32)
            y = np.concatenate([[drawing_label], y[:m - 1]]).astype(np.int64)
        return x, y


def built_in_pool():
    """The digits of BUILT_IN_STROKES as an ExamplePool."""
    labels = sorted(BUILT_IN_STROKES)
    x = np.stack([strokes_to_mnist(BUILT_IN_STROKES[d]).reshape(784) for d in labels])
    return ExamplePool(x, np.array(labels, dtype=np.int64), "built-in digits")


def mnist_folder():
    """The MNIST folder the user chose in the Data menu, or None to look where DigitLab looks
    by default (another dataset's folder does not hold MNIST)."""
    name, folder = settings.dataset_choice()
    return folder if name == "mnist" else None


class LoaderSignals(QObject):
    """Carries MnistLoader's answer back: QRunnable is no QObject, so it cannot emit."""

    loaded = Signal(object)   # an ExamplePool
    failed = Signal(str)      # one line: what is missing and what to do


class MnistLoader(QRunnable):
    """Read the first MNIST_EXAMPLES training images on a pool thread."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder
        self.signals = LoaderSignals()

    def run(self):
        try:
            split = load_dataset("mnist", self.folder, limit=MNIST_EXAMPLES)
        except DigitLabError as error:
            self.signals.failed.emit(str(error))
        except Exception as error:  # noqa: BLE001 - one line in the tab, never a traceback
            log.exception("reading MNIST failed")
            self.signals.failed.emit(f"Could not read MNIST: {error}")
        else:
            self.signals.loaded.emit(ExamplePool(split.x_train, split.y_train,
                                                 "MNIST training image"))
