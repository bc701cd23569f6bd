"""Saliency maps: the input gradient against finite differences for every layer type and for
whole networks, integrated gradients' completeness on a CNN whose pooling windows tie, occlusion
on a model whose answer is known, and none of them touching the model."""

import numpy as np
import pytest

from nn.network.layers import DTYPE, Dropout, Sigmoid
from nn.network.losses import softmax, softmax_cross_entropy
from nn.network.model import Model
from nn.training.presets import cnn_architecture, mlp_architecture
from nn.network.saliency import input_gradient, integrated_gradients, occlusion
from tests.nn.gradcheck import EPS, numerical_grad
from tests.nn.makers import NETWORKS_WITH


def in_float64(model):
    """The model with float64 parameters (and gradients), so finite differences are accurate."""
    for layer in model.layers:
        for name in layer.param_names:
            setattr(layer, name, getattr(layer, name).astype(np.float64))
            setattr(layer, "d" + name, np.zeros_like(getattr(layer, name)))
    return model


def check_input_gradient(model, x, class_index, eps=EPS, rtol=1e-5, atol=1e-9):
    """input_gradient against central differences of log p[class_index] of the prediction."""
    def predict():
        return model.probabilities(model.forward(x.reshape((1,) + model.input_shape)))[0]

    def log_p():
        return float(np.log(predict()[class_index]))

    grad, probs = input_gradient(model, x, class_index)
    assert grad.shape == x.shape
    assert np.any(grad != 0)
    np.testing.assert_allclose(probs, predict(), rtol=1e-6)
    np.testing.assert_allclose(grad, numerical_grad(log_p, x, eps), rtol=rtol, atol=atol)
    return grad


@pytest.mark.parametrize("layer_type", sorted(NETWORKS_WITH))
def test_input_gradient_matches_finite_differences_through_every_layer_type(layer_type):
    input_shape, specs = NETWORKS_WITH[layer_type]
    rng = np.random.default_rng(71)
    model = in_float64(Model.from_architecture(specs, input_shape, "abcd", rng=rng))
    x = rng.uniform(0.1, 1.0, input_shape) * rng.choice([-1.0, 1.0], input_shape)
    # Sigmoid keeps its output in float32, so its differences need a float32-sized step.
    loose = any(isinstance(layer, Sigmoid) for layer in model.layers)
    for class_index in range(4):
        check_input_gradient(model, x, class_index,
                             **({"eps": 1e-3, "rtol": 2e-3, "atol": 1e-5} if loose else {}))


def test_dropout_is_the_identity_in_the_input_gradient():
    # Were the map taken through a dropped-out pass, half the first layer's outputs would be
    # missing and the map would differ from the one without the Dropout layer.
    input_shape, specs = NETWORKS_WITH["Dropout"]
    rng = np.random.default_rng(72)
    with_dropout = Model.from_architecture(specs, input_shape, "abcd", rng=rng)
    without = Model([layer for layer in with_dropout.layers if not isinstance(layer, Dropout)],
                    input_shape, "abcd")
    x = rng.normal(size=input_shape).astype(DTYPE)

    np.testing.assert_array_equal(input_gradient(with_dropout, x, 2)[0],
                                  input_gradient(without, x, 2)[0])


def test_whole_mlp_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(73)
    specs = mlp_architecture((16, 12), activation="tanh", n_in=64, n_out=10, dropout=0.3)
    model = in_float64(Model.from_architecture(specs, (64,), rng=rng))
    x = rng.random((8, 8))  # an image: the gradient comes back in its shape

    for class_index in (0, 7):
        check_input_gradient(model, x, class_index)


def test_a_calibrated_model_s_map_is_of_its_calibrated_log_probability():
    # The map and the probabilities beside it are those the app shows: softmax(scores / T).
    rng = np.random.default_rng(75)
    specs = mlp_architecture((16,), n_in=64, n_out=10)
    model = in_float64(Model.from_architecture(specs, (64,), rng=rng))
    x = rng.random((8, 8))
    plain = input_gradient(model, x, 4)[0]
    model.set_calibration(2.5, 0.5)

    calibrated = check_input_gradient(model, x, 4)
    assert not np.allclose(calibrated, plain)


def test_small_cnn_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(74)
    specs = cnn_architecture(channels=(3, 4), kernel=3, dense=(8,), dropout=0.5,
                             input_shape=(1, 12, 12))
    model = in_float64(Model.from_architecture(specs, (1, 12, 12), rng=rng))
    x = rng.random((12, 12))

    assert {type(layer).__name__ for layer in model.layers} >= {
        "Conv2D", "MaxPool2D", "ReLU", "Flatten", "Dense", "Dropout"}
    for class_index in (3, 9):
        check_input_gradient(model, x, class_index)


