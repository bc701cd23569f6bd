"""What a model file's ``meta`` may hold, checked in full before anything is built from it.

A model file can come from anywhere, so every field the code reads later (``nn info``,
``nn evaluate``, the Train form, continuing a training run) is checked here, once, on loading:
its type, its range and its size. The architecture is walked with exact integer arithmetic
to count its parameters and the activations of one example, so an absurd network is refused
before a single array is allocated. Unknown keys of ``info`` are kept (nothing reads them);
unknown layer settings and training settings are refused (something would read them).
"""

import dataclasses
import json
import math

from nn.files.json_text import read_json
from nn.ink.augment import Augmentation
from nn.network.conv import PADDINGS
from nn.data.datasets import DATASETS, NUM_CLASSES
from nn.network.errors import ModelFileError, shorten
from nn.network.model import UNSURE_BELOW, calibration_problem, layer_output
from nn.network.optim import OPTIMIZERS
from nn.network.schedules import SCHEDULES
from nn.training.train import LIMITS, TrainConfig

FORMAT = "digitlab-model"
FORMAT_VERSION = 1
# Both limits lie above any network the app's presets and Train form make (the form allows
# up to 8 hidden layers of 4,096 units: 121 million parameters). A file describing more is
# refused before anything is read; one within them must hold all its numbers to be built.
MAX_PARAMS = 2**27             # 512 MB of float32
# Numbers one example takes on its way through, its input and patch matrices included;
# evaluation holds 1,000 examples at a time, training a batch of them.
MAX_ACTIVATIONS = 1_000_000
MAX_SETTING = 2**31 - 1        # integer settings must fit the app's spin boxes
MAX_POOL = 15                  # nn.network.conv.MAX_POOL_SIZE: the largest window it takes
MAX_SLOPE = 1000               # a LeakyReLU's: far past any use, far from float32's overflow
INITS = ("he", "glorot", "uniform")


class _Invalid(Exception):
    """One field is wrong; ``check_meta`` turns it into a ModelFileError naming the file."""


def check_meta(filename, text):
    """Parse and check the JSON ``text`` of a model file's meta; return it as a dict.

    Returns the meta plus ``"params"``: the parameter names and shapes the architecture needs,
    ``[("layer0.W", (784, 128)), ...]``. Raises ModelFileError naming ``filename``.
    """
    try:
        meta = read_json(text)
    except ValueError as e:
        raise ModelFileError(f"{filename} is not a DigitLab model: its 'meta' entry {e}.") \
            from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{filename} is not a DigitLab model (format is not {FORMAT!r}).")
    version = meta.get("format_version")
    if not _is_int(version) or version < 1:
        raise ModelFileError(f"{filename} has no valid format_version; it is damaged.")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{filename} was written by a newer DigitLab (format version "
                             f"{version}; this one reads up to {FORMAT_VERSION}): update DigitLab.")
    try:
        _check_class_names(meta.get("class_names"))
        meta["params"] = _walk(meta.get("architecture"), meta.get("input_shape"),
                               len(meta["class_names"]))
    except _Invalid as e:
        raise ModelFileError(f"{filename} has an architecture this DigitLab cannot build: "
                             f"{e}; the file is damaged.") from None
    try:
        _check_info(meta.setdefault("info", {}))
    except _Invalid as e:
        raise ModelFileError(f"{filename} cannot be used: {e}; open another model file or "
                             "train a new one.") from None
    meta["calibration"] = _calibration(filename, meta.get("calibration"))
    return meta


def _calibration(filename, calibration):
    """The file's ``calibration`` ({"temperature": T, "unsure_below": p}, see
    ``nn.network.model``); a file written before models carried one gets T = 1 and UNSURE_BELOW."""
    if calibration is None:
        return {"temperature": 1.0, "unsure_below": UNSURE_BELOW}
    keys = {"temperature", "unsure_below"}
    problem = ("it is not {temperature, unsure_below}"
               if not isinstance(calibration, dict) or set(calibration) != keys
               else calibration_problem(calibration["temperature"], calibration["unsure_below"]))
    if problem:
        raise ModelFileError(f"{filename} has a broken calibration ({problem}); the file is "
                             "damaged: calibrate the model again (python -m nn calibrate).")
    return calibration


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _shown(v):
    return shorten(json.dumps(v) if not isinstance(v, str) else repr(v), 40)


def _need(ok, where, value, what):
    if not ok:
        raise _Invalid(f"{where} is {_shown(value)}, not {what}")


def _count(where, v, low=1, high=MAX_SETTING):
    _need(_is_int(v) and low <= v <= high, where, v, f"a whole number from {low} to {high:,}")
    return v


