"""One traced gradient-descent step of the notebook's network: the arrays it keeps are the
ones training computes, its gradients agree with finite differences, and it lowers the loss."""

import numpy as np
import pytest

from nn.network.losses import softmax_cross_entropy
from nn.network.model import Model
from nn.training.one_step import notebook_layers, trace_step
from nn.training.presets import PRESETS, mlp_architecture
from nn.training.train import TrainConfig, train
from tests.nn.gradcheck import numerical_grad

M = 5
LEARNING_RATE = 0.1


def notebook_model(seed=3):
    return Model.from_architecture(PRESETS["notebook"].architecture,
                                   rng=np.random.default_rng(seed))


def batch(m=M, seed=4):
    rng = np.random.default_rng(seed)
    return rng.random((m, 784), dtype=np.float32), rng.integers(0, 10, m)


def test_every_array_has_the_shape_of_its_quantity():
    x, y = batch()
    t = trace_step(notebook_model(), x, y, LEARNING_RATE)
    shapes = {"x": (M, 784), "z1": (M, 10), "relu_mask": (M, 10), "a1": (M, 10),
              "z2": (M, 10), "a2": (M, 10), "dz2": (M, 10), "da1": (M, 10), "dz1": (M, 10),
              "w1": (784, 10), "dw1": (784, 10), "new_w1": (784, 10), "b1": (10,),
              "db1": (10,), "w2": (10, 10), "dw2": (10, 10), "b2": (10,), "db2": (10,),
              "a2_after": (M, 10)}
    assert {name: getattr(t, name).shape for name in shapes} == shapes
    assert t.relu_mask.dtype == bool and np.allclose(t.a2.sum(axis=1), 1.0)


def test_the_arrays_are_the_ones_the_training_loop_computes():
    """The same batch through `train` (one full-batch epoch of gradient descent) on a copy of
    the model ends at the traced step's new weights, and the model's own forward gives the
    traced probabilities and loss."""
    x, y = batch()
    model = notebook_model()
    twin = model.weights_copy()
    loss, probs, _ = softmax_cross_entropy(model.forward(x), y)
    t = trace_step(model, x, y, LEARNING_RATE)
    np.testing.assert_allclose(t.a2, probs, rtol=1e-6)
    assert t.loss == pytest.approx(loss, rel=1e-6)
    train(twin, x, y, TrainConfig(epochs=1, batch_size=0, optimizer="gd",
                                  learning_rate=LEARNING_RATE, validation_size=0))
    for traced, trained in zip((t.new_w1, t.new_b1, t.new_w2, t.new_b2), twin.params):
        np.testing.assert_allclose(traced, trained, rtol=1e-5, atol=1e-6)
    for traced, now in zip((t.new_w1, t.new_b1, t.new_w2, t.new_b2), model.params):
        np.testing.assert_array_equal(traced, now)   # the model itself took the step


def test_the_weight_gradients_agree_with_finite_differences():
    x, y = batch(m=3)
    model = Model.from_architecture(PRESETS["notebook"].architecture,
                                    rng=np.random.default_rng(5))
    t = trace_step(model.weights_copy(), x, y, LEARNING_RATE)
    # float64 copies of the weights before the step, nudged one element at a time.
    w1, b1, w2, b2 = (a.astype(np.float64) for a in (t.w1, t.b1, t.w2, t.b2))
    x64 = x.astype(np.float64)

    def loss():
        scores = np.maximum(x64 @ w1 + b1, 0) @ w2 + b2
        return softmax_cross_entropy(scores, y)[0]

    np.testing.assert_allclose(t.dw2, numerical_grad(loss, w2), atol=1e-4)
    np.testing.assert_allclose(t.db2, numerical_grad(loss, b2), atol=1e-4)
    np.testing.assert_allclose(t.db1, numerical_grad(loss, b1), atol=1e-4)
    # dW1 has 7,840 elements: check the rows of the 60 brightest pixels of the batch.
    rows = np.argsort(x.sum(axis=0))[-60:]
    sub = w1[rows]

    def loss_of_rows():
        w1[rows] = sub
        return loss()

    np.testing.assert_allclose(t.dw1[rows], numerical_grad(loss_of_rows, sub), atol=1e-4)


def test_the_relu_mask_says_which_hidden_units_passed_gradient():
    x, y = batch()
    t = trace_step(notebook_model(), x, y, LEARNING_RATE)
    assert 0 < t.relu_mask.sum() < t.relu_mask.size   # some units on, some off
    assert np.all(t.dz1[~t.relu_mask] == 0) and np.all(t.a1[~t.relu_mask] == 0)
    np.testing.assert_array_equal(t.dz1[t.relu_mask], t.da1[t.relu_mask])


def test_a_step_lowers_the_loss_of_its_batch():
    # A step against the gradient lowers the loss when it is small enough; 0.1 (the
    # notebook's) overshoots now and then on these dense random images, 0.01 never here.
    x, y = batch()
    model = notebook_model()
    losses = [trace_step(model, x, y, 0.01) for _ in range(10)]
    assert all(t.loss_after < t.loss for t in losses)
    assert losses[-1].loss_after < 0.8 * losses[0].loss
    assert losses[1].loss == pytest.approx(losses[0].loss_after, rel=1e-6)


def test_another_architecture_is_refused_with_what_it_is():
    model = Model.from_architecture(mlp_architecture((16, 8)))
    with pytest.raises(ValueError, match="Dense > ReLU > Dense > ReLU > Dense, not the notebook"):
        notebook_layers(model)
