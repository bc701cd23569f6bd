"""The ``info`` record a training run leaves in its model: how the model was made."""

import dataclasses
from datetime import datetime

import nn

# Figures that belong to one run only: a later run that continues the model drops them.
ONE_RUN_ONLY = ("stopped_early", "fine_tune", "training_seconds")


def training_info(previous, name, dataset, config, result, test_accuracy, seconds=None,
                  now=None):
    """The ``info`` of a model after a run of ``nn.training.train.train`` (``result``) with
    ``config``.

    ``previous`` is the info of the model the run continued ({} for a new model): what it
    says is kept, and its history goes on, epochs counted from the model's very first run, so
    a saved file tells the whole story. ``seconds`` is the training time, when measured;
    ``now`` the creation time (default: now, in the local time zone).
    """
    now = now or datetime.now().astimezone()
    offset = len(previous.get("history", []))
    history = list(previous.get("history", [])) + [
        jsonable(dataclasses.replace(r, epoch=r.epoch + offset, epochs=r.epochs + offset))
        for r in result.history]
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


def jsonable(record):
    """A progress record as a dict of plain Python numbers (NumPy floats are not JSON)."""
    return {k: v if v is None or isinstance(v, int) else float(v)
            for k, v in dataclasses.asdict(record).items()}
