"""Model files: bit-exact round trips, resuming training from a file, atomic writes, and every
kind of malformed file refused with a ModelFileError that names the file and the problem."""

import errno
import io
import json
import os
import zipfile

import numpy as np
import pytest

import nn.network.model
import nn.files.modelfile
from nn.network.errors import ModelFileError
from nn.files.modelfile import import_notebook_weights, load_model, save_model
from nn.training.presets import mlp_architecture
from nn.training.train import TrainConfig, resume_optimizer, train
from tests.nn.makers import CLASS_NAMES, INFO, N_IN, make_model, npz_entries, write_npz


def random_problem(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, N_IN), dtype=np.float32), rng.integers(0, 10, n)


def npy_bytes(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array)
    return buf.getvalue()


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.fixture
def saved(tmp_path):
    """A valid model file: (path, model, arrays, meta) to copy and tamper with."""
    model = make_model()
    path = tmp_path / "good.npz"
    save_model(path, model)
    arrays, meta = npz_entries(path)
    return path, model, arrays, meta


def assert_refused(path, *fragments, loader=load_model):
    with pytest.raises(ModelFileError) as info:
        loader(path)
    message = str(info.value)
    assert path.name in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- round trips --------------------------------------------------------------------------------

def test_round_trip_is_bit_exact(tmp_path):
    model = make_model()
    path = tmp_path / "model.npz"

    save_model(path, model)
    loaded = load_model(path)

    assert loaded.architecture() == model.architecture()
    assert loaded.input_shape == model.input_shape == (N_IN,)
    assert loaded.class_names == CLASS_NAMES
    assert loaded.info == INFO
    assert loaded.optimizer_state is None
    assert [n for n, _ in loaded.named_params()] == [n for n, _ in model.named_params()] == [
        "layer0.W", "layer0.b", "layer3.W", "layer3.b", "layer6.W", "layer6.b"]
    for (_, a), (_, b) in zip(loaded.named_params(), model.named_params()):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    x, _ = random_problem(20, seed=1)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_file_layout_is_documented_arrays_plus_json_meta(saved):
    path, model, arrays, meta = saved

    assert set(arrays) == {"layer0.W", "layer0.b", "layer3.W", "layer3.b", "layer6.W", "layer6.b"}
    assert meta["format"] == "digitlab-model" and meta["format_version"] == 1
    assert meta["architecture"] == model.architecture()
    assert meta["input_shape"] == [N_IN] and meta["class_names"] == list(CLASS_NAMES)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resumed_training_from_a_file_continues_identically(tmp_path, optimizer):
    x, y = random_problem(96, seed=2)
    config = TrainConfig(epochs=2, batch_size=16, optimizer=optimizer, learning_rate=0.01,
                         validation_size=16, seed=5)
    model = make_model(dropout=0.0)
    first = train(model, x, y, config)
    path = tmp_path / "resume.npz"

    save_model(path, model, first.optimizer)
    loaded = load_model(path)
    resumed = resume_optimizer(loaded, config)
    train(loaded, x, y, config, optimizer=resumed)
    train(model, x, y, config, optimizer=first.optimizer)  # never interrupted

    assert resumed.t == first.optimizer.t == 2 * 5 * 2
    for a, b in zip(loaded.params, model.params):
        np.testing.assert_array_equal(a, b)
    # ...and a fresh optimizer would have gone elsewhere.
    fresh = load_model(path)
    train(fresh, x, y, config)
    assert not np.array_equal(fresh.params[0], model.params[0])


def trained_one_epoch(optimizer, seed):
    """A small model after one epoch of ``optimizer``, and the optimizer, with state to save."""
    x, y = random_problem(40, seed=seed)
    model = make_model(dropout=0.0)
    result = train(model, x, y, TrainConfig(epochs=1, batch_size=8, optimizer=optimizer,
                                            validation_size=0))
    return model, result.optimizer