def test_the_map_of_a_class_the_model_is_all_but_sure_of_does_not_vanish():
    # p_c = 1 - 4e-17: 1 - p_c is 0 in float64, yet the other classes still pull the map.
    rng = np.random.default_rng(75)
    model = Model.from_architecture([{"type": "Dense", "in": 16, "out": 10}], (16,), rng=rng)
    x = np.zeros(16, dtype=DTYPE)
    directions = []
    for margin in (5.0, 40.0):
        model.layers[0].b[:] = 0
        model.layers[0].b[3] = margin
        grad, probs = input_gradient(model, x, 3)
        assert probs[3] > 0.9
        directions.append(grad / np.linalg.norm(grad))
    # With the other classes tied, the direction does not depend on how sure the model is.
    np.testing.assert_allclose(directions[1], directions[0], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layer_type", sorted(NETWORKS_WITH))
def test_maps_leave_parameters_gradients_and_saved_state_untouched(layer_type):
    input_shape, specs = NETWORKS_WITH[layer_type]
    rng = np.random.default_rng(76)
    # One example, as the map's own pass: a buffer shared with the map would be overwritten.
    x = rng.normal(size=(1, *input_shape)).astype(DTYPE)
    y = np.array([3])
    # As an image: (1, 6) for the dense networks (no patch fits: one inference pass), (6, 6).
    image = rng.random(input_shape).astype(DTYPE).reshape(-1, 6)

    def after_a_training_step(explain_in_between):
        model = Model.from_architecture(specs, input_shape, "abcd", rng=np.random.default_rng(77))
        _, _, grad = softmax_cross_entropy(model.forward(x, training=True), y)
        saved = [dict(vars(layer)) for layer in model.layers]
        params = [p.copy() for p in model.params]
        if explain_in_between:
            input_gradient(model, image, 1)
            occlusion(model, image, [2])
            integrated_gradients(model, image, [0, 3], steps=4)
        for layer, before in zip(model.layers, saved):
            assert vars(layer).keys() == before.keys()
            for name, value in vars(layer).items():
                assert value is before[name], f"{type(layer).__name__}.{name} was replaced"
        for p, before in zip(model.params, params):
            np.testing.assert_array_equal(p, before)
        model.backward(grad)
        # A dropout layer's stream must be where training left it, for the next batch's mask.
        return [g.copy() for g in model.grads] + [model.forward(x, training=True)]

    for undisturbed, disturbed in zip(after_a_training_step(False), after_a_training_step(True)):
        np.testing.assert_array_equal(disturbed, undisturbed)


def test_occlusion_is_positive_on_ink_for_the_class_and_negative_on_ink_against_it():
    # Class 1 reads ink in the top-left corner as for it and in the bottom-right one as
    # against it; class 0 reads nothing.
    weights = np.zeros((28, 28))
    weights[:10, :10] = 0.5
    weights[18:, 18:] = -0.5
    model = Model.from_architecture([{"type": "Dense", "in": 784, "out": 2}], (784,), "01")
    model.layers[0].W[:, 1] = weights.ravel()
    model.layers[0].W[:, 0] = 0
    image = np.zeros((28, 28), dtype=DTYPE)
    image[3:7, 3:7] = 1      # ink for class 1
    image[21:25, 21:25] = 1  # ink against it
    image[3:7, 21:25] = 1    # ink that does not matter

    drop, drop_other = occlusion(model, image, [1, 0])

    assert drop.shape == (28, 28)
    assert drop[3:7, 3:7].min() > 0.01
    assert drop[21:25, 21:25].max() < -0.01
    np.testing.assert_allclose(drop[:, 14:][:10], 0, atol=1e-6)
    assert np.all(drop[13:16] == 0)  # erasing empty paper changes nothing
    # Of two classes, one gains what the other loses.
    np.testing.assert_allclose(drop_other, -drop, atol=1e-6)


def cnn_with_tied_pools(rng):
    """A small float64 CNN whose convolutions have positive biases: on blank paper every 2x2
    pooling window holds the same value (the bias) four times, and the ReLUs let it through."""
    specs = cnn_architecture(channels=(3, 4), kernel=3, dense=(8,), input_shape=(1, 12, 12))
    model = in_float64(Model.from_architecture(specs, (1, 12, 12), rng=rng))
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            layer.b[:] = rng.uniform(0.2, 0.5, layer.b.shape)
    return model


def log_probs(model, x):
    scores = model.forward(x.reshape((1,) + model.input_shape)).astype(np.float64)
    return np.log(softmax(scores / model.temperature))[0]


def test_integrated_gradients_add_up_to_the_change_of_log_probability_despite_tied_pools():
    rng = np.random.default_rng(78)
    model = cnn_with_tied_pools(rng)
    x = np.zeros((12, 12))
    x[2:10, 5:8] = rng.uniform(0.5, 1.0, (8, 3))  # a stroke; the rest is blank: ties stay
    blank = log_probs(model, np.zeros_like(x))
    convolved = model.layers[0].forward(np.zeros((1, 1, 12, 12)))
    assert np.all(convolved == convolved[..., :1, :1])  # every pooling window ties, at > 0

    want = log_probs(model, x) - blank
    for steps, tolerance in ((16, 0.05), (256, 0.002)):
        shares, change = integrated_gradients(model, x, [2, 7], steps=steps)
        np.testing.assert_allclose(change, want[[2, 7]], rtol=1e-9)
        # Completeness: the pixels' shares add up to the change from the blank pad.
        np.testing.assert_allclose(shares.sum(axis=(1, 2)), change,
                                   rtol=tolerance, atol=tolerance * np.abs(change).max())
    assert shares.shape == (2, 12, 12)
    assert np.all(shares[:, x == 0] == 0)  # paper that stayed blank changed nothing
    assert np.all(shares[:, x > 0] != 0)
