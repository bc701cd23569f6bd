"""`python -m nn train` takes every setting of the Train form: each flag reaches the effective
configuration (the --json echo) and the saved model, on tiny synthetic data, in-process."""

import json

import numpy as np
import pytest

from nn.cli import commands as cli
from nn.data.idx import write_idx
from nn.files.modelfile import load_model
from nn.training.presets import PRESETS

N_TRAIN, N_TEST = 120, 30


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Four small IDX files of random images with random labels, MNIST's file names."""
    folder = tmp_path_factory.mktemp("tiny-mnist")
    rng = np.random.default_rng(11)
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    return folder


def train(capsys, data_dir, out, *flags):
    """Run `train` with ``flags``; returns (exit status, the JSON report or stderr)."""
    status = cli.main(["train", "--data", str(data_dir), "--out", str(out), "--json",
                       "--epochs", "1", *map(str, flags)])
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if status == 0 else captured.err)


def test_every_form_setting_has_a_flag(capsys, data_dir, tmp_path):
    out = tmp_path / "all.npz"
    status, report = train(
        capsys, data_dir, out, "--preset", "mlp", "--hidden", "16,8", "--activation", "tanh",
        "--dropout", "0.25", "--optimizer", "nesterov", "--lr", "0.05", "--momentum", "0.8",
        "--schedule", "step", "--step-every", "2", "--step-gamma", "0.3", "--warmup", "0.5",
        "--batch-size", "32", "--weight-decay", "0.0001", "--early-stopping", "3", "--augment",
        "--seed", "5", "--epochs", "2")
    assert status == 0, report
    config = report["config"]
    assert {k: config[k] for k in (
        "optimizer", "nesterov", "learning_rate", "momentum", "schedule", "step_every",
        "step_gamma", "warmup_epochs", "batch_size", "weight_decay", "early_stopping_patience",
        "seed", "epochs")} == {
        "optimizer": "sgd", "nesterov": True, "learning_rate": 0.05, "momentum": 0.8,
        "schedule": "step", "step_every": 2, "step_gamma": 0.3, "warmup_epochs": 0.5,
        "batch_size": 32, "weight_decay": 0.0001, "early_stopping_patience": 3, "seed": 5,
        "epochs": 2}
    assert config["augmentation"] is not None
    # Settings the command line does not take come from the preset.
    assert config["validation_size"] == PRESETS["mlp"].config.validation_size
    model = load_model(out)
    assert model.info["config"] == config
    specs = model.architecture()
    assert [s["out"] for s in specs if s["type"] == "Dense"] == [16, 8, 10]
    assert {s["type"] for s in specs} >= {"Tanh", "Dropout"}
    assert all(s["rate"] == 0.25 for s in specs if s["type"] == "Dropout")
    assert report["architecture"].startswith("784-16-8-10")
    settings, _arrays = model.optimizer_state
    assert settings["name"] == "sgd" and settings["nesterov"] and settings["momentum"] == 0.8


@pytest.mark.parametrize("choice, optimizer, nesterov", [
    ("gd", "gd", False), ("momentum", "sgd", False), ("nesterov", "sgd", True),
    ("adam", "adam", False), ("adamw", "adamw", False)])
def test_optimizer_choices(capsys, data_dir, tmp_path, choice, optimizer, nesterov):
    status, report = train(capsys, data_dir, tmp_path / "m.npz", "--hidden", "8",
                           "--optimizer", choice)
    assert status == 0, report
    assert (report["config"]["optimizer"], report["config"]["nesterov"]) == (optimizer, nesterov)
    state = load_model(tmp_path / "m.npz").optimizer_state  # plain gd keeps no running state
    assert state is None if optimizer == "gd" else state[0]["name"] == optimizer


def test_no_flags_keep_the_presets_settings(capsys, data_dir, tmp_path):
    status, report = train(capsys, data_dir, tmp_path / "m.npz", "--preset", "cnn",
                           "--batch-size", "full", "--limit", "60")
    assert status == 0, report
    expected = PRESETS["cnn"].config.to_dict() | {"epochs": 1, "batch_size": 0}
    assert report["config"] == expected
    assert report["architecture"].startswith("Conv5x5x16 > MaxPool2")
    assert report["resumed_from"] is None


def test_resume_continues_with_the_optimizer_state(capsys, data_dir, tmp_path):
    first = tmp_path / "first.npz"
    status, _ = train(capsys, data_dir, first, "--hidden", "8", "--optimizer", "adam",
                      "--lr", "0.003", "--batch-size", "40")
    assert status == 0
    steps = load_model(first).optimizer_state[0]["t"]
    second = tmp_path / "second.npz"
    status, report = train(capsys, data_dir, second, "--resume", first, "--weight-decay", "0.01")
    assert status == 0, report
    assert report["resumed_from"] == str(first)
    # What was not given comes from the resumed model's own run, not from the preset.
    assert report["config"]["learning_rate"] == 0.003 and report["config"]["batch_size"] == 40
    assert report["config"]["weight_decay"] == 0.01
    model = load_model(second)
    assert len(model.info["history"]) == 2
    assert model.optimizer_state[0]["t"] == 2 * steps  # Adam's step count went on


@pytest.mark.parametrize("flags, words", [
    (["--preset", "cnn", "--hidden", "64"], ["cnn", "cannot be edited"]),
    (["--hidden", "16,x"], ["whole numbers"]),
    (["--hidden", "16,\u00b2"], ["whole numbers"]),   # a digit to str.isdigit, not to int
    (["--pen-digits", "p" * 300], ["300 bytes long"]),   # OSError from Path.is_dir before
    (["--resume", "nowhere.npz", "--hidden", "8"], ["--resume", "--hidden"]),
])
def test_unusable_settings_are_one_line_errors(capsys, data_dir, tmp_path, flags, words):
    status, err = train(capsys, data_dir, tmp_path / "m.npz", *flags)
    assert status == cli.EXIT_USER_ERROR
    assert len(err.strip().splitlines()) == 1 and all(w in err for w in words)
    assert not (tmp_path / "m.npz").exists()
