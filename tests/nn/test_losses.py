"""Softmax and the fused softmax-cross-entropy: values worked by hand, stability, gradient."""

import numpy as np
import pytest

from nn.network.losses import NONE, NONE_WEIGHT, softmax, softmax_cross_entropy
from tests.nn.gradcheck import numerical_grad

# A 2x3 example worked by hand.
#   row 0: logits (1, 2, 3); e^1 = 2.718281828, e^2 = 7.389056099, e^3 = 20.085536923,
#          sum = 30.192874850, so p = (0.090030573, 0.244728471, 0.665240956).
#   row 1: logits (0, 0, 0), so p = (1/3, 1/3, 1/3).
#   labels (2, 0): loss = (-ln 0.665240956 - ln(1/3)) / 2 = (0.407605964 + 1.098612289) / 2
#                       = 0.753109126.
#   grad = (p - onehot) / 2 = row 0: (0.045015287, 0.122364236, -0.167379522),
#                             row 1: (-1/3, 1/6, 1/6).
LOGITS = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
LABELS = np.array([2, 0])
PROBS = np.array([[0.090030573, 0.244728471, 0.665240956], [1 / 3, 1 / 3, 1 / 3]])
LOSS = 0.753109126
GRAD = np.array([[0.045015287, 0.122364236, -0.167379522], [-1 / 3, 1 / 6, 1 / 6]])


def test_softmax_of_the_hand_example():
    np.testing.assert_allclose(softmax(LOGITS.copy()), PROBS, rtol=1e-8)


def test_softmax_rows_sum_to_one_and_input_is_left_alone():
    logits = np.random.default_rng(1).normal(0, 5, (20, 10)).astype(np.float32)
    before = logits.copy()

    p = softmax(logits)

    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(p >= 0)
    np.testing.assert_array_equal(logits, before)


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0],
                       [1000.0, 1000.0, -1000.0]], dtype=np.float32)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(logits)

    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], atol=1e-7)


def test_cross_entropy_equals_minus_log_of_the_hand_computed_probability():
    loss, probs, grad = softmax_cross_entropy(LOGITS, LABELS)

    assert loss == pytest.approx(LOSS, abs=1e-8)
    assert loss == pytest.approx((-np.log(PROBS[0, 2]) - np.log(PROBS[1, 0])) / 2, abs=1e-8)
    np.testing.assert_allclose(probs, PROBS, rtol=1e-8)
    np.testing.assert_allclose(grad, GRAD, rtol=1e-8)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], dtype=np.float32)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, probs, grad = softmax_cross_entropy(logits, np.array([1, 0]))

    # Row 0 gives its label probability e^-2000: loss 2000 (no log(0)); row 1 gives ln 3.
    assert loss == pytest.approx((2000 + np.log(3)) / 2, rel=1e-6)
    assert np.all(np.isfinite(probs)) and np.all(np.isfinite(grad))


def test_gradient_is_probs_minus_onehot_over_n():
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 3, (7, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 7)

    _, probs, grad = softmax_cross_entropy(logits, labels)

    onehot = np.eye(10)[labels]
    np.testing.assert_allclose(grad, (probs - onehot) / 7, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-7)


@pytest.mark.parametrize("labels", [np.array([2, 0, 3, 1, 1]), np.array([NONE, 1, NONE, 3, 0])],
                         ids=["labelled", "some of no class"])
def test_gradient_matches_finite_differences(labels):
    logits = np.random.default_rng(3).normal(0, 2, (5, 4))

    _, _, grad = softmax_cross_entropy(logits, labels)

    numeric = numerical_grad(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_does_not_modify_the_logits():
    logits = np.random.default_rng(4).normal(size=(3, 5)).astype(np.float32)
    before = logits.copy()

    softmax_cross_entropy(logits, np.array([0, 1, 2]))

    np.testing.assert_array_equal(logits, before)


def test_an_example_of_no_class_is_pulled_towards_the_uniform_distribution():
    # Row 0 labelled NONE: log sum exp (1, 2, 3) = 3.407605964, minus the mean score 2, gives
    # 1.407605964; weighted by 0.5: 0.703802982. Row 1 (label 0) as in the hand example:
    # 1.098612289. Gradient of row 0: 0.5 * (p - 1/3) / 2.
    loss, probs, grad = softmax_cross_entropy(LOGITS, np.array([NONE, 0]))

    assert NONE_WEIGHT == 0.5
    assert loss == pytest.approx((0.703802982 + 1.098612289) / 2, abs=1e-8)
    np.testing.assert_allclose(probs, PROBS, rtol=1e-8)
    np.testing.assert_allclose(grad[0], 0.25 * (PROBS[0] - 1 / 3), rtol=1e-7)
    np.testing.assert_allclose(grad[1], GRAD[1], rtol=1e-8)


def test_no_class_costs_least_when_every_class_is_as_likely():
    sure = softmax_cross_entropy(np.array([[9.0, 0.0, 0.0]]), np.array([NONE]))[0]
    torn = softmax_cross_entropy(np.array([[2.0, 2.0, 0.0]]), np.array([NONE]))[0]
    uniform = softmax_cross_entropy(np.array([[4.0, 4.0, 4.0]]), np.array([NONE]))[0]

    assert sure > torn > uniform == pytest.approx(NONE_WEIGHT * np.log(3))
