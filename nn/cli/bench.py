"""``python -m nn bench`` (or ``python -m nn.cli.bench``): how fast and how accurate training is.

Trains a preset and reports seconds per epoch, training samples per second, test accuracy
after every epoch, the training time until 97% and 98% test accuracy, and peak memory.
Test evaluation happens between epochs and is not counted as training time.

``--vs torch`` trains the same architecture with the same batch size and optimizer in
PyTorch (when it is installed; it is never a dependency) in the same run and prints the ratio
NumPy / PyTorch of seconds per epoch, and the training time of each side until 98% and 99.2%.
``--vs notebook`` (with ``--preset notebook``) runs the notebook's own code instead.
"""

import dataclasses
import json
import os
import platform
import sys
import time

import numpy as np

from nn.cli.args import EXIT_USER_ERROR, Parser, path_text, whole_number
from nn.data.datasets import load_dataset
from nn.cli.bench_notebook import bench_notebook
from nn.cli.roofline import print_roofline, roofline
from nn.network.errors import DigitLabError, SettingError
from nn.network.model import Model
from nn.training.presets import PRESETS, Preset, cnn_architecture, mlp_architecture, preset_name
from nn.network.randomness import init_rng
from nn.training.progress import EpochProgress
from nn.training.train import MAX_EPOCHS, TrainConfig, train
from nn.training.validation import split_sizes

THRESHOLDS = (0.97, 0.98, 0.99, 0.992)
# Reference networks to compare speed on, here and against PyTorch (--vs torch): plain Adam at
# a constant learning rate, batch 128, as the PyTorch side trains them.
REFERENCE_CONFIG = TrainConfig(epochs=3, batch_size=128, optimizer="adam", learning_rate=1e-3)
REFERENCES = {
    "mlp-256-128": Preset("mlp-256-128", "Reference MLP", "784-256-128-10, ReLU",
                          mlp_architecture((256, 128)), REFERENCE_CONFIG),
    "cnn-16-32": Preset("cnn-16-32", "Reference CNN",
                        "conv5x5x16-pool-conv5x5x32-pool-dense128", cnn_architecture(
                            (16, 32), kernel=5, dense=(128,)), REFERENCE_CONFIG, (1, 28, 28)),
}
NETWORKS = PRESETS | REFERENCES


def add_bench_arguments(parser):
    parser.add_argument("--preset", type=preset_name, choices=NETWORKS, default="mlp",
                        help="a preset, or a reference network of the speed targets")
    parser.add_argument("--epochs", type=whole_number(1, MAX_EPOCHS),
                        help="override the preset's number of epochs")
    parser.add_argument("--limit", type=whole_number(1),
                        help="use only the first N train and test images")
    parser.add_argument("--data", type=path_text, help="folder with the four MNIST IDX files")
    parser.add_argument("--vs", choices=["torch", "notebook"],
                        help="also train the same network in PyTorch, or (--preset notebook) "
                             "with the notebook's own code")
    parser.add_argument("--roofline", action="store_true",
                        help="also measure the machine and report each layer's and phase's "
                             "time against the floor it sets")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def bench_numpy(preset, config, data):
    """Train once; returns the figures of the run (times exclude test evaluation)."""
    model = Model.from_architecture(preset.architecture, preset.input_shape,
                                    rng=init_rng(config.seed))
    epoch_seconds, accuracies = [], []
    state = {"last": time.perf_counter()}

    def on_progress(record):
        if not isinstance(record, EpochProgress):
            return
        epoch_seconds.append(time.perf_counter() - state["last"])
        accuracies.append(model.accuracy(data.x_test, data.y_test))
        state["last"] = time.perf_counter()  # evaluation is not training time

    result = train(model, data.x_train, data.y_train, config, on_progress=on_progress)
    _, n_train = split_sizes(len(data.x_train), config)
    per_epoch = float(np.median(epoch_seconds))
    return {
        "seconds_per_epoch": per_epoch,
        "epoch_seconds": epoch_seconds,
        "samples_per_second": n_train / per_epoch,
        "batch_parts": result.batch_parts,  # threads that shared each batch
        "test_accuracy": accuracies,
        "final_test_accuracy": accuracies[-1] if accuracies else None,
        "seconds_to": seconds_to(epoch_seconds, accuracies),
    }


def seconds_to(epoch_seconds, accuracies):
    """{"98.0%": training seconds until the test accuracy first reached 98%, or None, ...}
    from the seconds and the test accuracy of each epoch."""
    elapsed = np.cumsum(epoch_seconds).tolist()
    return {f"{t:.1%}": next((s for s, a in zip(elapsed, accuracies) if a >= t), None)
            for t in THRESHOLDS}


