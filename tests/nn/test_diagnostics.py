"""What each layer did in a training step (nn.network.diagnostics), and step-by-step training,
on cases worked out by hand."""

import copy
import threading

import numpy as np
import pytest

from nn.network.layers import Dense
from nn.network.model import Model
from nn.training.presets import cnn_architecture, mlp_architecture
from nn.training.progress import BatchProgress
from nn.training.train import TrainConfig, batch_gradient, train

N_IN = 12


def problem(n=64, seed=0, n_in=N_IN):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in), dtype=np.float32), rng.integers(0, 10, n)


def mlp(hidden=(8, 6), activation="relu", seed=0):
    return Model.from_architecture(mlp_architecture(hidden, activation, n_in=N_IN), (N_IN,),
                                   rng=np.random.default_rng(seed))


def batch_stats(model, x, y, **config):
    """The LayerStats of every batch of a run of ``model`` on (x, y)."""
    records = []
    config = TrainConfig(**({"epochs": 1, "batch_size": 0, "optimizer": "gd",
                             "learning_rate": 0.5, "validation_size": 0} | config))
    train(model, x, y, config, on_progress=records.append)
    return [r.layers for r in records if isinstance(r, BatchProgress)]


def test_a_relu_layer_with_a_very_negative_bias_is_all_dead_and_learns_nothing():
    model, (x, y) = mlp(), problem()
    model.layers[0].b[:] = -100.0     # inputs are in [0, 1): every pre-activation is negative
    first = model.layers[0].W.copy()
    [stats] = batch_stats(model, x, y)
    assert stats.names == ("Dense 1", "Dense 2", "Dense 3")
    assert stats.relu_names == ("Dense 1", "Dense 2")
    assert stats.dead_units[0] == stats.relu_units[0] == 8
    # Nothing reaches the second hidden layer but its own biases: all its units get the
    # same input per unit for every example, so each is either dead for all or for none.
    assert stats.relu_units[1] == 6
    # No gradient flows back through dead units: the first layer neither gets one nor moves.
    assert stats.gradient_norms[0] == 0.0 and stats.update_ratios[0] == 0.0
    np.testing.assert_array_equal(model.layers[0].W, first)
    assert stats.gradient_norms[2] > 0


def test_one_dead_unit_is_counted_once():
    model, (x, y) = mlp(), problem()
    model.layers[0].b[3] = -100.0
    model.layers[0].b[[0, 1, 2, 4, 5, 6, 7]] = 100.0   # always on
    [stats] = batch_stats(model, x, y)
    assert stats.dead_units[0] == 1
    # How often each unit fires: the dead one never (first bin), the seven others always.
    counts = stats.active_counts[0]
    assert counts[0] == 1 and counts[-1] == 7 and counts.sum() == 8


def test_how_often_units_fire_is_counted_per_unit_over_the_batch():
    model, (x, y) = mlp(hidden=(4,)), problem(n=40)
    layer = model.layers[0]
    layer.W[:] = 0
    layer.W[0, :] = [1, 1, 1, 1]
    layer.b[:] = [-0.25, -0.5, -0.75, -2.0]   # unit k fires when x[:, 0] > its threshold
    x[:, 0] = (np.arange(40) + 0.5) / 40
    [stats] = batch_stats(model, x, y, learning_rate=0.0)
    # Unit 0 fires for 3/4 of the examples (x > 0.25), unit 1 for half, unit 2 for a
    # quarter, unit 3 never: one unit in each of the bins of 0.75, 0.5, 0.25 and 0.
    counts = stats.active_counts[0]
    assert counts.sum() == 4
    assert [int(i) for i in np.flatnonzero(counts)] == [0, 5, 10, 15]


def test_gradient_norms_and_update_ratios_match_the_gradient_computed_directly():
    model, (x, y) = mlp(activation="sigmoid"), problem()
    twin = copy.deepcopy(model)
    batch_gradient(twin, x, y)   # the full batch's gradient, outside the training loop
    before = [layer.W.copy() for layer in twin.layers if isinstance(layer, Dense)]
    [stats] = batch_stats(model, x, y, learning_rate=0.5)
    dense = [(a, b) for a, b in zip(twin.layers, model.layers) if isinstance(a, Dense)]
    for i, (direct, trained) in enumerate(dense):
        grad = np.concatenate([direct.dW.ravel(), direct.db.ravel()])
        assert stats.gradient_norms[i] == pytest.approx(np.linalg.norm(grad), rel=1e-5)
        # The weights really moved by the ratio shown.
        delta = np.concatenate([(trained.W - direct.W).ravel(), (trained.b - direct.b).ravel()])
        weights = np.concatenate([direct.W.ravel(), direct.b.ravel()])
        assert stats.update_ratios[i] == pytest.approx(
            np.linalg.norm(delta) / np.linalg.norm(weights), rel=1e-4)
        np.testing.assert_array_equal(direct.W, before[i])
    assert stats.relu_names == () and stats.dead_units == ()


def test_deep_sigmoid_networks_have_vanishing_gradients():
    model, (x, y) = mlp(hidden=(32,) * 8, activation="sigmoid"), problem(256)
    [stats] = batch_stats(model, x, y)
    assert stats.gradient_norms[0] < stats.gradient_norms[-1] / 1000


def test_a_convolution_channel_is_one_unit_and_the_batch_parts_count_together():
    specs = cnn_architecture((4,), kernel=3, dense=(5,), input_shape=(1, 8, 8))
    model = Model.from_architecture(specs, (1, 8, 8), rng=np.random.default_rng(0))
    model.layers[0].b[1] = -100.0
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 64), dtype=np.float32), rng.integers(0, 10, 64)
    stats = batch_stats(model, x, y, batch_size=64)   # split over the cores when there are some
    assert stats[0].relu_names == ("Conv2D 1", "Dense 2")
    assert stats[0].relu_units == (4, 5)
    assert stats[0].dead_units[0] == 1


def test_step_tokens_let_exactly_one_batch_through_each_while_paused():
    model, (x, y) = mlp(), problem(256)
    pause, stop, step = threading.Event(), threading.Event(), threading.Semaphore(0)
    pause.set()
    batches, done = [], threading.Event()

    def on_progress(record):
        if isinstance(record, BatchProgress):
            batches.append(record)
            done.set()

    config = TrainConfig(epochs=1, batch_size=16, validation_size=0)
    runner = threading.Thread(target=train, args=(model, x, y, config, on_progress, stop, pause),
                              kwargs={"step": step})
    runner.start()
    try:
        for expected in (1, 2):
            done.clear()
            step.release()
            assert done.wait(10)
            threading.Event().wait(0.2)   # time enough for a third batch, were one allowed
            assert len(batches) == expected
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert len(batches) == 2


def test_a_run_measures_its_first_batch_and_every_epochs_last_one():
    # Measured at most every EVERY_SECONDS, a run shorter than that would otherwise show one
    # batch's layers only: each epoch's last batch is measured too.
    model, (x, y) = mlp(), problem(n=200)
    records = []
    config = TrainConfig(epochs=3, batch_size=10, optimizer="gd", learning_rate=0.1,
                         validation_size=0)
    train(model, x, y, config, on_progress=records.append)
    batches = [r for r in records if isinstance(r, BatchProgress)]
    assert len(batches) == 3 * 20
    assert batches[0].layers is not None
    assert all(batches[k * 20 - 1].layers is not None for k in (1, 2, 3))
    measured = [b.layers for b in batches if b.layers is not None]
    assert all(stats.names == ("Dense 1", "Dense 2", "Dense 3") for stats in measured)
