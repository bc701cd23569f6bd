"""Fine-tuning on a user's drawings (nn.training.finetune, nn.training.head).

The "user" crosses every digit with a bar through its middle, as many people cross a 7: a
consistent style a small MLP trained on MNIST misreads a third of the time. Runs use a few
thousand real MNIST images (skipped when they are absent), so each takes a second or two.
"""

import dataclasses
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data.datasets import load_dataset
from nn.network.errors import TrainingError
from nn.network.memory import DenseWithMemory
from nn.network.model import Model
from nn.training.finetune import (
    FOLDS,
    MIN_DRAWINGS,
    FineTuneSettings,
    fine_tune,
    fold_of,
)
from nn.training.head import (
    MAX_BODIES,
    FeatureCache,
    Stopped,
    body_features,
    head_scores,
    head_start,
)
from nn.training.presets import cnn_architecture, mlp_architecture
from nn.training.train import TrainConfig, train

LIMIT = 3000
BAR_ROWS, BAR_COLUMNS = slice(13, 15), slice(6, 22)
QUICK = FineTuneSettings(weight=20, anchor=2000, epochs=3)


@pytest.fixture(scope="module")
def mnist():
    from tests.real_data import real_dataset_dir

    folder = real_dataset_dir("mnist")   # skips without it
    return load_dataset("mnist", str(folder), LIMIT)


@pytest.fixture(scope="module")
def base_model(mnist):
    """MLP 784-128-10 trained 3 epochs on 3,000 MNIST images (about a second)."""
    model = Model.from_architecture(mlp_architecture((128,)), (784,), mnist.class_names,
                                    np.random.default_rng(1))
    train(model, mnist.x_train, mnist.y_train,
          TrainConfig(epochs=3, batch_size=64, validation_size=0, seed=1))
    model.info = {"name": "small", "test_accuracy": 0.9}
    return model


def crossed_drawings(mnist, per_digit, start=0):
    """per_digit test digits of each class, from the start-th on, with a bar through the
    middle, as a user in that style draws: (10 * per_digit, 784) float32, labels."""
    labels = mnist.y_test
    index = np.concatenate([np.flatnonzero(labels == d)[start:start + per_digit]
                            for d in range(10)])
    images = mnist.x_test[index].reshape(-1, 28, 28).copy()
    images[:, BAR_ROWS, BAR_COLUMNS] = 1.0
    return images.reshape(len(index), 784).astype(np.float32), labels[index].astype(np.int64)


def test_the_head_learns_a_style_and_reads_new_drawings_in_it(mnist, base_model):
    x, y = crossed_drawings(mnist, 3)
    original = [p.copy() for p in base_model.params]
    tuned = fine_tune(base_model, x, y, mnist, QUICK)
    figures = tuned.info["fine_tune"]
    # Drawings in the same style that the fine-tuning never saw: read far better than before.
    new_x, new_y = crossed_drawings(mnist, 20, start=3)
    before, after = base_model.accuracy(new_x, new_y), tuned.accuracy(new_x, new_y)
    print(f"\nnew drawings {before:.0%} -> {after:.0%}; figures {figures}")
    assert before < 0.8 and after >= before + 0.1
    # Everyone else is read as before: the MNIST test set within a point.
    assert figures["after"]["test"] >= figures["before"]["test"] - 0.01
    assert figures["before"]["test"] == base_model.accuracy(mnist.x_test, mnist.y_test)
    assert figures["after"]["test"] == tuned.accuracy(mnist.x_test, mnist.y_test)
    assert figures["before"]["drawings"] == base_model.accuracy(x, y)
    assert (figures["drawings"], figures["weight"], figures["folds"]) == (30, 20, FOLDS)
    assert tuned.info["test_accuracy"] == figures["after"]["test"]
    assert tuned.info["name"] == "small-tuned" and base_model.info["name"] == "small"
    # The cross-validated figure (of drawings each read by a head that never saw it) moved
    # with the new drawings' accuracy.
    assert figures["after"]["drawings"] >= figures["before"]["drawings"] + 0.05
    # Only the head learnt; the model given is untouched.
    start = head_start(tuned)
    body = sum(len(layer.params) for layer in tuned.layers[:start])
    assert all(np.array_equal(a, b) for a, b in zip(tuned.params[:body], original[:body]))
    assert not np.array_equal(tuned.layers[start].W, base_model.layers[start].W)
    assert all(np.array_equal(a, b) for a, b in zip(base_model.params, original))


def test_the_figure_never_counts_a_drawing_the_head_learnt(mnist, base_model):
    """Drawings with random labels, learnt by heart (heavy weight, few MNIST digits beside
    them): a head that did not see a drawing cannot guess its random label, so the figure
    stays near chance while the model reads the drawings it learnt."""
    x, _ = crossed_drawings(mnist, 3)
    y = np.random.default_rng(5).integers(0, 10, len(x))
    by_heart = FineTuneSettings(weight=50, anchor=200, epochs=10, learning_rate=3e-3, stay=0.0)
    tuned = fine_tune(base_model, x, y, mnist, by_heart)
    assert tuned.accuracy(x, y) >= 0.6
    assert tuned.info["fine_tune"]["after"]["drawings"] <= 0.35


