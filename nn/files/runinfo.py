"""The ``info`` record a training run leaves in its model: how the model was made."""

import dataclasses
from datetime import datetime

import nn

# Figures that belong to one run only: a later run that continues the model drops them.
ONE_RUN_ONLY = ("stopped_early", "fine_tune", "training_seconds")
# Epoch records a model file keeps (each about 270 characters of its meta): a longer history
# keeps every other one of its earlier epochs, so that a model trained and continued for
# tens of thousands of epochs still saves far under the meta size loading accepts.
MAX_HISTORY = 4096


def training_info(previous, name, dataset, config, result, test_accuracy, seconds=None,
                  now=None):
    """The ``info`` of a model after a run of ``nn.training.train.train`` (``result``) with
    ``config``.

    ``previous`` is the info of the model the run continued ({} for a new model): what it
    says is kept, and its history goes on, epochs counted from the model's very first run, so
    a saved file tells the whole story (`thinned` past MAX_HISTORY epochs). ``seconds`` is
    the training time, when measured; ``now`` the creation time (default: now, in the local
    time zone).
    """
    now = now or datetime.now().astimezone()
    offset = epochs_done(previous)
    history = thinned(list(previous.get("history", [])) + [
        jsonable(dataclasses.replace(r, epoch=r.epoch + offset, epochs=r.epochs + offset))
        for r in result.history])
    info = {k: v for k, v in previous.items() if k not in ONE_RUN_ONLY}
    info |= {
        "name": name, "dataset": dataset, "config": config.to_dict(), "history": history,
        "test_accuracy": test_accuracy, "created": now.isoformat(timespec="seconds"),
        "app_version": nn.__version__,
    }
    if seconds is not None:
        info["training_seconds"] = seconds
    if result.stopped:
        info["stopped_early"] = True
    return info


def epochs_done(info):
    """How many epochs a model with this ``info`` was trained for: its last epoch record's
    count (its history may be `thinned`), 0 without a history."""
    history = info.get("history") or []
    last = history[-1].get("epoch") if history else None
    counted = int(last) if isinstance(last, (int, float)) and not isinstance(last, bool) else 0
    return max(len(history), counted)


def thinned(history):
    """``history`` with every other one of its earlier records dropped until at most
    MAX_HISTORY are left; the first and the last are always kept."""
    while len(history) > MAX_HISTORY:
        history = history[:-1][::2] + history[-1:]
    return history


def jsonable(record):
    """A progress record as a dict of plain Python numbers (NumPy floats are not JSON)."""
    return {k: v if v is None or isinstance(v, int) else float(v)
            for k, v in dataclasses.asdict(record).items()}
