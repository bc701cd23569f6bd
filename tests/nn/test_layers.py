"""Layers: finite-difference gradient checks for every layer and for a whole model, forward
passes against plain NumPy formulas, initialisation schemes, dropout, and layer specs.

Gradient checks run in float64 (central differences with eps=1e-6), with the Dense layers'
arrays replaced by float64 copies (``params``/``grads`` list the attributes, so they follow).
"""

import numpy as np
import pytest

from nn.network.layers import (DTYPE, Dense, Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Tanh,
                               init_weights)
from nn.network.losses import softmax_cross_entropy
from nn.network.model import LAYER_TYPES, Model, build_layer
from nn.training.presets import mlp_architecture
from tests.nn.gradcheck import EPS, numerical_grad
from tests.nn.makers import NETWORKS_WITH

# --- helpers ------------------------------------------------------------------------------------

def as_float64(dense, rng=None):
    """Turn a Dense layer's arrays into float64.

    With ``rng`` the bias is made random too (zero biases would hide a wrong db)."""
    dense.W = dense.W.astype(np.float64)
    dense.b = (rng.normal(0, 0.5, dense.b.shape) if rng is not None
               else dense.b.astype(np.float64))
    dense.dW = np.zeros_like(dense.W)
    dense.db = np.zeros_like(dense.b)
    return dense


