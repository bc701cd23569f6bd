"""Fine-tuning the active model on the user's own drawings (issue 5).

The "drawings" are MNIST digits drawn far to the right (shifted 6 pixels): a consistent style
a small MLP trained on centred MNIST misreads almost always. Runs use the first few thousand
real MNIST images (the `mnist_dir` fixture skips when they are absent), so each takes seconds.
"""

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop import main_window
from desktop.handwriting.tab import MIN_FINE_TUNE_DRAWINGS
from desktop.train.tab import TrainTab
from nn.datasets import load_dataset
from nn.model import Model
from nn.presets import mlp_architecture
from nn.train import TrainConfig, train

TRAIN_LIMIT, TEST_LIMIT = 5000, 2000
RUN_TIMEOUT_MS = 60_000
SHIFT = 6  # pixels to the right: the drawings' "style"
BASE_CONFIG = TrainConfig(epochs=3, batch_size=64, optimizer="adam", learning_rate=1e-3,
                          validation_size=500, seed=1)


@pytest.fixture
def mnist(mnist_dir):
    return load_dataset("mnist", str(mnist_dir), TRAIN_LIMIT)


@pytest.fixture
def base_model(mnist):
    """MLP 784-64-10 trained 3 epochs on 5,000 MNIST images (about 1 s)."""
    model = Model.from_architecture(mlp_architecture((64,)), (784,), mnist.class_names,
                                    np.random.default_rng(1))
    train(model, mnist.x_train, mnist.y_train, BASE_CONFIG)
    model.info = {"name": "small-2026-11-25-1200", "dataset": "mnist",
                  "config": BASE_CONFIG.to_dict(), "history": []}
    return model


def my_drawings(mnist, n=30):
    """n test digits (beyond the limited test set used for measuring) shifted right."""
    images = mnist.x_test[TEST_LIMIT:TEST_LIMIT + n].reshape(-1, 28, 28)
    shifted = np.roll(images, SHIFT, axis=2).reshape(n, 784).astype(np.float32)
    return shifted, mnist.y_test[TEST_LIMIT:TEST_LIMIT + n].astype(np.int64)


def use_small_run_settings(form):
    form.batchSizeSpin.setValue(64)
    form.optimizerCombo.setCurrentIndex(form.optimizerCombo.findData("adam"))
    form.learningRateSpin.setValue(1e-3)


def test_fine_tuning_learns_my_style_and_keeps_mnist(qtbot, mnist_dir, mnist, base_model):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.set_dataset("mnist", str(mnist_dir))
    tab.train_limit, tab.test_limit = TRAIN_LIMIT, TEST_LIMIT
    tab.set_active_model(base_model)
    use_small_run_settings(tab.form)
    x, y = my_drawings(mnist)
    x_test, y_test = mnist.x_test[:TEST_LIMIT], mnist.y_test[:TEST_LIMIT]
    try:
        with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
            assert tab.fine_tune(x, y, weight=10)
            assert tab.is_training
            assert not tab.fine_tune(x, y, weight=10)  # one run at a time
    finally:
        tab.shutdown()
    model = blocker.args[0]
    figures = model.info["fine_tune"]
    before, after = figures["before"], figures["after"]
    print(f"\nfine-tune: drawings {before['mine']:.1%} -> {after['mine']:.1%}, "
          f"MNIST test {before['test']:.2%} -> {after['test']:.2%}")
    assert (figures["drawings"], figures["weight"]) == (30, 10)
    # The figures are what they claim to be, measured on the base model (left unchanged:
    # measured again now) and on the new one.
    assert before == {"mine": base_model.accuracy(x, y), "test": base_model.accuracy(x_test, y_test)}
    assert after == {"mine": model.accuracy(x, y), "test": model.accuracy(x_test, y_test)}
    assert model is not base_model and model.info["test_accuracy"] == after["test"]
    # The style is one the base model cannot read, and the fine-tuned one learnt it ...
    assert before["mine"] < 0.3
    assert after["mine"] >= before["mine"] + 0.5
    # ... without forgetting MNIST: at most half a point lost on the test set.
    assert after["test"] >= before["test"] - 0.005
    # The run went through the tab's usual path: its curves were drawn.
    xs, _ = tab.curves["train_loss"].getData()
    assert xs is not None and len(xs) >= 1


