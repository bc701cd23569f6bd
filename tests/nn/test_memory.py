"""DenseWithMemory, the last layer of a fine-tuned model: its gradients against finite
differences, what a memory adds and what it never does, and a model file that keeps it."""

import numpy as np
import pytest

from nn.files.modelfile import load_model, save_model
from nn.network.errors import ModelFileError
from nn.network.layers import Dense
from nn.network.memory import DenseWithMemory
from nn.network.model import Model
from nn.training.finetune import memory_of
from tests.nn.test_layers import check_layer_gradient


def float64_layer(rng, n_in=6, n_out=4):
    layer = DenseWithMemory(n_in, n_out)
    for name in layer.param_names:
        setattr(layer, name, rng.normal(size=getattr(layer, name).shape))
        setattr(layer, "d" + name, np.zeros_like(getattr(layer, name)))
    return layer


def test_gradients_for_input_weights_bias_and_memory():
    rng = np.random.default_rng(3)
    check_layer_gradient(float64_layer(rng), rng.normal(size=(5, 6)), rng)


def test_an_empty_memory_is_the_dense_layer():
    rng = np.random.default_rng(4)
    dense = Dense(6, 4, rng=rng)
    dense.b[:] = rng.normal(size=4)
    x = rng.normal(size=(7, 6)).astype(np.float32)
    remembering = DenseWithMemory.remembering(dense, np.zeros((6, 4), np.float32))
    np.testing.assert_array_equal(remembering.forward(x), dense.forward(x))


def test_a_memory_adds_its_strength_to_inputs_pointing_its_way_whatever_their_length():
    rng = np.random.default_rng(5)
    # 3 drawings of class 2, of different sizes, pointing the same way
    features = (np.abs(rng.normal(size=8)) * np.array([[1.0], [2.0], [5.0]]))[None]
    memory = memory_of(features, np.array([2, 2, 2]), classes=4, strength=7.0)
    layer = DenseWithMemory.remembering(Dense(8, 4, rng=rng), memory)
    plain = Dense(8, 4)
    plain.W, plain.b = layer.W, layer.b
    way = features[0, :1].astype(np.float32)               # the remembered direction
    for length in (0.01, 1.0, 300.0):
        added = layer.forward(way * length) - plain.forward(way * length)
        np.testing.assert_allclose(added[0], [0, 0, 7.0, 0], atol=1e-4)
    unit = way / np.linalg.norm(way)
    across = np.ones((1, 8), np.float32) - unit * unit.sum()
    added = layer.forward(across) - plain.forward(across)
    assert abs(added[0, 2]) < 1e-4     # at right angles to the memory: nothing added
    # Drawings of a class pointing different ways add less to each.
    spread = memory_of(np.abs(rng.normal(size=(1, 3, 8))), np.array([2, 2, 2]), 4, 7.0)
    assert 0 < np.linalg.norm(spread[:, 2]) < 7.0
    # No features at all (every ReLU off) give the plain layer's scores, not NaN.
    np.testing.assert_array_equal(layer.forward(np.zeros((2, 8), np.float32)),
                                  plain.forward(np.zeros((2, 8), np.float32)))


def test_a_class_without_drawings_is_not_remembered():
    rng = np.random.default_rng(6)
    features = np.abs(rng.normal(size=(5, 4, 8)))
    memory = memory_of(features, np.array([0, 0, 3, 3]), classes=10, strength=2.0)
    assert memory.shape == (8, 10)
    assert np.count_nonzero(memory.any(axis=0)) == 2 and memory[:, [0, 3]].all()


def remembering_model(rng):
    model = Model.from_architecture(
        [{"type": "Dense", "in": 12, "out": 6}, {"type": "ReLU"},
         {"type": "DenseWithMemory", "in": 6, "out": 10}], (12,), rng=rng)
    model.layers[-1].M[:] = rng.normal(size=(6, 10))
    return model


def test_a_model_file_keeps_the_memory(tmp_path):
    rng = np.random.default_rng(7)
    model = remembering_model(rng)
    save_model(tmp_path / "tuned.npz", model)
    again = load_model(tmp_path / "tuned.npz")
    x = rng.normal(size=(9, 12)).astype(np.float32)
    assert type(again.layers[-1]) is DenseWithMemory
    np.testing.assert_array_equal(again.predict_proba(x), model.predict_proba(x))
    assert "with memory" in again.summary()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_memory_that_is_not_finite_is_refused_in_one_sentence(tmp_path, bad):
    model = remembering_model(np.random.default_rng(8))
    save_model(tmp_path / "tuned.npz", model)
    with np.load(tmp_path / "tuned.npz") as f:
        entries = dict(f)
    entries["layer2.M"][3, 4] = bad
    np.savez(tmp_path / "tuned.npz", **entries)
    with pytest.raises(ModelFileError, match="layer2.M") as error:
        load_model(tmp_path / "tuned.npz")
    assert "\n" not in str(error.value)
