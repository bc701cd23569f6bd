"""Model files: one ``.npz`` archive holding the parameters and a JSON ``meta`` entry.

Layout (format version 1):

- ``layer{i}.{name}``: each layer's parameters, e.g. ``layer0.W`` (784, 128) float32;
- ``optimizer.{state}.{k}``: the optimizer's running state, when saved, so training can resume;
- ``meta``: a JSON string with ``format`` ("digitlab-model"), ``format_version``, the
  ``architecture`` (layer specs), ``input_shape``, ``class_names``, ``preprocessing``, and what
  is known about how the model was made (``info``: dataset, training config, history, test
  accuracy, creation time, app version), the optimizer's settings and step count, and where
  the run's random streams stopped (``random_state``, see ``nn.randomness``).

Files are written atomically and read with ``allow_pickle=False`` only: loading a model can
never run code. Every problem on loading raises ``ModelFileError`` with a sentence that names
the file and says what is wrong.
"""

import json
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nn.errors import ModelFileError
from nn.layers import DTYPE
from nn.model import Model
from nn.optim import OPTIMIZERS
from nn.randomness import is_valid_state

FORMAT = "digitlab-model"
FORMAT_VERSION = 1
PREPROCESSING = "mnist: ink bounding box scaled to 20x20 (area average), centre of mass at (14, 14)"
MAX_ARCHIVE_BYTES = 512 * 2**20  # larger than any network this app trains, by far
MAX_LAYER_SIZE = 50_000_000      # a guard against absurd shapes before anything is allocated
MAX_MODEL_SIZE = MAX_ARCHIVE_BYTES // 4  # float32 parameters that fit in the largest archive
ZIP_MAGIC = b"PK\x03\x04"
NOTEBOOK_SHAPES = {"W1": (10, 784), "b1": (10, 1), "W2": (10, 10), "b2": (10, 1)}


def save_model(path, model, optimizer=None):
    """Write ``model`` to ``path`` atomically (``write_atomically``), with the optimizer's state
    so that training can resume: ``optimizer``'s when given, else the ``model.optimizer_state``
    it carries (if any)."""
    path = Path(path)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "architecture": model.architecture(), "input_shape": list(model.input_shape),
        "class_names": list(model.class_names), "preprocessing": PREPROCESSING,
        "info": model.info,
    }
    arrays = dict(model.named_params())
    state = optimizer.snapshot() if optimizer is not None else model.optimizer_state
    if state is not None:
        meta["optimizer"], state_arrays = state
        arrays |= {f"optimizer.{k}": a for k, a in state_arrays.items()}
    if model.random_state is not None:
        meta["random_state"] = model.random_state
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomically(path, lambda f: np.savez(f, **arrays))


