"""Optimizers: single steps against numbers worked by hand, Adam against a textbook version,
weight decay on matrices only, and saving/restoring running state."""

import numpy as np
import pytest

from nn.network.optim import OPTIMIZERS, SGD, Adam, AdamW, GradientDescent

F64 = np.float64


def arrays(*values):
    return [np.array(v, dtype=F64) for v in values]


# --- gradient descent ----------------------------------------------------------------------------

def test_gradient_descent_one_step_by_hand():
    W, b = arrays([[1.0, -2.0], [0.5, 4.0]], [1.0, -1.0])
    gW, gb = arrays([[0.5, -1.0], [2.0, 0.0]], [0.25, -0.5])
    opt = GradientDescent([W, b], [gW, gb])

    opt.step(0.1)

    # W - 0.1 * gW = [[1 - 0.05, -2 + 0.1], [0.5 - 0.2, 4 - 0]]
    np.testing.assert_allclose(W, [[0.95, -1.9], [0.3, 4.0]], rtol=1e-12)
    # b - 0.1 * gb = [1 - 0.025, -1 + 0.05]
    np.testing.assert_allclose(b, [0.975, -0.95], rtol=1e-12)
    assert opt.t == 1


def test_gradient_descent_weight_decay_applies_to_matrices_not_biases():
    W, b = arrays([[1.0, -2.0], [0.5, 4.0]], [1.0, -1.0])
    gW, gb = arrays([[0.5, -1.0], [2.0, 0.0]], [0.25, -0.5])
    opt = GradientDescent([W, b], [gW, gb], weight_decay=0.5)

    opt.step(0.1)

    # W - 0.1 * (gW + 0.5 W) = W - 0.1 gW - 0.05 W
    #   [[1 - 0.05 - 0.05, -2 + 0.1 + 0.1], [0.5 - 0.2 - 0.025, 4 - 0 - 0.2]]
    np.testing.assert_allclose(W, [[0.9, -1.8], [0.275, 3.8]], rtol=1e-12)
    # The bias is not decayed: same as without weight decay.
    np.testing.assert_allclose(b, [0.975, -0.95], rtol=1e-12)


def test_gradient_descent_updates_in_place_and_leaves_gradients_alone():
    W, = arrays([[1.0, 2.0]])
    g, = arrays([[1.0, 1.0]])
    opt = GradientDescent([W], [g], weight_decay=0.1)
    original = W

    opt.step(0.5)

    assert opt.params[0] is original
    np.testing.assert_array_equal(g, [[1.0, 1.0]])


# --- SGD with momentum --------------------------------------------------------------------------

def test_sgd_momentum_two_steps_velocity_accumulates():
    p, = arrays([1.0, -1.0])
    g, = arrays([0.5, -0.2])
    opt = SGD([p], [g], momentum=0.9)

    opt.step(0.1)
    # v1 = g1 = [0.5, -0.2];  p1 = p0 - 0.1 v1 = [0.95, -0.98]
    np.testing.assert_allclose(p, [0.95, -0.98], rtol=1e-12)
    np.testing.assert_allclose(opt.state["velocity"][0], [0.5, -0.2], rtol=1e-12)

    np.copyto(g, [0.25, 0.4])
    opt.step(0.1)
    # v2 = 0.9 v1 + g2 = [0.45 + 0.25, -0.18 + 0.4] = [0.7, 0.22]
    # p2 = p1 - 0.1 v2 = [0.95 - 0.07, -0.98 - 0.022] = [0.88, -1.002]
    np.testing.assert_allclose(opt.state["velocity"][0], [0.7, 0.22], rtol=1e-12)
    np.testing.assert_allclose(p, [0.88, -1.002], rtol=1e-12)


