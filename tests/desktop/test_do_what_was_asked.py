"""The window does what the user asked and nothing else: the training form comes back at a
relaunch as it was left, "Start from" stays as the user set it after a run, the status bar
names the weights the Draw tab reads with, File > Use the Bundled Model, and a first launch
offers a quick demo run."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from tests.local_http import tiny_mnist

RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def tiny_data(tmp_path):
    """Four small IDX files of random digits with random labels."""
    folder = tmp_path / "tiny-mnist"
    tiny_mnist(folder, seed=0)
    return folder


def status(window):
    return window.findChild(QLabel, "modelStatus").text()


def choose_continue(qtbot, form):
    combo = form.startFromCombo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)   # "Continue" is the first item
    assert form.continue_chosen()


def test_a_first_launch_offers_a_quick_demo_run(open_window, bundled):
    window = open_window()
    form = window.train_tab.form
    # Not the bundled CNN's six-minute recipe: a small network, two epochs, a new model.
    assert form.preset.name == "mlp" and form.hiddenLayersEdit.text() == "128"
    assert form.epochsSpin.value() == 2 and not form.continue_chosen()
    assert "quick demo" in window.train_tab.statusLabel.text()
    window.close()


def test_the_training_form_is_restored_at_a_relaunch_as_it_was_left(qtbot, open_window,
                                                                    bundled):
    window = open_window()
    form = window.train_tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData("mlp"))
    form.hiddenLayersEdit.setText("48, 24")
    form.optimizerCombo.setCurrentIndex(form.optimizerCombo.findData("momentum"))
    form.learningRateSpin.setValue(0.05)
    form.epochsSpin.setValue(7)
    form.augmentCheck.setChecked(True)
    choose_continue(qtbot, form)
    left = form.form_state()
    window.close()

    again = open_window()

    restored = again.train_tab.form
    assert restored.form_state() == left
    assert restored.continue_chosen() and restored.hiddenLayersEdit.text() == "48, 24"
    assert "quick demo" not in again.train_tab.statusLabel.text()
    again.close()


def test_start_from_stays_after_runs_and_the_status_bar_names_the_weights(qtbot, open_window,
                                                                         bundled, tiny_data,
                                                                         dialogs):
    window = open_window()
    assert status(window).startswith("bundled model")
    tab = window.train_tab
    tab.set_dataset("mnist", str(tiny_data))
    form = tab.form
    form.hiddenLayersEdit.setText("8")
    form.epochsSpin.setValue(1)
    live = []
    tab.weights_changed.connect(lambda _model: live.append(status(window)))

    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(tab.startButton, Qt.MouseButton.LeftButton)
    name = blocker.args[0].info["name"]

    # While it trained, the Draw tab read with the run's weights, and the status bar said so.
    assert live and live[-1] == f"The Draw tab reads with: training run {name} (live)"
    assert status(window).startswith(f"{name} · ")
    assert not form.continue_chosen(), "a run's result does not switch Start from to Continue"
    choose_continue(qtbot, form)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(tab.startButton, Qt.MouseButton.LeftButton)
    assert form.continue_chosen(), "nor back to New"

    # The trained model is unsaved: Use the Bundled Model asks first, and Cancel keeps it.
    dialogs.answer = QMessageBox.StandardButton.Cancel
    trained = window.active_model
    window.named_actions["useBundledAction"].trigger()
    assert dialogs.questions == ["Unsaved model"] and window.active_model is trained
    dialogs.answer = QMessageBox.StandardButton.Discard
    window.named_actions["useBundledAction"].trigger()
    assert window.active_path == str(bundled) and status(window).startswith("bundled model")
    assert window.draw_tab._model is window.active_model
    window.close()
