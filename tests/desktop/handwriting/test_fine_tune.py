"""My Handwriting's "Fine-tune on my drawings", clicked as a user clicks it.

The "drawings" are MNIST digits crossed by a bar through the middle (as many people cross a 7),
kept in the collection; the active model is a small MLP trained on a few thousand real MNIST
digits (the `mnist_dir` fixture skips when they are absent), so a fine-tuning takes seconds.
"""

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop import main_window
from nn.data.datasets import load_dataset
from nn.network.model import Model
from nn.training.finetune import MIN_DRAWINGS, FineTuneSettings
from nn.training.presets import mlp_architecture
from nn.training.train import TrainConfig, train

pytestmark = pytest.mark.slow   # each test fine-tunes on thousands of MNIST images

LIMIT = 3000
RUN_TIMEOUT_MS = 120_000
BAR_ROWS, BAR_COLUMNS = slice(13, 15), slice(6, 22)
FIGURES = re.compile(r"Your (\d+) drawings, each read by a model fine-tuned without it: "
                     r"(\d+)% → (\d+)% · MNIST test: ([\d.]+)% → ([\d.]+)%")


@pytest.fixture
def mnist(mnist_dir):
    return load_dataset("mnist", str(mnist_dir), LIMIT)


@pytest.fixture
def base_model(mnist):
    model = Model.from_architecture(mlp_architecture((64,)), (784,), mnist.class_names,
                                    np.random.default_rng(1))
    train(model, mnist.x_train, mnist.y_train,
          TrainConfig(epochs=2, batch_size=64, validation_size=0, seed=1))
    model.info = {"name": "small-2026-11-25-1200", "dataset": "mnist", "history": []}
    return model


def crossed_images(mnist, per_digit):
    """per_digit test digits of each class with a bar through the middle, as uint8 images
    (n, 28, 28) the way the collection keeps them, and their labels."""
    index = np.concatenate([np.flatnonzero(mnist.y_test == d)[:per_digit] for d in range(10)])
    images = mnist.x_test[index].reshape(-1, 28, 28).copy()
    images[:, BAR_ROWS, BAR_COLUMNS] = 1.0
    return np.round(images * 255).astype(np.uint8), mnist.y_test[index]


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path, mnist_dir, base_model):
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")  # quick: no model
    # Closing with the new unsaved model asks to save it: answer Discard, never block.
    monkeypatch.setattr(main_window.QMessageBox, "question",
                        lambda *args: main_window.QMessageBox.StandardButton.Discard)
    win = main_window.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.choose_dataset("mnist", str(mnist_dir))
    win.set_active_model(base_model, None)
    yield win
    win.handwriting_tab.shutdown()
    win.train_tab.shutdown()


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_button_fine_tunes_here_and_shows_every_drawing_s_figure(window, qtbot, mnist,
                                                                     base_model):
    tab = window.handwriting_tab
    button, weight = tab.fine_tune.button, tab.fine_tune.weight
    progress, result = tab.fine_tune.progress, tab.fine_tune.result
    assert button.objectName() == "fineTuneButton" and weight.objectName() == "drawingWeightSpin"
    assert weight.value() == FineTuneSettings().weight and weight.toolTip()
    images, labels = crossed_images(mnist, 2)
    window.handwriting.add_many(labels[:MIN_DRAWINGS - 1], images[:MIN_DRAWINGS - 1])
    tab.refresh()
    assert not button.isEnabled()  # too few drawings
    window.handwriting.add_many(labels[MIN_DRAWINGS - 1:], images[MIN_DRAWINGS - 1:])
    tab.refresh()
    assert button.isEnabled() and result.text() == ""
    window.tabs.setCurrentWidget(tab)
    form_before = window.train_tab.form_state()
    weight.setValue(10)
    seen = []
    window.handwriting_tab.fine_tune.tuner.progress.connect(lambda f, _text: seen.append(f))
    with qtbot.waitSignal(tab.fine_tuned, timeout=RUN_TIMEOUT_MS) as blocker:
        click(qtbot, button)
        assert progress.isVisible() and button.text() == "&Stop fine-tuning"
        assert not weight.isEnabled()
    model = blocker.args[0]
    # The new model is active, unsaved; the window stayed where the user was; the Train form
    # is as it was and no training run started.
    assert window.active_model is model and window.is_modified and window.active_path is None
    assert window.tabs.currentWidget() is tab
    assert window.train_tab.form_state() == form_before and not window.train_tab.is_training
    assert not progress.isVisible() and button.text() == "&Fine-tune on my drawings"
    assert len(seen) >= 2 and seen[-1] == 1.0   # live progress, to the end
    figures = model.info["fine_tune"]
    assert (figures["drawings"], figures["weight"]) == (20, 10)
    match = FIGURES.fullmatch(result.text())
    assert match, result.text()
    count, *shown = match.groups()
    assert int(count) == 20   # every drawing counts, read by a model that did not learn it
    # Rounded for display: off by at most half a shown step (plus float error).
    expected = [figures["before"]["drawings"], figures["after"]["drawings"],
                figures["before"]["test"], figures["after"]["test"]]
    for text, value, step in zip(shown, expected, (1, 1, 0.1, 0.1)):
        assert float(text) == pytest.approx(value * 100, abs=step / 2 + 1e-9)
    assert figures["before"]["drawings"] == base_model.accuracy(images.reshape(20, 784) / 255,
                                                               labels)
    # The headline counts drawings the model learnt, and says so.
    assert "fine-tuned on your drawings" in tab.findChild(type(result), "readsMeAccuracy").text()


