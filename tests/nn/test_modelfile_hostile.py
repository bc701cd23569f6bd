"""Hostile model files and faults while saving: meta of the wrong types, memory bombs of a few
kilobytes, a save killed halfway, a full disk, permissions and links."""

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.files.atomic import (PARTIAL_SUFFIX, TEMPORARY_NAME_EXTRA, remove_stale_partials,
                             write_atomically)
from nn.files.paths import NAME_MAX
from nn.network.errors import DigitLabError, ModelFileError
from nn.network.model import Model
from nn.files.model_meta import check_meta
from nn.files.modelfile import load_model, save_model
from nn.training.presets import cnn_architecture, mlp_architecture
from tests.nn.makers import make_model, npz_entries, write_npz

MEMORY_BOUND = 200 * 2**20


def write_atomically_empty(path, model):
    write_atomically(path, lambda f: None)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.npz"
    save_model(path, make_model())
    arrays, meta = npz_entries(path)
    return arrays, meta


def refused_cheaply(path):
    """Load ``path`` expecting a ModelFileError within a second and 200 MB; return it."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as info:
            load_model(path)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"
    message = str(info.value)
    assert "\n" not in message and path.name in message
    return message


@pytest.mark.parametrize("change, fragment", [
    ({"info": "oops"}, "info"),
    ({"info": {"history": 3}}, "info.history"),
    ({"info": {"history": [1, 2]}}, "info.history[0]"),
    ({"info": {"test_accuracy": "high"}}, "info.test_accuracy"),
    ({"info": {"test_accuracy": 7}}, "info.test_accuracy"),
    ({"info": {"dataset": ["mnist"]}}, "info.dataset"),
    ({"info": {"dataset": "cifar"}}, "info.dataset"),
    ({"info": {"name": {"a": 1}}}, "info.name"),
    ({"info": {"config": {"epochs": "many"}}}, "info.config.epochs"),
    ({"info": {"config": {"epochs": 10**12}}}, "info.config.epochs"),
    ({"info": {"config": {"colour": "blue"}}}, "'colour'"),
    ({"info": {"config": {"optimizer": "rmsprop"}}}, "info.config.optimizer"),
    ({"info": {"config": {"augmentation": {"shift": "lots"}}}}, "augmentation.shift"),
    ({"info": {"config": [1]}}, "info.config"),
    ({"info": {"fine_tune": {"drawings": 3}}}, "info.fine_tune"),
    ({"class_names": list("0123456780")}, "'class_names'"),
    # Qt reads a label holding a tag as HTML: an <img> of /dev/zero took the app down
    ({"class_names": ['<img src="/dev/zero">' + d for d in "0123456789"]}, "without < or >"),
    ({"class_names": [d + "\x1b[31m" for d in "0123456789"]}, "printable names"),
    ({"class_names": [d + "\nsecond line" for d in "0123456789"]}, "printable names"),
    ({"input_shape": [30.0]}, "'input_shape'"),
    ({"input_shape": [True] * 30}, "'input_shape'"),
], ids=lambda v: json.dumps(v)[:40])
def test_meta_of_the_wrong_kind_is_refused_on_loading(tmp_path, saved, change, fragment):
    arrays, meta = saved
    path = write_npz(tmp_path / "bad.npz", arrays, meta | change)

    assert fragment in refused_cheaply(path)


@pytest.mark.parametrize("layer, value", [("layer0.W", 3e38), ("layer3.W", 1e38),
                                          ("layer3.b", 3.4e38)])
def test_weights_whose_scores_overflow_are_refused_in_one_sentence(tmp_path, saved, layer,
                                                                   value):
    """Finite float32 weights, yet the scores of ordinary images are inf or NaN: such a model
    would answer every drawing with NaN probabilities."""
    arrays, meta = saved
    arrays[layer] = np.full_like(arrays[layer], value)
    if layer.endswith(".b"):
        arrays[layer][::2] = -value
    message = refused_cheaply(write_npz(tmp_path / "huge.npz", arrays, meta))
    assert "overflow" in message and "retrain" in message


def test_a_model_whose_scores_overflow_says_so_instead_of_answering_nan():
    model = make_model()
    model.layers[0].W[:] = 3e38      # finite weights in memory (a file of them is refused)
    x = np.ones((2, model.input_shape[0]), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # and no RuntimeWarning on the way
        with pytest.raises(DigitLabError, match="overflow") as error:
            model.predict_proba(x)
    assert "\n" not in str(error.value)


def test_large_weights_whose_scores_stay_finite_are_kept(tmp_path, saved):
    arrays, meta = saved
    arrays["layer6.W"] = arrays["layer6.W"] * 1e6
    model = load_model(write_npz(tmp_path / "large.npz", arrays, meta))
    np.testing.assert_array_equal(model.layers[6].W, arrays["layer6.W"])


def test_nan_in_meta_is_refused(tmp_path, saved):
    arrays, meta = saved
    path = tmp_path / "nan.npz"
    text = json.dumps(meta | {"info": {"test_accuracy": float("nan")}})
    np.savez(path, **arrays, meta=np.array(text))

    refused_cheaply(path)


def test_a_number_too_large_for_a_float_in_meta_is_refused(tmp_path, saved):
    # json reads 1e400 as infinity without a word: before, such a file opened, and then it
    # and every model trained from it could never be saved ("holds NaN or infinite numbers").
    arrays, meta = saved
    path = tmp_path / "huge.npz"
    text = json.dumps(meta | {"info": meta["info"] | {"extra": 0.125}}).replace("0.125", "1e400")
    np.savez(path, **arrays, meta=np.array(text))

    message = refused_cheaply(path)

    assert "1e400" in message


@pytest.mark.parametrize("where", ["temperature", "dropout", "test_accuracy"])
def test_a_whole_number_too_large_for_a_float_in_meta_is_refused(tmp_path, saved, where):
    # JSON's 10**400 is an int no float comparison can take: before, the range checks of the
    # calibration, a layer or the info raised OverflowError or TypeError, a traceback.
    arrays, meta = saved
    huge = 10**400
    if where == "temperature":
        meta = meta | {"calibration": meta["calibration"] | {"temperature": huge}}
    elif where == "dropout":
        meta = meta | {"architecture": meta["architecture"]
                       + [{"type": "Dropout", "rate": huge}]}
    else:
        meta = meta | {"info": meta["info"] | {"test_accuracy": huge}}
    path = tmp_path / "huge.npz"
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))

    message = refused_cheaply(path)

    assert "401 digits" in message


def test_a_slope_that_overflows_float32_is_refused_without_warnings(tmp_path):
    # 1e39 is finite in JSON but infinite in float32: before, NumPy printed four warnings and
    # the error blamed the weights.
    path = tmp_path / "leaky.npz"
    save_model(path, Model.from_architecture(
        [{"type": "Dense", "in": 784, "out": 8}, {"type": "LeakyReLU", "slope": 0.01},
         {"type": "Dense", "in": 8, "out": 10}], (784,)))
    arrays, meta = npz_entries(path)
    meta["architecture"][1]["slope"] = 1e39
    write_npz(path, arrays, meta)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = refused_cheaply(path)

    assert "slope" in message and "-1000 to 1000" in message


def test_a_valid_info_is_kept_whole_with_unknown_keys(tmp_path, saved):
    arrays, meta = saved
    info = meta["info"] | {"config": {"epochs": 3, "augmentation": {"shift": 1.0}},
                           "fine_tune": {"drawings": 4, "weight": 2,
                                         "before": {"mine": 0.5, "test": None},
                                         "after": {"mine": 1, "test": 0.9}},
                           "from_the_future": {"anything": [1, "two"]}}
    path = write_npz(tmp_path / "ok.npz", arrays, meta | {"info": info})

    assert load_model(path).info == info


def bomb(tmp_path, architecture, input_shape):
    meta = {"format": "digitlab-model", "format_version": 1, "architecture": architecture,
            "input_shape": input_shape, "class_names": list("0123456789")}
    return write_npz(tmp_path / "bomb.npz", {}, meta)


@pytest.mark.parametrize("architecture, input_shape", [
    # kernel 12,000: the weights are 12,000 squared
    ([{"type": "Conv2D", "in_channels": 1, "out_channels": 1, "kernel_size": 12000,
       "padding": "same"}, {"type": "Flatten"}, {"type": "Dense", "in": 784, "out": 10}],
     [1, 28, 28]),
    # a float size, 22 GiB of activations
    ([{"type": "Conv2D", "in_channels": 1, "out_channels": 300000.0, "kernel_size": 5}],
     [1, 28, 28]),
    # a few parameters, but 5 GB of activations for one image
    ([{"type": "Conv2D", "in_channels": 1, "out_channels": 4, "kernel_size": 5},
      {"type": "MaxPool2D", "size": 15}, {"type": "Flatten"},
      {"type": "Dense", "in": 4 * 466 * 466, "out": 10}], [1, 7000, 7000]),
    # no parameters at all, but an input of 49 million numbers
    ([{"type": "MaxPool2D", "size": 15}, {"type": "Flatten"},
      {"type": "Dense", "in": 466 * 466, "out": 10}], [1, 7000, 7000]),
    ([{"type": "Dense", "in": 784, "out": True}], [784]),
    ([{"type": "Dense", "in": 784, "out": 10, "init": "he", "extra": 1}], [784]),
    ([{"type": "MaxPool2D", "size": 2.0}], [1, 28, 28]),
], ids=["kernel-squared", "float-size", "huge-input", "huge-input-pooled", "bool-size",
        "unknown-setting", "float-pool"])
def test_memory_bombs_are_refused_fast_and_small(tmp_path, architecture, input_shape):
    refused_cheaply(bomb(tmp_path, architecture, input_shape))


def test_the_presets_networks_pass_the_size_limits(tmp_path):
    for architecture, shape in ((mlp_architecture((512, 512)), (784,)),
                                (cnn_architecture((32, 64), kernel=5, padding="same"),
                                 (1, 28, 28))):
        path = tmp_path / "big.npz"
        save_model(path, Model.from_architecture(architecture, shape))
        assert load_model(path).architecture() == architecture


def test_the_largest_network_of_the_train_form_passes_the_size_limits():
    meta = {"format": "digitlab-model", "format_version": 1, "input_shape": [784],
            "architecture": mlp_architecture((4096,) * 8), "class_names": list("0123456789")}

    params = check_meta("largest.npz", json.dumps(meta))["params"]

    assert sum(np.prod(shape) for _, shape in params) > 120_000_000


# --- saving ---------------------------------------------------------------------------------------

def test_the_longest_name_allowed_saves(tmp_path):
    path = tmp_path / ("m" * (NAME_MAX - TEMPORARY_NAME_EXTRA - 4) + ".npz")
    save_model(path, make_model())
    assert load_model(path).params[0].shape == make_model().params[0].shape


def test_saving_keeps_the_permission_bits_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_model(seed=1))
    os.chmod(path, 0o640)

    save_model(path, make_model(seed=2))

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_saving_over_a_link_writes_through_it(tmp_path):
    real = tmp_path / "real.npz"
    save_model(real, make_model(seed=1))
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    second = make_model(seed=2)

    save_model(link, second)

    assert link.is_symlink() and os.readlink(link) == str(real)
    np.testing.assert_array_equal(load_model(real).params[0], second.params[0])


@pytest.mark.parametrize("target, words", [("", "the name is empty"), (".", "folder"),
                                           ("m" * 300 + ".npz", "304 bytes long"),
                                           # fits the system, not its temporary file's name
                                           ("m" * 226 + ".npz", "230 bytes long")])
def test_saving_to_a_folder_or_a_bad_name_is_refused(tmp_path, monkeypatch, target, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFileError, match=words) as error:
        save_model(target, make_model())
    assert "\n" not in str(error.value) and len(str(error.value)) < 200


@pytest.mark.parametrize("save", [save_model, write_atomically_empty])
def test_saving_over_a_pipe_leaves_it_a_pipe(tmp_path, save):
    # Renamed over, it became a file; a device such as /dev/null, for root, the same.
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    link = tmp_path / "link.npz"
    link.symlink_to(pipe)
    for path in (pipe, link):
        with pytest.raises((ModelFileError, OSError), match="not a file|Not a file"):
            save(path, make_model())
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npz", "pipe.npz"]


# The child saves the same 20 MB model again and again; the parent kills it at random moments,
# at least MIN_KILLS times and until one of them has landed inside a save (MAX_KILLS at most).
MIN_KILLS, MAX_KILLS = 4, 12
SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from nn.network.model import Model
    from nn.files.modelfile import save_model
    from nn.training.presets import mlp_architecture
    model = Model.from_architecture(mlp_architecture((2048, 2048)))
    print("ready", flush=True)
    while True:
        save_model(sys.argv[1], model)
""")


