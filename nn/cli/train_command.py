"""``python -m nn train``: train a preset, or continue a model, and save it.

Every setting of the Train tab has a flag; a flag left out keeps the preset's value, or with
``--resume`` the resumed model's. ``--pen-digits`` adds real people's pen digits
(`nn.training.writers.pen_training_set`).
"""

import dataclasses
import sys
import time
from pathlib import Path

from nn.cli.args import (BUNDLED, check_classes, emit_json, model_file, path_text, real_number,
                         whole_number)
from nn.cli.progress import ProgressBar
from nn.cli.writers import DEFAULT_COPIES, pen_info
from nn.data.datasets import dataset_files, load_dataset
from nn.data.unipen import find_pendigits, load_pendigits
from nn.files.modelfile import check_can_save, check_not_read, load_model, save_model
from nn.files.runinfo import training_info
from nn.ink.augment import Augmentation
from nn.ink.redraw import redrawn_count
from nn.network.errors import SettingError
from nn.network.layers import ACTIVATIONS
from nn.network.model import Model, describe
from nn.network.optim import OPTIMIZER_CHOICES
from nn.network.randomness import init_rng
from nn.network.schedules import SCHEDULES
from nn.training.presets import PRESETS, edited_network, parse_hidden_layers
from nn.training.train import LIMITS, MAX_EPOCHS, TrainConfig, resume_optimizer, train
from nn.training.validation import split_counts
from nn.training.writers import pen_training_set


def add_training_arguments(parser):
    """The Train form's settings; each one left out keeps the preset's (or, with --resume,
    the resumed model's) value."""
    add = parser.add_argument
    add("--hidden", metavar="WIDTHS",
        help='hidden layer widths, e.g. "256,128" ("" for none; dense presets only)')
    add("--activation", choices=ACTIVATIONS, help="the non-linearity after each hidden layer")
    add("--dropout", type=real_number(0.0, 0.9), metavar="RATE",
        help="dropout after each hidden layer, 0-0.9")
    add("--optimizer", choices=OPTIMIZER_CHOICES, help="the update rule")
    add("--lr", type=real_number(*LIMITS["learning_rate"]), metavar="RATE", help="learning rate")
    add("--momentum", type=real_number(*LIMITS["momentum"]),
        help="momentum of the momentum and nesterov optimizers")
    add("--schedule", choices=SCHEDULES, help="how the learning rate changes over the run")
    add("--warmup", type=real_number(*LIMITS["warmup_epochs"]), metavar="EPOCHS",
        help="epochs over which the learning rate first rises from 0")
    add("--step-every", type=whole_number(*LIMITS["step_every"]), metavar="EPOCHS",
        help="step schedule: decay every N epochs")
    add("--step-gamma", type=real_number(*LIMITS["step_gamma"]), metavar="FACTOR",
        help="step schedule: by this factor")
    add("--batch-size", type=batch_size, metavar="N|full",
        help='examples per step; "full" for the whole training set (as in the notebook)')
    add("--weight-decay", type=real_number(*LIMITS["weight_decay"]),
        help="pull weights towards zero (L2; decoupled for adamw)")
    add("--early-stopping", type=whole_number(1, MAX_EPOCHS), metavar="PATIENCE",
        help="stop after PATIENCE epochs without a better validation accuracy and keep the "
             "best weights")
    add("--redraw", type=real_number(*LIMITS["redraw"]), metavar="SHARE",
        help="also train on this share (0-1) of the training digits redrawn from their centre "
             "lines the way the app redraws your strokes")
    add("--pen-digits", nargs="?", const=True, type=path_text, metavar="PATH",
        help="also train on real people's pen digits (pendigits-orig.tra, or its folder; "
             "found like MNIST when no PATH is given)")
    add("--pen-copies", type=whole_number(0, 50), metavar="N",
        help=f"with --pen-digits: rewritten copies of each pen digit, besides the digit itself "
             f"(default {DEFAULT_COPIES})")
    add("--resume", metavar="MODEL", type=model_file,
        help=f'continue training this model file ("{BUNDLED}": the model DigitLab ships with), '
             f'with its optimizer state when it has one')


def batch_size(text):
    """--batch-size: a number of examples, or "full" (TrainConfig's 0)."""
    return 0 if text == "full" else whole_number(1, LIMITS["batch_size"][1])(text)


# --flag -> TrainConfig field, for the settings that map one to one.
CONFIG_FLAGS = {"lr": "learning_rate", "momentum": "momentum", "schedule": "schedule",
                "warmup": "warmup_epochs", "step_every": "step_every", "step_gamma": "step_gamma",
                "batch_size": "batch_size", "weight_decay": "weight_decay",
                "early_stopping": "early_stopping_patience", "epochs": "epochs", "seed": "seed",
                "redraw": "redraw"}


