"""``python -m nn calibrate``: it fits and stores the temperature the held-out predictions call
for, prints the figures (text and JSON), and refuses a bad predictions file in one line."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn.cli.calibrate import load_held_out
from nn.files.modelfile import load_model, save_model
from nn.network.errors import DataError
from nn.training.calibration import calibrated_probabilities
from tests.nn.test_calibration import calibrated_process
from tests.nn.test_cli_hostile import assert_one_line_error, run
from tests.nn.test_modelfile import make_model


@pytest.fixture
def files(tmp_path):
    """A model file and held-out predictions of 30 writers that are overconfident by T = 2."""
    save_model(tmp_path / "model.npz", make_model())
    z, labels = calibrated_process(6_000, seed=11)
    log_probs = np.log(calibrated_probabilities(z * 2.0, 1.0)).astype(np.float32)
    np.savez(tmp_path / "oof.npz", log_probs=log_probs, labels=labels,
             writers=np.arange(6_000) % 30)
    return tmp_path / "model.npz", tmp_path / "oof.npz"


def test_calibrate_stores_the_temperature_and_threshold_it_prints(files, tmp_path, capsys):
    model, oof = files
    status, out, err = run(capsys, "calibrate", model, "--held-out", oof, "--json",
                           "--out", tmp_path / "calibrated.npz")
    assert status == 0, err
    figures = json.loads(out)
    assert figures["temperature"] == pytest.approx(2.0, rel=0.05)
    assert figures["ece_before"] > 0.05 and figures["ece_after"] < 0.02
    assert figures["writers"] == 30 and figures["writer_cross_checked"]
    assert figures["correct_unsure"] <= 0.03 and figures["examples"] == 6_000
    assert sum(b["count"] for b in figures["reliability_after"]) == 6_000

    calibrated = load_model(tmp_path / "calibrated.npz")
    assert calibrated.temperature == figures["temperature"]
    assert calibrated.unsure_below == figures["unsure_below"]
    assert load_model(model).temperature == 1.0   # the original is left as it was

    _, out, _ = run(capsys, "info", tmp_path / "calibrated.npz", "--json")
    assert json.loads(out)["temperature"] == figures["temperature"]
    _, out, _ = run(capsys, "info", tmp_path / "calibrated.npz")
    assert f"unsure below {figures['unsure_below']:.0%}" in out


def test_calibrate_prints_its_figures_and_writes_nothing_without_out(files, capsys):
    model, oof = files
    before = model.read_bytes()
    status, out, _ = run(capsys, "calibrate", model, "--held-out", oof)
    assert status == 0
    assert "temperature" in out and "misreads shown unsure" in out and "nothing written" in out
    assert "each writer measured with a calibration fitted on other writers" in out
    assert model.read_bytes() == before


def bad_file(tmp_path, **arrays):
    np.savez(tmp_path / "bad.npz", **arrays)
    return tmp_path / "bad.npz"


GOOD = {"log_probs": np.log(np.full((4, 10), 0.1)), "labels": np.array([1, 2, 3, 4])}


@pytest.mark.parametrize("change, words", [
    ({"labels": None}, ["no labels"]),
    ({"log_probs": np.zeros((4, 3))}, ["log_probs", "(4, 10)"]),
    ({"log_probs": np.full((4, 10), np.nan)}, ["NaN"]),
    ({"log_probs": np.full((4, 10), 2.0)}, ["above 0"]),
    ({"labels": np.array([1, 2, 3, 10])}, ["classes 0 to 9"]),
    ({"labels": np.array([1.0, 2, 3, 4])}, ["labels", "whole numbers"]),
    ({"writers": np.array([1, 2])}, ["writers"]),
    # A row of -inf set the temperature to its limit, 100, and every reading 12% sure.
    ({"log_probs": np.vstack([np.full((1, 10), -np.inf), np.log(np.full((3, 10), 0.1))])},
     ["infinities"]),
    ({"log_probs": np.full((4, 10), -1e308)}, ["add up to 1"]),
    ({"log_probs": np.log(np.full((4, 10), 0.5))}, ["add up to 1"]),
    ({"log_probs": np.log(np.full((1, 10), 0.1)), "labels": np.array([3])},   # read wrong
     ["cannot calibrate", "no right answers"]),
], ids=str)
def test_a_bad_predictions_file_is_one_line(files, tmp_path, capsys, change, words):
    arrays = {k: v for k, v in (GOOD | change).items() if v is not None}
    status, _, err = run(capsys, "calibrate", files[0], "--held-out", bad_file(tmp_path, **arrays),
                         "--out", tmp_path / "never.npz")
    assert_one_line_error(status, err, "bad.npz", *words)
    assert not (tmp_path / "never.npz").exists()


def test_a_missing_or_foreign_file_is_one_line(files, tmp_path, capsys):
    status, _, err = run(capsys, "calibrate", files[0], "--held-out", tmp_path / "nope.npz")
    assert_one_line_error(status, err, "nope.npz", "does not exist")
    (tmp_path / "text.npz").write_text("log_probs")
    status, _, err = run(capsys, "calibrate", files[0], "--held-out", tmp_path / "text.npz")
    assert_one_line_error(status, err, "text.npz", "not a NumPy .npz")


def test_the_bundled_model_is_named_as_everywhere(files, capsys):
    # "bundled does not exist", before: the word named a file here and the model elsewhere.
    status, out, err = run(capsys, "calibrate", "bundled", "--held-out", files[1], "--json")
    assert status == 0, err
    assert json.loads(out)["model"].endswith("default-model.npz")


arrays = st.one_of(
    st.builds(lambda shape, v: np.full(shape, v), st.tuples(st.integers(0, 5), st.integers(0, 11)),
              st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(lambda n, hi: np.arange(n) % max(hi, 1), st.integers(0, 6), st.integers(-2, 12)),
    st.builds(np.array, st.lists(st.integers(-3, 12), max_size=6)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.dictionaries(st.sampled_from(["log_probs", "labels", "writers", "other"]),
                                arrays, min_size=1))
def test_any_npz_is_read_or_refused_with_a_data_error(tmp_path, contents):
    path = tmp_path / "any.npz"
    np.savez(path, **contents)
    try:
        log_probs, labels, writers = load_held_out(path, 10)
    except DataError as e:
        assert "\n" not in str(e) and "any.npz" in str(e)
    else:
        assert log_probs.shape == (len(labels), 10) and not np.isnan(log_probs).any()
        assert labels.min() >= 0 and labels.max() <= 9
        assert writers is None or writers.shape == labels.shape
