"""How well the app reads what people write, measured through its real pads with real mouse
events: ``python -m desktop.bench --handwriting`` (traced MNIST digits on the Draw tab) and
``--numbers`` (numbers on the Number tab); the module docstring of desktop/bench.py says what
each writes and who reads it."""

import os
import time

import numpy as np

from desktop.bench_common import figure, private_home, shown_window

HANDWRITING_DIGITS = 1000
HANDWRITING_SEED = 0
NUMBERS = 1000                # numbers written by --numbers unless --limit says otherwise
NUMBERS_SEED = 0


def run_handwriting(data_dir, limit=HANDWRITING_DIGITS):
    """{"accuracy": {way: accuracy}, ...}: held-out digits replayed on the Draw tab."""
    from desktop.draw.replay import replay
    from nn.data.datasets import load_dataset
    from nn.ink.ways import held_out_digits

    data = load_dataset("mnist", data_dir)
    start = time.perf_counter()
    digits, labels = held_out_digits(data.x_test, data.y_test, limit, HANDWRITING_SEED)
    with private_home(), shown_window(small=True) as window:
        window.tabs.setCurrentWidget(window.draw_tab)
        if window.active_model is None:
            raise SystemExit("no model to read handwriting with: "
                             "resources/default-model.npz is missing")
        pad = window.draw_tab.pad
        results = {"model": window.active_model.summary(), "digits": len(labels),
                   "seed": HANDWRITING_SEED, "pad_side": min(pad.width(), pad.height()),
                   "accuracy": replay(window.draw_tab, digits, labels)}
    results["seconds"] = round(time.perf_counter() - start, 1)
    return results


def run_numbers(data_dir, limit, fold_models=None, touching=False):
    """Write `limit` held-out numbers of traced MNIST digits, then `limit` numbers of real
    writers, on the window's Number tab, their digits so close that they touch if `touching`;
    the figures of each as a dict."""
    from nn.data.datasets import load_dataset
    from nn.data.unipen import load_pendigits
    from nn.files.modelfile import load_model
    from nn.ink.written_numbers import GAP, TOUCHING, held_out_numbers, writer_numbers
    from nn.network.errors import DataError, DigitLabError
    from nn.training.writers import FOLDS, writer_folds

    split = load_dataset("mnist", data_dir)
    try:
        pen, _ = load_pendigits()
    except DataError as error:
        pen, pen_error = None, str(error)
    try:
        models = [load_model(os.path.join(fold_models, f"fold{k}.npz")) if fold_models else None
                  for k in range(FOLDS)]
    except DigitLabError as error:
        raise SystemExit(f"--fold-models: {error}") from None
    with private_home(), shown_window() as window:
        window.tabs.setCurrentWidget(window.number_tab)
        if window.active_model is None:
            raise SystemExit("no model to read numbers with: "
                             "resources/default-model.npz is missing")
        rng = np.random.default_rng(NUMBERS_SEED)
        aspect, gap = window.number_tab.pad.aspect, TOUCHING if touching else GAP
        numbers = held_out_numbers(split.x_test, split.y_test, limit, aspect, rng, gap)
        results = {"traced_mnist": _numbers_figures(window, [(window.active_model, numbers)])}
        if pen is None:
            results["real_writers"] = f"skipped: {pen_error}"
            return results
        readers = []
        for k, fold in enumerate(writer_folds(pen.writers, FOLDS)):
            count = limit // FOLDS + (k < limit % FOLDS)
            if count:
                readers.append((models[k] if fold_models else window.active_model,
                                writer_numbers(pen.select(np.isin(pen.writers, fold)), count,
                                               aspect, rng, gap)))
        results["real_writers"] = _numbers_figures(window, readers)
        results["real_writers"]["read_by"] = (
            f"{fold_models}/fold{{k}}.npz for the writers of fold k" if fold_models
            else "the app's model (never trained on these writers only if it is MNIST-only)")
    return results


def _numbers_figures(window, readers):
    """Replay each (model, numbers) of `readers` on the Number tab, that model active; the
    figures of them all."""
    from desktop.number.replay import replay

    start = time.perf_counter()
    parts = []
    for model, numbers in readers:
        window.set_active_model(model)
        parts.append((len(numbers), replay(window.number_tab, numbers)))
    total = sum(n for n, _ in parts)
    digits = sum(p["digits"] for _, p in parts)
    pen_ups = [t for _, p in parts for t in p["pen_up_ms_of_6_digits"]]
    results = {"model": window.active_model.summary(), "numbers": total, "digits": digits,
               "seconds": round(time.perf_counter() - start, 1),
               "digits_read_right": round(sum(p["digits_read_right"] * p["digits"]
                                              for _, p in parts) / digits, 4)}
    for name in ("numbers_read_exactly", "numbers_split_into_the_right_count"):
        results[name] = figure(name, sum(n * p[name] for n, p in parts) / total)
    results["number_pen_up_p95_ms"] = figure(
        "number_pen_up_p95_ms", float(np.percentile(pen_ups, 95)),
        median_ms=round(float(np.median(pen_ups)), 2), numbers_of_6_digits=len(pen_ups)
    ) if pen_ups else "no number of 6 digits written: ask for more numbers"
    return results
