"""The command line against bad values, run in-process through ``nn.cli.commands.main`` (and
from a shell where the streams themselves are odd: a pipe closed early, a full disk, a closed
stderr, an ASCII console): every bad command line is one line on stderr and status 2, and
nothing is written before it is checked."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn.cli.commands import main
from nn.data.datasets import MNIST
from nn.files import bundled
from nn.network.model import Model
from nn.files.modelfile import save_model
from nn.training.presets import mlp_architecture
from tests.nn.makers import write_tiny_dataset

REPOSITORY = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    """(status, stdout, stderr) of ``python -m nn *argv``, in this process."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, *words):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("argv, word", [
    (["train", "--limit", "-5"], "--limit"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "many"], "--epochs"),
    (["train", "--out", ""], "--out"),
    (["train", "--preset", "huge"], "invalid choice"),
    (["evaluate", "m.npz", "--limit", "0"], "--limit"),
    (["bench", "--limit", "-1"], "--limit"),
    (["bench", "--epochs", "0"], "--epochs"),
    (["info"], "model"),
    (["download", "--dataset", "cifar"], "invalid choice"),
    # a flag that would do nothing here is said, not silently ignored
    (["train", "--pen-copies", "3"], "--pen-copies only applies with --pen-digits"),
    (["finetune", "bundled", "--simulate-writers", "--drawings", "x-images-idx3-ubyte"],
     "leave out --drawings and --out"),
    ([], "command"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_command_lines_are_one_line_and_status_2(capsys, argv, word):
    assert_one_line_error(*run(capsys, *argv)[::2], word)


def test_a_missing_out_folder_is_reported_before_training(capsys, tmp_path, monkeypatch):
    data = write_tiny_dataset(tmp_path / "data")
    calls = []
    monkeypatch.setattr("nn.cli.train_command.load_dataset", lambda *a: calls.append(a))

    status, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / "no" / "m.npz")

    assert_one_line_error(status, err, "does not exist")
    assert calls == []  # not even the data was loaded


def test_train_evaluate_info_on_tiny_data_with_json(capsys, tmp_path):
    data = write_tiny_dataset(tmp_path / "data", n_train=40, n_test=10)
    model = tmp_path / "m.npz"

    status, out, err = run(capsys, "train", "--preset", "seed", "--epochs", "1", "--data", data,
                           "--out", model, "--json")
    assert status == 0, err
    assert json.loads(out)["model"] == str(model)

    status, out, _ = run(capsys, "evaluate", model, "--data", data, "--json")
    assert status == 0 and sum(map(sum, json.loads(out)["confusion_matrix"])) == 10
    status, out, _ = run(capsys, "info", model, "--json")
    assert status == 0 and json.loads(out)["epochs"] == 1


def test_evaluate_of_a_model_that_does_not_take_images_is_refused(capsys, tmp_path):
    model = tmp_path / "small.npz"
    save_model(model, Model.from_architecture(mlp_architecture((4,), n_in=30), (30,)))
    data = write_tiny_dataset(tmp_path / "data")

    status, _, err = run(capsys, "evaluate", model, "--data", data)
    assert_one_line_error(status, err, "(30,)")


def test_evaluate_of_a_digit_model_on_clothes_is_refused(capsys, tmp_path):
    # Before: "10.00% correct", per class rows named after clothes.
    model = tmp_path / "digits.npz"
    save_model(model, Model.from_architecture(mlp_architecture((4,))))
    data = write_tiny_dataset(tmp_path / "fashion-mnist")

    status, _, err = run(capsys, "evaluate", model, "--dataset", "fashion-mnist", "--data", data)
    assert_one_line_error(status, err, "trained on other classes than fashion-mnist's")


