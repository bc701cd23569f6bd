"""The command line against what DigitLab itself saved and reads back, and against names that
cannot be files: a saved config or optimizer state that is wrong, an output that is its own
input, an empty or too-long name. Each is one line on stderr and status 2, and no file is
written that DigitLab would refuse to open."""

import json
import os
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nn.data.idx import write_idx
from nn.files.modelfile import load_model, save_model
from nn.network.errors import ModelFileError
from nn.network.model import Model
from nn.training.presets import mlp_architecture
from nn.training.train import TrainConfig, make_optimizer
from tests.nn.makers import npz_entries, write_npz
from tests.nn.test_cli_hostile import assert_one_line_error, run
from tests.nn.test_datasets import write_tiny_dataset
from tests.nn.test_unipen import TWO_DIGITS

LONG = "m" * 300 + ".npz"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny"), n_train=40, n_test=10)


def small_model(seed=0):
    return Model.from_architecture(mlp_architecture((8,)), rng=np.random.default_rng(seed))


def with_meta(path, change):
    """Rewrite the model file ``path`` with ``change(meta)`` applied to its meta, as a hand
    edit or another program would."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    change(meta)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def trained_file(path, config=None):
    """A model saved with Adam's state and the config it was trained with."""
    model = small_model()
    model.info = {"config": (config or TrainConfig(epochs=1, batch_size=20)).to_dict()}
    optimizer = make_optimizer(model, TrainConfig())
    save_model(path, model, optimizer)
    return path


@pytest.mark.parametrize("change, words", [
    (lambda m: m["info"]["config"].update(step_every=0), ["step_every", "from 1"]),
    (lambda m: m["info"]["config"].update(redraw=1e9), ["redraw"]),
    (lambda m: m["info"]["config"].update(epochs=0), ["epochs"]),
    (None, ["inputs of shape (1,)"]),
])
def test_resuming_a_bad_saved_config_is_one_line(capsys, tmp_path, data, change, words):
    path = trained_file(tmp_path / "m.npz")
    if change is None:   # a network of one input value
        save_model(path, Model.from_architecture([{"type": "Dense", "in": 1, "out": 10}], (1,)))
    else:
        with_meta(path, change)
    before = path.read_bytes()
    status, _, err = run(capsys, "train", "--data", data, "--resume", path, "--out", path,
                         "--epochs", "1")
    assert_one_line_error(status, err, *words)
    assert path.read_bytes() == before


def test_a_step_count_at_its_limit_is_not_saved_over_the_model(capsys, tmp_path, data):
    path = trained_file(tmp_path / "m.npz")
    with_meta(path, lambda m: m["optimizer"].update(t=2**53 - 1))
    before = path.read_bytes()
    status, _, err = run(capsys, "train", "--data", data, "--resume", path, "--out", path,
                         "--epochs", "1")
    # Found when the run is saved: the progress line of the epoch, then one line.
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: Cannot save")
    assert "refuse to open" in err and "step count 90071992547409" in err
    assert path.read_bytes() == before, "the model it resumed is intact"
    load_model(path)


def test_a_model_that_would_not_open_is_never_written(tmp_path):
    model = small_model()
    model.info = {"config": {"step_every": 0}}
    with pytest.raises(ModelFileError, match="refuse to open"):
        save_model(tmp_path / "m.npz", model)
    model.info = {"test_accuracy": float("nan")}
    with pytest.raises(ModelFileError, match="NaN"):
        save_model(tmp_path / "m.npz", model)
    assert list(tmp_path.iterdir()) == []


def test_training_from_tampered_weights_that_overflow_prints_one_line(capsys, tmp_path, data):
    path = tmp_path / "m.npz"
    model = small_model()
    save_model(path, model)
    arrays, meta = npz_entries(path)
    write_npz(path, {name: a * np.float32(3e37) if name.startswith("layer") else a
                     for name, a in arrays.items()}, meta)
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")   # what python -m nn would print on stderr
        status, _, err = run(capsys, "train", "--data", data, "--resume", path, "--out",
                             tmp_path / "out.npz", "--epochs", "1", "--lr", "1000")
    assert_one_line_error(status, err, "overflow", "retrain")
    assert [str(w.message) for w in printed] == []
    # DigitLab itself never writes such a file.
    for p in model.params:
        p *= np.float32(3e37)
    with pytest.raises(ModelFileError, match="Cannot save .* overflow"):
        save_model(tmp_path / "huge.npz", model)
    assert not (tmp_path / "huge.npz").exists()


