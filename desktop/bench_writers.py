"""``python -m desktop.bench --writers [--model FOLD.npz] [--limit N]``: real people's pen
digits replayed through the real Draw tab, read by a model that never saw those writers.

The writers are those the model did not train on (its info names the writers it saw): all 30
for a model trained on MNIST alone, one fold's for a fold model of ``python -m nn writers --out
DIR``. Each digit's pen trajectory is drawn on the pad with real mouse events in every way of
`nn.ink.ways`; printed are the accuracy per way, and per digit and per writer for the natural way.
"""

import numpy as np

from desktop.draw.replay import draw_digit, replay
from nn.data.unipen import load_pendigits
from nn.files.modelfile import load_model
from nn.ink.ways import WAYS
from nn.network.model import DIGITS
from nn.training.writers import scores

LIMIT_SEED = 0


def unseen_digits(model, limit=None):
    """The pen digits of the writers ``model`` never trained on, ``limit`` of them at most (a
    seeded choice); SystemExit when it saw them all."""
    pen, _ = load_pendigits()
    seen = model.info.get("pen_digits", {}).get("writers", [])
    unseen = ~np.isin(pen.writers, seen)
    if not unseen.any():
        raise SystemExit("the model trained on every writer's digits, so it cannot be scored on "
                         "them: give a fold model (python -m nn writers --base BASE --out DIR, "
                         "then --model DIR/fold0.npz)")
    if limit is not None and limit < unseen.sum():
        keep = np.random.default_rng(LIMIT_SEED).choice(np.flatnonzero(unseen), limit,
                                                        replace=False)
        unseen = np.isin(np.arange(len(pen)), keep)
    return pen.select(unseen)


def run_writers(window, model_path=None, limit=None):
    """The figures as a dict; ``window`` is a shown MainWindow whose model is replaced."""
    from PySide6.QtWidgets import QApplication

    if model_path is not None:
        window.set_active_model(load_model(model_path), model_path)
    model = window.active_model
    digits = unseen_digits(model, limit)
    window.tabs.setCurrentWidget(window.draw_tab)
    QApplication.processEvents()
    natural = WAYS[0]
    answers = []
    for i, strokes in enumerate(digits.strokes):
        answers.append(draw_digit(window.draw_tab, strokes, natural))
        if i % 20 == 0:
            QApplication.processEvents()
    window.draw_tab.pad.clear()
    predicted = np.array([DIGITS.index(a) if a in DIGITS else -1 for a in answers])
    figures = scores(predicted, digits.labels, digits.writers)
    figures["per_way"] = {natural.name: figures["overall"]} | replay(
        window.draw_tab, digits.strokes, digits.labels, WAYS[1:])
    return {"model": model.summary(), "digits": len(digits),
            "writers": sorted(set(digits.writers.tolist())), **figures}


def report(results):
    """The figures as a few lines of text."""
    lines = [results["model"], f"{results['digits']} digits of {len(results['writers'])} writers "
             f"the model never saw, drawn on the real pad: {results['overall']:.1%}"]
    lines.append("per digit:  " + "  ".join(f"{d}: {a:.1%}"
                                            for d, a in results["per_digit"].items()))
    lines.append("per writer: " + "  ".join(f"{w}: {a:.1%}"
                                            for w, a in results["per_writer"].items()))
    lines += [f"  {way:<20} {accuracy:.1%}" for way, accuracy in results["per_way"].items()]
    return "\n".join(lines)
