"""Model files: one ``.npz`` archive holding the parameters and a JSON ``meta`` entry.

Layout (format version 1):

- ``layer{i}.{name}``: each layer's parameters, e.g. ``layer0.W`` (784, 128) float32;
- ``optimizer.{state}.{k}``: the optimizer's running state, when saved, so training can resume;
- ``meta``: a JSON string with ``format`` ("digitlab-model"), ``format_version``, the
  ``architecture`` (layer specs), ``input_shape``, ``class_names``, ``preprocessing``, and what
  is known about how the model was made (``info``: dataset, training config, history, test
  accuracy, creation time, app version), the optimizer's settings and step count, where
  the run's random streams stopped (``random_state``, see ``nn.network.randomness``), and the
  model's ``calibration`` (``temperature`` and ``unsure_below``, see ``nn.network.model``).

Files are written atomically (``nn.files.atomic``). Reading never unpickles anything, so loading
a model can never run code, and it checks the whole meta (``nn.files.model_meta``) and every
entry's declared size and header (``nn.files.npz_entries``) before it allocates anything. Every
problem on loading raises ``ModelFileError`` with a sentence that names the file and says what is
wrong.
"""

import errno
import json
import os
from pathlib import Path

import numpy as np

from nn.files.atomic import TEMPORARY_NAME_EXTRA, write_atomically
from nn.files.model_meta import FORMAT, FORMAT_VERSION, check_meta
from nn.files.npz_entries import (MAX_META_BYTES, NPY_HEADER_BYTES, entry_sizes, read_entries,
                                  read_meta)
from nn.files.paths import NAME_MAX, name_problem, not_a_file, same_file
from nn.network.errors import ModelFileError, shorten
from nn.network.layers import DTYPE
from nn.network.model import OVERFLOW, Model, calibration_problem
from nn.network.optim import OPTIMIZERS
from nn.network.randomness import is_valid_state

PREPROCESSING = "mnist: ink bounding box scaled to 20x20 (area average), centre of mass at (14, 14)"
MAX_STEPS = 2**53 - 1        # an optimizer's step count: exact in a float64 (JSON's numbers)
NOTEBOOK_SHAPES = {"W1": (10, 784), "b1": (10, 1), "W2": (10, 10), "b2": (10, 1)}
SCORE_PROBES = (0.0, 0.5, 1.0)   # pixel values of the images a loaded model must score
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)   # the errors "free some disk space" answers
META_CHARACTER_BYTES = 4     # the meta is saved as NumPy text (UTF-32)


def save_model(path, model, optimizer=None):
    """Write ``model`` to ``path`` atomically, with the optimizer's state so that training can
    resume: ``optimizer``'s when given, else the ``model.optimizer_state`` it carries (if any).

    A crash, a kill or a full disk leaves the old file or the new one, never half of one
    (``nn.files.atomic``); a link at ``path`` stays a link, and a file keeps its permissions.
    """
    path = _named(path, "save")
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "architecture": model.architecture(), "input_shape": list(model.input_shape),
        "class_names": list(model.class_names), "preprocessing": PREPROCESSING,
        "info": model.info,
        "calibration": {"temperature": model.temperature, "unsure_below": model.unsure_below},
    }
    problem = calibration_problem(model.temperature, model.unsure_below)
    if problem:
        raise ModelFileError(f"Cannot save {path.name}: the model's {problem}.")
    arrays = dict(model.named_params())
    state = optimizer.snapshot() if optimizer is not None else model.optimizer_state
    if state is not None:
        meta["optimizer"], state_arrays = state
        arrays |= {f"optimizer.{k}": a for k, a in state_arrays.items()}
    if model.random_state is not None:
        meta["random_state"] = model.random_state
    try:
        text = json.dumps(meta, allow_nan=False)
    except ValueError:
        raise ModelFileError(f"Cannot save {path}: its info holds NaN or infinite numbers, "
                             "which DigitLab would refuse to open.") from None
    check_can_save(path)
    _check_before_saving(path, text, arrays, model)
    arrays["meta"] = np.array(text)
    try:
        write_atomically(path, lambda f: np.savez(f, **arrays))
    except OSError as e:
        advice = ("free some disk space or choose another folder" if e.errno in DISK_FULL
                  else "choose another folder or name")
        raise ModelFileError(f"Cannot save {path}: {e.strerror or e}; {advice}.") from e