def test_export_refuses_to_write_over_its_model_under_any_name(capsys, tmp_path):
    pytest.importorskip("onnx")
    path = tmp_path / "m.npz"
    save_model(path, small_model())
    os.symlink(path, tmp_path / "link.onnx")
    os.link(path, tmp_path / "hard.onnx")
    before = path.read_bytes()
    for out in (path, tmp_path / "link.onnx", tmp_path / "hard.onnx"):
        status, _, err = run(capsys, "export", path, out)
        assert_one_line_error(status, err, "one of the files being read")
    assert path.read_bytes() == before


@pytest.fixture
def inputs(tmp_path, data):
    """Every kind of file a command reads, copied into one folder: MNIST's four files, a model,
    held-out predictions, pen digits of two writers, drawings and their labels."""
    folder = tmp_path / "in"
    folder.mkdir()
    for source in data.iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    save_model(folder / "m.npz", small_model())
    rng = np.random.default_rng(0)
    np.savez(folder / "oof.npz", log_probs=np.log(rng.dirichlet(np.ones(10), 40)),
             labels=rng.integers(0, 10, 40), writers=rng.integers(0, 4, 40))
    (folder / "pen.tra").write_text(TWO_DIGITS.replace(".COMMENT 1 3", ".COMMENT 1 4"))
    write_idx(folder / "my-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28), np.uint8))
    write_idx(folder / "my-labels-idx1-ubyte", np.arange(20, dtype=np.uint8) % 10)
    return folder


@pytest.mark.parametrize("argv, victim", [
    (["train", "--data", "{in}", "--epochs", "1", "--out", "{in}/t10k-images-idx3-ubyte.gz"],
     "t10k-images-idx3-ubyte.gz"),
    (["train", "--data", "{in}", "--pen-digits", "{in}/pen.tra", "--out", "{in}/pen.tra"],
     "pen.tra"),
    (["finetune", "{in}/m.npz", "--drawings", "{in}/my-images-idx3-ubyte", "--data", "{in}",
      "--out", "{in}/my-labels-idx1-ubyte"], "my-labels-idx1-ubyte"),
    (["calibrate", "{in}/m.npz", "--held-out", "{in}/oof.npz", "--out", "{in}/oof.npz"],
     "oof.npz"),
    (["writers", "--base", "{in}/fold0.npz", "--data", "{in}", "--pen-digits", "{in}/pen.tra",
      "--folds", "2", "--out", "{in}"], "fold0.npz"),
])
def test_no_command_writes_over_a_file_it_reads(capsys, inputs, argv, victim):
    (inputs / "fold0.npz").write_bytes((inputs / "m.npz").read_bytes())
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}

    status, _, err = run(capsys, *[a.replace("{in}", str(inputs)) for a in argv])

    assert_one_line_error(status, err, "one of the files being read", victim)
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before


@pytest.mark.parametrize("argv, words", [
    (["export", "{model}", ""], ["empty name"]),
    (["train", "--resume", ""], ["--resume", "empty name"]),
    (["info", LONG], ["304 bytes long"]),
    (["evaluate", LONG], ["304 bytes long"]),
    (["train", "--out", LONG], ["304 bytes long"]),
    # Short enough for the system, too long with the temporary file's suffix: the whole run
    # was trained and then lost at the save ("File name too long; free some disk space").
    (["train", "--out", "m" * 226 + ".npz"], ["230 bytes long"]),
    (["train", "--resume", LONG], ["304 bytes long"]),
    (["export", "{model}", LONG], ["304 bytes long"]),
    (["info", "a\0b.npz"], ["NUL"]),
    (["export", "{model}", "{model}/"], ["ends with a slash"]),   # would write over m.npz
    (["export", "{model}", "out/.."], ["ends with . or .."]),
])
def test_names_that_cannot_be_files_are_one_line(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    save_model(tmp_path / "m.npz", small_model())
    argv = [a.replace("{model}", str(tmp_path / "m.npz")) for a in argv]
    assert_one_line_error(*run(capsys, *argv)[::2], *words)


# --- random saved configs for --resume ----------------------------------------------------------

CONFIG_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
                         st.sampled_from(["adam", "sgd", "step", "cosine"]),
                         st.dictionaries(st.sampled_from(["shift", "rotate"]), st.floats(0, 5)))