def test_optimizer_state_is_stored_under_its_own_names(tmp_path):
    model, opt = trained_one_epoch("sgd", seed=3)
    path = tmp_path / "m.npz"

    save_model(path, model, opt)
    arrays, meta = npz_entries(path)
    settings, state = load_model(path).optimizer_state

    assert meta["optimizer"] == {"name": "sgd", "weight_decay": 0.0, "momentum": 0.9,
                                 "nesterov": False, "t": 5}
    assert sorted(k for k in arrays if k.startswith("optimizer.")) == [
        f"optimizer.velocity.{i}" for i in range(6)]
    assert settings == meta["optimizer"]
    np.testing.assert_array_equal(state["velocity.2"], opt.state["velocity"][2])


# --- atomic writing ------------------------------------------------------------------------------

def test_a_failure_while_writing_leaves_the_original_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(path, make_model(seed=1))
    original = path.read_bytes()

    def disk_full(file, **arrays):
        file.write(b"PK\x03\x04 half of an archive")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(nn.files.modelfile.np, "savez", disk_full)
    with pytest.raises(ModelFileError) as info:
        save_model(path, make_model(seed=2))

    assert "No space left on device" in str(info.value) and "model.npz" in str(info.value)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_an_interrupted_write_leaves_no_file_and_passes_the_exception_on(tmp_path, monkeypatch):
    def interrupted(file, **arrays):
        file.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(nn.files.modelfile.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(tmp_path / "new.npz", make_model())

    assert os.listdir(tmp_path) == []


def test_saving_overwrites_an_existing_model(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_model(seed=1))
    second = make_model(seed=2)

    save_model(path, second)

    np.testing.assert_array_equal(load_model(path).params[0], second.params[0])
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saving_into_a_missing_folder_raises_model_file_error(tmp_path):
    path = tmp_path / "no" / "such" / "folder" / "model.npz"

    with pytest.raises(ModelFileError, match="Cannot save .*model.npz.*does not exist"):
        save_model(path, make_model())


# --- rejected files ------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    assert_refused(tmp_path / "absent.npz", "does not exist")


def test_a_folder_is_not_a_model(tmp_path):
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    assert_refused(folder, "is not a file")


def test_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not the weights you are looking for\n")
    assert_refused(path, "not a NumPy .npz archive")


def test_zip_that_is_not_an_npz(tmp_path):
    path = write_zip(tmp_path / "photos.npz",
                     {"readme.txt": b"holiday photos", "a.jpg": b"\xff\xd8"})
    assert_refused(path)


def test_zip_whose_parameter_entry_is_not_a_numpy_array(tmp_path, saved):
    _, _, arrays, meta = saved
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    members["meta.npy"] = npy_bytes(np.array(json.dumps(meta)))
    members["layer0.W.npy"] = b"these bytes are no .npy array at all"
    path = write_zip(tmp_path / "odd.npz", members)

    assert_refused(path, "layer0.W")


def test_truncated_copy_of_a_valid_file(tmp_path, saved):
    data = saved[0].read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[:len(data) // 2])

    assert_refused(path, "truncated")


def test_corrupted_bytes_inside_a_complete_archive(tmp_path, saved):
    data = bytearray(saved[0].read_bytes())
    start = data.index(b"layer3.W.npy")  # the local header's name, then the array's bytes
    data[start + 400:start + 420] = b"\x00" * 20
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))

    assert_refused(path, "damaged")


def test_npz_without_meta(tmp_path):
    path = write_npz(tmp_path / "weights.npz", {"w": np.zeros((2, 2), np.float32)})
    message = assert_refused(path, "not a DigitLab model", "no 'meta' entry")
    assert "notebook" not in message.lower()


def test_npz_without_meta_but_with_notebook_weights_hints_at_import(tmp_path):
    path = write_npz(tmp_path / "notebook.npz", notebook_weights(np.random.default_rng(0)))
    assert_refused(path, "no 'meta' entry", "Import Notebook Weights")


def test_meta_that_is_not_json(tmp_path, saved):
    path = tmp_path / "bad.npz"
    np.savez(path, meta=np.array("{format: digitlab"), **saved[2])
    assert_refused(path, "'meta' entry is not JSON")


@pytest.mark.parametrize("change, fragments", [
    ({"format": "keras-model"}, ["not a DigitLab model", "digitlab-model"]),
    ({"format": None}, ["not a DigitLab model"]),
    ({"format_version": 2}, ["newer DigitLab", "format version 2", "update DigitLab"]),
    ({"format_version": "1"}, ["format_version"]),
    ({"architecture": None}, ["'architecture'"]),
    ({"input_shape": 30}, ["'input_shape'"]),
    ({"class_names": "0123456789"}, ["'class_names'"]),
], ids=["format", "no-format", "newer-version", "version-not-int", "no-architecture",
        "input-shape-not-list", "class-names-not-list"])
