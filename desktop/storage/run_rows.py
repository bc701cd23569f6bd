"""What a row of the run history must hold before the app uses it.

The run history is DigitLab's own file, but a crash, another program or a hand edit can leave
anything in it, and SQLite's column types are only hints: an ``accuracy`` stored as text, a
``created`` stored as a BLOB, a curve of hundreds of megabytes for a run of two epochs. Each
field is checked here for its type, its range and, for a curve, its size against the epochs
its run claims; a row that fails one check is described in a few words and left out
(`desktop.storage.runs`). Nothing here reads a curve's bytes: only their length.
"""

import math
from datetime import datetime

from nn.data.datasets import DATASETS
from nn.files.json_text import is_flat_object, read_json
from nn.files.model_meta import MAX_PARAMS, config_problem

KINDS = ("new", "continue", "fine-tune")
STATUSES = ("finished", "stopped")
MAX_EPOCHS = 10_000               # the Train form's limit
MAX_SECONDS = 10 * 365 * 86_400   # ten years of training
MAX_TEXT = 1_000                  # a name, a network's description, a time
MAX_PATH = 4_096
MAX_SETTINGS_BYTES = 2**20        # a run's settings JSON is about 1 KB
POINT_BYTES = 8                   # float32 x and y
# Curve points per epoch: at most one per batch, and batch signals are throttled to ~20 a
# second; 65,536 covers an epoch of MNIST at batch size 1, points sent unthrottled.
MAX_POINTS_PER_EPOCH = 65_536
MAX_CURVE_POINTS = 2**21          # 16 MB: days of training at 20 points a second


def max_curve_bytes(epochs):
    """The most bytes a curve of a run of ``epochs`` epochs can take (a stopped run has points
    of the epoch it did not complete: one more)."""
    return POINT_BYTES * min(MAX_POINTS_PER_EPOCH * (epochs + 1), MAX_CURVE_POINTS)


def _whole(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _real(value, low, high):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and low <= value <= high)


def _text(value, limit=MAX_TEXT):
    return isinstance(value, str) and len(value) <= limit


def _time(value):
    if not _text(value, 64):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _shown(value):
    text = f"{type(value).__name__} of {len(value):,} bytes" if isinstance(value, bytes) \
        else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


RUN_CHECKS = {   # column: (check, what it must be)
    "id": (lambda v: _whole(v, 1, 2**63 - 1), "a row number"),
    "created": (_time, "a date and time"),
    "kind": (lambda v: v in KINDS, "one of " + ", ".join(KINDS)),
    "status": (lambda v: v in STATUSES, "one of " + ", ".join(STATUSES)),
    "name": (_text, "a short text"),
    "network": (_text, "a short text"),
    "dataset": (lambda v: v in DATASETS, "one of " + ", ".join(DATASETS)),
    "epochs": (lambda v: _whole(v, 0, MAX_EPOCHS), f"a whole number from 0 to {MAX_EPOCHS:,}"),
    "accuracy": (lambda v: v is None or _real(v, 0, 1), "empty or a number from 0 to 1"),
    "seconds": (lambda v: _real(v, 0, MAX_SECONDS), "a number of seconds"),
    "parameters": (lambda v: _whole(v, 0, MAX_PARAMS), "a number of parameters"),
    "settings": (lambda v: _text(v, MAX_SETTINGS_BYTES), "a text of settings"),
    "model_path": (lambda v: v is None or _text(v, MAX_PATH), "empty or a file name"),
}


def run_problem(values):
    """What is wrong with a row of ``runs`` ({column: value}), or None when the app can use
    it: "its accuracy is 'abc', not empty or a number from 0 to 1"."""
    for column, (check, expected) in RUN_CHECKS.items():
        if not check(values[column]):
            return f"its {column} is {_shown(values[column])}, not {expected}"
    try:
        settings_of(values["settings"])
    except ValueError as error:
        return f"its settings {error}"
    return None


def settings_of(text):
    """A run's stored settings ({"config", "architecture", "form"}), checked: the config as a
    model file's must be, the form an object of plain values. Raises ValueError ("is ...")."""
    settings = read_json(text)
    if not isinstance(settings, dict):
        raise ValueError("are not an object")
    config = settings.get("config")
    if config is not None:
        problem = config_problem(config)
        if problem:
            raise ValueError(f"are not valid: {problem}")
    form = settings.get("form")
    if form is not None and not is_flat_object(form):
        raise ValueError("hold a Train form that is not an object of plain values")
    return settings


def curve_problem(values, epochs):
    """What is wrong with a row of ``curves`` ({column: value}, ``points`` replaced by its
    type and length: ``points_type``, ``points_bytes``) whose run claims ``epochs``."""
    if not _whole(values["run_id"], 1, 2**63 - 1) or not _text(values["name"], 100):
        return "it is no curve of a run"
    size = values["points_bytes"]
    if values["points_type"] != "blob" or size % POINT_BYTES:
        return f"its points are not {POINT_BYTES}-byte pairs"
    if size > max_curve_bytes(epochs):
        return (f"its {size:,} bytes of points are far more than a run of {epochs} epochs "
                f"records")
    return None
