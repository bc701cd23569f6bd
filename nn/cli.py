"""``python -m nn``: train, evaluate, inspect and benchmark models from the command line.

User errors (a bad file, missing data, a bad flag) print one line on stderr and exit with
status 2; ``--json`` prints exactly one JSON object on stdout.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from nn import metrics
from nn.augment import Augmentation
from nn.bench import add_bench_arguments, cmd_bench
from nn.datasets import DATASETS, load_dataset, user_dataset_dir
from nn.errors import DigitLabError
from nn.model import Model, describe
from nn.modelfile import load_model, save_model
from nn.presets import PRESETS, preset_name
from nn.progress import ProgressBar
from nn.randomness import init_rng
from nn.runinfo import training_info
from nn.train import train

EXIT_USER_ERROR = 2


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m nn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a preset on MNIST and save the model")
    train.add_argument("--preset", type=preset_name, choices=PRESETS, default="mlp")
    train.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    train.add_argument("--seed", type=int, help="override the preset's random seed")
    train.add_argument("--augment", action="store_true",
                       help="distort every training batch at random (shift, rotation, scale, "
                            "slant, stroke width): slower to learn, reads drawings better")
    train.add_argument("--redraw", type=float, metavar="SHARE",
                       help="also train on this share (0-1) of the training digits redrawn "
                            "from their centre lines the way the app redraws your strokes")
    add_data_arguments(train)
    train.add_argument("--out", help="model file to write (default: <preset>.npz)")
    train.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    evaluate = sub.add_parser("evaluate", help="test accuracy, per class, and confusion matrix")
    evaluate.add_argument("model")
    add_data_arguments(evaluate, dataset_default=None)
    evaluate.add_argument("--json", action="store_true")

    info = sub.add_parser("info", help="architecture, parameters and training summary")
    info.add_argument("model")
    info.add_argument("--json", action="store_true")

    download = sub.add_parser("download", help="download a dataset into the per-user folder")
    download.add_argument("--dataset", choices=DATASETS, default="mnist")
    download.add_argument("--dest", help="folder to download into")

    add_bench_arguments(sub.add_parser("bench", help="measure training speed and accuracy"))

    export = sub.add_parser("export", help="write a model as an ONNX graph (needs the onnx extra)")
    export.add_argument("model")
    export.add_argument("out", help="ONNX file to write, e.g. model.onnx")
    export.add_argument("--json", action="store_true")
    return parser


def add_data_arguments(parser, dataset_default="mnist"):
    parser.add_argument("--data", help="folder with the four IDX files (default: searched)")
    parser.add_argument("--dataset", choices=DATASETS, default=dataset_default,
                        help="which dataset (default: mnist, or the one the model was trained on)")
    parser.add_argument("--limit", type=int, help="use only the first N train and test images")


def cmd_train(args, out):
    preset = PRESETS[args.preset]
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed),
                                   ("redraw", args.redraw)) if v is not None}
    if args.augment:
        overrides["augmentation"] = Augmentation()
    config = dataclasses.replace(preset.config, **overrides)
    data = load_dataset(args.dataset, args.data, args.limit)
    model = Model.from_architecture(preset.architecture, preset.input_shape, data.class_names,
                                    rng=init_rng(config.seed))
    start = time.perf_counter()
    result = train(model, data.x_train, data.y_train, config, on_progress=ProgressBar().training)
    seconds = time.perf_counter() - start
    test_accuracy = model.accuracy(data.x_test, data.y_test)
    history = [dataclasses.asdict(r) for r in result.history]
    model.info = training_info({}, args.preset, data.name, config, result, test_accuracy, seconds)
    path = args.out or f"{args.preset}.npz"
    model.info["name"] = Path(path).stem
    save_model(path, model, result.optimizer)
    if args.json:
        emit_json(out, {"preset": args.preset, "dataset": data.name, "model": str(path),
                        "epochs": len(history), "test_accuracy": test_accuracy,
                        "seconds": seconds, "history": history})
    else:
        print(f"{model.summary()}\ntest accuracy {test_accuracy:.2%} after {seconds:.1f} s; "
              f"saved {path}", file=out)


def cmd_evaluate(args, out):
    model = load_model(args.model)
    dataset = args.dataset or model.info.get("dataset", "mnist")
    data = load_dataset(dataset, args.data, args.limit)
    predicted = model.predict(data.x_test)
    confusion = metrics.confusion_matrix(data.y_test, predicted, len(data.class_names))
    per_class = metrics.per_class_accuracy(confusion)
    accuracy = metrics.accuracy(data.y_test, predicted)
    if args.json:
        emit_json(out, {"model": args.model, "dataset": dataset, "test_accuracy": accuracy,
                        "per_class_accuracy": dict(zip(data.class_names, per_class.tolist())),
                        "confusion_matrix": confusion.tolist()})
        return
    print(f"{args.model}: {accuracy:.2%} of {len(predicted):,} {dataset} test images", file=out)
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
               "optimizer_state": model.optimizer_state is not None}
    if args.json:
        emit_json(out, summary | {"info": info})
        return
    acc = summary["test_accuracy"]
    print(f"{args.model}\n  architecture  {summary['architecture']}\n"
          f"  parameters    {model.n_params:,}\n"
          f"  trained on    {summary['dataset'] or 'unknown'}, {summary['epochs']} epochs\n"
          f"  test accuracy {'unknown' if acc is None else f'{acc:.2%}'}\n"
          f"  created       {summary['created'] or 'unknown'}\n"
          f"  can resume    {'yes' if summary['optimizer_state'] else 'no (no optimizer state)'}",
          file=out)


def cmd_download(args, out):
    from nn.download import download_dataset

    info = DATASETS[args.dataset]
    dest = args.dest or user_dataset_dir(info)
    folder = download_dataset(info, dest, on_progress=ProgressBar().download)
    print(f"{info.title} is in {folder}", file=out)


def cmd_export(args, out):
    from nn.onnx_export import OPSET, save_onnx

    model = load_model(args.model)
    save_onnx(args.out, model)
    if args.json:
        emit_json(out, {"model": args.model, "onnx": args.out, "opset": OPSET,
                        "input_shape": ["N", *model.input_shape]})
    else:
        print(f"{model.summary()}\nsaved {args.out} (ONNX opset {OPSET}, input "
              f"{' x '.join(map(str, ('N',) + model.input_shape))} float32 in [0, 1])", file=out)


def emit_json(out, obj):
    json.dump(obj, out, allow_nan=False, default=float)
    out.write("\n")


def main(argv=None):
    args = build_parser().parse_args(argv)
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "info": cmd_info,
                "download": cmd_download, "bench": cmd_bench, "export": cmd_export}
    try:
        commands[args.command](args, sys.stdout)
    except DigitLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
