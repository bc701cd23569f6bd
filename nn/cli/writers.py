"""``python -m nn writers``: how well a training recipe reads the handwriting of people it
never saw.

The recipe is the bundled model's last step: continue a model trained on MNIST alone (``--base``,
with its optimizer state) for a few epochs on MNIST plus real writers' pen digits, exactly as
``train --resume BASE --pen-digits`` does.
Here it runs once per fold of writers (`nn.training.writers.writer_folds`): each fold's model
trains without that fold's writers and reads only theirs, so every writer is read by a model
that never saw them. Printed: accuracy overall, per digit, per writer, per way of drawing
(`nn.ink.ways`) and per style of the world (`nn.ink.world_styles`: each held-out digit written
in each style of its label), each fold model's MNIST test accuracy, and the writers' digits
as the app reads them (``as_the_app_reads``: calibrated, with a second look at the digits the
model is unsure of, `nn.ink.second_look`). ``--out DIR`` keeps the
fold models (each calibrated on the other folds' held-out predictions, so it reads as the app
reads) and ``DIR/oof.npz``: every digit's log-probabilities from the model that never saw its
writer (``log_probs``, ``labels``, ``writers``), the held-out data a calibration is fitted on.
"""

import dataclasses
import time
from pathlib import Path

import numpy as np

from nn.cli.args import emit_json, model_file, path_text, real_number, whole_number
from nn.cli.progress import ProgressBar
from nn.data.datasets import dataset_files, load_dataset
from nn.data.unipen import find_pendigits, load_pendigits
from nn.files.atomic import write_atomically
from nn.files.modelfile import check_can_save, check_not_read, load_model, save_model
from nn.ink.second_look import read_drawings
from nn.ink.ways import WAYS, accuracy_by_way
from nn.network.errors import ModelFileError, SettingError, shorten
from nn.training.calibration import calibrate
from nn.training.train import MAX_EPOCHS, TrainConfig, resume_optimizer, train
from nn.training.writers import (FOLDS, from_mnist, pen_images, scores, style_counts,
                                 with_pen_digits, writer_folds)

# The bundled model's recipe, with a fifth of the copies written in each world style
# (nn.ink.world_styles): ten epochs with eight rewritten copies of each pen digit read unseen
# writers at 99.21% (six: 99.17%; twelve copies read 99.27% but MNIST's test set 99.49%).
DEFAULT_EPOCHS = 10
DEFAULT_LR = 5e-4
DEFAULT_COPIES = 8


def add_writers_arguments(parser):
    add = parser.add_argument
    add("--base", type=model_file, required=True,
        help="model trained without pen digits, continued in each fold (e.g. the bundled "
             "model's first step)")
    add("--epochs", type=whole_number(1, MAX_EPOCHS), default=DEFAULT_EPOCHS,
        help=f"epochs of each fold's training (default {DEFAULT_EPOCHS}, the bundled recipe's)")
    add("--lr", type=real_number(1e-9, 1.0), default=DEFAULT_LR, metavar="RATE",
        help=f"its learning rate (default {DEFAULT_LR:g})")
    add("--pen-copies", type=whole_number(0, 50), default=DEFAULT_COPIES, metavar="N",
        help="rewritten copies of each pen digit trained on, besides the digit itself "
             f"(default {DEFAULT_COPIES})")
    add("--folds", type=whole_number(2, 30), default=FOLDS,
        help="groups the writers are split into, each read by a model without them "
             f"(default {FOLDS})")
    add("--pen-digits", type=path_text, metavar="PATH", help="pendigits-orig.tra or its folder")
    add("--data", type=path_text, help="folder with the four MNIST IDX files")
    add("--out", type=path_text, metavar="DIR", help="keep the fold models and oof.npz here")
    add("--json", action="store_true", help="print one JSON object on stdout")


def pen_info(digits, copies):
    """What a model's info says of the pen digits it trained on: whose, and how many copies."""
    return {"writers": sorted(set(digits.writers.tolist())), "copies": copies}


def recipe_config(base, epochs, lr):
    """The base model's own training settings, continued for ``epochs`` at rate ``lr``."""
    saved = base.info.get("config")
    config = TrainConfig.from_dict(saved) if saved else TrainConfig()
    return dataclasses.replace(config, epochs=epochs, learning_rate=lr)