def _fraction(where, v, allow_none=False):
    ok = (v is None and allow_none) or (_is_number(v) and 0 <= v <= 1)
    _need(ok, where, v, "a fraction from 0 to 1" + (" or null" * allow_none))


def _non_negative(where, v):
    _need(_is_number(v) and v >= 0, where, v, "a number of at least 0")


def _choice(where, v, choices):
    _need(isinstance(v, str) and v in choices, where, v, "one of " + ", ".join(choices))


# --- architecture -------------------------------------------------------------------------------

def _layer_settings():
    """{layer type: {setting: (check(where, value), required)}}, as ``spec()`` writes them."""
    positive = (_count, True)
    init = (lambda w, v: _choice(w, v, INITS), False)
    return {
        "Dense": {"in": positive, "out": positive, "init": init},
        "DenseWithMemory": {"in": positive, "out": positive},
        "Conv2D": {"in_channels": positive, "out_channels": positive, "kernel_size": positive,
                   "padding": (lambda w, v: _choice(w, v, PADDINGS), False), "init": init},
        "MaxPool2D": {"size": (lambda w, v: _count(w, v, 1, MAX_POOL), False)},
        "LeakyReLU": {"slope": (lambda w, v: _need(_is_number(v) and abs(v) <= MAX_SLOPE, w, v,
                                                   f"a number from -{MAX_SLOPE} to {MAX_SLOPE}"),
                                False)},
        "Dropout": {"rate": (lambda w, v: _need(_is_number(v) and 0 <= v < 1, w, v,
                                                "a rate from 0 up to 1"), False)},
        "ReLU": {}, "Sigmoid": {}, "Tanh": {}, "Flatten": {},
    }


LAYER_SETTINGS = _layer_settings()


def _check_layer(i, spec):
    where = f"layer {i} of its architecture"
    _need(isinstance(spec, dict), where, spec, "a layer")
    kind = spec.get("type")
    _choice(f"the type of {where}", kind, tuple(LAYER_SETTINGS))
    settings = LAYER_SETTINGS[kind]
    for key, value in spec.items():
        if key != "type":
            _need(key in settings, f"setting {key!r} of {where} ({kind})", value,
                  "a setting of that layer")
            settings[key][0](f"{kind} {key!r} of {where}", value)
    for key, (_, required) in settings.items():
        _need(not required or key in spec, f"{kind} {key!r} of {where}", None, "given")


def _walk(specs, input_shape, n_classes):
    """Check every layer against the shape it receives; return the parameter (name, shape)s.

    Parameters and activations are summed as exact integers and refused as soon as they
    pass MAX_PARAMS or MAX_ACTIVATIONS, so no size is too large to check.
    """
    _need(isinstance(specs, list) and specs, "its 'architecture'", specs, "a list of layers")
    _need(isinstance(input_shape, list) and 1 <= len(input_shape) <= 3
          and all(_is_int(v) and 0 < v <= MAX_ACTIVATIONS for v in input_shape),
          "its 'input_shape'", input_shape, "a list of 1 to 3 sizes")
    shape, params = tuple(input_shape), []
    n_params, activations = 0, math.prod(shape)
    for i, spec in enumerate(specs):
        _check_layer(i, spec)
        kind = spec["type"]
        shapes = {}
        if kind in ("Dense", "DenseWithMemory"):
            _need(shape == (spec["in"],), f"the input of layer {i} ({kind}, {spec['in']} inputs)",
                  list(shape), "what the previous layer gives")
            shapes = {"W": (spec["in"], spec["out"]), "b": (spec["out"],)}
            if kind == "DenseWithMemory":
                shapes["M"] = shapes["W"]
        elif kind in ("Conv2D", "MaxPool2D"):
            _need(len(shape) == 3, f"the input of layer {i} ({kind})", list(shape),
                  "an image shape (channels, height, width)")
            c, h, w = shape
            if kind == "Conv2D":
                k = spec["kernel_size"]
                _need(c == spec["in_channels"], f"the input of layer {i} (Conv2D)", list(shape),
                      f"{spec['in_channels']} channels")
                _need(min(layer_output(spec, shape)[0][1:]) >= 1, f"the input of layer {i} "
                      f"(a {k}x{k} kernel)", list(shape), "large enough for the kernel")
                shapes = {"W": (spec["out_channels"], c, k, k), "b": (spec["out_channels"],)}
            else:
                s = spec.get("size", 2)
                _need(h >= s and w >= s, f"the input of layer {i} (MaxPool {s})", list(shape),
                      "at least one window")
        shape, patches = layer_output(spec, shape)   # the same count as Model.batch_limit's
        activations += patches
        params += [(f"layer{i}.{name}", s) for name, s in shapes.items()]
        n_params += sum(math.prod(s) for s in shapes.values())
        activations += math.prod(shape)
        if n_params > MAX_PARAMS or activations > MAX_ACTIVATIONS:
            raise _Invalid(f"up to layer {i} it is an absurd network of {n_params:,} parameters "
                           f"whose activations for one image take {activations:,} numbers "
                           f"(at most {MAX_PARAMS:,} and {MAX_ACTIVATIONS:,})")
    _need(shape == (n_classes,), "the output of its last layer", list(shape),
          f"one score for each of its {n_classes} class names")
    return params


