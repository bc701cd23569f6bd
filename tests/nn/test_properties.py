"""Property-based attacks: random and mutated model files, random meta, random IDX files and
random command lines. The only allowed outcomes are success or a DigitLabError with a
one-line message (status 2 and one line on stderr for the command line), within 200 MB."""

import contextlib
import gzip
import io
import json
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from nn.cli.commands import main
from nn.data.datasets import MNIST
from nn.network.errors import DigitLabError
from nn.data.idx import read_idx
from nn.files.modelfile import load_model, save_model
from nn.training.train import TrainConfig, make_optimizer
from tests.nn.makers import make_model, write_tiny_dataset

MEMORY_BOUND = 200 * 2**20
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@contextlib.contextmanager
def within_memory_bound():
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.0f} MB"


def outcome(call):
    """Run ``call``; return its result or the DigitLabError it raised (any other exception
    fails the test). The message must be one line."""
    with within_memory_bound():
        try:
            return call()
        except DigitLabError as e:
            assert "\n" not in str(e) and str(e), repr(e)
            return e


class ValidFile:
    """A valid model file with optimizer state: its bytes, arrays and meta (a short repr, as
    Hypothesis prints the arguments of a failing example)."""

    def __init__(self, content, compressed, arrays, meta):
        self.content, self.compressed, self.arrays, self.meta = content, compressed, arrays, meta

    def __repr__(self):
        return "ValidFile()"


@pytest.fixture(scope="module")
def valid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "valid.npz"
    model = make_model()
    optimizer = make_optimizer(model, TrainConfig())
    optimizer.t = 3
    save_model(path, model, optimizer)
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    compressed = path.with_name("compressed.npz")
    np.savez_compressed(compressed, **arrays)  # deflated entries: damage reaches zlib
    return ValidFile(path.read_bytes(), compressed.read_bytes(), arrays,
                     json.loads(str(arrays.pop("meta"))))


def use(model):
    """What the app and the CLI do with a loaded model's contents; must not fail."""
    if "config" in model.info:
        TrainConfig.from_dict(model.info["config"])
    x = np.zeros((2,) + model.input_shape, dtype=np.float32)
    assert model.predict_proba(x).shape == (2, len(model.class_names))


def check_loads_or_refuses(path):
    result = outcome(lambda: load_model(path))
    if not isinstance(result, DigitLabError):
        use(result)
        for argv in (["info", str(path)], ["info", str(path), "--json"]):
            with contextlib.redirect_stdout(io.StringIO()) as out:
                assert main(argv) == 0
            if "--json" in argv:
                json.loads(out.getvalue())


# --- model files ----------------------------------------------------------------------------------

@FAST
@given(data=st.data())
def test_mutated_model_files_load_or_are_refused(tmp_path, valid_file, data):
    content = bytearray(data.draw(st.sampled_from([valid_file.content,
                                                   valid_file.compressed])))
    how = data.draw(st.sampled_from(["flip", "truncate", "both"]))
    if how in ("flip", "both"):
        for position in data.draw(st.lists(st.integers(0, len(content) - 1), min_size=1,
                                           max_size=8)):
            content[position] ^= data.draw(st.integers(1, 255))
    if how in ("truncate", "both"):
        del content[data.draw(st.integers(0, len(content) - 1)):]
    path = tmp_path / "mutated.npz"
    path.write_bytes(bytes(content))

    check_loads_or_refuses(path)


@pytest.mark.parametrize("name, shown", [("optimizer.m.\n", r"optimizer.m.\n"),
                                         ("optimizer.v.0\r", r"optimizer.v.0\r")])
def test_an_entry_named_with_a_line_break_is_refused_in_one_line(tmp_path, valid_file, name,
                                                                 shown):
    # Hypothesis found it: a flipped byte made an entry "optimizer.m.\n", and the message
    # quoting its name ran over two lines.
    path = tmp_path / "renamed.npz"
    np.savez(path, **valid_file.arrays, meta=np.array(json.dumps(valid_file.meta)),
             **{name: np.zeros(3, np.float32)})
    error = outcome(lambda: load_model(path))
    assert isinstance(error, DigitLabError) and shown in str(error)


def filled(dtype, shape, fill):
    with np.errstate(invalid="ignore", over="ignore"):  # nan and inf cast to integers
        return np.full(shape, fill).astype(dtype)


ARRAYS = st.builds(
    filled,
    st.sampled_from(["<f4", ">f4", "<f8", "<f2", "<i4", "u1", "?", "<U3"]),
    st.lists(st.integers(0, 40), max_size=3).map(tuple),
    st.sampled_from([0, 1, -1, float("nan"), float("inf"), 1e39]))