def test_sgd_nesterov_two_steps_by_hand():
    p, = arrays([1.0, -1.0])
    g, = arrays([0.5, -0.2])
    opt = SGD([p], [g], momentum=0.9, nesterov=True)

    opt.step(0.1)
    # v1 = [0.5, -0.2];  p1 = p0 - 0.1 (g1 + 0.9 v1) = [1 - 0.1 * 0.95, -1 - 0.1 * (-0.38)]
    np.testing.assert_allclose(p, [0.905, -0.962], rtol=1e-12)

    np.copyto(g, [0.25, 0.4])
    opt.step(0.1)
    # v2 = [0.7, 0.22];  p2 = p1 - 0.1 (g2 + 0.9 v2) = [0.905 - 0.1 * 0.88, -0.962 - 0.1 * 0.598]
    np.testing.assert_allclose(p, [0.817, -1.0218], rtol=1e-12)


def test_sgd_weight_decay_on_matrix_only():
    W, b = arrays([[2.0]], [2.0])
    gW, gb = arrays([[0.5]], [0.5])
    opt = SGD([W, b], [gW, gb], momentum=0.9, weight_decay=0.1)

    opt.step(0.1)

    # W: g' = 0.5 + 0.1 * 2 = 0.7 = v;  W = 2 - 0.07.   b: v = 0.5;  b = 2 - 0.05.
    np.testing.assert_allclose(W, [[1.93]], rtol=1e-12)
    np.testing.assert_allclose(b, [1.95], rtol=1e-12)


# --- Adam -----------------------------------------------------------------------------------------

def test_adam_first_step_moves_each_param_by_about_lr_times_sign_of_g():
    p, = arrays([1.0, 1.0, 1.0, 1.0])
    g, = arrays([0.5, -2.0, 1e-3, -30.0])
    lr, eps, beta2 = 0.01, 1e-8, 0.999
    opt = Adam([p], [g], eps=eps, beta2=beta2)

    opt.step(lr)

    # t = 1: m = 0.1 g, v = 0.001 g^2, step size lr * sqrt(0.001) / 0.1, so the step is
    # lr * 0.1 g * sqrt(0.001) / (0.1 (sqrt(0.001) |g| + eps)) = lr * g / (|g| + eps / sqrt(0.001)).
    step = 1.0 - p
    np.testing.assert_allclose(step, lr * g / (np.abs(g) + eps / np.sqrt(1 - beta2)), rtol=1e-10)
    np.testing.assert_allclose(step, lr * np.sign(g), rtol=1e-3)


