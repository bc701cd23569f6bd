"""Train, evaluate, inspect and benchmark models from the command line.

``python -m nn``, or ``digitlab-cli`` when installed. User errors (a bad file, missing data, a
bad flag) print one line on stderr and exit with status 2; ``--json`` prints exactly one JSON
object on stdout.
"""

import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np

import nn
from nn.network import metrics
from nn.ink.augment import Augmentation
from nn.cli.bench import add_bench_arguments, cmd_bench
from nn.cli.args import (
    BUNDLED,
    EXIT_USER_ERROR,
    MAX_EPOCHS,
    Parser,
    emit_json,
    model_file,
    path_text,
    program_name,
    real_number,
    whole_number,
)
from nn.data.datasets import DATASETS, IMAGE_SIDE, load_dataset, user_data_dir, user_dataset_dir
from nn.cli.calibrate import add_calibrate_arguments, cmd_calibrate
from nn.cli.finetune_command import add_finetune_arguments, cmd_finetune
from nn.network.errors import DataError, DigitLabError, SettingError
from nn.network.layers import ACTIVATIONS
from nn.network.model import Model, describe
from nn.files.modelfile import check_can_save, load_model, save_model
from nn.network.optim import OPTIMIZER_CHOICES
from nn.training.presets import PRESETS, edited_network, parse_hidden_layers, preset_name
from nn.cli.progress import ProgressBar
from nn.cli.writers import DEFAULT_COPIES, add_writers_arguments, cmd_writers, pen_info
from nn.data.unipen import FOLDER_NAME as PENDIGITS
from nn.data.unipen import load_pendigits
from nn.training.writers import pen_training_set
from nn.network.randomness import init_rng
from nn.files.runinfo import training_info
from nn.network.schedules import SCHEDULES
from nn.training.train import LIMITS, TrainConfig, resume_optimizer, train


MODEL_HELP = f'a model file, or "{BUNDLED}" for the model DigitLab ships with'