def training_config(args, base):
    """``base`` (a TrainConfig) with the flags given on the command line."""
    overrides = {field: getattr(args, flag) for flag, field in CONFIG_FLAGS.items()
                 if getattr(args, flag) is not None}
    if args.optimizer is not None:
        overrides["optimizer"], overrides["nesterov"] = OPTIMIZER_CHOICES[args.optimizer]
    if args.augment:
        overrides["augmentation"] = Augmentation()
    return dataclasses.replace(base, **overrides)


def preparation_text(n, config, pen, copies):
    """A line saying what a run on n examples draws before its first epoch, which takes
    seconds to minutes with no progress to show; "" when it draws nothing."""
    # A run with pen digits redraws its whole dataset (`nn.training.writers`); others keep a
    # validation split out first.
    redrawn = redrawn_count(n, config.redraw) if pen is not None else split_counts(n, config)[1]
    work = [f"redrawing {redrawn:,} digits from their centre lines"] if redrawn else []
    if pen is not None:
        rewritten = f", {copies} rewritten cop{'y' if copies == 1 else 'ies'} of each"
        work.append(f"writing {len(pen.labels):,} pen digits{rewritten if copies else ''} "
                    "and pairs of touching digits")
    return f"Before the first epoch: {' and '.join(work)}...\n" if work else ""


def cmd_train(args, out):
    preset = PRESETS[args.preset]
    hidden = None if args.hidden is None else parse_hidden_layers(args.hidden)
    network = {"hidden": hidden, "activation": args.activation, "dropout": args.dropout}
    if args.resume is not None:
        if any(v is not None for v in network.values()):
            raise SettingError("--resume continues a model's own network: leave out --hidden, "
                               "--activation and --dropout.")
        model = load_model(args.resume)
        previous, saved = model.info, model.info.get("config")
        config = training_config(args, TrainConfig.from_dict(saved) if saved else preset.config)
        optimizer = resume_optimizer(model, config)
    else:
        specs, input_shape = edited_network(preset, **network)
        config = training_config(args, preset.config)
    if args.pen_copies is not None and args.pen_digits is None:
        raise SettingError("--pen-copies only applies with --pen-digits.")
    copies = DEFAULT_COPIES if args.pen_copies is None else args.pen_copies
    path = args.out or f"{args.preset}.npz"
    check_can_save(path)  # before training, not after
    pen_file = None if args.pen_digits is None else find_pendigits(
        None if args.pen_digits is True else args.pen_digits)
    check_not_read(path, dataset_files(args.dataset, args.data)
                   + ([] if pen_file is None else [pen_file]))
    if args.resume:
        check_classes(args.resume, model, args.dataset)
    data = load_dataset(args.dataset, args.data, args.limit)
    if not args.resume:
        model = Model.from_architecture(specs, input_shape, data.class_names,
                                        rng=init_rng(config.seed))
        optimizer, previous = None, {}
    x, y, pen = data.x_train, data.y_train, None
    if pen_file is not None:
        if data.name != "mnist":
            raise SettingError("--pen-digits are digits: train them with MNIST, not "
                               f"{data.name}.")
        pen, _ = load_pendigits(pen_file)
    if not args.json:
        sys.stderr.write(preparation_text(len(x), config, pen, copies))
    if pen is not None:
        x, y, config = pen_training_set(x, y, pen, copies, config)
    start = time.perf_counter()
    result = train(model, x, y, config, on_progress=ProgressBar().training, optimizer=optimizer)
    seconds = time.perf_counter() - start
    test_accuracy = model.accuracy(data.x_test, data.y_test)
    history = [dataclasses.asdict(r) for r in result.history]
    model.info = training_info(previous, args.preset, data.name, config, result,
                               test_accuracy, seconds)
    model.info["name"] = Path(path).stem
    if pen is not None:
        model.info["pen_digits"] = pen_info(pen, copies)
    save_model(path, model, result.optimizer)
    if args.json:
        emit_json(out, {"preset": args.preset, "dataset": data.name, "model": str(path),
                        "epochs": len(history), "test_accuracy": test_accuracy,
                        "seconds": seconds, "history": history,
                        "architecture": describe(model.architecture()),
                        "config": config.to_dict(), "resumed_from": args.resume})
    else:
        tested_on = (f" on the first {len(data.y_test):,} test images only (--limit)"
                     if args.limit else "")
        print(f"{model.summary()}\ntest accuracy {test_accuracy:.2%}{tested_on} after "
              f"{seconds:.1f} s; saved {path}", file=out)
