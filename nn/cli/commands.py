"""Train, evaluate, inspect and benchmark models from the command line.

``python -m nn``, or ``digitlab-cli`` when installed. User errors (a bad file, missing data, a
bad flag) print one line on stderr and exit with status 2; ``--json`` prints exactly one JSON
object on stdout.
"""

import math
import os
import sys

import nn
from nn.cli.args import (BUNDLED, EXIT_USER_ERROR, Parser, add_data_arguments, check_classes,
                         emit_json, model_file, path_text, program_name, whole_number)
from nn.cli.bench import add_bench_arguments, cmd_bench
from nn.cli.calibrate import add_calibrate_arguments, cmd_calibrate
from nn.cli.finetune_command import add_finetune_arguments, cmd_finetune
from nn.cli.progress import ProgressBar
from nn.cli.train_command import add_training_arguments, cmd_train
from nn.cli.writers import add_writers_arguments, cmd_writers
from nn.data.datasets import DATASETS, IMAGE_SIDE, load_dataset
from nn.data.folders import user_data_dir, user_dataset_dir
from nn.data.unipen import FOLDER_NAME as PENDIGITS
from nn.files.modelfile import load_model
from nn.files.runinfo import epochs_done
from nn.network import metrics
from nn.network.errors import DataError, DigitLabError, printable, shorten
from nn.network.model import describe
from nn.training.presets import PRESETS, preset_name
from nn.training.train import MAX_EPOCHS


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


def cmd_evaluate(args, out):
    model = load_model(args.model)
    dataset = args.dataset or model.info.get("dataset", "mnist")
    if math.prod(model.input_shape) != IMAGE_SIDE * IMAGE_SIDE:
        raise DataError(f"{args.model} takes inputs of shape {model.input_shape}, not "
                        f"{IMAGE_SIDE}x{IMAGE_SIDE} images; evaluate a model made for them.")
    check_classes(args.model, model, dataset)   # "10% correct" would say nothing
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
               "dataset": info.get("dataset"), "epochs": epochs_done(info),
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
          f"  created       {shorten(summary['created'] or 'unknown', 80)}\n"
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
    sturdy_streams()
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
    except BrokenPipeError:   # the reader went away (`| head`): nothing more to say
        _silence_stdout()
        return 1
    except OSError as e:   # a file's own errors name it; the output's (`> /dev/full`) do not
        where = f"{e.filename}: " if e.filename else "cannot write the output: "
        print(f"error: {printable(where)}{e.strerror or e}.", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def sturdy_streams():
    """Standard streams every command can write to: a closed one (None) writes nowhere, and
    a character the console's encoding lacks (a name in an ASCII console) comes out as an
    escape, not as a UnicodeEncodeError after the work is done."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w"))
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _silence_stdout():
    """Point stdout at nowhere, so Python's flush at exit does not fail on the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no file descriptor (tests capture it)
        pass
