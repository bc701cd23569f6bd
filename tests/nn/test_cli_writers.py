"""`python -m nn writers` and `train --pen-digits`, in-process on tiny made-up data: every writer
is read once, by a fold model that never saw them, and a model trained on pen digits says so."""

import json

import numpy as np
import pytest

from nn.cli import commands as cli
from nn.cli.writers import report as writers_report
from nn.data.idx import write_idx
from nn.files.modelfile import load_model, save_model
from nn.network.model import Model
from nn.training.presets import mlp_architecture

WRITERS = 6
DIGITS_EACH = 10  # one of each digit per writer


def pen_file(folder):
    """A UNIPEN file: every writer writes 0-9, each digit one stroke of a distinct shape."""
    rng = np.random.default_rng(3)
    lines = [".INCLUDE dene.doc", '.LEXICON "0" "1"', ".HIERARCHY DIGIT", ""]
    for writer in range(1, WRITERS + 1):
        for digit in range(DIGITS_EACH):
            lines += [f'.SEGMENT DIGIT {digit} ? "{digit}"', f".COMMENT {digit} {writer} {digit}",
                      ".PEN_DOWN"]
            angle = np.linspace(0, np.pi * (digit + 1) / 5, 12)
            for a in angle:
                x, y = 250 + 150 * np.cos(a) * (1 + digit / 10), 250 + 150 * np.sin(a * 1.3)
                lines.append(f" {int(x + rng.integers(-3, 4))}  {int(y)}")
            lines += [".PEN_UP", ".DT 100", ""]
    path = folder / "pendigits-orig.tra"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(11)
    for prefix, n in (("train", 100), ("t10k", 20)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    return folder, pen_file(folder)


def run(capsys, *argv):
    status = cli.main([*map(str, argv)])
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if status == 0 else captured.err)


@pytest.fixture(scope="module")
def base(data, tmp_path_factory):
    folder, _ = data
    path = tmp_path_factory.mktemp("base") / "base.npz"
    assert cli.main(["train", "--preset", "mlp", "--hidden", "16", "--epochs", "1",
                     "--data", str(folder), "--out", str(path), "--json"]) == 0
    return path


def test_every_writer_is_read_once_by_a_fold_that_never_saw_them(capsys, data, base, tmp_path):
    folder, pen = data
    status, report = run(capsys, "writers", "--base", base, "--data", folder, "--pen-digits",
                         pen, "--folds", 3, "--epochs", 1, "--pen-copies", 1, "--out", tmp_path,
                         "--json")
    assert status == 0, report
    assert sorted(int(w) for w in report["per_writer"]) == list(range(1, WRITERS + 1))
    assert report["digits"] == WRITERS * DIGITS_EACH and len(report["folds"]) == 3
    assert set(report["per_way"]) >= {"natural", "slanted", "tiny in the middle"}
    assert set(report["per_style"]) >= {"slashed 0", "crossed 7", "with a joining tail"}
    held_out = [set(f["writers"]) for f in report["folds"]]
    for k, writers in enumerate(held_out):
        fold = load_model(tmp_path / f"fold{k}.npz")
        seen = set(fold.info["pen_digits"]["writers"])
        assert not seen & writers and seen | writers == set(range(1, WRITERS + 1))
        assert fold.info["name"] == f"fold{k}"   # not the base's name: "fold1-tuned" once tuned
    oof = np.load(tmp_path / "oof.npz")
    assert oof["log_probs"].shape == (WRITERS * DIGITS_EACH, 10)
    assert np.allclose(np.exp(oof["log_probs"]).sum(axis=1), 1, atol=1e-4)
    right = (oof["log_probs"].argmax(axis=1) == oof["labels"]).mean()
    assert right == pytest.approx(report["overall"])
    app = report["as_the_app_reads"]
    assert app["per_writer"].keys() == report["per_writer"].keys()
    assert abs(app["overall"] - report["overall"]) <= 0.1   # a second look at a few digits
    text = writers_report(report)
    assert f"as the app reads them, with a second look at the unsure: {app['overall']:.2%}" in text