def cmd_bench(args, out):
    preset = NETWORKS[args.preset]
    config = (preset.config if args.epochs is None
              else dataclasses.replace(preset.config, epochs=args.epochs))
    data = load_dataset("mnist", args.data, args.limit)
    report = {"preset": preset.name, "architecture": Model.from_architecture(
                  preset.architecture, preset.input_shape).summary(),
              "batch_size": config.batch_size, "optimizer": config.optimizer,
              "epochs": config.epochs, "train_images": len(data.x_train),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "numpy": np.__version__}}
    report["numpy"] = bench_numpy(preset, config, data)
    report["peak_memory_mb"] = peak_memory_mb()
    if args.roofline:
        model = Model.from_architecture(preset.architecture, preset.input_shape,
                                        rng=init_rng(config.seed))
        report["roofline"] = roofline(model, data.x_train, data.y_train, config)
        report["roofline"]["bench_epoch_over_floor"] = (
            report["numpy"]["seconds_per_epoch"] / report["roofline"]["epoch"]["floor_seconds"])
    if args.vs == "torch":
        from nn.cli.bench_torch import bench_torch

        report["torch"] = bench_torch(preset, config, data)
        report["torch"]["seconds_to"] = seconds_to(report["torch"]["epoch_seconds"],
                                                   report["torch"]["test_accuracy"])
        report["ratio_numpy_over_torch"] = (report["numpy"]["seconds_per_epoch"] /
                                            report["torch"]["seconds_per_epoch"])
    if args.vs == "notebook":
        if preset.name != "notebook":
            raise SettingError("--vs notebook compares the notebook's network: use it with "
                               "--preset notebook")
        report["notebook"] = bench_notebook(config, data)
        report["ratio_numpy_over_notebook"] = (report["numpy"]["seconds_per_epoch"] /
                                               report["notebook"]["seconds_per_epoch"])
    if args.json:
        json.dump(report, out, default=float)
        out.write("\n")
    else:
        print_report(report, out)


def peak_memory_mb():
    """Largest resident set size of this process so far (Linux reports KiB, macOS bytes), or
    None where the ``resource`` module does not exist (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def print_report(report, out):
    r = report["numpy"]
    print(f"{report['architecture']}, batch {report['batch_size']}, {report['optimizer']}, "
          f"{report['train_images']:,} images, {report['machine']['cpus']} CPUs", file=out)
    peak = report["peak_memory_mb"]
    print(f"numpy: {r['seconds_per_epoch']:.2f} s/epoch, {r['samples_per_second']:,.0f} samples/s, "
          f"batches split in {r['batch_parts']}, peak memory "
          + ("unknown" if peak is None else f"{peak:.0f} MB"), file=out)
    print("test accuracy per epoch: " + " ".join(f"{a:.2%}" for a in r["test_accuracy"]), file=out)
    for name, seconds in r["seconds_to"].items():
        print(f"  time to {name}: " + ("not reached" if seconds is None else f"{seconds:.1f} s"),
              file=out)
    if "torch" in report:
        t = report["torch"]
        print(f"torch {t['version']}: {t['seconds_per_epoch']:.2f} s/epoch, final test accuracy "
              f"{t['final_test_accuracy']:.2%}; ratio numpy/torch "
              f"{report['ratio_numpy_over_torch']:.2f}", file=out)
        for name, seconds in t["seconds_to"].items():
            print(f"  torch time to {name}: "
                  + ("not reached" if seconds is None else f"{seconds:.1f} s"), file=out)
    if "roofline" in report:
        print_roofline(report["roofline"], out)
        print(f"  the bench's epoch took {report['roofline']['bench_epoch_over_floor']:.1f} x "
              f"the floor", file=out)
    if "notebook" in report:
        nb = report["notebook"]
        print(f"the notebook's code: {nb['seconds_per_epoch']:.3f} s/epoch, final test accuracy "
              f"{nb['final_test_accuracy']:.2%}; ratio numpy/notebook "
              f"{report['ratio_numpy_over_notebook']:.2f}", file=out)


def main(argv=None):
    parser = Parser(prog="python -m nn.cli.bench", description=__doc__.splitlines()[0])
    add_bench_arguments(parser)
    args = parser.parse_args(argv)
    try:
        cmd_bench(args, sys.stdout)
    except DigitLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
