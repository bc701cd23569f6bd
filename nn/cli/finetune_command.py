"""``python -m nn finetune``: what the My Handwriting tab's "Fine-tune on my drawings" does.

``python -m nn finetune MODEL --drawings FILE`` fine-tunes MODEL on the labelled drawings of an
IDX image file (the tab's Export writes one) exactly as the tab does
(`nn.training.finetune.fine_tune`), prints the same figures and writes the new model.

``python -m nn finetune MODEL --simulate-writers`` (or ``--simulate-writers --folds DIR``, with
the models ``fold0.npz``... trained without each writer fold) plays each real pen writer as
the user who gives twenty corrections (`nn.training.writer_simulation`) and prints, per writer,
how well their other digits read before and after, the change for the other writers and on
MNIST, and the seconds it took.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from nn.cli.args import model_file, path_text, real_number, whole_number
from nn.cli.progress import ProgressBar
from nn.data.datasets import dataset_files, load_dataset
from nn.data.idx import labels_path_for, read_digit_images
from nn.data.unipen import load_pendigits
from nn.files.bundled import bundled_model_path
from nn.files.modelfile import check_can_save, check_not_read, load_model, save_model
from nn.files.paths import same_file
from nn.network.errors import SettingError
from nn.training.finetune import FineTuneSettings, fine_tune
from nn.training.writer_simulation import simulate, summary
from nn.training.writers import pen_images, writer_folds

MAX_WEIGHT = 1000
MAX_MEMORY = 10.0


def add_finetune_arguments(parser):
    add = parser.add_argument
    add("model", type=model_file, nargs="?",
        help="the model to fine-tune, or 'bundled' (with --simulate-writers: one that never "
             "saw a pen writer)")
    add("--drawings", type=path_text, metavar="IMAGES",
        help="IDX image file of your drawings (My Handwriting > Export to IDX)")
    add("--labels", type=path_text,
        help="their IDX label file (default: the images' MNIST-style partner)")
    add("--weight", type=whole_number(1, MAX_WEIGHT),
        help=f"how many times each drawing counts: itself and distorted copies of it "
             f"(default {FineTuneSettings().weight})")
    add("--memory", type=real_number(0.0, MAX_MEMORY), metavar="SPREADS",
        help=f"most the memory of your drawings adds to a digit's score, in spreads of the "
             f"scores; 0: no memory (default {FineTuneSettings().memory:g})")
    add("--out", type=path_text, help="model file to write (default: <model>-tuned.npz, in "
                                       "the current folder for the bundled model)")
    add("--data", type=path_text, help="folder with the MNIST files (default: searched)")
    add("--simulate-writers", action="store_true",
        help="measure instead: each real pen writer gives 20 corrections; their other digits "
             "are read before and after")
    add("--folds", type=path_text, metavar="DIR",
        help="with --simulate-writers: fold0.npz... each trained without that writer fold")
    add("--writers", type=whole_number(1), metavar="N",
        help="with --simulate-writers: only the first N writers of each fold")
    add("--json", action="store_true", help="print one JSON object on stdout")


def settings_of(args):
    given = {"weight": args.weight, "memory": args.memory}
    return FineTuneSettings(**{key: value for key, value in given.items() if value is not None})


def cmd_finetune(args, out):
    if args.simulate_writers:
        if args.drawings is not None or args.out is not None:
            raise SettingError("--simulate-writers measures without drawings and saves no "
                               "model: leave out --drawings and --out.")
        return simulate_writers(args, out)
    if args.model is None or args.drawings is None:
        raise SettingError("Name the model and the drawings: python -m nn finetune MODEL "
                           "--drawings IMAGES-FILE (or measure with --simulate-writers).")
    labels_path = args.labels or labels_path_for(args.drawings)
    if labels_path is None:
        raise SettingError(f"{args.drawings} is not named like an MNIST image file; name its "
                           f"label file with --labels.")
    model = load_model(args.model)
    images, labels = read_digit_images(args.drawings, labels_path)
    tuned_name = Path(args.model).stem + "-tuned.npz"
    beside = Path(args.model).parent if not same_file(args.model, bundled_model_path()) else "."
    path = args.out or str(Path(beside) / tuned_name)
    check_can_save(path)
    check_not_read(path, [args.drawings, labels_path] + dataset_files("mnist", args.data))
    mnist = load_dataset("mnist", args.data)
    bar = ProgressBar()
    n, rows, cols = images.shape   # (n, 28, 28), n may be 0: fine_tune says how many it needs
    tuned = fine_tune(model, images.reshape(n, rows * cols).astype(np.float32) / 255,
                      labels, mnist, settings_of(args),
                      on_progress=lambda p: bar.update(p.fraction, p.text, p.fraction >= 1))
    tuned.info["name"] = Path(path).stem
    save_model(path, tuned)
    figures = tuned.info["fine_tune"]
    if args.json:
        print(json.dumps({"model": args.model, "drawings": args.drawings, "out": path}
                         | figures, allow_nan=False), file=out)
    else:
        print(figures_text(figures) + f"\nsaved {path}", file=out)


def figures_text(figures):
    """The tab's figures as one line: "your 20 drawings, each read by a model fine-tuned
    without it: 80% -> 95% · MNIST test: 99.55% -> 99.52%"."""
    before, after = figures["before"], figures["after"]
    return (f"your {figures['drawings']} drawings, each read by a model fine-tuned without "
            f"it: {before['drawings']:.0%} -> {after['drawings']:.0%} · MNIST test: "
            f"{before['test']:.2%} -> {after['test']:.2%} ({figures['seconds']:.1f} s)")


