"""Tests for nn.ink.redraw: training digits redrawn from their centre lines, and
training on them."""

import numpy as np
import pytest

import nn.ink.redraw
from nn.network.errors import TrainingError
from nn.network.model import Model
from nn.training.presets import mlp_architecture
from nn.ink.redraw import redraw, with_redrawn
from nn.ink.skeleton import INK_ABOVE
from nn.ink.strokes import STROKE_WIDTH
from nn.training.train import TrainConfig, train
from nn.training.validation import split_sizes


def bars(n, thickness):
    """n images (n, 784) of a vertical bar `thickness` pixels wide and 20 tall."""
    images = np.zeros((n, 28, 28), np.float32)
    images[:, 4:24, 14 - thickness // 2:14 - thickness // 2 + thickness] = 1
    return images.reshape(n, 784)


@pytest.mark.parametrize("thickness", [2, 5])
def test_a_bar_of_any_thickness_is_redrawn_at_mnists_stroke_width(thickness):
    out = redraw(bars(1, thickness)).reshape(28, 28)
    assert out.shape == (28, 28) and out.dtype == np.float32
    widths = out[8:20].sum(axis=1)  # rows away from the round ends
    np.testing.assert_allclose(widths, STROKE_WIDTH, atol=0.05)


def test_redraw_keeps_the_shape_and_an_inkless_image():
    images = np.concatenate([bars(1, 4), np.zeros((1, 784), np.float32)]).reshape(2, 1, 28, 28)
    out = redraw(images)
    assert out.shape == (2, 1, 28, 28)
    assert not out[1].any()
    assert out[0, 0, :, 14].sum() > 15, "still a tall vertical bar"


def test_with_redrawn_adds_the_chosen_share_with_their_labels():
    x = bars(10, 4) * np.arange(1, 11, dtype=np.float32)[:, None] / 10  # greyer to brighter
    y = np.arange(10)
    x2, y2 = with_redrawn(x, y, 0.3, np.random.default_rng(0))
    assert x2.shape == (13, 784) and np.array_equal(x2[:10], x) and np.array_equal(y2[:10], y)
    assert len(set(y2[10:].tolist())) == 3
    # Bars above the thinning's ink threshold are redrawn; a fainter one stays as it was.
    for image, label in zip(x2[10:], y2[10:]):
        assert np.array_equal(image, x[label]) == (x[label].max() <= INK_ABOVE)


@pytest.mark.parametrize("share", [0.0, 0.01, 1e-320])
def test_a_share_too_small_for_one_digit_adds_none(share):
    # round(share * n) == 0: before, redrawing no digits at all raised ValueError (reshape).
    x, y = bars(10, 4), np.arange(10)
    x2, y2 = with_redrawn(x, y, share, np.random.default_rng(0))
    assert np.array_equal(x2, x) and np.array_equal(y2, y)


class StopAfter:
    """A stop event that is found set from its `calls`-th look on."""

    def __init__(self, calls):
        self.looks, self.calls = 0, calls

    def is_set(self):
        self.looks += 1
        return self.looks >= self.calls


def test_a_stop_during_the_redrawing_keeps_the_digits_not_yet_redrawn(monkeypatch):
    monkeypatch.setattr(nn.ink.redraw, "REDRAW_CHUNK", 2)
    images = bars(5, 4)
    out = redraw(images, stop=StopAfter(2))  # set after the first chunk of two
    assert not np.array_equal(out[0], images[0]) and not np.array_equal(out[1], images[1])
    np.testing.assert_array_equal(out[2:], images[2:])
    np.testing.assert_array_equal(redraw(images, stop=StopAfter(1)), images)


def test_with_redrawn_refuses_a_share_outside_zero_to_one():
    with pytest.raises(TrainingError, match="between 0 and 1"):
        with_redrawn(bars(2, 3), np.arange(2), 1.5, np.random.default_rng(0))


def test_training_with_redraw_adds_redrawn_examples_to_each_epoch():
    x, y = bars(40, 4), np.zeros(40, np.int64)
    y[20:] = 1
    config = TrainConfig(epochs=1, batch_size=10, validation_size=10, redraw=0.5, seed=0)
    model = Model.from_architecture(mlp_architecture((8,)), rng=np.random.default_rng(0))
    seen = []
    train(model, x, y, config, on_progress=lambda p: seen.append(p))
    batches = [p for p in seen if not hasattr(p, "train_loss")]
    assert len(batches) == 5  # (32 trained on + 16 redrawn) / 10, rounded up
    assert split_sizes(40, config) == (40, 48)  # a fifth at most is held out: 8
