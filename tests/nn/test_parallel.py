"""Data parallelism: batch parts on their own threads give the whole batch's gradient."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import nn.network.parallel
from nn.ink.augment import Augmentation
from nn.network.layers import Dropout
from nn.network.losses import NONE
from nn.network.model import Model
from nn.network.optim import Adam
from nn.network.parallel import DataParallel, parts_for, replica
from nn.training.presets import cnn_architecture, mlp_architecture
from nn.training.train import (TrainConfig, augmented_gradient, batch_gradient, evaluate,
                               evaluate_in_parts, train)

SHAPE = (1, 28, 28)


def small_cnn(seed=0, dropout=0.0):
    specs = cnn_architecture((4, 6), kernel=3, dense=(16,), dropout=dropout, input_shape=SHAPE)
    return Model.from_architecture(specs, SHAPE, rng=np.random.default_rng(seed))


def random_batch(n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, *SHAPE), dtype=np.float32), rng.integers(0, 10, n)


def plain_gradient(model, x, y, rng):
    return batch_gradient(model, x, y)


@pytest.mark.parametrize("n, parts", [(64, 2), (67, 3), (1, 2), (2, 3)])
def test_the_parts_together_give_the_whole_batch_gradient(n, parts):
    x, y = random_batch(n)
    whole, split = small_cnn(), small_cnn()
    loss, correct = batch_gradient(whole, x, y)
    with DataParallel(split, parts, np.random.default_rng(0)) as parallel:
        split_loss, split_correct = parallel.gradient(plain_gradient, x, y)
    assert split_loss == pytest.approx(loss, rel=1e-5)
    assert split_correct == correct
    for g_whole, g_split in zip(whole.grads, split.grads):
        np.testing.assert_allclose(g_split, g_whole, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("n, parts, none", [(101, 2, 0), (67, 3, 0), (1, 2, 0), (90, 2, 40)])
def test_held_out_examples_measured_in_parts_read_as_a_whole(n, parts, none):
    x, y = random_batch(n)
    y[:none] = NONE   # examples of no class, all in the first part: no right answer to count
    model = small_cnn()
    model.layers[-1].b[:] = np.arange(10)  # every answer a 9: an accuracy that is not 0
    loss, accuracy = evaluate(model, x, y)
    with DataParallel(model, parts, np.random.default_rng(0)) as parallel:
        part_loss, part_accuracy = evaluate_in_parts(parallel, x, y)
    assert part_loss == pytest.approx(loss, rel=1e-5)
    assert part_accuracy == pytest.approx(accuracy, abs=1e-12)
    assert accuracy == pytest.approx(np.mean(y[none:] == 9))


def test_replicas_share_the_weights_so_one_optimizer_step_moves_them_all():
    model = small_cnn()
    twin = replica(model, np.random.default_rng(0))
    assert all(a is b for a, b in zip(model.params, twin.params))
    assert not any(np.shares_memory(a, b) for a, b in zip(model.grads, twin.grads))
    before = [p.copy() for p in twin.params]
    x, y = random_batch(8)
    batch_gradient(model, x, y)
    Adam(model.params, model.grads).step(0.01)
    assert all(not np.array_equal(a, b) for a, b in zip(before, twin.params))


def test_each_part_drops_its_own_units():
    model = small_cnn(dropout=0.5)
    twin = replica(model, np.random.default_rng(0))
    x = np.ones((4, 16), dtype=np.float32)
    dropout, twin_dropout = (next(l for l in m.layers if isinstance(l, Dropout))
                             for m in (model, twin))
    assert not np.array_equal(dropout.forward(x, training=True),
                              twin_dropout.forward(x, training=True))


def blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_blas_keeps_to_one_thread_only_inside_the_block():
    before = blas_threads()
    assert before, "NumPy's BLAS should be visible to threadpoolctl"
    with DataParallel(small_cnn(), 2, np.random.default_rng(0)):
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before


def test_an_error_in_a_helper_thread_reaches_the_caller():
    def fails_on_the_second_part(model, x, y, rng):
        if model is not first:
            raise ValueError("part failed")
        return plain_gradient(model, x, y, rng)

    first = small_cnn()
    x, y = random_batch(64)
    with (DataParallel(first, 2, np.random.default_rng(0)) as parallel,
          pytest.raises(ValueError, match="part failed")):
        parallel.gradient(fails_on_the_second_part, x, y)


@pytest.mark.parametrize("cores, parts", [
    (4, [4, 3, 2, 1, 1]),
    (2, [2, 2, 2, 1, 1]),
    (1, [1, 1, 1, 1, 1]),
])
def test_only_convolutional_networks_are_split_and_parts_keep_enough_examples(
        monkeypatch, cores, parts):
    monkeypatch.setattr(nn.network.parallel, "available_cores", lambda: cores)
    mlp = Model.from_architecture(mlp_architecture((16,)))
    assert parts_for(mlp, 128) == 1
    cnn = small_cnn()
    assert [parts_for(cnn, b) for b in (128, 100, 64, 63, 0)] == parts


def train_split(augmentation, x, y):
    model = small_cnn(seed=5)
    config = TrainConfig(epochs=5, batch_size=64, learning_rate=1e-2, validation_size=0,
                         augmentation=augmentation)
    return model, train(model, x, y, config)


@pytest.mark.slow
@pytest.mark.parametrize("cores", [1, 2])
def test_split_training_learns_and_is_reproducible_with_augmentation(monkeypatch, cores):
    monkeypatch.setattr(nn.network.parallel, "available_cores", lambda: cores)
    x, y = random_batch(600, seed=3)
    x[np.arange(600), 0, y, y] = 4.0  # a bright pixel whose place gives the label away
    _, result = train_split(None, x, y)
    assert result.batch_parts == cores
    assert result.history[-1].train_accuracy > 0.9
    (a, _), (b, _) = train_split(Augmentation(), x, y), train_split(Augmentation(), x, y)
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))


def test_a_last_batch_smaller_than_the_parts_trains(monkeypatch):
    # 65 examples in batches of 64 on 2 parts: the last batch has one example.
    monkeypatch.setattr(nn.network.parallel, "available_cores", lambda: 2)
    x, y = random_batch(65)
    config = TrainConfig(epochs=1, batch_size=64, validation_size=0)

    result = train(small_cnn(), x, y, config)

    assert result.batch_parts == 2 and len(result.history) == 1


def test_augmented_gradient_distorts_the_batch_with_the_parts_own_generator():
    x, y = random_batch(16)
    plain, distorted = small_cnn(), small_cnn()
    augmented_gradient(None, plain, x, y, np.random.default_rng(0))
    augmented_gradient(Augmentation(), distorted, x, y, np.random.default_rng(0))
    assert not np.allclose(plain.grads[0], distorted.grads[0])