def build_parser(prog=None):
    """The parser; ``prog`` is the command's name in help and errors (default: as invoked)."""
    parser = Parser(prog=prog or program_name(), description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {nn.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a preset on MNIST and save the model")
    train.add_argument("--preset", type=preset_name, choices=PRESETS, default="mlp")
    train.add_argument("--epochs", type=whole_number(1, MAX_EPOCHS),
                       help="override the preset's number of epochs")
    train.add_argument("--seed", type=whole_number(0), help="override the preset's random seed")
    train.add_argument("--augment", action="store_true",
                       help="distort every training batch at random (shift, rotation, scale, "
                            "slant, stroke width): slower to learn, reads drawings better")
    add_training_arguments(train)
    add_data_arguments(train)
    train.add_argument("--out", type=path_text, help="model file to write (default: <preset>.npz)")
    train.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    evaluate = sub.add_parser("evaluate", help="test accuracy, per class, and confusion matrix")
    evaluate.add_argument("model", type=model_file, help=MODEL_HELP)
    add_data_arguments(evaluate, dataset_default=None)
    evaluate.add_argument("--json", action="store_true")

    info = sub.add_parser("info", help="architecture, parameters and training summary")
    info.add_argument("model", type=model_file, help=MODEL_HELP)
    info.add_argument("--json", action="store_true")

    download = sub.add_parser("download", help="download a dataset into the per-user folder")
    download.add_argument("--dataset", choices=[*DATASETS, PENDIGITS], default="mnist",
                          help="pendigits: real writers' pen digits (UCI, 30 writers)")
    download.add_argument("--dest", type=path_text, help="folder to download into")
    download.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    add_bench_arguments(sub.add_parser("bench", help="measure training speed and accuracy"))
    add_writers_arguments(sub.add_parser(
        "writers", help="read real writers' digits, each by a model that never saw them"))
    add_calibrate_arguments(sub.add_parser(
        "calibrate", help="fit how sure the model should be on held-out predictions, and store it"))
    add_finetune_arguments(sub.add_parser(
        "finetune", help="teach a model your drawings, as the My Handwriting tab does"))

    export = sub.add_parser("export", help="write a model as an ONNX graph (needs the onnx extra)")
    export.add_argument("model", type=model_file, help=MODEL_HELP)
    export.add_argument("out", type=path_text, help="ONNX file to write, e.g. model.onnx")
    export.add_argument("--json", action="store_true")
    return parser


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
    add("--pen-copies", type=whole_number(0, 50), default=DEFAULT_COPIES, metavar="N",
        help="with --pen-digits: rewritten copies of each pen digit, besides the digit itself")
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


def add_data_arguments(parser, dataset_default="mnist"):
    parser.add_argument("--data", type=path_text,
                        help="folder with the four IDX files (default: searched)")
    parser.add_argument("--dataset", choices=DATASETS, default=dataset_default,
                        help="which dataset (default: mnist, or the one the model was trained on)")
    parser.add_argument("--limit", type=whole_number(1),
                        help="use only the first N train and test images")


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
    path = args.out or f"{args.preset}.npz"
    check_can_save(path)  # before training, not after
    data = load_dataset(args.dataset, args.data, args.limit)
    if not args.resume:
        model = Model.from_architecture(specs, input_shape, data.class_names,
                                        rng=init_rng(config.seed))
        optimizer, previous = None, {}
    elif tuple(model.class_names) != tuple(data.class_names):
        raise SettingError(f"{args.resume} was trained on other classes than {data.name}'s; "
                           f"choose its dataset with --dataset.")
    x, y, pen = data.x_train, data.y_train, None
    if args.pen_digits is not None:
        if data.name != "mnist":
            raise SettingError("--pen-digits are digits: train them with MNIST, not "
                               f"{data.name}.")
        pen, _ = load_pendigits(None if args.pen_digits is True else args.pen_digits)
        x, y, config = pen_training_set(x, y, pen, args.pen_copies, config)
    start = time.perf_counter()
    result = train(model, x, y, config, on_progress=ProgressBar().training, optimizer=optimizer)
    seconds = time.perf_counter() - start
    test_accuracy = model.accuracy(data.x_test, data.y_test)
    history = [dataclasses.asdict(r) for r in result.history]
    model.info = training_info(previous, args.preset, data.name, config, result,
                               test_accuracy, seconds)
    model.info["name"] = Path(path).stem
    if pen is not None:
        model.info["pen_digits"] = pen_info(pen, args.pen_copies)
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


def cmd_evaluate(args, out):
    model = load_model(args.model)
    dataset = args.dataset or model.info.get("dataset", "mnist")
    if math.prod(model.input_shape) != IMAGE_SIDE * IMAGE_SIDE:
        raise DataError(f"{args.model} takes inputs of shape {model.input_shape}, not "
                        f"{IMAGE_SIDE}x{IMAGE_SIDE} images; evaluate a model made for them.")
    data = load_dataset(dataset, args.data, args.limit)
    predicted = model.predict(data.x_test)
    confusion = metrics.confusion_matrix(data.y_test, predicted, len(data.class_names))
    per_class = metrics.per_class_accuracy(confusion)
    accuracy = metrics.accuracy(data.y_test, predicted)
    if args.json:   # "test_images" says how many: all of the test set, or --limit's first N
        emit_json(out, {"model": args.model, "dataset": dataset, "test_accuracy": accuracy,
                        "test_images": len(predicted), "limit": args.limit,
                        "per_class_accuracy": dict(zip(data.class_names, per_class.tolist())),
                        "confusion_matrix": confusion.tolist()})
        return
    measured_on = (f"the first {len(predicted):,} {dataset} test images only (--limit)"
                   if args.limit else f"the {len(predicted):,} {dataset} test images")
    print(f"{args.model}: {accuracy:.2%} correct on {measured_on}", file=out)
    width = max(len(c) for c in data.class_names)
    print("per class:", file=out)
    for name, acc in zip(data.class_names, per_class):
        print(f"  {name:>{width}}  {acc:.2%}", file=out)
    print("confusion matrix (rows: true class, columns: predicted):", file=out)
    for row in confusion:
        print("  " + " ".join(f"{v:5d}" for v in row), file=out)


def cmd_info(args, out):
    model = load_model(args.model)
    info = model.info
    summary = {"model": args.model, "architecture": describe(model.architecture()),
               "layers": model.architecture(), "parameters": model.n_params,
               "input_shape": list(model.input_shape), "class_names": list(model.class_names),
               "dataset": info.get("dataset"), "epochs": len(info.get("history", [])),
               "test_accuracy": info.get("test_accuracy"), "created": info.get("created"),
               "optimizer_state": model.optimizer_state is not None,
               "temperature": model.temperature, "unsure_below": model.unsure_below}
    if args.json:
        emit_json(out, summary | {"info": info})
        return
    acc = summary["test_accuracy"]
    print(f"{args.model}\n  architecture  {summary['architecture']}\n"
          f"  parameters    {model.n_params:,}\n"
          f"  trained on    {summary['dataset'] or 'unknown'}, {summary['epochs']} epochs\n"
          f"  test accuracy {'unknown' if acc is None else f'{acc:.2%}'}\n"
          f"  created       {summary['created'] or 'unknown'}\n"
          f"  calibration   temperature {model.temperature:.3g}, unsure below "
          f"{model.unsure_below:.0%}\n"
          f"  can resume    {'yes' if summary['optimizer_state'] else 'no (no optimizer state)'}",
          file=out)
    config = info.get("config")
    print("  training settings" + ("" if config else "  unknown"), file=out)
    for line in settings_lines(config or {}):
        print(f"    {line}", file=out)


def settings_lines(config):
    """The training settings of a model file (``config`` as TrainConfig.to_dict wrote it),
    one "name  value" line each, in the file's order."""
    def text(value):
        if isinstance(value, dict):   # the augmentation's distortions
            return ", ".join(f"{k} {text(v)}" for k, v in value.items())
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return f"{value:g}" if isinstance(value, float) else str(value)

    names = {key: key.replace("_", " ") for key in config}
    width = max(map(len, names.values()), default=0)
    return [f"{names[key]:<{width}}  {text(value)}" for key, value in config.items()]


def cmd_download(args, out):
    from nn.data.download import download_dataset

    if args.dataset == PENDIGITS:
        from nn.data.pendigits_download import download_pendigits

        path = download_pendigits(args.dest or user_data_dir() / "datasets" / PENDIGITS)
        if args.json:
            emit_json(out, {"dataset": PENDIGITS, "folder": str(path.parent), "files": [str(path)]})
        else:
            print(f"The pen digits of 30 writers are in {path}", file=out)
        return
    info = DATASETS[args.dataset]
    dest = args.dest or user_dataset_dir(info)
    folder = download_dataset(info, dest, on_progress=ProgressBar().download)
    if args.json:
        emit_json(out, {"dataset": info.name, "folder": str(folder),
                        "files": [str(folder / name) for name in info.files.values()]})
    else:
        print(f"{info.title} is in {folder}", file=out)


def cmd_export(args, out):
    from nn.files.onnx_export import OPSET, save_onnx

    model = load_model(args.model)
    save_onnx(args.out, model, source=args.model)
    if args.json:
        emit_json(out, {"model": args.model, "onnx": args.out, "opset": OPSET,
                        "input_shape": ["N", *model.input_shape]})
    else:
        print(f"{model.summary()}\nsaved {args.out} (ONNX opset {OPSET}, input "
              f"{' x '.join(map(str, ('N',) + model.input_shape))} float32 in [0, 1])", file=out)


def main(argv=None):
    args = build_parser().parse_args(argv)
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "info": cmd_info,
                "download": cmd_download, "bench": cmd_bench, "export": cmd_export,
                "writers": cmd_writers,
                "calibrate": cmd_calibrate,
                "finetune": cmd_finetune}
    try:
        commands[args.command](args, sys.stdout)
    except DigitLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: this machine has not enough memory for that; use a smaller --limit or "
              "a smaller network.", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0
