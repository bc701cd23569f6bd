"""``python -m nn finetune`` as a user runs it: a subprocess, real files, exit codes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nn.data.datasets import load_dataset
from nn.data.idx import labels_path_for, read_digit_images, write_idx
from nn.data.unipen import find_pendigits
from nn.files.modelfile import load_model, save_model
from nn.network.errors import DataError
from nn.network.model import Model
from nn.training.finetune import MAX_DRAWINGS, FineTuneSettings, fine_tune
from nn.training.presets import mlp_architecture
from nn.training.train import TrainConfig, train

LIMIT = 2000


def run(*args):
    return subprocess.run([sys.executable, "-m", "nn", "finetune", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture
def small_model(tmp_path, mnist_dir):
    mnist = load_dataset("mnist", str(mnist_dir), LIMIT)
    model = Model.from_architecture(mlp_architecture((32,)), (784,), mnist.class_names,
                                    np.random.default_rng(0))
    train(model, mnist.x_train, mnist.y_train, TrainConfig(epochs=1, validation_size=0))
    path = tmp_path / "small.npz"
    save_model(path, model)
    return path


@pytest.fixture
def drawings(tmp_path, mnist_dir):
    """12 MNIST test digits written as the tab's Export writes a collection."""
    mnist = load_dataset("mnist", str(mnist_dir), LIMIT)
    images = np.round(mnist.x_test[-12:].reshape(-1, 28, 28) * 255).astype(np.uint8)
    write_idx(tmp_path / "handwriting-images-idx3-ubyte", images)
    write_idx(tmp_path / "handwriting-labels-idx1-ubyte", mnist.y_test[-12:].astype(np.uint8))
    return tmp_path / "handwriting-images-idx3-ubyte"


def test_finetune_writes_the_model_the_tab_would_make(small_model, drawings, tmp_path,
                                                     mnist_dir):
    out = tmp_path / "mine.npz"
    result = run(small_model, "--drawings", drawings, "--out", out, "--data", mnist_dir,
                 "--weight", "5", "--memory", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    tuned = load_model(out)
    assert tuned.info["fine_tune"] == {k: report[k] for k in tuned.info["fine_tune"]}
    assert report["drawings"] == 12 and report["weight"] == 5 and report["out"] == str(out)
    # The same function the tab calls, with the same inputs, makes the same model.
    mnist = load_dataset("mnist", str(mnist_dir))
    images, labels = read_digit_images(drawings, labels_path_for(drawings))
    again = fine_tune(load_model(small_model), images.reshape(12, 784).astype(np.float32) / 255,
                      labels, mnist, FineTuneSettings(weight=5, memory=0.5))
    assert tuned.params[-1].any()          # the memory of the drawings, as asked
    for mine, theirs in zip(tuned.params, again.params):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert again.info["fine_tune"]["after"] == report["after"]


def test_the_default_output_and_the_text_report(small_model, drawings, mnist_dir):
    result = run(small_model, "--drawings", drawings, "--data", mnist_dir, "--weight", "2")
    assert result.returncode == 0, result.stderr
    assert "your 12 drawings, each read by a model fine-tuned without it" in result.stdout
    assert (small_model.parent / "small-tuned.npz").is_file()


def test_the_bundled_model_is_tuned_into_the_current_folder(drawings, mnist_dir, tmp_path):
    result = subprocess.run([sys.executable, "-m", "nn", "finetune", "bundled", "--drawings",
                             str(drawings), "--data", str(mnist_dir), "--weight", "1"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "default-model-tuned.npz").is_file()


def test_bad_requests_are_one_line(small_model, tmp_path, drawings, mnist_dir):
    one_line_error(run(small_model), "--drawings")
    odd = tmp_path / "mine.idx"
    odd.write_bytes(b"")
    one_line_error(run(small_model, "--drawings", odd), "--labels")
    write_idx(tmp_path / "few-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "few-labels-idx1-ubyte", np.zeros(4, np.uint8))
    one_line_error(run(small_model, "--drawings", tmp_path / "few-images-idx3-ubyte"),
                   "4", "labels for 3 images")
    one_line_error(run("--simulate-writers"), "--folds")
    write_idx(tmp_path / "none-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "none-labels-idx1-ubyte", np.zeros(0, np.uint8))
    one_line_error(run(small_model, "--drawings", tmp_path / "none-images-idx3-ubyte", "--data",
                       mnist_dir), "at least")   # 0 drawings: a traceback from reshape before
    one_line_error(run(small_model, "--drawings", drawings, "--weight", "0"), "out of range")
    for memory in ("-1", "nan", "1e9"):
        one_line_error(run(small_model, "--drawings", drawings, "--memory", memory), "out of range")


def test_a_data_set_or_a_pipe_given_as_drawings_is_one_line(small_model, tmp_path):
    # The MNIST training file by mistake: before, gigabytes and hours of fine-tuning; a
    # pipe: a wait for ever with nothing said.
    n = MAX_DRAWINGS + 1
    write_idx(tmp_path / "set-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
    write_idx(tmp_path / "set-labels-idx1-ubyte", np.zeros(n, np.uint8))
    one_line_error(run(small_model, "--drawings", tmp_path / "set-images-idx3-ubyte"),
                   f"at most {MAX_DRAWINGS:,} drawings", f"there are {n:,}")
    os.mkfifo(tmp_path / "pipe-images-idx3-ubyte")
    write_idx(tmp_path / "pipe-labels-idx1-ubyte", np.zeros(1, np.uint8))
    one_line_error(run(small_model, "--drawings", tmp_path / "pipe-images-idx3-ubyte"),
                   "is not a file (a folder, a pipe or a device)")


def test_simulating_writers_reports_each_one(small_model, mnist_dir):
    try:
        find_pendigits()
    except DataError:
        pytest.skip("the pen digits are not here")
    result = run(small_model, "--simulate-writers", "--writers", "1", "--data", mnist_dir,
                 "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [writer] = report["writers"]
    assert writer["corrections"] == 20 and writer["digits"] > 150
    for key in ("before", "after"):
        assert 0 <= writer[key] <= 1 and 0 <= writer["others"][key] <= 1
    assert report["summary"]["writers"] == 1
    assert "writer" in result.stderr   # one line per writer as it is done
