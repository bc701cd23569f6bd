"""What the command line accepts: an argument parser whose errors are one line, and the
argument types that refuse a bad value before anything runs (``nn.cli.commands`` and
``nn.cli.bench``); and how a command answers ``--json``."""

import argparse
import json
import sys
from pathlib import Path

from nn.data.datasets import DATASETS
from nn.files.bundled import bundled_model_path
from nn.network.errors import DigitLabError, SettingError
from nn.training.train import MAX_COUNT

INSTALLED_NAME = "digitlab-cli"   # the console script pyproject.toml installs
MODULE_NAME = "python -m nn"
BUNDLED = "bundled"               # names the model DigitLab ships with, wherever a model is taken
EXIT_USER_ERROR = 2


def program_name(argv0=None):
    """How the user started the command line (``argv0``, default ``sys.argv[0]``), so that
    help and errors name a command that works: ``digitlab-cli`` when run as the installed
    script (digitlab-cli.exe on Windows), else ``python -m nn``."""
    name = Path(sys.argv[0] if argv0 is None else argv0).name
    return INSTALLED_NAME if name.split(".")[0] == INSTALLED_NAME else MODULE_NAME


class Parser(argparse.ArgumentParser):
    """argparse with the project's rule for user errors: one line on stderr, exit status 2
    (argparse itself prints the whole usage first). Subcommands inherit the class."""

    def error(self, message):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {' '.join(message.split())} "
                                   f"(see {self.prog} --help)\n")


def whole_number(low, high=MAX_COUNT):
    """An argument type: a whole number from ``low`` to ``high``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text[:40]} is out of range: use {low} to {high:,}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


def real_number(low, high):
    """An argument type: a finite number from ``low`` to ``high``."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
        if not low <= value <= high:  # also refuses nan and inf
            raise argparse.ArgumentTypeError(
                f"{text[:40]} is out of range: use {low:g} to {high:g}")
        return value

    parse.__name__ = "number"
    return parse


def path_text(text):
    """An argument type: a file or folder name, which cannot be empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name is not a file or folder")
    return text


def model_file(text):
    """An argument type: a model file, or the word ``bundled`` for the model DigitLab ships
    with (a file named so is ./bundled)."""
    if text != BUNDLED:
        return path_text(text)
    try:
        return str(bundled_model_path())
    except DigitLabError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def emit_json(out, obj):
    """Write ``obj`` to ``out`` as one line of strict JSON (no NaN: a missing figure is null)."""
    json.dump(obj, out, allow_nan=False, default=float)
    out.write("\n")


def add_data_arguments(parser, dataset_default="mnist"):
    parser.add_argument("--data", type=path_text,
                        help="folder with the four IDX files (default: searched)")
    parser.add_argument("--dataset", choices=DATASETS, default=dataset_default,
                        help="which dataset (default: mnist, or the one the model was trained on)")
    parser.add_argument("--limit", type=whole_number(1),
                        help="use only the first N train and test images")


def check_classes(model_name, model, dataset):
    """Refuse, before the data is read, a model trained on other classes than those of the
    dataset named ``dataset``: measured or trained on it, it would say nothing."""
    if tuple(model.class_names) != tuple(DATASETS[dataset].class_names):
        raise SettingError(f"{model_name} was trained on other classes than {dataset}'s; "
                           f"choose its dataset with --dataset.")
