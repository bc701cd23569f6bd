"""ONNX export: onnxruntime, running the exported graph, must give the engine's own answers, for
every kind of layer and for real networks on real MNIST test images."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.cli.commands import main
from nn.data.datasets import load_dataset
from nn.network.errors import DigitLabError, ModelFileError
from nn.network.model import LAYER_TYPES, Model
from nn.files.modelfile import load_model, save_model
from nn.training.presets import PRESETS, mlp_architecture
from nn.training.train import train

onnx = pytest.importorskip("onnx", reason="the onnx extra is missing: pip install -e '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (test extra)")

from nn.files.onnx_export import MISSING_ONNX, NODES, OPSET, save_onnx

BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "default-model.npz"
TOLERANCE = 1e-5


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def run_onnx(path, x):
    """(probabilities, logits) of the ONNX file at path for the batch x."""
    probabilities, logits = session(path).run(["probabilities", "logits"], {"image": x})
    return probabilities, logits


def exported(model, tmp_path, name="model.onnx"):
    path = tmp_path / name
    save_onnx(path, model)
    return path


# --- one model per kind of layer, on random input ----------------------------------------------

DENSE_IN = 20
IMAGE = (2, 11, 11)  # two channels and an odd size: pooling must drop the last row and column
ARCHITECTURES = {
    "Dense": [{"type": "Dense", "in": DENSE_IN, "out": 10}],
    "ReLU": mlp_architecture((16,), "relu", n_in=DENSE_IN),
    "LeakyReLU": [{"type": "Dense", "in": DENSE_IN, "out": 16}, {"type": "LeakyReLU", "slope": 0.2},
                  {"type": "Dense", "in": 16, "out": 10}],
    "Sigmoid": mlp_architecture((16,), "sigmoid", n_in=DENSE_IN),
    "Tanh": mlp_architecture((16,), "tanh", n_in=DENSE_IN),
    "Dropout": mlp_architecture((16, 12), "relu", dropout=0.5, n_in=DENSE_IN),
    "Flatten": [{"type": "Flatten"}, {"type": "Dense", "in": 2 * 11 * 11, "out": 10}],
    "Conv2D": [{"type": "Conv2D", "in_channels": 2, "out_channels": 3, "kernel_size": 3},
               {"type": "Flatten"}, {"type": "Dense", "in": 3 * 9 * 9, "out": 10}],
    # an even kernel with "same" padding puts the extra row and column at the bottom and right
    "Conv2D same": [{"type": "Conv2D", "in_channels": 2, "out_channels": 3, "kernel_size": 4,
                     "padding": "same"},
                    {"type": "Flatten"}, {"type": "Dense", "in": 3 * 11 * 11, "out": 10}],
    "MaxPool2D": [{"type": "MaxPool2D", "size": 3}, {"type": "Flatten"},
                  {"type": "Dense", "in": 2 * 3 * 3, "out": 10}],
    "DenseWithMemory": [{"type": "Dense", "in": DENSE_IN, "out": 16}, {"type": "ReLU"},
                        {"type": "DenseWithMemory", "in": 16, "out": 10}],
}


def random_model(specs, seed=0):
    input_shape = IMAGE if specs[0]["type"] in ("Conv2D", "MaxPool2D", "Flatten") else (DENSE_IN,)
    model = Model.from_architecture(specs, input_shape, rng=np.random.default_rng(seed))
    for p in model.params:  # non-zero biases and memories, so that one lost on the way shows
        if not p.any():
            p[:] = np.random.default_rng(seed + 1).normal(size=p.shape)
    return model


def test_every_layer_type_of_the_engine_is_exported():
    covered = {spec["type"] for specs in ARCHITECTURES.values() for spec in specs}
    assert covered == set(LAYER_TYPES)
    assert set(NODES) | {"Dropout", "DenseWithMemory"} == set(LAYER_TYPES)


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_each_kind_of_layer_gives_the_engines_answers(kind, tmp_path):
    model = random_model(ARCHITECTURES[kind])
    path = exported(model, tmp_path)
    x = np.random.default_rng(2).random((5,) + model.input_shape, dtype=np.float32)

    probabilities, logits = run_onnx(path, x)

    np.testing.assert_allclose(logits, model.forward(x), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(probabilities, model.predict_proba(x), rtol=0, atol=TOLERANCE)


def test_a_calibrated_model_exports_its_calibrated_probabilities(tmp_path):
    model = random_model(ARCHITECTURES["ReLU"])
    model.set_calibration(2.5, 0.7)
    path = exported(model, tmp_path)
    x = np.random.default_rng(3).random((6, DENSE_IN), dtype=np.float32)

    probabilities, logits = run_onnx(path, x)

    np.testing.assert_allclose(logits, model.forward(x), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(probabilities, model.predict_proba(x), rtol=0, atol=TOLERANCE)
    assert not np.allclose(probabilities, random_model(ARCHITECTURES["ReLU"]).predict_proba(x))
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert (float(props["temperature"]), float(props["unsure_below"])) == (2.5, 0.7)


def test_the_batch_size_is_free_and_the_input_is_what_the_model_expects(tmp_path):
    model = random_model(ARCHITECTURES["Conv2D"])
    path = exported(model, tmp_path)
    (image,) = session(path).get_inputs()

    assert image.name == "image" and image.type == "tensor(float)"
    assert image.shape[1:] == list(IMAGE) and isinstance(image.shape[0], str)
    for n in (1, 3, 64):
        x = np.random.default_rng(n).random((n,) + IMAGE, dtype=np.float32)
        probabilities, _ = run_onnx(path, x)
        assert probabilities.shape == (n, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)


def test_the_file_is_a_checked_onnx_model_that_describes_itself(tmp_path):
    model = random_model(ARCHITECTURES["Tanh"])
    model.info = {"name": "tiny", "dataset": "fashion-mnist"}
    path = exported(model, tmp_path)

    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: p.value for p in proto.metadata_props}

    assert json.loads(props["class_names"]) == list(model.class_names)
    assert props["dataset"] == "fashion-mnist"
    assert props["digitlab_version"] == nn.__version__
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", OPSET)]
    assert proto.graph.name == "tiny"
    assert [o.name for o in proto.graph.output] == ["probabilities", "logits"]
    # Dropout is the identity at inference: no node for it
    assert not any("Dropout" in node.op_type for node in proto.graph.node)


@pytest.mark.parametrize("name, graph_name", [("", "digitlab-model"), ("\ud800x", "?x")])
def test_a_name_read_from_a_model_file_that_onnx_cannot_take_still_exports(tmp_path, name,
                                                                          graph_name):
    # A model file's JSON may name it "" or with a lone surrogate (both load): before, the
    # export failed with onnx's ValidationError or a UnicodeEncodeError, a traceback.
    model = random_model(ARCHITECTURES["Dense"])
    model.info = {"name": name}
    save_model(tmp_path / "m.npz", model)

    path = exported(load_model(tmp_path / "m.npz"), tmp_path)

    proto = onnx.load(path)
    assert proto.graph.name == graph_name
    x = np.random.default_rng(0).random((2, DENSE_IN), dtype=np.float32)
    np.testing.assert_allclose(run_onnx(path, x)[0], model.predict_proba(x), atol=TOLERANCE)


def test_a_missing_onnx_package_is_one_line_that_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # how Python marks a module as unavailable

    with pytest.raises(DigitLabError) as info:
        save_onnx(tmp_path / "model.onnx", random_model(ARCHITECTURES["Dense"]))

    assert str(info.value) == MISSING_ONNX
    assert "\n" not in MISSING_ONNX and "pip install 'digitlab[onnx]'" in MISSING_ONNX
    assert list(tmp_path.iterdir()) == []


def test_writing_into_a_missing_folder_names_the_file(tmp_path):
    path = tmp_path / "no" / "such" / "model.onnx"

    with pytest.raises(ModelFileError, match="Cannot save .*model.onnx.*does not exist"):
        save_onnx(path, random_model(ARCHITECTURES["Dense"]))


# --- the command line ---------------------------------------------------------------------------

def test_cli_export_writes_a_file_onnxruntime_runs(tmp_path, capsys):
    model = random_model(ARCHITECTURES["MaxPool2D"])
    save_model(tmp_path / "m.npz", model)
    out = tmp_path / "m.onnx"

    assert main(["export", str(tmp_path / "m.npz"), str(out), "--json"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report == {"model": str(tmp_path / "m.npz"), "onnx": str(out), "opset": OPSET,
                      "input_shape": ["N", *IMAGE]}
    x = np.random.default_rng(0).random((4,) + IMAGE, dtype=np.float32)
    np.testing.assert_allclose(run_onnx(out, x)[0], model.predict_proba(x), atol=TOLERANCE)


def test_cli_export_of_a_missing_model_is_one_line_and_status_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nn", "export", str(tmp_path / "nope.npz"),
                             str(tmp_path / "nope.onnx")], check=False, capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.npz'} does not exist or is not a file."]
    assert not (tmp_path / "nope.onnx").exists()


# --- real networks on real MNIST ----------------------------------------------------------------

def trained(architecture, config, data, input_shape=(784,)):
    model = Model.from_architecture(architecture, input_shape, rng=np.random.default_rng(0))
    train(model, data.x_train, data.y_train, config)
    return model


def notebook_network(data):
    """The notebook preset (784-10-10, full-batch gradient descent), 200 steps on 2,000 images."""
    preset = PRESETS["notebook"]
    config = dataclasses.replace(preset.config, epochs=200, train_size=0, validation_size=0)
    return trained(preset.architecture, config, data)


def small_mlp(data):
    """784-64-32-10 with leaky ReLU and dropout, Adam: 320 steps of 50 on 2,000 images."""
    preset = PRESETS["mlp"]
    architecture = [dict(s, slope=0.05) if s["type"] == "LeakyReLU" else s
                    for s in mlp_architecture((64, 32), "leaky_relu", dropout=0.2)]
    config = dataclasses.replace(preset.config, epochs=8, batch_size=50, validation_size=0)
    return trained(architecture, config, data)


def bundled_cnn(data):
    """The bundled augmented CNN (two convolutions, pooling, dropout), as users get it."""
    return load_model(BUNDLED)


@pytest.mark.slow
@pytest.mark.parametrize("make", [notebook_network, small_mlp, bundled_cnn])
def test_real_networks_agree_on_a_thousand_mnist_test_images(make, mnist_dir, tmp_path):
    data = load_dataset(data_dir=mnist_dir, limit=2000)
    model = make(data)
    images = data.x_test[:1000].reshape((-1,) + model.input_shape)
    path = exported(model, tmp_path)

    probabilities, _ = run_onnx(path, images)
    expected = model.predict_proba(images)

    difference = np.abs(probabilities - expected).max()
    agreement = np.mean(probabilities.argmax(axis=1) == expected.argmax(axis=1))
    print(f"{make.__name__}: max |p_onnx - p_numpy| = {difference:.3g}, "
          f"same class for {agreement:.1%} of 1,000 images, "
          f"accuracy {np.mean(expected.argmax(axis=1) == data.y_test[:1000]):.1%}")
    assert agreement == 1.0
    assert difference <= TOLERANCE
    assert model.accuracy(images, data.y_test[:1000]) > 0.5  # it learned something (chance: 10%)