def test_a_later_run_does_not_inherit_the_fine_tune_figures(qtbot, mnist_dir, mnist, base_model):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.set_dataset("mnist", str(mnist_dir))
    tab.train_limit, tab.test_limit = 1000, 500
    base_model.info["fine_tune"] = {"drawings": 1, "weight": 1, "before": {}, "after": {}}
    tab.set_active_model(base_model)
    use_small_run_settings(tab.form)
    tab.form.epochsSpin.setValue(1)
    try:
        with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
            qtbot.mouseClick(tab.startButton, Qt.MouseButton.LeftButton)
    finally:
        tab.shutdown()
    assert "fine_tune" not in blocker.args[0].info


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path, mnist_dir):
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")  # quick: no model
    # Closing with the new unsaved model asks to save it: answer Discard, never block.
    monkeypatch.setattr(main_window.QMessageBox, "question",
                        lambda *args: main_window.QMessageBox.StandardButton.Discard)
    win = main_window.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.train_tab.set_dataset("mnist", str(mnist_dir))
    win.train_tab.train_limit, win.train_tab.test_limit = TRAIN_LIMIT, TEST_LIMIT
    yield win
    win.train_tab.shutdown()


def test_the_button_fine_tunes_and_shows_before_and_after(window, qtbot, mnist, base_model):
    tab = window.handwriting_tab
    button = tab.findChild(type(tab._fine_tune), "fineTuneButton")
    result = tab.findChild(type(tab._fine_tune_result), "fineTuneResult")
    weight = tab.findChild(type(tab._weight), "drawingWeightSpin")
    assert (weight.minimum(), weight.maximum(), weight.value()) == (1, 50, 10)
    assert weight.toolTip()
    window.set_active_model(base_model, None)
    use_small_run_settings(window.train_tab.form)
    x, y = my_drawings(mnist, 12)
    images = np.round(x.reshape(-1, 28, 28) * 255).astype(np.uint8)
    window.handwriting.add_many(y[:MIN_FINE_TUNE_DRAWINGS - 1], images[:MIN_FINE_TUNE_DRAWINGS - 1])
    tab.refresh()
    assert not button.isEnabled()  # too few drawings
    window.handwriting.add_many(y[MIN_FINE_TUNE_DRAWINGS - 1:], images[MIN_FINE_TUNE_DRAWINGS - 1:])
    tab.refresh()
    assert button.isEnabled()
    assert result.text() == ""
    window.tabs.setCurrentWidget(tab)
    with qtbot.waitSignal(window.train_tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert window.train_tab.is_training
        assert window.tabs.currentWidget() is window.train_tab
        assert not button.isEnabled()  # no second run while this one trains
    model = blocker.args[0]
    qtbot.waitUntil(lambda: window.active_model is model, timeout=5_000)
    assert window.is_modified and window.active_path is None
    assert model.info["fine_tune"]["drawings"] == 12
    before, after = model.info["fine_tune"]["before"], model.info["fine_tune"]["after"]
    text = result.text()
    match = re.fullmatch(r"Your drawings: (\d+)% → (\d+)% · MNIST test: ([\d.]+)% → ([\d.]+)%", text)
    assert match, text
    shown = [float(g) / 100 for g in match.groups()]
    # Rounded for display: off by at most half a shown step (plus float error, as 87.35% -> 87.4%).
    assert shown[0] == pytest.approx(before["mine"], abs=0.005 + 1e-9)
    assert shown[1] == pytest.approx(after["mine"], abs=0.005 + 1e-9)
    assert shown[2] == pytest.approx(before["test"], abs=0.0005 + 1e-9)
    assert shown[3] == pytest.approx(after["test"], abs=0.0005 + 1e-9)
    assert button.isEnabled()  # training over