def away_from_zero(rng, shape, low=0.1, high=1.5):
    """Values whose magnitude is at least ``low``: no ReLU kink within eps of any of them."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def check_layer_gradient(layer, x, rng, training=True, before_forward=lambda: None,
                         eps=EPS, rtol=1e-6, atol=1e-8):
    """Compare layer.backward with finite differences of sum(forward(x) * R)."""
    out = layer.forward(x, training)
    r = rng.normal(size=out.shape)

    def loss():
        before_forward()
        return float(np.sum(layer.forward(x, training) * r))

    before_forward()
    layer.forward(x, training)
    dx = layer.backward(r.copy())
    analytic_params = [g.copy() for g in layer.grads]

    np.testing.assert_allclose(dx, numerical_grad(loss, x, eps), rtol=rtol, atol=atol)
    for p, g in zip(layer.params, analytic_params):
        np.testing.assert_allclose(g, numerical_grad(loss, p, eps), rtol=rtol, atol=atol)
    return dx


# --- gradient checks ----------------------------------------------------------------------------

def test_dense_gradients_for_input_weights_and_bias():
    rng = np.random.default_rng(11)
    layer = as_float64(Dense(5, 4, rng=rng), rng)
    x = rng.normal(size=(3, 5))

    check_layer_gradient(layer, x, rng)


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.1), Tanh()],
                         ids=lambda layer: type(layer).__name__)
def test_activation_gradients(layer):
    rng = np.random.default_rng(12)
    x = away_from_zero(rng, (4, 6))

    check_layer_gradient(layer, x, rng)


def test_sigmoid_gradient():
    # Sigmoid stores its output as float32 even for a float64 input, so the differences are
    # taken with a larger eps and compared with a float32-sized tolerance.
    rng = np.random.default_rng(13)
    x = rng.normal(0, 2, (4, 6))

    check_layer_gradient(Sigmoid(), x, rng, eps=1e-3, rtol=1e-3, atol=1e-5)


def test_dropout_gradient_with_a_fixed_mask_equals_the_mask_used():
    rng = np.random.default_rng(14)
    layer = Dropout(0.4)
    x = rng.normal(size=(5, 8))

    def same_mask():
        layer.rng = np.random.default_rng(99)

    dx = check_layer_gradient(layer, x, rng, training=True, before_forward=same_mask)

    keep = np.random.default_rng(99).random(x.shape, dtype=DTYPE) >= 0.4
    mask = keep / (1 - 0.4)
    assert layer.forward(x, training=False) is x
    same_mask()
    np.testing.assert_allclose(layer.forward(x, training=True), x * mask, rtol=1e-6)
    r = np.ones_like(x)
    np.testing.assert_allclose(layer.backward(r), mask, rtol=1e-6)
    assert 0 < np.count_nonzero(dx == 0) < x.size  # some dropped, some kept


def test_flatten_gradient_and_shapes():
    rng = np.random.default_rng(15)
    layer = Flatten()
    x = rng.normal(size=(2, 3, 4, 5))

    out = layer.forward(x)
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    dx = check_layer_gradient(layer, x, rng)
    assert dx.shape == x.shape
    assert layer.output_shape((1, 28, 28)) == (784,)


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu"])
def test_whole_model_gradient_with_softmax_cross_entropy(activation):
    rng = np.random.default_rng(16)
    model = Model.from_architecture(mlp_architecture((7, 6), activation=activation, n_in=5,
                                                     n_out=4), (5,), "abcd", rng=rng)
    for layer in model.layers:
        if isinstance(layer, Dense):
            as_float64(layer, rng)
    x = rng.normal(size=(6, 5))
    y = rng.integers(0, 4, 6)

    def loss():
        return softmax_cross_entropy(model.forward(x), y)[0]

    _, _, grad = softmax_cross_entropy(model.forward(x, training=True), y)
    model.backward(grad)
    analytic = [g.copy() for g in model.grads]

    assert len(analytic) == 6  # W and b of three Dense layers
    for p, g in zip(model.params, analytic):
        assert np.any(g != 0)
        np.testing.assert_allclose(g, numerical_grad(loss, p), rtol=1e-5, atol=1e-8)


# --- forward passes and the Dense interface -------------------------------------------------------

def test_dense_forward_matches_numpy_formula():
    rng = np.random.default_rng(21)
    layer = Dense(6, 3, init="uniform", rng=rng)
    x = rng.random((4, 6), dtype=np.float32)

    out = layer.forward(x)

    expected = x.astype(np.float64) @ layer.W.astype(np.float64) + layer.b.astype(np.float64)
    assert out.dtype == np.float32
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_dense_without_input_grad_returns_none_but_fills_dw_db_in_place():
    rng = np.random.default_rng(22)
    layer = Dense(6, 3, rng=rng)
    x = rng.random((4, 6), dtype=np.float32)
    g = rng.normal(size=(4, 3)).astype(np.float32)
    dW, db = layer.grads

    layer.forward(x, training=True)
    result = layer.backward(g, need_input_grad=False)

    assert result is None
    # The optimizer holds the grads list: backward must write into those very arrays.
    assert layer.grads[0] is dW and layer.grads[1] is db
    np.testing.assert_allclose(dW, x.T @ g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, g.sum(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.backward(g), g @ layer.W.T, rtol=1e-5, atol=1e-6)


def test_relu_and_leaky_relu_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], dtype=np.float32)

    np.testing.assert_array_equal(ReLU().forward(x), [[0, 0, 0, 0.5, 3.0]])
    np.testing.assert_allclose(LeakyReLU(0.1).forward(x), [[-0.2, -0.05, 0, 0.5, 3.0]], rtol=1e-6)


def test_sigmoid_is_stable_for_large_inputs_and_tanh_matches_numpy():
    x = np.array([[-1000.0, -5.0, 0.0, 5.0, 1000.0]], dtype=np.float32)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = Sigmoid().forward(x)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(s, expected, rtol=1e-6, atol=1e-30)
    assert s[0, 2] == 0.5
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x), rtol=1e-6)


# --- initialisation ------------------------------------------------------------------------------

def test_he_init_has_std_sqrt_2_over_fan_in():
    w = init_weights("he", 800, 400, (800, 400), np.random.default_rng(31))

    assert w.dtype == np.float32
    assert w.std() == pytest.approx(np.sqrt(2 / 800), rel=0.05)
    assert abs(w.mean()) < 0.05 * np.sqrt(2 / 800)


def test_glorot_init_stays_inside_its_bounds_and_fills_them():
    limit = np.sqrt(6 / (300 + 200))
    w = init_weights("glorot", 300, 200, (300, 200), np.random.default_rng(32))

    assert w.dtype == np.float32
    assert w.min() >= -limit and w.max() <= limit
    assert w.min() < -0.99 * limit and w.max() > 0.99 * limit
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)  # std of uniform(-a, a)


def test_uniform_init_is_the_notebooks_minus_half_to_half():
    w = init_weights("uniform", 784, 10, (784, 10), np.random.default_rng(33))

    assert w.dtype == np.float32
    assert w.min() >= -0.5 and w.max() < 0.5
    assert w.min() < -0.49 and w.max() > 0.49


def test_dense_biases_start_at_zero_except_for_the_notebooks_uniform_init():
    rng = np.random.default_rng(34)
    assert not Dense(10, 20, init="he", rng=rng).b.any()
    assert not Dense(10, 20, init="glorot", rng=rng).b.any()
    b = Dense(10, 20, init="uniform", rng=rng).b
    assert b.dtype == np.float32 and b.any() and b.min() >= -0.5 and b.max() < 0.5


def test_unknown_init_raises_value_error():
    with pytest.raises(ValueError, match="unknown initialisation 'zeros'"):
        init_weights("zeros", 3, 3, (3, 3), np.random.default_rng(0))


# --- dropout -------------------------------------------------------------------------------------

def test_dropout_at_inference_is_the_identity():
    x = np.random.default_rng(41).random((10, 10), dtype=np.float32)
    layer = Dropout(0.5)

    out = layer.forward(x, training=False)

    np.testing.assert_array_equal(out, x)


def test_dropout_at_rate_zero_passes_values_and_gradients_unchanged():
    x = np.random.default_rng(41).random((10, 10), dtype=np.float32)
    layer = Dropout(0.0)

    np.testing.assert_array_equal(layer.forward(x, training=True), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_in_training_keeps_the_expected_value():
    x = np.ones((500, 400), dtype=np.float32)
    layer = Dropout(0.3, rng=np.random.default_rng(42))

    out = layer.forward(x, training=True)

    assert out.mean() == pytest.approx(1.0, rel=0.02)
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_zero_to_one(rate):
    with pytest.raises(ValueError, match="dropout rate must be in"):
        Dropout(rate)


# --- specs ---------------------------------------------------------------------------------------

SPECS = [
    {"type": "Dense", "in": 12, "out": 5, "init": "he"},
    {"type": "Dense", "in": 12, "out": 5, "init": "glorot"},
    {"type": "Dense", "in": 12, "out": 5, "init": "uniform"},
    {"type": "ReLU"},
    {"type": "LeakyReLU", "slope": 0.2},
    {"type": "Sigmoid"},
    {"type": "Tanh"},
    {"type": "Dropout", "rate": 0.25},
    {"type": "Flatten"},
    {"type": "DenseWithMemory", "in": 12, "out": 5},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["type"] + s.get("init", ""))
def test_build_layer_round_trips_every_layer_type(spec):
    layer = build_layer(spec, np.random.default_rng(51))

    assert type(layer).__name__ == spec["type"]
    assert layer.spec() == spec
    again = build_layer(layer.spec(), np.random.default_rng(51))
    assert again.spec() == spec
    for a, b in zip(layer.params, again.params):
        np.testing.assert_array_equal(a, b)  # same rng seed, same initial weights


def test_build_layer_fills_defaults():
    assert build_layer({"type": "Dense", "in": 3, "out": 2}, np.random.default_rng(0)).init == "he"
    assert build_layer({"type": "Dropout"}, np.random.default_rng(0)).rate == 0.5
    assert build_layer({"type": "LeakyReLU"}, np.random.default_rng(0)).slope == 0.01


@pytest.mark.parametrize("spec", [{"type": "Conv3D"}, {"type": "dense", "in": 1, "out": 1}, {}])
def test_unknown_layer_type_raises_value_error(spec):
    with pytest.raises(ValueError, match="unknown layer type"):
        build_layer(spec, np.random.default_rng(0))


# --- inference leaves training state alone -----------------------------------------------------
# (tests/nn/makers.py has, for each layer type, a small network that holds one)

def test_every_layer_type_is_checked_below():
    assert set(NETWORKS_WITH) == set(LAYER_TYPES)


@pytest.mark.parametrize("layer_type", sorted(NETWORKS_WITH))
def test_a_prediction_between_forward_and_backward_leaves_the_gradient_unchanged(layer_type):
    input_shape, specs = NETWORKS_WITH[layer_type]
    rng = np.random.default_rng(61)
    x = rng.normal(size=(4, *input_shape)).astype(np.float32)
    other = rng.normal(size=(5, *input_shape)).astype(np.float32)  # another batch size, too
    y = np.array([0, 1, 2, 3])

    def gradients(predict_in_between):
        model = Model.from_architecture(specs, input_shape, "abcd", rng=np.random.default_rng(62))
        _, _, grad = softmax_cross_entropy(model.forward(x, training=True), y)
        if predict_in_between:
            model.predict(other)
        model.backward(grad)
        return [g.copy() for g in model.grads]

    for undisturbed, disturbed in zip(gradients(False), gradients(True)):
        np.testing.assert_array_equal(disturbed, undisturbed)
