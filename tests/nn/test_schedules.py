"""Learning-rate schedules at chosen points of training."""

import pytest

from nn.network.schedules import SCHEDULES, learning_rate


@pytest.mark.parametrize("epoch", [0.0, 0.5, 3.0, 9.99, 10.0])
def test_constant_is_always_the_base(epoch):
    assert learning_rate(0.1, "constant", epoch, 10) == 0.1


@pytest.mark.parametrize("epoch, expected", [
    (0.0, 0.4), (1.99, 0.4),     # first two epochs: base
    (2.0, 0.2), (3.5, 0.2),      # halved once
    (4.0, 0.1), (5.99, 0.1),     # halved twice
    (9.0, 0.025),                # four halvings
])
def test_step_halves_every_n_epochs(epoch, expected):
    assert learning_rate(0.4, "step", epoch, 10, step_every=2, step_gamma=0.5) == pytest.approx(
        expected, rel=1e-12)


def test_step_defaults_to_halving_every_epoch():
    assert learning_rate(1.0, "step", 3.2, 10) == pytest.approx(0.125)


def test_cosine_starts_at_base_ends_at_zero_and_is_half_at_the_midpoint():
    assert learning_rate(0.2, "cosine", 0.0, 8) == pytest.approx(0.2, rel=1e-12)
    assert learning_rate(0.2, "cosine", 4.0, 8) == pytest.approx(0.1, rel=1e-12)
    assert learning_rate(0.2, "cosine", 8.0, 8) == pytest.approx(0.0, abs=1e-15)
    # a quarter of the way: 0.2 * (1 + cos(pi/4)) / 2
    assert learning_rate(0.2, "cosine", 2.0, 8) == pytest.approx(0.1 * (1 + 2 ** -0.5), rel=1e-12)


def test_cosine_decreases_monotonically():
    rates = [learning_rate(1.0, "cosine", e / 10, 5) for e in range(51)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_warmup_rises_linearly_from_zero(schedule):
    kw = {"warmup_epochs": 2.0}
    assert learning_rate(0.3, schedule, 0.0, 10, **kw) == 0.0
    assert learning_rate(0.3, schedule, 0.5, 10, **kw) == pytest.approx(0.075, rel=1e-12)
    assert learning_rate(0.3, schedule, 1.0, 10, **kw) == pytest.approx(0.15, rel=1e-12)
    assert learning_rate(0.3, schedule, 1.5, 10, **kw) == pytest.approx(0.225, rel=1e-12)


def test_cosine_after_warmup_spans_the_remaining_epochs():
    kw = {"warmup_epochs": 2.0}
    assert learning_rate(0.3, "cosine", 2.0, 10, **kw) == pytest.approx(0.3, rel=1e-12)
    assert learning_rate(0.3, "cosine", 6.0, 10, **kw) == pytest.approx(0.15, rel=1e-12)
    assert learning_rate(0.3, "cosine", 10.0, 10, **kw) == pytest.approx(0.0, abs=1e-15)


def test_constant_after_warmup_is_the_base():
    assert learning_rate(0.3, "constant", 2.0, 10, warmup_epochs=2.0) == 0.3


def test_unknown_schedule_raises_and_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown schedule 'exponential'.*constant, step, cosine"):
        learning_rate(0.1, "exponential", 1.0, 10)