def test_bad_meta_fields(tmp_path, saved, change, fragments):
    _, _, arrays, meta = saved
    path = write_npz(tmp_path / "bad.npz", arrays, meta | change)
    assert_refused(path, *fragments)


def test_meta_that_is_json_but_not_an_object(tmp_path, saved):
    path = write_npz(tmp_path / "bad.npz", saved[2], ["digitlab-model", 1])
    assert_refused(path, "not a DigitLab model")


def test_missing_array(tmp_path, saved):
    _, _, arrays, meta = saved
    del arrays["layer3.b"]
    path = write_npz(tmp_path / "bad.npz", arrays, meta)
    assert_refused(path, "does not match its own architecture", "missing layer3.b")


def test_extra_array(tmp_path, saved):
    _, _, arrays, meta = saved
    arrays["layer9.W"] = np.zeros((2, 2), np.float32)
    path = write_npz(tmp_path / "bad.npz", arrays, meta)
    assert_refused(path, "unexpected layer9.W")


def test_thousands_of_extra_arrays_with_odd_names_are_one_short_line(tmp_path, saved):
    _, _, arrays, meta = saved
    arrays |= {f"junk{i}": np.zeros(1, np.float32) for i in range(3000)}
    arrays["evil\nsecond line\x1b[31m RED"] = np.zeros(1, np.float32)
    path = write_npz(tmp_path / "bad.npz", arrays, meta)

    message = assert_refused(path, "unexpected", "(3,001 entries)")

    assert "\n" not in message and "\x1b" not in message and len(message) < 300


def test_wrong_shape(tmp_path, saved):
    _, _, arrays, meta = saved
    arrays["layer3.W"] = arrays["layer3.W"].T.copy()
    path = write_npz(tmp_path / "bad.npz", arrays, meta)
    assert_refused(path, "layer3.W has shape (8, 12), expected (12, 8)")


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32])
def test_wrong_dtype(tmp_path, saved, dtype):
    _, _, arrays, meta = saved
    arrays["layer0.W"] = arrays["layer0.W"].astype(dtype)
    path = write_npz(tmp_path / "bad.npz", arrays, meta)
    assert_refused(path, f"layer0.W has dtype {np.dtype(dtype).name}, expected float32")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_values(tmp_path, saved, value):
    _, _, arrays, meta = saved
    arrays["layer6.b"][3] = value
    path = write_npz(tmp_path / "bad.npz", arrays, meta)
    assert_refused(path, "layer6.b contains NaN or infinite values")