def test_download_json_is_one_object(capsys, tmp_path, mnist_dir):
    dest = tmp_path / "d"
    dest.mkdir()
    for name in MNIST.files.values():  # verified files are kept: no network needed
        (dest / name).symlink_to(mnist_dir / name)

    status, out, err = run(capsys, "download", "--dest", dest, "--json")

    assert status == 0, err
    assert json.loads(out) == {"dataset": "mnist", "folder": str(dest),
                               "files": [str(dest / n) for n in MNIST.files.values()]}


def test_the_command_line_imports_without_the_resource_module(monkeypatch):
    # Windows has no ``resource``; every command imports nn.cli.bench.
    monkeypatch.setitem(sys.modules, "resource", None)
    for name in [m for m in sys.modules if m == "nn.cli.bench" or m == "nn.cli.commands"]:
        monkeypatch.delitem(sys.modules, name)
    import nn.cli.bench
    import nn.cli.commands

    assert nn.cli.bench.peak_memory_mb() is None and nn.cli.commands.main is not None


def test_bundled_in_an_installation_without_the_bundled_model_is_one_line(capsys, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(bundled, "PLACES", (tmp_path / "desktop" / "assets",))
    status, out, err = run(capsys, "info", "bundled")
    assert_one_line_error(status, err, "no bundled model", "name a model file instead")
    assert out == ""


@pytest.mark.parametrize("name", ["two\nlines", "escape\x1b[2J"])
def test_a_data_folder_named_with_a_line_break_or_an_escape_stays_one_line(capsys, tmp_path,
                                                                            name):
    folder = tmp_path / name
    folder.mkdir()

    status, _, err = run(capsys, "evaluate", "bundled", "--data", folder)

    assert_one_line_error(status, err, "does not hold")
    assert "\x1b" not in err and repr(name)[1:-1] in err


def run_shell(command, tmp_path):
    """(status, stdout, stderr) of a shell command line running ``python -m nn``."""
    result = subprocess.run(command.replace("NN", f"{sys.executable} -m nn"), shell=True,
                            executable="/bin/bash", cwd=REPOSITORY, capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)))
    return result.returncode, result.stdout, result.stderr


def test_a_reader_that_goes_away_early_ends_the_command_quietly(tmp_path):
    # `| head` closes the pipe before the command writes: here, before it even starts.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "nn", "info", "bundled", "--json"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True,
                                cwd=REPOSITORY, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == 1 and result.stderr == "", result.stderr


def test_a_full_output_is_one_line(tmp_path):
    status, _, err = run_shell("NN info bundled > /dev/full", tmp_path)
    assert_one_line_error(status, err, "cannot write the output", "No space left")


def test_a_closed_stderr_still_trains_and_saves(tmp_path):
    data, model = write_tiny_dataset(tmp_path / "tiny"), tmp_path / "closed.npz"
    status, out, _ = run_shell(f"NN train --data {data} --preset notebook --epochs 1 "
                               f"--out {model} 2>&-", tmp_path)
    assert status == 0 and model.is_file() and "saved" in out


def test_a_name_an_ascii_console_cannot_show_is_an_escape(tmp_path):
    status, _, err = run_shell(f"PYTHONIOENCODING=ascii NN info {tmp_path}/ñew.npz", tmp_path)
    assert_one_line_error(status, err, "\\xf1ew.npz does not exist")


def as_a_user(command):
    """``command`` run so that file permissions bind it, as they bind a user: root drops the
    capabilities that pass them by (setpriv, from util-linux)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores permissions, and setpriv is missing to drop that")
    return ("setpriv --inh-caps=-dac_override,-dac_read_search "
            "--bounding-set=-dac_override,-dac_read_search " + command)


def test_a_data_folder_that_cannot_be_searched_is_one_line(tmp_path):
    # Path.is_file raises PermissionError there: before, a 33-line traceback.
    folder = write_tiny_dataset(tmp_path / "locked")
    folder.chmod(0)
    try:
        status, _, err = run_shell(as_a_user(f"NN evaluate bundled --data {folder}"), tmp_path)
    finally:
        folder.chmod(0o755)
    assert_one_line_error(status, err, str(folder))