def test_stop_abandons_the_fine_tuning_and_keeps_the_model(window, qtbot, mnist, base_model):
    tab = window.handwriting_tab
    images, labels = crossed_images(mnist, 2)
    window.handwriting.add_many(labels, images)
    tab.refresh()
    button = tab.fine_tune.button
    with qtbot.waitSignal(tab.fine_tune.tuner.running_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda running: not running):
        click(qtbot, button)
        click(qtbot, button)   # "Stop fine-tuning"
    assert window.active_model is base_model and not window.is_modified
    assert button.text() == "&Fine-tune on my drawings" and button.isEnabled()
    assert tab.fine_tune.result.text() == ""


def test_opening_another_model_abandons_the_fine_tuning(window, qtbot, mnist, base_model):
    tab = window.handwriting_tab
    images, labels = crossed_images(mnist, 2)
    window.handwriting.add_many(labels, images)
    tab.refresh()
    other = base_model.weights_copy()
    with qtbot.waitSignal(tab.fine_tune.tuner.running_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda running: not running):
        click(qtbot, tab.fine_tune.button)
        window.set_active_model(other, None)
    assert window.active_model is other
    assert tab.fine_tune.button.text() == "&Fine-tune on my drawings"


def test_no_training_run_starts_while_it_fine_tunes(window, qtbot, mnist, base_model):
    # Start, F5 and Step worked during a fine-tuning, and whichever ended last replaced the
    # other's model without a word.
    tab, train = window.handwriting_tab, window.train_tab
    images, labels = crossed_images(mnist, 2)
    window.handwriting.add_many(labels, images)
    tab.refresh()
    start = window.named_actions["startAction"]
    with qtbot.waitSignal(tab.fine_tune.tuner.running_changed, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.fine_tune.button)
    assert not start.isEnabled() and not train.startButton.isEnabled()
    assert not train.stepButton.isEnabled()
    start.trigger()   # F5 from a menu or key that slipped through
    assert not train.is_training

    with qtbot.waitSignal(tab.fine_tune.tuner.running_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda running: not running):
        click(qtbot, tab.fine_tune.button)   # "Stop fine-tuning"
    assert start.isEnabled() and train.startButton.isEnabled() and train.stepButton.isEnabled()


def test_without_mnist_it_says_what_to_do(window, qtbot, tmp_path, mnist):
    tab = window.handwriting_tab
    empty = tmp_path / "empty"
    empty.mkdir()
    window.choose_dataset("mnist", str(empty))
    images, labels = crossed_images(mnist, 1)
    window.handwriting.add_many(labels, images)
    tab.refresh()
    with qtbot.waitSignal(tab.fine_tune.tuner.failed, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.fine_tune.button)
    text = tab.fine_tune.result.text()
    assert "train-images-idx3-ubyte" in text and "Traceback" not in text
    assert tab.fine_tune.button.isEnabled()