def _check_before_saving(path, text, arrays, model):
    """Make on what is about to be written the checks `load_model` makes on what it reads, so
    DigitLab never writes a file it would refuse to open (say an optimizer step count past
    2**53, or a training config with ``step_every`` 0)."""
    try:
        if len(text) * META_CHARACTER_BYTES + NPY_HEADER_BYTES > MAX_META_BYTES:
            raise ModelFileError(f"{path.name}: its meta would take more than "
                                 f"{MAX_META_BYTES // 2**20} MB; shorten its info (name, "
                                 f"history).")
        meta = check_meta(path.name, text)
        params = dict(meta.pop("params"))
        optimizer_shapes = _check_optimizer(path, meta.get("optimizer"), arrays,
                                            list(params.values()))
        shapes = params | {f"optimizer.{k}": s for k, s in optimizer_shapes.items()}
        for name, shape in shapes.items():
            _check_array(path, name, arrays[name], shape)
        if "random_state" in meta and not is_valid_state(meta["random_state"]):
            raise ModelFileError(f"{path.name}: its random_state is not valid.")
        _check_scores(path, model)
    except ModelFileError as e:
        raise ModelFileError(f"Cannot save {path}, as DigitLab would refuse to open the "
                             f"file: {e}") from None


def _names(entries, shown=3):
    """A few entry names for a one-line message, each shortened, and how many there are."""
    names = ", ".join(shorten(name, 40) for name in entries[:shown])
    return names + (f", ... ({len(entries):,} entries)" if len(entries) > shown else "")


def check_can_save(path):
    """Raise ModelFileError unless a model file can be written at ``path``: not a folder, in
    a folder that exists and can be written. Call it before long work that ends in a save."""
    path = _named(path, "save")
    if path.is_dir() or not path.name:
        raise ModelFileError(f"Cannot save to {path}: it is a folder; give a file name.")
    if not_a_file(path):
        raise ModelFileError(f"Cannot save to {path}: it is not a file (a pipe or a device); "
                             "give a file name.")
    longest = NAME_MAX - TEMPORARY_NAME_EXTRA
    if len(os.fsencode(path.name)) > longest:
        # (the file is written under a longer temporary name first)
        raise ModelFileError(f"Cannot save {shorten(str(path))}: the name is "
                             f"{len(os.fsencode(path.name)):,} bytes long, more than the {longest} "
                             "DigitLab can save under; choose a shorter one.")
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        raise ModelFileError(f"Cannot save {path}: the folder {folder} does not exist; create "
                             "it or choose another.")
    if not os.access(folder, os.W_OK):
        raise ModelFileError(f"Cannot save {path}: the folder {folder} cannot be written; "
                             "choose another.")


def check_not_read(path, reads):
    """Raise ModelFileError when ``path`` is one of ``reads``, the files a command reads to
    make what it writes there, under any name (a model it is asked to replace, as calibrate
    and train --resume may, is not among them)."""
    for source in reads:
        if same_file(path, source):
            raise ModelFileError(f"Cannot save {path}: it is {source}, one of the files being "
                                 "read; choose another name.")


def load_model(path):
    """Read and validate a model file. Returns a ``Model``; if the file holds optimizer state,
    ``model.optimizer_state`` is ``(settings, arrays)`` for ``nn.training.train.resume_optimizer``.

    Nothing is allocated before the meta is checked (``nn.files.model_meta``) and every entry's size
    is known to fit the architecture it describes."""
    path = _named(path, "read")
    sizes = entry_sizes(path)
    if "meta" not in sizes:
        hint = (" It looks like the notebook's weights: use Import Notebook Weights instead."
                if set(NOTEBOOK_SHAPES) <= set(sizes) else "")
        raise ModelFileError(f"{path.name} is not a DigitLab model: it has no 'meta' entry.{hint}")
    meta = check_meta(path.name, read_meta(path, sizes))
    params = dict(meta.pop("params"))
    optimizer_shapes = _check_optimizer(path, meta.get("optimizer"), sizes, list(params.values()))
    stored = {k for k in sizes if k != "meta" and not k.startswith("optimizer.")}
    missing, extra = sorted(set(params) - stored), sorted(stored - set(params))
    if missing or extra:
        what = "; ".join(s for s in (missing and f"missing {_names(missing)}",
                                     extra and f"unexpected {_names(extra)}") if s)
        raise ModelFileError(f"{path.name} does not match its own architecture: {what}.")
    shapes = params | {f"optimizer.{k}": s for k, s in optimizer_shapes.items()}
    arrays = read_entries(path, shapes, sizes)
    try:
        model = Model.from_architecture(meta["architecture"], tuple(meta["input_shape"]),
                                        tuple(meta["class_names"]))
        # One blank example through the layers: the layers themselves confirm the shapes
        # nn.files.model_meta worked out, or the model would only fail later, when it is used.
        out_shape = model.forward(np.zeros((1,) + model.input_shape, dtype=DTYPE)).shape
    except Exception as e:  # whatever the layers object to, the file is at fault
        raise ModelFileError(f"{path.name} has an architecture this DigitLab cannot build: "
                             f"{e}.") from e
    if out_shape != (1, len(model.class_names)):
        raise ModelFileError(f"{path.name} is damaged: its layers give {out_shape[1:]} scores for "
                             f"{len(model.class_names)} class names.")
    model.info = meta["info"]
    model.set_calibration(**meta["calibration"])
    for name, target in model.named_params():
        _check_array(path, name, arrays[name], target.shape)
        np.copyto(target, arrays[name])
    _check_scores(path, model)
    optimizer_arrays = {k[len("optimizer."):]: a for k, a in arrays.items()
                        if k.startswith("optimizer.")}
    for key, a in optimizer_arrays.items():
        _check_array(path, f"optimizer.{key}", a, optimizer_shapes[key])
    model.optimizer_state = None
    if "optimizer" in meta and optimizer_arrays:
        model.optimizer_state = (meta["optimizer"], optimizer_arrays)
    model.random_state = meta.get("random_state")
    if model.random_state is not None and not is_valid_state(model.random_state):
        raise ModelFileError(f"{path.name} is damaged: its random_state is not valid.")
    return model


