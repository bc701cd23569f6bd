"""Calibration: a temperature fitted on held-out scores recovers the one that made them,
the calibration error of a calibrated process is about 0 and of an overconfident one large,
the "unsure" threshold keeps its budget, and on real writers a temperature fitted on some
writers makes the bundled model's confidence truer on the others."""


import numpy as np
import pytest

from nn.data.datasets import load_dataset
from nn.data.unipen import load_pendigits
from nn.network.errors import DataError
from nn.network.model import MAX_TEMPERATURE
from nn.training.calibration import (
    BINS,
    calibrate,
    calibrated_probabilities,
    choose_unsure_below,
    fit_temperature,
    negative_log_likelihood,
    reliability,
    unsure_rates,
)



def calibrated_process(n, seed, spread=3.0, classes=10):
    """Scores z and labels drawn from softmax(z) itself: probabilities that are exactly right."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, spread, (n, classes))
    p = calibrated_probabilities(z, 1.0)
    labels = (rng.random((n, 1)) > p.cumsum(axis=1)).sum(axis=1)
    return z, np.minimum(labels, classes - 1)


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.0, 4.0])
def test_the_fit_recovers_the_temperature_that_made_the_scores(true_temperature):
    # A network that is overconfident by T gives scores T times the calibrated ones.
    z, labels = calibrated_process(20_000, seed=1)
    fitted = fit_temperature(z * true_temperature, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)


def test_log_probabilities_give_the_temperature_their_logits_give():
    z, labels = calibrated_process(5_000, seed=2)
    log_probs = np.log(calibrated_probabilities(z * 3, 1.0))
    assert fit_temperature(log_probs, labels) == pytest.approx(fit_temperature(z * 3, labels),
                                                               rel=1e-5)


def test_the_fitted_temperature_is_the_lowest_nll_around_it():
    z, labels = calibrated_process(3_000, seed=3)
    t = fit_temperature(z * 1.7, labels)
    best = negative_log_likelihood(z * 1.7, labels, t)
    assert best < negative_log_likelihood(z * 1.7, labels, t * 1.01)
    assert best < negative_log_likelihood(z * 1.7, labels, t / 1.01)


def test_an_underflowed_probability_is_no_infinite_loss():
    # float32 probabilities of 0 become log = -inf; the label's one among them must not make
    # the fit infinite or NaN.
    with np.errstate(divide="ignore"):
        log_probs = np.log(np.array([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7]], dtype=np.float32))
    t = fit_temperature(log_probs, np.array([1, 1, 1]))
    assert np.isfinite(t) and t > 1


def test_scores_with_nan_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        fit_temperature(np.array([[0.0, np.nan]]), np.array([0]))


def test_answers_that_are_always_right_and_ever_surer_stop_at_the_bound():
    z = np.array([[30.0, 0.0], [0.0, 30.0]])
    assert fit_temperature(z, np.array([0, 1])) < 0.05
    assert fit_temperature(z, np.array([1, 0])) == pytest.approx(MAX_TEMPERATURE, rel=1e-3)


def test_ece_is_about_zero_for_a_calibrated_process_and_large_for_an_overconfident_one():
    z, labels = calibrated_process(20_000, seed=4)
    right = z.argmax(axis=1) == labels
    calibrated = reliability(calibrated_probabilities(z, 1.0).max(axis=1), right)
    overconfident = reliability(calibrated_probabilities(z * 3, 1.0).max(axis=1), right)
    assert calibrated.ece < 0.01
    assert overconfident.ece > 0.15
    assert calibrated.count.sum() == 20_000 and len(calibrated.count) == BINS


def test_reliability_bins_hold_what_falls_in_them():
    # Bins ((m-1)/M, m/M]: 0.5 belongs to the first of two bins, 0 too.
    confidence = [0.0, 0.5, 0.5, 0.75, 1.0, 0.9]
    right = [True, False, True, True, True, False]
    r = reliability(confidence, right, bins=2)
    assert r.count.tolist() == [3, 3]
    np.testing.assert_allclose(r.confidence, [1 / 3, 2.65 / 3])
    np.testing.assert_allclose(r.accuracy, [2 / 3, 2 / 3])
    # |2/3 - 1/3| and |2/3 - 0.8833|, half the answers each.
    assert r.ece == pytest.approx(0.5 * (1 / 3) + 0.5 * (2.65 / 3 - 2 / 3))
    assert np.isnan(reliability([0.9], [True], bins=3).accuracy[0])


def test_the_threshold_shows_at_most_the_budget_of_right_answers_unsure():
    right_conf = np.linspace(0.405, 0.999, 100)           # 100 right answers
    wrong_conf = np.array([0.3, 0.41, 0.43, 0.44, 0.9])   # 5 misreads
    confidence = np.concatenate([right_conf, wrong_conf])
    correct = np.r_[np.ones(100, bool), np.zeros(5, bool)]

    threshold = choose_unsure_below(confidence, correct, budget=0.02)
    # Two right answers may be flagged: 0.405 and 0.411; the third, 0.417, may not. Rounded
    # down to a whole percent, the threshold is 41%: only 0.405 is below it.
    assert threshold == 0.41
    misreads, rights = unsure_rates(confidence, correct, threshold)
    assert rights == 0.01 and misreads == 0.2
    assert unsure_rates(confidence, correct, 0.44)[1] > 0.02


def test_unsure_rates_of_nothing_are_nan():
    misreads, rights = unsure_rates([0.9, 0.4], [True, True], 0.5)
    assert np.isnan(misreads) and rights == 0.5


def test_calibrating_an_overconfident_process_brings_its_error_down_and_flags_its_misreads():
    z, labels = calibrated_process(12_000, seed=5)
    writers = np.arange(12_000) % 30
    result = calibrate(z * 2.5, labels, writers)
    assert result.cross_checked and result.examples == 12_000
    assert result.temperature == pytest.approx(2.5, rel=0.05)
    assert result.before.ece > 0.1 and result.after.ece < 0.015
    assert result.correct_unsure <= 0.03   # each fold's threshold was chosen on the others
    assert result.misreads_unsure > result.correct_unsure


def test_on_real_writers_a_temperature_fitted_on_other_writers_makes_confidence_truer(mnist_dir):
    """A small MLP trained on MNIST alone never saw a pen digit: for it every writer is held
    out (the bundled model trained on them). Every fourth digit of the 30 writers keeps the
    test quick."""
    from nn.network.model import Model
    from nn.network.randomness import init_rng
    from nn.training.presets import mlp_architecture
    from nn.training.train import TrainConfig, train
    from nn.training.writers import pen_images

    try:
        digits, _ = load_pendigits()
    except DataError as e:
        pytest.skip(f"the real writers' pen digits are not here: {e}")
    data = load_dataset("mnist", mnist_dir, limit=10_000)
    model = Model.from_architecture(mlp_architecture((64,)), rng=init_rng(0))
    train(model, data.x_train, data.y_train,
          TrainConfig(epochs=3, batch_size=64, learning_rate=1e-3, validation_size=0))
    some = type(digits)(digits.strokes[::4], digits.labels[::4], digits.writers[::4])
    log_probs = np.log(model.predict_proba(pen_images(some)))

    result = calibrate(log_probs, some.labels, some.writers)
    assert result.temperature > 1.1   # overconfident on people's handwriting
    assert result.cross_checked and result.after.ece < 0.9 * result.before.ece
    assert result.correct_unsure <= 0.025
