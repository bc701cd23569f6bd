"""Where the tests find the real datasets (the one place that looks): the folder named by
DIGITLAB_DATA (itself, or a dataset folder inside or beside it), else ``shared/<name>`` beside
the checkout. Read when imported, before any test changes the environment."""

import os
from pathlib import Path

import pytest

FILE_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _find(name):
    candidates = []
    if os.environ.get("DIGITLAB_DATA"):
        env = Path(os.environ["DIGITLAB_DATA"])
        candidates += [env / name, env.parent / name]
        if env.name == name or name == "mnist":   # loose files are taken to be MNIST
            candidates.insert(0, env)
    candidates.append(SHARED / name)
    for folder in candidates:
        if all((folder / filename).is_file() for filename in FILE_NAMES):
            return folder.resolve()   # tests chdir and build file: URIs
    return None


FOUND = {name: _find(name) for name in ("mnist", "fashion-mnist")}


def real_dataset_dir(name):
    """The folder with the four real files of dataset ``name``; skips the test without it."""
    folder = FOUND[name]
    if folder is None:
        pytest.skip(f"real {name} not found: set DIGITLAB_DATA to the folder with the four "
                    f"IDX files")
    return folder
