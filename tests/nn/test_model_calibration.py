"""A model's calibration: what it changes in its probabilities (and what not), its "unsure"
rule, and its way through model files, hostile values and files written before it existed."""

import json

import numpy as np
import pytest

from nn.files.modelfile import load_model, save_model
from nn.network.errors import ModelFileError
from nn.network.model import UNSURE_BELOW
from tests.nn.test_modelfile import make_model, npz_entries, random_problem, write_npz
from tests.nn.test_modelfile_hostile import refused_cheaply


def test_temperature_softens_probabilities_but_never_changes_the_answer():
    model = make_model()
    x, _ = random_problem(200, seed=3)
    plain = model.predict_proba(x)
    model.set_calibration(3.0, 0.5)
    soft = model.predict_proba(x)

    np.testing.assert_array_equal(model.predict(x), plain.argmax(axis=1))
    assert (soft.max(axis=1) < plain.max(axis=1)).all()
    np.testing.assert_allclose(soft.sum(axis=1), 1, rtol=1e-6)
    # p ~ exp(z / T): cubing the calibrated probabilities and normalising gives back the plain.
    cubed = soft.astype(np.float64) ** 3
    np.testing.assert_allclose(cubed / cubed.sum(axis=1, keepdims=True), plain, rtol=1e-4)


def test_an_answer_below_the_threshold_is_unsure():
    model = make_model()
    model.set_calibration(1.0, 0.7)
    probs = np.array([[0.69, 0.31], [0.7, 0.3], [0.2, 0.8]])
    assert model.is_unsure(probs).tolist() == [True, False, False]
    assert model.is_unsure(probs[0]) and not make_model().is_unsure(probs[0])


def test_the_calibration_makes_the_round_trip_through_a_file(tmp_path):
    model = make_model()
    model.set_calibration(1.5616, 0.67)
    x, _ = random_problem(50, seed=4)
    save_model(tmp_path / "m.npz", model)

    loaded = load_model(tmp_path / "m.npz")
    assert (loaded.temperature, loaded.unsure_below) == (1.5616, 0.67)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert npz_entries(tmp_path / "m.npz")[1]["calibration"] == {"temperature": 1.5616,
                                                                  "unsure_below": 0.67}
    assert (loaded.weights_copy().temperature, loaded.weights_copy().unsure_below) == (1.5616, 0.67)


def test_a_file_from_before_calibration_loads_with_temperature_one(tmp_path):
    model = make_model()
    save_model(tmp_path / "m.npz", model)
    arrays, meta = npz_entries(tmp_path / "m.npz")
    del meta["calibration"]
    loaded = load_model(write_npz(tmp_path / "old.npz", arrays, meta))

    assert (loaded.temperature, loaded.unsure_below) == (1.0, UNSURE_BELOW)
    x, _ = random_problem(20, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize("calibration", [
    {"temperature": 0, "unsure_below": 0.6},
    {"temperature": -1.5, "unsure_below": 0.6},
    {"temperature": 1e300, "unsure_below": 0.6},
    {"temperature": "2", "unsure_below": 0.6},
    {"temperature": True, "unsure_below": 0.6},
    {"temperature": 1.5, "unsure_below": 1.2},
    {"temperature": 1.5, "unsure_below": None},
    {"temperature": 1.5},
    {"temperature": 1.5, "unsure_below": 0.6, "bias": 3},
    [1.5, 0.6],
], ids=lambda v: json.dumps(v))
def test_a_broken_calibration_is_refused_in_one_line(tmp_path, calibration):
    save_model(tmp_path / "m.npz", make_model())
    arrays, meta = npz_entries(tmp_path / "m.npz")
    path = write_npz(tmp_path / "bad.npz", arrays, meta | {"calibration": calibration})

    assert "broken calibration" in refused_cheaply(path)


def test_a_nan_temperature_is_refused(tmp_path):
    save_model(tmp_path / "m.npz", make_model())
    arrays, meta = npz_entries(tmp_path / "m.npz")
    text = json.dumps(meta | {"calibration": {"temperature": float("nan"), "unsure_below": 0.6}})
    np.savez(tmp_path / "nan.npz", **arrays, meta=np.array(text))

    refused_cheaply(tmp_path / "nan.npz")


@pytest.mark.parametrize("temperature", [0.0, -2.0, float("nan"), float("inf"), 1e9])
def test_a_broken_temperature_is_neither_set_nor_saved(tmp_path, temperature):
    model = make_model()
    with pytest.raises(ValueError, match="temperature"):
        model.set_calibration(temperature, 0.6)
    model.temperature = temperature   # set behind its back: the file must still stay sound
    with pytest.raises(ModelFileError, match="m.npz.*temperature"):
        save_model(tmp_path / "m.npz", model)
    assert not (tmp_path / "m.npz").exists()