@FAST
@given(data=st.data())
def test_model_files_with_arrays_replaced_load_or_are_refused(tmp_path, valid_file, data):
    arrays, meta = dict(valid_file.arrays), valid_file.meta
    names = sorted(arrays) + ["layer9.W", "optimizer.m.99", "optimizer.q.0", "notes"]
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
        if data.draw(st.booleans()):
            arrays[name] = data.draw(ARRAYS)
        else:
            arrays.pop(name, None)
    path = tmp_path / "replaced.npz"
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))

    check_loads_or_refuses(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["mnist", "adam", "same", "he", "Dense"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12)


def places(meta):
    """Every (container, key) of meta a value can be put at, known fields included."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            return
        for key, child in items:
            found.append((value, key))
            walk(child)
    walk(meta)
    return found


@FAST
@given(data=st.data())
def test_meta_with_random_values_in_any_field_loads_or_is_refused(tmp_path, valid_file, data):
    arrays, meta = valid_file.arrays, json.loads(json.dumps(valid_file.meta))
    meta["info"] |= {"config": TrainConfig().to_dict(), "test_accuracy": 0.5, "name": "m",
                     "fine_tune": {"drawings": 2, "weight": 1, "before": {"mine": 0.5},
                                   "after": {"mine": 1.0, "test": None}}}
    for _ in range(data.draw(st.integers(1, 3))):
        container, key = data.draw(st.sampled_from(places(meta)))
        container[key] = data.draw(JSON)
    path = tmp_path / "meta.npz"
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))

    check_loads_or_refuses(path)


# --- IDX files ------------------------------------------------------------------------------------

@FAST
@given(magic=st.binary(min_size=0, max_size=4) | st.just(b"\x00\x00\x08\x03"),
       dims=st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 40), max_size=4),
       body=st.binary(max_size=3000), zeros=st.integers(0, 2**23), packed=st.booleans())
def test_random_idx_files_read_or_are_refused(tmp_path, magic, dims, body, zeros, packed):
    content = magic + struct.pack(f">{len(dims)}I", *dims) + body
    if packed:
        content = gzip.compress(content + bytes(zeros), compresslevel=1)
    path = tmp_path / "random-idx"
    path.write_bytes(content)

    result = outcome(lambda: read_idx(path))
    if isinstance(result, np.ndarray):
        assert result.dtype == np.uint8 and result.size == int(np.prod(result.shape))


# --- the command line -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def places_for_cli(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = write_tiny_dataset(root / "mnist", n_train=40, n_test=10)
    model = root / "model.npz"
    save_model(model, make_model())  # 30 inputs: evaluate refuses it
    damaged = root / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04" + bytes(100))
    downloaded = root / "downloaded"
    downloaded.mkdir()
    for name in MNIST.files.values():
        (downloaded / name).write_bytes(b"")
    a_file = root / "a-file"
    a_file.write_text("x")
    return {"root": root, "data": data, "model": model, "damaged": damaged, "file": a_file,
            "downloaded": downloaded}


NUMBERS = st.sampled_from(["-5", "-1", "0", "1", "2", "3", "many", "1e3", "", " 2", "2.5",
                           "99999999999999999999999", "0x10", "--"])


def cli_args(p):
    paths = st.sampled_from([str(p["data"]), str(p["root"]), str(p["file"]), "",
                             str(p["root"] / "absent"), str(p["model"]), str(p["damaged"])])
    outs = st.sampled_from([str(p["root"] / "out.npz"), "", str(p["root"]),
                            str(p["root"] / "absent" / "out.npz"), str(p["data"])])
    flags = {
        "train": {"--preset": st.sampled_from(["seed", "mlp", "cnn", "nope"]),
                  "--epochs": NUMBERS, "--seed": NUMBERS, "--limit": NUMBERS,
                  "--data": paths, "--dataset": st.sampled_from(["mnist", "fashion-mnist", "x"]),
                  "--out": outs, "--augment": None, "--json": None},
        "evaluate": {"": paths, "--data": paths, "--limit": NUMBERS, "--json": None,
                     "--dataset": st.sampled_from(["mnist", "fashion-mnist", "x"])},
        "info": {"": paths, "--json": None},
        "download": {"--dataset": st.sampled_from(["mnist", "x"]), "--json": None,
                     "--dest": st.sampled_from([str(p["file"]), "", str(p["model"])])},
        "bench": {"--preset": st.sampled_from(["seed", "cnn-16-32", "x"]), "--epochs": NUMBERS,
                  "--limit": NUMBERS, "--data": paths, "--json": None,
                  "--vs": st.sampled_from(["tensorflow", ""])},
        "nope": {"--json": None},
    }

    @st.composite
    def argv(draw):
        command = draw(st.sampled_from(sorted(flags)))
        result = [command]
        for flag in draw(st.lists(st.sampled_from(sorted(flags[command])), max_size=5)):
            value = flags[command][flag]
            if flag:
                result.append(flag)
            if value is not None:
                result.append(draw(value))
        return result
    return argv()


def run_cli(argv):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:
            status = e.code
    return status, out.getvalue(), err.getvalue()


@pytest.mark.slow
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_command_lines_succeed_or_fail_in_one_line(places_for_cli, monkeypatch, data):
    p = places_for_cli
    monkeypatch.chdir(p["root"])
    monkeypatch.setenv("DIGITLAB_DATA", str(p["data"]))
    argv = data.draw(cli_args(p))

    # One BLAS thread: on a busy 2-core machine, BLAS threads waiting for each other make
    # these tiny products 10 times slower.
    with within_memory_bound(), threadpool_limits(1):
        status, out, err = run_cli(argv)

    assert "Traceback" not in err, (argv, err)
    if status == 0:
        if "--json" in argv:
            json.loads(out)
    else:  # progress lines may come first; the error is the last line, and the only one
        assert status == 2, (argv, err)
        lines = err.strip().splitlines()
        assert "error" in lines[-1] and sum("error" in line for line in lines) == 1, (argv, err)