def test_a_base_that_saw_pen_digits_is_refused_for_the_folds(capsys, data, tmp_path,
                                                             monkeypatch):
    folder, pen = data
    seen = tmp_path / "seen.npz"
    monkeypatch.setenv("DIGITLAB_DATA", str(folder))  # a bare --pen-digits finds the file there
    status, report = run(capsys, "train", "--preset", "mlp", "--hidden", "8", "--epochs", 1,
                         "--data", folder, "--pen-digits", "--pen-copies", 2, "--out", seen,
                         "--json")
    assert status == 0, report
    info = load_model(seen).info
    assert info["pen_digits"] == {"writers": list(range(1, WRITERS + 1)), "copies": 2}
    status, error = run(capsys, "writers", "--base", seen, "--data", folder, "--pen-digits", pen)
    assert status == 2 and "trained on pen digits already" in error and error.count("\n") == 1


def test_more_folds_than_writers_is_one_line(capsys, data, base):
    folder, pen = data
    status, error = run(capsys, "writers", "--base", base, "--data", folder, "--pen-digits", pen,
                        "--folds", WRITERS + 1)
    assert status == 2 and error.count("\n") == 1
    assert f"{WRITERS} writers cannot be split into {WRITERS + 1} folds" in error


def test_a_bad_out_or_base_is_one_line_before_any_work(capsys, data, base, tmp_path):
    # Before: a FileExistsError traceback (a file named like the folder), a folder made
    # with a line break in its name, and a model of 30 inputs refused after minutes.
    folder, pen = data
    (tmp_path / "a-file").write_text("")
    for out, words in ((tmp_path / "a-file", "Cannot create the folder"),
                       (tmp_path / "two\nlines", "control character")):
        status, error = run(capsys, "writers", "--base", base, "--data", folder,
                            "--pen-digits", pen, "--out", out)
        assert status == 2 and error.count("\n") == 1 and words in error, error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]   # nothing made
    small = tmp_path / "thirty.npz"
    save_model(small, Model.from_architecture(mlp_architecture((4,), n_in=30), (30,)))
    status, error = run(capsys, "writers", "--base", small, "--data", folder, "--pen-digits", pen)
    assert status == 2 and "does not read digits as 28x28 images" in error


def test_a_run_says_what_it_draws_before_its_first_epoch(capsys, data, tmp_path):
    folder, pen = data
    args = ["train", "--preset", "mlp", "--hidden", "8", "--epochs", "1", "--data", folder,
            "--redraw", "0.5", "--out", tmp_path / "m.npz"]
    assert cli.main([*map(str, args + ["--pen-digits", pen, "--pen-copies", "2"])]) == 0
    before, _, training = capsys.readouterr().err.partition("\n")
    # With pen digits, half of all 100 MNIST examples are redrawn, validation ones included.
    assert before == ("Before the first epoch: redrawing 50 digits from their centre lines and "
                      f"writing {WRITERS * DIGITS_EACH} pen digits, 2 rewritten copies of "
                      "each and pairs of touching digits...")
    assert "epoch 1/1" in training
    assert cli.main([*map(str, args + ["--pen-digits", pen, "--pen-copies", "1"])]) == 0
    pens = WRITERS * DIGITS_EACH
    assert (f"writing {pens} pen digits, 1 rewritten copy of each and pairs of touching digits"
            "...") in capsys.readouterr().err
    assert cli.main([*map(str, args + ["--pen-digits", pen, "--pen-copies", "0"])]) == 0
    assert f"writing {pens} pen digits and pairs of touching digits...\n" in capsys.readouterr().err
    # Without pen digits, the run holds a fifth out for validation and redraws half the rest.
    assert cli.main([*map(str, args)]) == 0
    assert capsys.readouterr().err.startswith(
        "Before the first epoch: redrawing 40 digits from their centre lines...\n")
    assert cli.main([*map(str, args[:-2] + ["--redraw", "0", "--out", tmp_path / "n.npz"])]) == 0
    assert capsys.readouterr().err.startswith("epoch 1/1")