def _check_class_names(names):
    # Names are shown in labels and tooltips, which Qt reads as HTML when they hold a tag
    # (an <img> tag loads its file: /dev/zero took the app down), and printed on terminals.
    _need(isinstance(names, list) and len(names) == NUM_CLASSES
          and all(isinstance(n, str) and 0 < len(n) <= 100 for n in names)
          and len(set(names)) == len(names),
          "its 'class_names'", names, f"{NUM_CLASSES} different names")
    _need(all(n.isprintable() and not set(n) & set("<>") for n in names),
          "its 'class_names'", names, "printable names without < or >")


# --- info: how the model was made ---------------------------------------------------------------

def _check_info(info):
    _need(isinstance(info, dict), "its info", info, "an object")
    checks = {
        "name": _text, "source": _text, "created": _text, "app_version": _text,
        "dataset": lambda w, v: _choice(w, v, tuple(DATASETS)),
        "config": check_config,
        "history": _check_history,
        "test_accuracy": lambda w, v: _fraction(w, v, allow_none=True),
        "training_seconds": _non_negative,
        "stopped_early": lambda w, v: _need(isinstance(v, bool), w, v, "true or false"),
        "fine_tune": _check_fine_tune,
    }
    for key, check in checks.items():
        if key in info:
            check(f"info.{key}", info[key])


def _text(where, v):
    _need(isinstance(v, str) and len(v) <= 1000, where, v, "a short text")


def config_problem(config):
    """What is wrong with a training configuration read from elsewhere (the run history), in
    a few words, or None when ``TrainConfig.from_dict`` can use it."""
    try:
        check_config("the config", config)
    except _Invalid as e:
        return str(e)
    return None


def check_config(where, config):
    """A training configuration as ``TrainConfig.to_dict`` writes it: known settings only,
    each of its field's type and in its range (``nn.training.train.LIMITS``), so
    ``TrainConfig.from_dict`` cannot fail and a resumed run cannot break on it."""
    _need(isinstance(config, dict), where, config, "an object of training settings")
    kinds = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    for key, v in config.items():
        at = f"{where}.{key}"
        _need(key in kinds, f"setting {key!r} of {where}", v, "a known training setting")
        if key == "optimizer":
            _choice(at, v, tuple(OPTIMIZERS))
        elif key == "schedule":
            _choice(at, v, SCHEDULES)
        elif key == "augmentation":
            _check_augmentation(at, v)
        elif kinds[key] is bool:
            _need(isinstance(v, bool), at, v, "true or false")
        elif kinds[key] is int:
            _count(at, v, *LIMITS[key])
        else:
            low, high = LIMITS[key]
            _need(_is_number(v) and low <= v <= high, at, v, f"a number from {low:g} to {high:g}")


def _check_augmentation(where, v):
    if v is None:
        return
    _need(isinstance(v, dict), where, v, "null or an object")
    names = {f.name for f in dataclasses.fields(Augmentation)}
    for key, value in v.items():
        _need(key in names, f"setting {key!r} of {where}", value, "a known distortion")
        _non_negative(f"{where}.{key}", value)


def _check_history(where, history):
    _need(isinstance(history, list), where, history, "a list of epochs")
    for i, record in enumerate(history):
        _need(isinstance(record, dict) and all(
            v is None or _is_number(v) for v in record.values()),
            f"{where}[{i}]", record, "an epoch's figures")


# The figure on the user's drawings: "drawings" (each drawing read by a model fine-tuned
# without it, nn.training.finetune); files of earlier versions say "held_out" or "mine".
DRAWING_FIGURES = ("drawings", "held_out", "mine")


def _check_fine_tune(where, v):
    _need(isinstance(v, dict), where, v, "an object")
    _count(f"{where}.drawings", v.get("drawings"), low=0)
    _count(f"{where}.weight", v.get("weight"))
    for when in ("before", "after"):
        figures = v.get(when)
        _need(isinstance(figures, dict), f"{where}.{when}", figures, "an object")
        named = [key for key in DRAWING_FIGURES if key in figures]
        _need(bool(named), f"{where}.{when}", figures, "figures on the drawings")
        for key in named:
            _fraction(f"{where}.{when}.{key}", figures[key], allow_none=True)
        _fraction(f"{where}.{when}.test", figures.get("test"), allow_none=True)