def simulate_writers(args, out):
    if not (args.folds or args.model):
        raise SettingError("Name the model that never saw a pen writer, or give --folds DIR.")
    pen, _ = load_pendigits()
    if args.folds:
        folder = Path(args.folds)
        groups = [(load_model(folder / f"fold{k}.npz"), writers)
                  for k, writers in enumerate(writer_folds(pen.writers))]
    else:
        groups = [(load_model(args.model), np.unique(pen.writers))]
    mnist = load_dataset("mnist", args.data)
    started = time.perf_counter()
    settings = settings_of(args)
    records = simulate(groups, pen, pen_images(pen), mnist, settings, args.writers,
                       on_writer=lambda r: print(writer_line(r), file=sys.stderr, flush=True))
    result = {"summary": summary(records), "writers": records,
              "settings": {"weight": settings.weight, "memory": settings.memory,
                           "models": args.folds or args.model},
              "seconds": time.perf_counter() - started}
    if args.json:
        print(json.dumps(result, allow_nan=False), file=out)
    else:
        print(summary_text(result["summary"]), file=out)


def writer_line(r):
    return (f"writer {r['writer']:>3}: {r['before']:.1%} -> {r['after']:.1%} of {r['digits']} "
            f"other digits (shown: {r['cross_validated']['before']:.0%} -> "
            f"{r['cross_validated']['after']:.0%}); other writers "
            f"{r['others']['after'] - r['others']['before']:+.2%}, MNIST test "
            f"{r['mnist_test']['after'] - r['mnist_test']['before']:+.2%}; {r['seconds']:.1f} s")


def summary_text(s):
    return (f"{s['writers']} writers, 20 corrections each: their other digits "
            f"{s['before']['mean']:.2%} -> {s['after']['mean']:.2%} (worst writer "
            f"{s['before']['min']:.1%} -> {s['after']['min']:.1%}; {s['after']['below_97']} "
            f"below 97%)\nother writers {s['others_change']['mean']:+.2%} (worst "
            f"{s['others_change']['min']:+.2%}), MNIST test {s['mnist_test_change']['mean']:+.2%} "
            f"(worst {s['mnist_test_change']['min']:+.2%}); {s['seconds']['mean']:.1f} s per "
            f"fine-tuning (at most {s['seconds']['max']:.1f} s)")