class MarkerPayload:
    """Unpickling this creates a folder: proof that pickled data was executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.mark.parametrize("entry, fragment", [
    ("layer0.W", "pickled Python objects"), ("meta", "pickled Python objects"),
    ("notes", "unexpected notes"),  # refused by its name before anything is read
])
def test_object_array_is_refused_without_being_unpickled(tmp_path, saved, entry, fragment):
    _, _, arrays, meta = saved
    marker = tmp_path / "payload-ran"
    entries = dict(arrays, meta=np.array(json.dumps(meta)))
    entries[entry] = np.array([MarkerPayload(marker)], dtype=object)
    path = tmp_path / "pickled.npz"
    np.savez(path, **entries)  # allow_pickle defaults to True when writing

    assert_refused(path, fragment)
    assert not marker.exists()

    # The payload is live: loading the way DigitLab never does would have run it.
    with np.load(path, allow_pickle=True) as f:
        f[entry]
    assert marker.is_dir()


@pytest.fixture
def nothing_built(monkeypatch):
    """Fail the test if load_model gets as far as building (allocating) any layer."""
    def build_layer(spec, rng):
        raise AssertionError(f"load_model started to build layer {spec} of an absurd file")

    monkeypatch.setattr(nn.network.model, "build_layer", build_layer)


@pytest.mark.parametrize("specs, input_size, fragment", [
    ([{"type": "Dense", "in": 10**6, "out": 10**6}], 10**6, "absurd"),
    ([{"type": "Dense", "in": 784, "out": -10}], 784, "-10"),
    ([{"type": "Dense", "in": 10**400, "out": 10}], 784, "401 digits"),  # refused as JSON
    ([{"type": "Dense", "in": 10**200, "out": 10**200}], 784, "'in'"),
    # Each layer under any per-layer limit, together 40 GB of float32:
    ([{"type": "Dense", "in": 7000, "out": 7000}] * 200, 7000, "absurd"),
], ids=["1e12-weights", "negative", "1e400-ints", "overflow-to-inf", "many-big-layers"])
def test_absurd_layer_sizes_are_refused_before_allocating(tmp_path, nothing_built, specs,
                                                          input_size, fragment):
    meta = {"format": "digitlab-model", "format_version": 1, "architecture": specs,
            "input_shape": [input_size], "class_names": list("0123456789")}
    path = write_npz(tmp_path / "huge.npz", {}, meta)

    assert_refused(path, fragment)


def test_array_header_claiming_a_huge_shape_is_refused(tmp_path, saved):
    _, _, arrays, meta = saved
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)})
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    members["meta.npy"] = npy_bytes(np.array(json.dumps(meta)))
    members["layer0.W.npy"] = header.getvalue() + b"\x00" * 64
    path = write_zip(tmp_path / "liar.npz", members)

    assert_refused(path)


@pytest.mark.parametrize("specs, fragment", [
    ([{"type": "Conv9D"}], "cannot build"),
    ([{"type": "Dense", "in": 30}], "cannot build"),
    ([{"type": "Dense", "in": "many", "out": 10}], "cannot build"),
    ([{"type": "Dense", "in": 0, "out": 10}], ""),
    ([["Dense", 30, 10]], ""),
    ([7], ""),
], ids=["unknown-type", "missing-out", "size-not-int", "zero-size", "spec-list", "spec-int"])
def test_architecture_that_cannot_be_built(tmp_path, specs, fragment):
    meta = {"format": "digitlab-model", "format_version": 1, "architecture": specs,
            "input_shape": [30], "class_names": list("0123456789")}
    path = write_npz(tmp_path / "odd.npz", {}, meta)

    assert_refused(path, fragment)


@pytest.mark.parametrize("change", [
    {"input_shape": [100]},             # the first Dense takes 30 inputs
    {"class_names": ["cat", "dog"]},    # the last Dense has 10 outputs
    {"input_shape": ["wide"]},
], ids=["input-shape", "class-count", "input-shape-not-int"])
def test_meta_that_contradicts_the_layers(tmp_path, saved, change):
    _, _, arrays, meta = saved
    path = write_npz(tmp_path / "bad.npz", arrays, meta | change)
    assert_refused(path)


def optimizer_file(tmp_path, tamper):
    model, opt = trained_one_epoch("adam", seed=4)
    good = tmp_path / "good.npz"
    save_model(good, model, opt)
    arrays, meta = npz_entries(good)
    tamper(arrays, meta)
    return write_npz(tmp_path / "bad.npz", arrays, meta)


@pytest.mark.parametrize("tamper", [
    lambda arrays, meta: arrays.update({"optimizer.m.0": np.zeros((3, 3), np.float32)}),
    lambda arrays, meta: arrays.update({"optimizer.v.1": np.full(12, np.nan, np.float32)}),
    lambda arrays, meta: arrays.update({"optimizer.m.0": arrays["optimizer.m.0"].astype(int)}),
    lambda arrays, meta: arrays.update({"optimizer.m.99": np.zeros(3, np.float32)}),
    lambda arrays, meta: arrays.update({"optimizer.velocity.0": arrays.pop("optimizer.m.0")}),
    lambda arrays, meta: meta.update({"optimizer": ["adam", 5]}),
    lambda arrays, meta: meta["optimizer"].update({"t": "five"}),
], ids=["shape", "nan", "dtype", "index", "state-name", "settings-not-dict", "t-not-int"])
def test_malformed_optimizer_state_is_refused_on_loading(tmp_path, tamper):
    # Otherwise the file loads and training crashes later with a bare NumPy/KeyError.
    path = optimizer_file(tmp_path, tamper)
    assert_refused(path, "optimizer")


# --- the notebook's weights ---------------------------------------------------------------------

def notebook_weights(rng, dtype=np.float64):
    """Parameters as the notebook keeps them: columns are examples, W1 @ X + b1."""
    return {"W1": rng.uniform(-0.5, 0.5, (10, 784)).astype(dtype),
            "b1": rng.uniform(-0.5, 0.5, (10, 1)).astype(dtype),
            "W2": rng.uniform(-0.5, 0.5, (10, 10)).astype(dtype),
            "b2": rng.uniform(-0.5, 0.5, (10, 1)).astype(dtype)}


def notebook_forward(w, X):
    """The notebook's forward_prop on X (784, m): ReLU, then a column-wise softmax."""
    Z1 = w["W1"] @ X + w["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = w["W2"] @ A1 + w["b2"]
    return np.exp(Z2) / np.sum(np.exp(Z2), axis=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_imported_notebook_weights_predict_like_the_notebook(tmp_path, dtype):
    rng = np.random.default_rng(6)
    weights = notebook_weights(rng, dtype)
    path = write_npz(tmp_path / "notebook.npz", weights)
    X = rng.random((784, 25))

    model = import_notebook_weights(path)

    assert model.architecture() == mlp_architecture((10,), init="uniform")
    assert model.info["source"] == "notebook weights" and model.info["name"] == "notebook"
    np.testing.assert_allclose(model.predict_proba(X.T), notebook_forward(weights, X).T,
                               atol=1e-5)
    assert np.any(notebook_forward(weights, X).argmax(axis=0) != 0)  # a non-trivial check


def test_notebook_weights_whose_scores_overflow_are_refused(tmp_path):
    weights = notebook_weights(np.random.default_rng(8))
    weights["W2"][:] = 1e38
    with pytest.raises(ModelFileError, match="overflow"):
        import_notebook_weights(write_npz(tmp_path / "huge.npz", weights))


def test_imported_notebook_model_round_trips_as_a_digitlab_model(tmp_path):
    model = import_notebook_weights(write_npz(tmp_path / "nb.npz",
                                              notebook_weights(np.random.default_rng(7))))
    save_model(tmp_path / "converted.npz", model)
    loaded = load_model(tmp_path / "converted.npz")
    for a, b in zip(loaded.params, model.params):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, bad, fragment", [
    ("W1", np.zeros((784, 10)), "W1 has shape (784, 10), expected (10, 784)"),
    ("b1", np.zeros(10), "b1 has shape (10,), expected (10, 1)"),
    ("W2", np.zeros((10, 11)), "W2 has shape (10, 11), expected (10, 10)"),
    ("b2", np.zeros((1, 10)), "b2 has shape (1, 10), expected (10, 1)"),
    ("W2", np.zeros((10, 10), np.int64), "W2 has dtype int64"),
    ("b1", np.full((10, 1), np.nan), "b1 contains NaN or infinite values"),
    ("W1", np.full((10, 784), 1e300), "W1"),  # finite in float64, infinite in float32
])
def test_notebook_weights_with_wrong_shapes_or_values_are_refused(tmp_path, name, bad, fragment):
    weights = notebook_weights(np.random.default_rng(8)) | {name: bad}
    path = write_npz(tmp_path / "nb.npz", weights)
    assert_refused(path, fragment, loader=import_notebook_weights)


def test_notebook_import_names_the_missing_arrays(tmp_path):
    weights = notebook_weights(np.random.default_rng(9))
    del weights["b2"]
    path = write_npz(tmp_path / "nb.npz", weights)
    assert_refused(path, "missing b2", "expected W1, b1, W2, b2", loader=import_notebook_weights)


def test_notebook_import_of_a_digitlab_model_is_refused(saved):
    assert_refused(saved[0], "notebook's weights", loader=import_notebook_weights)


def test_notebook_import_of_garbage_entries_is_refused(tmp_path):
    members = {f"{k}.npy": npy_bytes(a)
               for k, a in notebook_weights(np.random.default_rng(10)).items()}
    members["W2.npy"] = b"not an array"
    path = write_zip(tmp_path / "nb.npz", members)
    assert_refused(path, "W2", loader=import_notebook_weights)