RANDOM_CONFIG = st.dictionaries(
    st.sampled_from(sorted(TrainConfig.__dataclass_fields__) + ["unknown"]), CONFIG_VALUE,
    max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=RANDOM_CONFIG)
def test_any_saved_config_resumes_or_is_one_line(capsys, tmp_path_factory, data, changes):
    folder = tmp_path_factory.mktemp("resume")
    path = trained_file(folder / "m.npz")
    with_meta(path, lambda m: m["info"]["config"].update(changes))
    tracemalloc.start()
    try:
        status, _, err = run(capsys, "train", "--data", data, "--resume", path, "--out",
                             folder / "out.npz", "--epochs", "1", "--limit", "40")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20
    if status == 0:
        load_model(folder / "out.npz")   # what it wrote opens
    else:
        assert_one_line_error(status, err)
        assert not (folder / "out.npz").exists()


# --- random output paths ----------------------------------------------------------------------

PATH_PART = st.one_of(st.text(st.characters(blacklist_categories=["Cs"],
                                            blacklist_characters="/\\"), max_size=12),
                      st.sampled_from(["", ".", "..", "m.npz", "n" * 300, "link", "dir"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(PATH_PART, min_size=1, max_size=3), command=st.sampled_from(
    ["save", "export"]))
@example(parts=["m.npz", ""], command="export")   # "m.npz/": once wrote ONNX over m.npz
@example(parts=["0", "0", ".."], command="save")    # "0/0/..": once saved a file it could not open
@example(parts=["0", "..", "0"], command="save")    # "0/../0" with no folder 0: the same
def test_any_output_path_is_written_and_opens_or_is_one_line(tmp_path_factory, parts, command):
    folder = tmp_path_factory.mktemp("out")
    source = folder / "m.npz"
    save_model(source, small_model())
    (folder / "dir").mkdir()
    os.symlink(source, folder / "link")
    before = source.read_bytes()
    # Always inside the test's folder (no "/" in a part); a lone "" is the empty name.
    out = "" if parts == [""] else os.path.join(folder, *parts)
    try:
        if command == "save":
            save_model(out, small_model(1))
        else:
            pytest.importorskip("onnx")
            from nn.files.onnx_export import save_onnx
            save_onnx(out, small_model(1), source=source)
    except ModelFileError as error:
        assert "\n" not in str(error) and len(str(error)) < 400
    else:
        if command == "save":
            load_model(out)
    if command == "export":
        assert source.read_bytes() == before, "the model exported is never replaced"


# --- long histories ------------------------------------------------------------------------------

def test_a_model_trained_and_continued_past_the_history_limit_saves_and_reads_back(
        capsys, tmp_path, data, monkeypatch):
    """A history grows by an epoch record a run: before, two runs of 10,000 epochs and a
    resume wrote a meta that loading refused (a trained model lost). Past MAX_HISTORY epochs
    the file keeps every other earlier epoch, and still says how many there were."""
    monkeypatch.setattr("nn.files.runinfo.MAX_HISTORY", 16)
    path = tmp_path / "long.npz"
    status, _, err = run(capsys, "train", "--data", data, "--preset", "notebook",
                         "--epochs", 12, "--out", path)
    assert status == 0, err
    status, _, err = run(capsys, "train", "--data", data, "--resume", path, "--epochs", 12,
                         "--out", path)
    assert status == 0, err

    history = load_model(path).info["history"]
    assert len(history) <= 16
    assert [history[0]["epoch"], history[-1]["epoch"]] == [1, 24]
    assert all(a["epoch"] < b["epoch"] for a, b in zip(history, history[1:]))
    status, out, _ = run(capsys, "info", path, "--json")
    assert status == 0 and json.loads(out)["epochs"] == 24