def test_a_save_killed_at_any_moment_leaves_old_or_new_and_is_cleaned_up(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_model(seed=1))
    rng = np.random.default_rng(0)
    landed = 0  # kills that left a partial file: they hit a save in the middle
    for kill in range(MAX_KILLS):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        load_model(path)  # the old file or a complete new one, never half of one
        # Counted now: the next child's first save removes what this one left.
        landed += any(p.name.endswith(PARTIAL_SUFFIX) for p in tmp_path.iterdir())
        if kill + 1 >= MIN_KILLS and landed:
            break
    assert landed, "no kill landed inside a save: the test did not test anything"

    save_model(path, make_model(seed=3))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_stale_partials_of_a_folder_are_removed_but_not_those_of_live_saves(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".a.npz.{dead}-x1{PARTIAL_SUFFIX}"
    live = tmp_path / f".b.npz.{os.getpid()}-x2{PARTIAL_SUFFIX}"
    other = tmp_path / f".c.npz.{dead}-x3.tmp"
    for p in (stale, live, other):
        p.write_bytes(b"PK")

    assert remove_stale_partials(tmp_path) == 1

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


@pytest.mark.parametrize("pid", ["99999999999999999999999", "\u00b2", "0", "-1", "\u0663"])
def test_names_like_partials_whose_process_id_no_process_can_have_are_left_alone(tmp_path, pid):
    # "²" and "٣" are digits to str.isdigit but not to int or os.kill; a pid past a C int made
    # os.kill overflow: either raised at the app's launch, every launch.
    odd = tmp_path / f".model.npz.{pid}-abc{PARTIAL_SUFFIX}"
    odd.write_bytes(b"PK")

    assert remove_stale_partials(tmp_path) == 0
    assert remove_stale_partials(tmp_path, "model.npz") == 0
    save_model(tmp_path / "model.npz", make_model(seed=1))

    assert odd.exists()


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
               min_size=1, max_size=60))
def test_any_file_name_in_a_folder_is_handled_by_the_cleanup(name):
    with tempfile.TemporaryDirectory() as folder:
        for candidate in (name, f".m.npz.{name}{PARTIAL_SUFFIX}", f".{name}.1-x{PARTIAL_SUFFIX}"):
            with contextlib.suppress(OSError):   # a name the file system refuses
                (Path(folder) / candidate).write_bytes(b"PK")

        removed = remove_stale_partials(folder)

        assert 0 <= removed <= 3


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    from nn.network.errors import DigitLabError
    from nn.network.model import Model
    from nn.files.modelfile import save_model
    from nn.training.presets import mlp_architecture
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
    try:
        save_model(sys.argv[1], Model.from_architecture(mlp_architecture((256,))))
    except DigitLabError as e:
        print(e)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file size limits")
def test_a_full_disk_fails_the_save_clearly_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_model(seed=1))
    old = path.read_bytes()

    result = subprocess.run([sys.executable, "-c", FULL_DISK, str(path)], capture_output=True,
                            text=True, timeout=60, check=False)

    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.startswith(f"Cannot save {path}: File too large")
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]