def write_atomically(path, write):
    """Write a file at ``path`` through ``write(f)``, f a binary file object, atomically.

    The bytes go to a temporary file in the same folder, are flushed to disk, and only then is
    it renamed over ``path``: a crash or a full disk never leaves half a file behind. Raises
    ``ModelFileError`` naming ``path`` when the system refuses.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise ModelFileError(f"Cannot save {path}: {e.strerror}.") from e
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise ModelFileError(f"Cannot save {path}: {e.strerror or e}.") from e
    except BaseException:
        os.unlink(tmp)
        raise


def load_model(path):
    """Read and validate a model file. Returns a ``Model``; if the file holds optimizer state,
    ``model.optimizer_state`` is ``(settings, arrays)`` for ``nn.train.resume_optimizer``."""
    path = Path(path)
    arrays = _read_arrays(path)
    if "meta" not in arrays:
        hint = (" It looks like the notebook's weights: use Import Notebook Weights instead."
                if set(NOTEBOOK_SHAPES) <= set(arrays) else "")
        raise ModelFileError(f"{path.name} is not a DigitLab model: it has no 'meta' entry.{hint}")
    meta = _read_meta(path, arrays.pop("meta"))
    specs = meta["architecture"]
    _check_sizes(path, specs, meta["input_shape"])
    try:
        model = Model.from_architecture(specs, tuple(meta["input_shape"]), tuple(meta["class_names"]))
        # One blank example through the layers: they must fit the input shape and end in one
        # score per class name, or the model would only fail later, when it is used.
        out_shape = model.forward(np.zeros((1,) + model.input_shape, dtype=DTYPE)).shape
    except (ValueError, KeyError, TypeError, ArithmeticError) as e:
        raise ModelFileError(f"{path.name} has an architecture this DigitLab cannot build: {e}.") from e
    if out_shape != (1, len(model.class_names)):
        raise ModelFileError(f"{path.name} is damaged: its layers give {out_shape[1:]} scores for "
                             f"{len(model.class_names)} class names.")
    model.info = meta.get("info", {})

    expected = dict(model.named_params())
    optimizer_arrays = {k[len("optimizer."):]: arrays.pop(k) for k in list(arrays)
                        if k.startswith("optimizer.")}
    missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or extra:
        what = "; ".join(s for s in (missing and f"missing {', '.join(missing)}",
                                     extra and f"unexpected {', '.join(extra)}") if s)
        raise ModelFileError(f"{path.name} does not match its own architecture: {what}.")
    for name, target in expected.items():
        _check_array(path, name, arrays[name], target.shape)
        np.copyto(target, arrays[name])
    model.optimizer_state = None
    if "optimizer" in meta or optimizer_arrays:
        _check_optimizer(path, meta.get("optimizer"), optimizer_arrays, model.params)
    if "optimizer" in meta and optimizer_arrays:
        model.optimizer_state = (meta["optimizer"], optimizer_arrays)
    model.random_state = meta.get("random_state")
    if model.random_state is not None and not is_valid_state(model.random_state):
        raise ModelFileError(f"{path.name} is damaged: its random_state is not valid.")
    return model


def _check_sizes(path, specs, input_shape):
    """Refuse absurd sizes before anything is allocated (exact integer arithmetic: JSON
    integers can be arbitrarily large)."""
    if not all(isinstance(s, dict) for s in specs):
        raise ModelFileError(f"{path.name} is damaged: its architecture is not a list of layers.")
    total = 0
    for spec in specs:
        sizes = [v for v in spec.values() if isinstance(v, int) and not isinstance(v, bool)]
        if any(v < 0 for v in sizes) or math.prod(sizes) > MAX_LAYER_SIZE:
            raise ModelFileError(f"{path.name} describes an absurd layer {spec}; the file is damaged.")
        total += math.prod(sizes)
    if total > MAX_MODEL_SIZE:
        raise ModelFileError(f"{path.name} describes an absurd network of {len(specs)} layers "
                             f"and about {total:,} parameters; the file is damaged.")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in input_shape) \
            or math.prod(input_shape) > MAX_LAYER_SIZE:
        raise ModelFileError(f"{path.name} is damaged: its input shape {input_shape} is absurd.")


def _check_optimizer(path, settings, arrays, params):
    """Optimizer settings and state must fit the model, or resuming would fail much later."""
    name, t = (settings.get("name"), settings.get("t")) if isinstance(settings, dict) else (None, None)
    if not (isinstance(name, str) and name in OPTIMIZERS and isinstance(t, int)
            and not isinstance(t, bool) and t >= 0):
        raise ModelFileError(f"{path.name} is damaged: its optimizer settings {settings!r} are "
                             "not valid.")
    for key, a in arrays.items():
        state, _, index = key.rpartition(".")
        if state not in OPTIMIZERS[name].state_names or not index.isdigit() \
                or int(index) >= len(params):
            raise ModelFileError(f"{path.name} has an unexpected entry optimizer.{key} for "
                                 f"optimizer {name!r}; the file is damaged.")
        _check_array(path, f"optimizer.{key}", a, params[int(index)].shape)


def import_notebook_weights(path):
    """Make a 784-10-10 model from the notebook's ``W1, b1, W2, b2`` saved with ``np.savez``.

    The notebook keeps examples in columns (Z1 = W1 @ X + b1, W1 is 10x784); DigitLab keeps
    them in rows (Z1 = X @ W + b, W is 784x10), so the weights are transposed.
    """
    from nn.presets import mlp_architecture

    path = Path(path)
    arrays = _read_arrays(path)
    missing = [k for k in NOTEBOOK_SHAPES if k not in arrays]
    if missing:
        raise ModelFileError(f"{path.name} does not hold the notebook's weights: missing "
                             f"{', '.join(missing)} (expected W1, b1, W2, b2).")
    for name, shape in NOTEBOOK_SHAPES.items():
        _check_array(path, name, arrays[name], shape, allow_float64=True)
    model = Model.from_architecture(mlp_architecture((10,), init="uniform"))
    dense1, dense2 = model.layers[0], model.layers[2]
    np.copyto(dense1.W, arrays["W1"].T)
    np.copyto(dense1.b, arrays["b1"][:, 0])
    np.copyto(dense2.W, arrays["W2"].T)
    np.copyto(dense2.b, arrays["b2"][:, 0])
    model.info = {"name": path.stem, "source": "notebook weights"}
    return model


def _read_arrays(path):
    """All arrays of an .npz as a dict, refusing anything that is not plain numbers."""
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist or is not a file.")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            if f.read(len(ZIP_MAGIC)) == ZIP_MAGIC:
                raise ModelFileError(f"{path.name} is damaged or truncated: its archive is incomplete.")
        raise ModelFileError(f"{path.name} is not a model file: it is not a NumPy .npz archive.")
    try:
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_ARCHIVE_BYTES:
                raise ModelFileError(f"{path.name} is too large to be a DigitLab model "
                                     f"(over {MAX_ARCHIVE_BYTES // 2**20} MB unpacked).")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ModelFileError:
        raise
    except MemoryError as e:  # an array header that claims an absurd shape
        raise ModelFileError(f"{path.name} is damaged: an array in it claims to be far larger "
                             "than the file.") from e
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise ModelFileError(f"{path.name} contains pickled Python objects, which DigitLab "
                                 "never loads because they could run code.") from e
        raise ModelFileError(f"{path.name} is damaged: {e}.") from e
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{path.name} is damaged or truncated: {e}.") from e
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray):  # np.load hands back the raw bytes of non-.npy entries
            raise ModelFileError(f"{path.name} is not a model file: its entry {name!r} is not "
                                 "a NumPy array.")
    return arrays


def _read_meta(path, entry):
    try:
        meta = json.loads(str(entry))
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path.name} is not a DigitLab model: its 'meta' entry is not JSON.") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path.name} is not a DigitLab model (format is not {FORMAT!r}).")
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{path.name} has no valid format_version.")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path.name} was written by a newer DigitLab (format version "
                             f"{version}; this one reads up to {FORMAT_VERSION}): update DigitLab.")
    for key in ("architecture", "input_shape", "class_names"):
        if not isinstance(meta.get(key), list):
            raise ModelFileError(f"{path.name} is damaged: its 'meta' has no valid {key!r}.")
    return meta


def _check_array(path, name, a, shape, allow_float64=False):
    dtypes = (np.float32, np.float64) if allow_float64 else (np.float32,)
    if a.dtype not in dtypes:
        expected = " or ".join(np.dtype(d).name for d in dtypes)
        raise ModelFileError(f"{path.name}: {name} has dtype {a.dtype}, expected {expected}.")
    if a.shape != tuple(shape):
        raise ModelFileError(f"{path.name}: {name} has shape {a.shape}, expected {tuple(shape)}.")
    if not np.all(np.isfinite(a)):
        raise ModelFileError(f"{path.name}: {name} contains NaN or infinite values.")
    if a.dtype != DTYPE and a.size and np.abs(a).max() > np.finfo(DTYPE).max:
        raise ModelFileError(f"{path.name}: {name} has values too large for float32.")
