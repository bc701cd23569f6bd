"""The bundled model: what a user gets at first launch must read digits well, including digits
drawn at any size, anywhere on the pad, with thin or thick strokes."""

from pathlib import Path

import numpy as np
import pytest

from nn.data.datasets import load_dataset
from nn.files.modelfile import load_model
from nn.ink.images import image_to_mnist
from nn.ink.ways import WAYS, held_out_digits, inputs_for

BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "default-model.npz"
PAD = 280


@pytest.fixture(scope="module")
def model():
    return load_model(BUNDLED)


def as_drawing(image, rng):
    """An MNIST digit as it might land on the 280x280 pad: scaled to 90-270 px, put anywhere,
    with strokes made up to 5 px thinner or thicker (white ink on black, uint8)."""
    side = int(rng.integers(90, PAD - 10))
    big = np.kron(image.reshape(28, 28), np.ones((side // 28 + 1,) * 2))[:side, :side]
    grow = int(rng.integers(-2, 6))
    if grow > 0:  # thicker: maximum over a (2*grow+1)-pixel square
        padded = np.pad(big, grow)
        big = np.max([padded[i:i + side, j:j + side]
                      for i in range(0, 2 * grow + 1, 2) for j in range(0, 2 * grow + 1, 2)],
                     axis=0)
    elif grow < 0:  # thinner: minimum over neighbours
        padded = np.pad(big, -grow)
        big = np.min([padded[i:i + side, j:j + side]
                      for i in (0, -2 * grow) for j in (0, -2 * grow)],
                     axis=0)
    canvas = np.zeros((PAD, PAD), dtype=np.float32)
    row, col = rng.integers(0, PAD - side + 1, 2)
    canvas[row:row + side, col:col + side] = big
    return (canvas * 255).astype(np.uint8)


def test_bundled_model_is_small_and_describes_itself(model):
    assert BUNDLED.stat().st_size < 4 * 2**20  # first launch stays instant
    assert model.info["dataset"] == "mnist"
    assert model.optimizer_state is not None  # Train > Start can continue it


@pytest.mark.slow
def test_bundled_model_reads_the_mnist_test_set_as_well_as_it_says(model, mnist_dir):
    data = load_dataset(data_dir=mnist_dir)
    measured = model.accuracy(data.x_test, data.y_test)
    assert measured >= 0.994
    assert measured == pytest.approx(model.info["test_accuracy"], abs=1e-4)  # what Info shows


def test_bundled_model_reads_digits_drawn_at_any_size_and_place(model, mnist_dir):
    data = load_dataset(data_dir=mnist_dir)
    rng = np.random.default_rng(0)
    # 2,000 digits: on 500 the figure moves by 0.2 points with every digit
    picked = rng.choice(len(data.x_test), 2000, replace=False)
    inputs = np.stack([image_to_mnist(as_drawing(data.x_test[i], rng)) for i in picked])
    accuracy = model.accuracy(inputs.reshape(len(picked), -1), data.y_test[picked])
    assert accuracy >= 0.98, f"only {accuracy:.1%} of drawing-like digits read correctly"


def test_bundled_model_reads_held_out_handwriting_drawn_as_strokes(model, mnist_dir):
    """Test digits traced into pen strokes and drawn at a natural size, through the same steps
    as a drawing on the pad (the full replay in every way is python -m desktop.bench
    --handwriting)."""
    data = load_dataset(data_dir=mnist_dir)
    digits, labels = held_out_digits(data.x_test, data.y_test, 500, seed=1)
    inputs = inputs_for(WAYS[0], digits)
    accuracy = model.accuracy(inputs.reshape(len(labels), -1), labels)
    assert accuracy >= 0.985, f"only {accuracy:.1%} of held-out handwriting read correctly"