def cmd_writers(args, out):
    base = load_model(args.base)
    if not base.reads_digits:   # else found after minutes of redrawing
        raise SettingError(f"{args.base} does not read digits as 28x28 images; choose a model "
                           f"trained on MNIST.")
    if "pen_digits" in base.info:
        raise SettingError(f"{args.base} was trained on pen digits already, so its folds would "
                           f"read writers it has seen; choose a model trained on MNIST alone.")
    config = recipe_config(base, args.epochs, args.lr)
    data = load_dataset("mnist", args.data)
    pen_file = find_pendigits(args.pen_digits)
    pen, _ = load_pendigits(pen_file)
    log_probs = np.zeros((len(pen), 10), np.float32)
    folds, ways, styles, models = [], {way.name: 0.0 for way in WAYS}, {}, []
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        _make_folder(out_dir)
        reads = [args.base, pen_file] + dataset_files("mnist", args.data)
        for name in [f"fold{k}.npz" for k in range(args.folds)] + ["oof.npz"]:
            check_can_save(out_dir / name)
            check_not_read(out_dir / name, reads)
    # MNIST's redrawn copies and traced digits are the same in every fold: made once, as train
    # --pen-digits makes them (nn.training.writers.pen_training_set), then each fold adds its
    # writers' digits and pairs.
    x_mnist, y_mnist, traced, config = from_mnist(data.x_train, data.y_train, config,
                                                  np.random.default_rng(config.seed))
    for k, fold in enumerate(writer_folds(pen.writers, args.folds)):
        held = np.isin(pen.writers, fold)
        model = load_model(args.base)
        x, y = with_pen_digits(x_mnist, y_mnist, pen.select(~held), args.pen_copies, traced,
                               np.random.default_rng(config.seed + k))
        start = time.perf_counter()
        fold_config = dataclasses.replace(config, seed=config.seed + k)
        train(model, x, y, fold_config, optimizer=resume_optimizer(model, fold_config),
              on_progress=None if args.json else ProgressBar().training)
        seconds = time.perf_counter() - start
        model.set_calibration(1.0, model.unsure_below)  # held-out scores as the network gives them
        log_probs[held] = np.log(np.maximum(model.predict_proba(pen_images(pen.select(held))),
                                            1e-30))
        held_digits = pen.select(held)
        for name, accuracy in accuracy_by_way(model, held_digits.strokes,
                                              held_digits.labels).items():
            ways[name] += accuracy * held.sum() / len(pen)
        for name, counts in style_counts(model, held_digits, np.random.default_rng(k)).items():
            styles[name] = np.add(styles.get(name, (0, 0)), counts)
        models.append((model, held))
        folds.append({"writers": fold.tolist(), "seconds": seconds,
                      "mnist_test_accuracy": model.accuracy(data.x_test, data.y_test)})
        model.info["pen_digits"] = pen_info(pen.select(~held), args.pen_copies)
        model.info["name"] = f"fold{k}"   # its file's name, as `nn train` names what it saves
        if out_dir:   # kept as soon as it is trained, calibrated below once all are
            save_model(out_dir / f"fold{k}.npz", model)
    as_the_app_reads = read_as_the_app(models, pen, log_probs)
    if out_dir:
        try:   # whole or not at all, as the models are saved
            write_atomically(out_dir / "oof.npz", lambda f: np.savez(
                f, log_probs=log_probs, labels=pen.labels, writers=pen.writers))
        except OSError as error:
            raise ModelFileError(f"Cannot save {out_dir / 'oof.npz'}: {error.strerror or error};"
                                 f" free some disk space or choose another folder.") from None
        for k, (model, _) in enumerate(models):
            save_model(out_dir / f"fold{k}.npz", model)
    result = scores(log_probs.argmax(axis=1), pen.labels, pen.writers) | {
        "as_the_app_reads": scores(as_the_app_reads, pen.labels, pen.writers),
        "per_way": ways, "folds": folds, "digits": len(pen),
        "per_style": {name: float(right / max(count, 1))
                      for name, (right, count) in styles.items()},
        "recipe": {"base": args.base, "epochs": args.epochs, "lr": args.lr,
                   "pen_copies": args.pen_copies}}
    if args.json:
        emit_json(out, result)
    else:
        print(report(result), file=out)


def read_as_the_app(models, pen, log_probs):
    """(n,) the digit read in each pen digit as the app reads it (`nn.ink.second_look`), by
    the fold model that never saw its writer: ``models`` is a list of (model, held-out mask).
    Each model is calibrated as the bundled one is, on held-out predictions (``log_probs``),
    but only those of the other folds' writers (a model too poor to calibrate, reading none of
    them right, keeps its own calibration)."""
    predicted = log_probs.argmax(axis=1)
    for model, held in models:
        try:
            fitted = calibrate(log_probs[~held], pen.labels[~held])
            model.set_calibration(fitted.temperature, fitted.unsure_below)
        except ValueError:
            pass
        predicted[held] = read_drawings(model, pen.select(held).strokes).argmax(axis=1)
    return predicted


def report(result):
    """The writer-independent figures as a few lines of text."""
    lines = [f"{result['overall']:.2%} of {result['digits']:,} digits read right, each writer "
             f"by a model that never saw them ({len(result['folds'])} folds of writers)",
             "per digit:  " + "  ".join(f"{d}: {a:.1%}" for d, a in result["per_digit"].items()),
             f"as the app reads them, with a second look at the unsure: "
             f"{result['as_the_app_reads']['overall']:.2%}",
             "per writer: " + "  ".join(f"{w}: {a:.1%}" for w, a in sorted(
                 result["per_writer"].items(), key=lambda item: item[1]))]
    lines.append("per way:    " + "  ".join(f"{w}: {a:.1%}" for w, a in result["per_way"].items()))
    lines.append("per style:  " + "  ".join(f"{s}: {a:.1%}"
                                            for s, a in result["per_style"].items()))
    lines += [f"fold {k}: MNIST test {f['mnist_test_accuracy']:.2%}, {f['seconds']:.0f} s"
              for k, f in enumerate(result["folds"])]
    return "\n".join(lines)


def _make_folder(folder):
    """Create the --out folder (and its parents), unless its name holds a line break or
    another control character, which no file of DigitLab's does."""
    if not str(folder).isprintable():
        raise SettingError(f"Cannot save in {shorten(str(folder))!r}: the name holds a control "
                           f"character (a line break, a tab...); choose another --out.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:   # a file of that name, a read-only disk
        raise ModelFileError(f"Cannot create the folder {folder}: {error.strerror or error}; "
                             f"choose another --out.") from None