def _check_optimizer(path, settings, sizes, param_shapes):
    """Optimizer settings and state must fit the model, or resuming would fail much later.
    Returns ``{"m.0": shape, ...}``: the shape each stored state array must have."""
    keys = [k[len("optimizer."):] for k in sizes if k.startswith("optimizer.")]
    if settings is None and not keys:
        return {}
    name, t = ((settings.get("name"), settings.get("t")) if isinstance(settings, dict)
               else (None, None))
    if not (isinstance(name, str) and name in OPTIMIZERS):
        raise ModelFileError(f"{path.name} is damaged: its optimizer settings "
                             f"{shorten(repr(settings))} are not valid.")
    if not (isinstance(t, int) and not isinstance(t, bool) and 0 <= t <= MAX_STEPS):
        raise ModelFileError(f"{path.name} is damaged: its optimizer's step count "
                             f"{shorten(repr(t))} is not a whole number from 0 to "
                             f"{MAX_STEPS:,}.")
    shapes = {}
    for key in keys:
        state, _, index = key.rpartition(".")
        if state not in OPTIMIZERS[name].state_names or not (index.isascii() and index.isdigit()) \
                or int(index) >= len(param_shapes):
            raise ModelFileError(f"{path.name} has an unexpected entry "
                                 f"{shorten('optimizer.' + key)} for optimizer {name!r}; the "
                                 "file is damaged.")
        shapes[key] = param_shapes[int(index)]
    return shapes


def import_notebook_weights(path):
    """Make a 784-10-10 model from the notebook's ``W1, b1, W2, b2`` saved with ``np.savez``.

    The notebook keeps examples in columns (Z1 = W1 @ X + b1, W1 is 10x784); DigitLab keeps
    them in rows (Z1 = X @ W + b, W is 784x10), so the weights are transposed.
    """
    from nn.training.presets import mlp_architecture

    path = _named(path, "read")
    sizes = entry_sizes(path)
    missing = [k for k in NOTEBOOK_SHAPES if k not in sizes]
    if missing:
        raise ModelFileError(f"{path.name} does not hold the notebook's weights: missing "
                             f"{', '.join(missing)} (expected W1, b1, W2, b2).")
    arrays = read_entries(path, NOTEBOOK_SHAPES, sizes)
    for name, shape in NOTEBOOK_SHAPES.items():
        _check_array(path, name, arrays[name], shape, allow_float64=True)
    model = Model.from_architecture(mlp_architecture((10,), init="uniform"))
    dense1, dense2 = model.layers[0], model.layers[2]
    np.copyto(dense1.W, arrays["W1"].T)
    np.copyto(dense1.b, arrays["b1"][:, 0])
    np.copyto(dense2.W, arrays["W2"].T)
    np.copyto(dense2.b, arrays["b2"][:, 0])
    _check_scores(path, model)
    model.info = {"name": path.stem, "source": "notebook weights"}
    return model


def _check_scores(path, model):
    """Refuse weights so large that the scores of ordinary images overflow float32: such a
    model would answer with NaN probabilities. Blank, grey and fully inked images stand in
    for every input (pixels are from 0 to 1)."""
    probes = np.stack([np.full(model.input_shape, v, DTYPE) for v in SCORE_PROBES])
    with np.errstate(all="ignore"):
        finite = np.isfinite(model.forward(probes)).all()
    if not finite:
        raise ModelFileError(f"{path.name}: for ordinary images, {OVERFLOW}.")


def _named(path, verb):
    """``path`` as a Path, once `nn.files.paths.name_problem` has nothing against it."""
    problem = name_problem(path)
    if problem:
        raise ModelFileError(f"Cannot {verb} {shorten(os.fspath(path))!r}: {problem}.")
    return Path(path)


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