def test_features_then_head_are_the_whole_network(mnist):
    model = Model.from_architecture(cnn_architecture((4,), kernel=3, dense=(16,)), (1, 28, 28),
                                    mnist.class_names, np.random.default_rng(0))
    x = mnist.x_test[:50]
    features = body_features(model, x)
    assert features.shape == (50, 16)
    np.testing.assert_allclose(head_scores(model, features), model.forward(
        x.reshape(-1, 1, 28, 28)), rtol=1e-5, atol=1e-5)


def test_the_feature_cache_computes_once_per_body(base_model, mnist):
    cache = FeatureCache()
    first = cache.features(base_model, "test", mnist.x_test)
    assert cache.features(base_model, "test", mnist.x_test) is first
    other_head = base_model.weights_copy()
    other_head.params[-1] += 1.0      # a new head, the same body: the same features
    assert cache.features(other_head, "test", mnist.x_test) is first
    other_body = base_model.weights_copy()
    other_body.params[0] *= 2.0
    assert not np.array_equal(cache.features(other_body, "test", mnist.x_test), first)
    # Only the bodies used last are remembered.
    for scale in range(3, 3 + MAX_BODIES):
        body = base_model.weights_copy()
        body.params[0] *= scale
        cache.features(body, "test", mnist.x_test[:10])
    assert cache.features(base_model, "test", mnist.x_test) is not first


def test_progress_goes_forward_to_the_end_and_stop_abandons(mnist, base_model):
    x, y = crossed_drawings(mnist, 1)
    seen = []
    fine_tune(base_model, x, y, mnist, QUICK, on_progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) > 10
    assert all(p.text for p in seen)
    stop = threading.Event()

    def stop_halfway(progress):
        if progress.fraction > 0.5:
            stop.set()

    with pytest.raises(Stopped):
        fine_tune(base_model, x, y, mnist, QUICK, on_progress=stop_halfway, stop=stop)


def test_too_few_drawings_or_a_model_of_other_things_is_one_sentence(mnist, base_model):
    x, y = crossed_drawings(mnist, 1)
    with pytest.raises(TrainingError, match=f"at least {MIN_DRAWINGS} drawings; there are 9"):
        fine_tune(base_model, x[:9], y[:9], mnist, QUICK)
    fashion = base_model.weights_copy()
    fashion.class_names = ("T-shirt",) + fashion.class_names[1:]
    with pytest.raises(TrainingError, match="does not read digits"):
        fine_tune(fashion, x, y, mnist, QUICK)


@given(st.lists(st.integers(0, 9), max_size=60))
def test_each_digit_s_drawings_go_round_the_groups(labels):
    labels = np.array(labels, np.int64)
    group = fold_of(labels)
    assert group.shape == labels.shape and ((group >= 0) & (group < FOLDS)).all()
    for digit in np.unique(labels):
        counts = np.bincount(group[labels == digit], minlength=FOLDS)
        assert counts.max() - counts.min() <= 1   # spread evenly, never all in one group
    if len(labels):
        sizes = np.bincount(group, minlength=FOLDS)
        assert sizes.max() - sizes.min() <= 1     # the groups are as large as each other


def test_the_tuned_head_remembers_the_drawings_and_a_second_tuning_replaces_the_memory(
        mnist, base_model):
    x, y = crossed_drawings(mnist, 3)
    tuned = fine_tune(base_model, x, y, mnist, QUICK)
    head = tuned.layers[head_start(tuned)]
    assert isinstance(head, DenseWithMemory) and head.M[:, :10].any(axis=0).all()
    assert len(tuned.layers) == len(base_model.layers)
    # Without a memory the tuned head is the trained Dense part alone.
    forgetful = fine_tune(base_model, x, y, mnist, dataclasses.replace(QUICK, memory=0.0))
    forgetful_head = forgetful.layers[head_start(forgetful)]
    assert not forgetful_head.M.any()
    np.testing.assert_array_equal(forgetful_head.W, head.W)
    # Fine-tuning the tuned model on drawings of two digits only: one memory, of those two.
    two_x, two_y = crossed_drawings(mnist, 6)
    again = fine_tune(tuned, two_x[two_y < 2], two_y[two_y < 2], mnist, QUICK)
    heads = [layer for layer in again.layers if isinstance(layer, DenseWithMemory)]
    assert len(heads) == 1 and len(again.layers) == len(base_model.layers)
    assert np.flatnonzero(heads[0].M.any(axis=0)).tolist() == [0, 1]
    assert again.info["name"] == "small-tuned"