def textbook_adam(params, grads_per_step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                  weight_decay=0.0, decoupled=False):
    """Adam as in Kingma & Ba, Algorithm 1 (bias-corrected m_hat, v_hat), with L2 decay added
    to the gradient or decoupled (AdamW), for matrices only."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        for i, (p, g) in enumerate(zip(params, grads)):
            decay = weight_decay if p.ndim > 1 else 0.0
            if not decoupled:
                g = g + decay * p
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1 ** t)
            v_hat = v[i] / (1 - beta2 ** t)
            if decoupled:
                p -= lr * decay * p
            p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


@pytest.mark.parametrize("weight_decay, decoupled", [(0.0, False), (0.1, False), (0.1, True)],
                         ids=["plain", "l2", "decoupled"])
def test_adam_three_steps_match_a_textbook_implementation(weight_decay, decoupled):
    rng = np.random.default_rng(7)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    # Gradients of magnitude >= 0.1, where eps's exact placement cannot matter at 1e-6.
    grad_steps = [[rng.uniform(0.1, 2, s) * rng.choice([-1, 1], s) for s in ((3, 4), (4,))]
                  for _ in range(3)]
    expected = textbook_adam([W, b], grad_steps, 0.05, weight_decay=weight_decay,
                             decoupled=decoupled)
    gW, gb = np.zeros_like(W), np.zeros_like(b)
    opt = Adam([W, b], [gW, gb], weight_decay=weight_decay, decoupled=decoupled)

    for gradW, gradb in grad_steps:
        np.copyto(gW, gradW)
        np.copyto(gb, gradb)
        opt.step(0.05)

    np.testing.assert_allclose(W, expected[0], rtol=1e-6)
    np.testing.assert_allclose(b, expected[1], rtol=1e-6)
    assert opt.t == 3


def test_adamw_one_step_decoupled_decay_by_hand():
    W, b = arrays([[2.0]], [2.0])
    gW, gb = arrays([[0.5]], [0.5])
    opt = AdamW([W, b], [gW, gb], weight_decay=0.1)

    opt.step(0.1)

    # Decay first, straight on the weight: W = 2 (1 - 0.1 * 0.1) = 1.98; then the Adam step,
    # 0.1 * 0.5 / (0.5 + 1e-8 / sqrt(0.001)) = 0.0999999368, gives W = 1.8800000632.
    np.testing.assert_allclose(W, [[1.98 - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(0.001))]], rtol=1e-12)
    assert W[0, 0] == pytest.approx(1.88, abs=1e-7)
    # The bias gets only the Adam step: 2 - 0.0999999368.
    assert b[0] == pytest.approx(1.90, abs=1e-7)
    assert opt.config() == {"name": "adamw", "weight_decay": 0.1, "beta1": 0.9,
                            "beta2": 0.999, "eps": 1e-8}


def test_adamw_decay_differs_from_adam_l2_decay():
    # Same numbers with L2 decay inside Adam: g' = 0.5 + 0.2 = 0.7, and the first Adam step is
    # still ~lr * sign(g'), so W = 2 - 0.1 = 1.9: the decay is swallowed by Adam's scaling.
    W, = arrays([[2.0]])
    g, = arrays([[0.5]])
    Adam([W], [g], weight_decay=0.1).step(0.1)
    assert W[0, 0] == pytest.approx(1.9, abs=1e-6)


# --- configuration and running state ------------------------------------------------------------

def test_config_names_and_settings():
    p, g = arrays([[1.0]], [[1.0]])
    assert GradientDescent([p], [g]).config() == {"name": "gd", "weight_decay": 0.0}
    assert SGD([p], [g], momentum=0.8, nesterov=True).config() == {
        "name": "sgd", "weight_decay": 0.0, "momentum": 0.8, "nesterov": True}
    assert Adam([p], [g]).config()["name"] == "adam"
    assert set(OPTIMIZERS) == {"gd", "sgd", "adam", "adamw"}


def test_state_arrays_are_named_per_param():
    p1, p2 = np.zeros((2, 3), np.float32), np.zeros(3, np.float32)
    g1, g2 = np.zeros_like(p1), np.zeros_like(p2)

    assert GradientDescent([p1, p2], [g1, g2]).state_arrays() == {}
    assert sorted(SGD([p1, p2], [g1, g2]).state_arrays()) == ["velocity.0", "velocity.1"]
    state = Adam([p1, p2], [g1, g2]).state_arrays()
    assert sorted(state) == ["m.0", "m.1", "v.0", "v.1"]
    assert state["m.0"].shape == (2, 3) and state["v.1"].shape == (3,)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_round_trip_resumes_identically(name):
    rng = np.random.default_rng(8)
    W0, b0 = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    grad_steps = [(rng.normal(size=(3, 4)).astype(np.float32),
                   rng.normal(size=4).astype(np.float32)) for _ in range(6)]
    kwargs = {"weight_decay": 0.01}

    def run(opt, steps):
        gW, gb = opt.grads
        for gradW, gradb in steps:
            np.copyto(gW, gradW)
            np.copyto(gb, gradb)
            opt.step(0.01)

    def fresh(W, b):
        W, b = W.copy(), b.copy()
        return OPTIMIZERS[name]([W, b], [np.zeros_like(W), np.zeros_like(b)], **kwargs)

    uninterrupted = fresh(W0, b0)
    run(uninterrupted, grad_steps)

    first = fresh(W0, b0)
    run(first, grad_steps[:3])
    saved = {k: a.copy() for k, a in first.state_arrays().items()}  # as if written to a file
    saved_t = first.t
    resumed = fresh(*first.params)
    resumed.load_state_arrays(saved, saved_t)
    run(resumed, grad_steps[3:])

    assert resumed.t == uninterrupted.t == 6
    for a, b in zip(resumed.params, uninterrupted.params):
        np.testing.assert_array_equal(a, b)

    if saved:  # a restart without the state really does end elsewhere
        restarted = fresh(*first.params)
        run(restarted, grad_steps[3:])
        assert not np.array_equal(restarted.params[0], uninterrupted.params[0])
