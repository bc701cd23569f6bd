"""The Train tab driven the way a user drives it: fill the form, press Start, Pause, Stop.

Runs train on the first few thousand real MNIST images (the `mnist_dir` fixture skips when
they are absent), so each test takes a few seconds even on a busy machine.
"""

import dataclasses
import json
import os
import sys
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, QThread, Slot
from PySide6.QtWidgets import QApplication

from desktop.train.form_widgets import LogSpinBox
from desktop.train.worker import (
    MIN_SECONDS_BETWEEN_BATCH_SIGNALS,
    TRAINING_NICENESS,
    TrainingJob,
    TrainingWorker,
)
from nn.ink.augment import Augmentation
from nn.network.model import Model
from nn.training.presets import PRESETS, Preset, mlp_architecture, mlp_fields

LIMIT = 3000            # training and test images per run
RUN_TIMEOUT_MS = 60_000  # generous: the machine is shared
QUICK_MS = 5_000         # what "promptly" means for Stop and shutdown


@pytest.fixture
def tab(open_train_tab, mnist_dir):
    tab = open_train_tab(mnist_dir)
    tab.train_limit = tab.test_limit = LIMIT
    return tab


def configure(tab, preset="mlp", hidden="32", epochs=2, batch_size=64, dropout=0.0, **more):
    """Fill the form like a user: pick a preset, then edit fields."""
    form = tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData(preset))
    form.hiddenLayersEdit.setText(hidden)
    form.dropoutSpin.setValue(dropout)
    form.epochsSpin.setValue(epochs)
    form.batchSizeSpin.setValue(batch_size)
    if "optimizer" in more:
        form.optimizerCombo.setCurrentIndex(form.optimizerCombo.findData(more["optimizer"]))
    if "learning_rate" in more:
        form.learningRateSpin.setValue(more["learning_rate"])


def press(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_first_progress(qtbot, tab):
    qtbot.waitUntil(lambda: tab.trainingProgress.format().startswith("Epoch"),
                    timeout=RUN_TIMEOUT_MS)


def curve_points(tab, name):
    x, _y = tab.curves[name].getData()
    return 0 if x is None else len(x)


def train_once(qtbot, tab):
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        press(qtbot, tab.startButton)
    return blocker.args[0]


def test_start_trains_a_model_and_draws_the_curves(qtbot, tab):
    configure(tab)
    changes = []
    tab.state_changed.connect(lambda: changes.append(tab.is_training))
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        press(qtbot, tab.startButton)
        assert tab.is_training and not tab.form.isEnabled() and not tab.startButton.isEnabled()
        assert tab.stopButton.isEnabled() and tab.pauseButton.isEnabled()
    model = blocker.args[0]

    assert changes[0] is True and changes[-1] is False
    assert not tab.is_training and tab.form.isEnabled() and tab.startButton.isEnabled()
    assert not tab.stopButton.isEnabled() and not tab.pauseButton.isEnabled()
    assert tab.trainingProgress.value() == tab.trainingProgress.maximum()
    assert "100%" in tab.trainingProgress.text()
    for name in ("batch_loss", "train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert curve_points(tab, name) >= 2, name
    assert curve_points(tab, "test_accuracy") == 1
    assert tab.curves["train_accuracy"].getData()[0].tolist() == [1.0, 2.0]  # x in epochs

    info = model.info
    assert info["name"].startswith("mlp-") and info["dataset"] == "mnist"
    assert info["config"]["epochs"] == 2 and info["config"]["optimizer"] == "adam"
    assert [h["epoch"] for h in info["history"]] == [1, 2]
    assert info["test_accuracy"] > 0.5
    assert "stopped_early" not in info and info["app_version"] and info["created"]
    json.dumps(info)  # goes into the model file as is
    assert model.summary().startswith("784-32-10")
    assert model.optimizer_state is not None
    assert "test accuracy" in tab.statusLabel.text()


def test_stop_in_the_middle_keeps_what_was_learnt(qtbot, tab):
    configure(tab, epochs=200, batch_size=16)  # would take far longer than the test
    press(qtbot, tab.startButton)
    wait_for_first_progress(qtbot, tab)
    started = time.perf_counter()
    with qtbot.waitSignal(tab.model_trained, timeout=QUICK_MS) as blocker:
        press(qtbot, tab.stopButton)
    assert time.perf_counter() - started < QUICK_MS / 1000
    model = blocker.args[0]
    assert model.info["stopped_early"] is True
    assert len(model.info["history"]) < 200
    assert model.info["test_accuracy"] is not None
    assert not tab.is_training and tab.form.isEnabled()
    assert "Stopped" in tab.statusLabel.text()


def test_pause_holds_training_and_resume_finishes_it(qtbot, tab):
    configure(tab, epochs=10, batch_size=32)
    press(qtbot, tab.startButton)
    wait_for_first_progress(qtbot, tab)
    press(qtbot, tab.pauseButton)
    assert tab.is_paused and tab.pauseButton.text() == "Resume"
    qtbot.wait(250)  # let what was already queued arrive and be shown (10 redraws a second)
    before = tab.trainingProgress.format(), tab.trainingProgress.value()
    qtbot.wait(300)
    assert (tab.trainingProgress.format(), tab.trainingProgress.value()) == before
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        press(qtbot, tab.pauseButton)
        assert not tab.is_paused and tab.pauseButton.text() == "Pause"
    assert "stopped_early" not in blocker.args[0].info
    assert len(blocker.args[0].info["history"]) == 10


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_diverging_run_fails_and_names_the_learning_rate(qtbot, tab):
    configure(tab, epochs=1, batch_size=32, optimizer="momentum", learning_rate=1e9)
    trained = []
    tab.model_trained.connect(trained.append)
    with qtbot.waitSignal(tab.training_failed, timeout=RUN_TIMEOUT_MS) as blocker:
        press(qtbot, tab.startButton)
    assert "learning rate" in blocker.args[0]
    QApplication.processEvents()   # the thread has ended: all it sent is queued; deliver it
    assert trained == [] and not tab.is_training and tab.form.isEnabled()


# A remembered folder whose name no folder can have raised at every press of Start before.
@pytest.mark.parametrize("folder", ["empty", "~no-such-user-digitlab/mnist", "m" * 300])
def test_missing_data_asks_for_the_dataset_instead_of_failing(open_train_tab, qtbot, tmp_path,
                                                              folder):
    tab = open_train_tab()  # no MNIST needed: the point is that there is none
    tab.set_dataset("mnist", str(tmp_path) if folder == "empty" else folder)
    configure(tab)
    failed = []
    tab.training_failed.connect(failed.append)
    with qtbot.waitSignal(tab.dataset_missing, timeout=1000) as blocker:
        press(qtbot, tab.startButton)
    assert blocker.args == ["mnist"] and failed == [] and not tab.is_training
    assert tab.trainingProgress.text() == "No MNIST handwritten digits: training did not start"
    tab.shutdown()


@pytest.mark.slow
def test_continue_starts_from_the_active_models_weights(qtbot, tab):
    configure(tab, epochs=1)
    first = train_once(qtbot, tab)
    first_run_start = tab.curves["batch_loss"].getData()[1][0]
    weights = [p.copy() for p in first.params]

    tab.set_active_model(first)
    assert tab.form.startFromCombo.currentData() == "new"  # the user's choice stays
    choose_continue(qtbot, tab.form)
    tab.form.epochsSpin.setValue(1)  # a training setting: still "continue"
    assert tab.form.continue_chosen()
    second = train_once(qtbot, tab)

    second_run_start = tab.curves["batch_loss"].getData()[1][0]
    assert second_run_start < 0.7 * first_run_start  # ~0.5 after one epoch vs ~2.3 at random
    assert second is not first
    assert all(np.array_equal(a, b) for a, b in zip(first.params, weights))  # never mutated
    assert [h["epoch"] for h in second.info["history"]] == [1, 2]
    assert second.info["name"].startswith("mlp-")

    # A model of its own name (a file opened, a CNN while the form says mlp) keeps that name.
    second.info["name"] = "my-cnn"
    tab.set_active_model(second)
    choose_continue(qtbot, tab.form)
    assert train_once(qtbot, tab).info["name"].startswith("my-cnn-2")


def test_shutdown_during_training_returns_promptly(qtbot, tab):
    configure(tab, epochs=200, batch_size=16)
    trained = []
    tab.model_trained.connect(trained.append)
    press(qtbot, tab.startButton)
    wait_for_first_progress(qtbot, tab)
    threads = tab.findChildren(QThread)
    assert len(threads) == 1 and threads[0].isRunning()
    started = time.perf_counter()
    tab.shutdown()
    assert time.perf_counter() - started < QUICK_MS / 1000
    assert threads[0].isFinished() and not tab.is_training
    QApplication.processEvents()   # the thread has ended: all it sent is queued; deliver it
    assert trained == []


def test_stop_before_the_data_is_loaded_changes_nothing(qtbot, tab):
    configure(tab)
    trained = []
    tab.model_trained.connect(trained.append)
    with qtbot.waitSignal(tab.state_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda *_: not tab.is_training):
        press(qtbot, tab.startButton)
        press(qtbot, tab.stopButton)  # while the worker is still reading the files
    assert trained == [] and "unchanged" in tab.statusLabel.text()


def test_closing_while_the_training_digits_are_redrawn_returns_promptly(qtbot, tab):
    configure(tab)
    tab.form.redrawSpin.setValue(1.0)
    tab.train_limit = 20_000  # redrawing 16,000 digits takes far longer than QUICK_MS
    press(qtbot, tab.startButton)
    qtbot.waitUntil(lambda: "Redrawing" in tab.statusLabel.text(), timeout=RUN_TIMEOUT_MS)
    qtbot.wait(1000)  # well into the redrawing
    threads = tab.findChildren(QThread)
    started = time.perf_counter()
    tab.shutdown()
    assert time.perf_counter() - started < QUICK_MS / 1000
    assert threads[0].isFinished() and not tab.is_training


def test_a_preset_whose_network_the_form_cannot_edit(qtbot, tab, monkeypatch):
    """A future CNN preset: the form disables the dense fields and trains the preset's own
    network, input shape included."""
    specs = [{"type": "Flatten"}, {"type": "Dense", "in": 784, "out": 10, "init": "glorot"}]
    config = dataclasses.replace(PRESETS["mlp"].config, epochs=1, batch_size=128)
    monkeypatch.setitem(PRESETS, "flat", Preset("flat", "Flat", "test", specs, config, (1, 28, 28)))
    tab.form.presetCombo.addItem("Flat", "flat")  # the form lists PRESETS when it is built
    tab.form.presetCombo.setCurrentIndex(tab.form.presetCombo.findData("flat"))
    assert not tab.form.hiddenLayersEdit.isEnabled() and not tab.form.dropoutSpin.isEnabled()
    assert tab.form.config() == config
    model = train_once(qtbot, tab)
    assert model.architecture() == specs and model.input_shape == (1, 28, 28)


def test_every_preset_fills_the_form_with_its_settings(open_train_tab):
    tab = open_train_tab()
    for preset in PRESETS.values():
        tab.form.presetCombo.setCurrentIndex(tab.form.presetCombo.findData(preset.name))
        assert tab.form.config() == preset.config
        editable = mlp_fields(preset) is not None
        assert tab.form.hiddenLayersEdit.isEnabled() == editable
        assert tab.form.architecture()[0] == preset.architecture
    # A network the form cannot edit still shows its dropout, greyed out: the CNN's is 0.4.
    tab.form.presetCombo.setCurrentIndex(tab.form.presetCombo.findData("cnn"))
    assert tab.form.dropoutSpin.value() == pytest.approx(0.4)
    assert not tab.form.dropoutSpin.isEnabled()


def choose_continue(qtbot, form):
    """Choose "Continue the active model" in "Start from" with the keyboard, as a user does."""
    combo = form.startFromCombo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)   # "Continue" is the first item, "New" the second
    assert form.continue_chosen()


def test_start_from_changes_only_when_the_user_or_an_impossible_continue_says_so(
        open_train_tab, qtbot):
    tab = open_train_tab()
    tab.show()
    combo = tab.form.startFromCombo
    assert combo.currentData() == "new" and "none loaded" in combo.itemText(0)
    assert not combo.model().item(0).isEnabled()

    model = Model.from_architecture(mlp_architecture((16,)))
    tab.set_active_model(model)
    assert combo.currentData() == "new" and "784-16-10" in combo.itemText(0)
    choose_continue(qtbot, tab.form)
    qtbot.keyClicks(tab.form.hiddenLayersEdit, "0")  # editing the network means a new model
    assert combo.currentData() == "new"
    choose_continue(qtbot, tab.form)
    tab.set_active_model(Model.from_architecture(mlp_architecture((24,))))  # a run's result
    assert combo.currentData() == "continue" and "784-24-10" in combo.currentText()
    tab.new_model()
    assert combo.currentData() == "new"

    choose_continue(qtbot, tab.form)
    tab.set_dataset("fashion-mnist")  # other classes: the digits model cannot continue
    assert combo.currentData() == "new" and not combo.model().item(0).isEnabled()
    assert "Fashion-MNIST" in combo.itemText(0)


def test_invalid_hidden_layers_fail_with_a_sentence(open_train_tab, qtbot):
    tab = open_train_tab()
    tab.form.presetCombo.setCurrentIndex(tab.form.presetCombo.findData("mlp"))
    tab.form.hiddenLayersEdit.setText("512, 99999")
    with qtbot.waitSignal(tab.training_failed, timeout=1000) as blocker:
        tab.start()
    assert "hidden layers" in blocker.args[0] and not tab.is_training


def test_form_state_round_trip_and_bad_values(open_train_tab):
    tab = open_train_tab()
    form = tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData("mlp"))
    form.hiddenLayersEdit.setText("64, 32")
    form.activationCombo.setCurrentIndex(form.activationCombo.findData("tanh"))
    form.optimizerCombo.setCurrentIndex(form.optimizerCombo.findData("nesterov"))
    form.scheduleCombo.setCurrentIndex(form.scheduleCombo.findData("step"))
    for spin, value in ((form.learningRateSpin, 0.05), (form.batchSizeSpin, 0),
                        (form.epochsSpin, 7), (form.weightDecaySpin, 0.0001),
                        (form.dropoutSpin, 0.1), (form.seedSpin, 42), (form.momentumSpin, 0.8),
                        (form.warmupSpin, 1.5), (form.stepEverySpin, 3),
                        (form.stepFactorSpin, 0.2), (form.earlyStoppingSpin, 4)):
        spin.setValue(value)
    form.augmentCheck.setChecked(True)
    assert form.config().augmentation is not None
    assert (form.config().optimizer, form.config().nesterov) == ("sgd", True)
    state = json.loads(json.dumps(tab.form_state()))
    assert state["augment"] is True

    other = open_train_tab()
    other.set_form_state(state)
    assert other.form_state() == state
    assert other.form.config() == form.config()

    other.set_form_state({"epochs": "many", "learning_rate": -1.0, "hidden_layers": "a, b",
                          "optimizer": "nope", "batch_size": 1.5, "seed": True,
                          "unknown": 1, "preset": "no-such-preset"})
    other.set_form_state("not a dict")
    assert other.form_state() == state


def test_settings_saved_with_the_former_preset_name_select_the_notebook_preset(open_train_tab):
    tab = open_train_tab()
    tab.set_form_state({"preset": "mlp"})
    tab.set_form_state({"preset": "seed"})  # what settings written before the rename hold
    assert tab.form_state()["preset"] == "notebook"


def test_redrawn_digits_typed_in_the_form_reach_the_run_and_the_saved_settings(open_train_tab,
                                                                               qtbot):
    tab = open_train_tab()
    spin = tab.form.redrawSpin
    spin.selectAll()
    qtbot.keyClicks(spin, "0.5")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert tab.form.config().redraw == 0.5

    other = open_train_tab()
    other.set_form_state(json.loads(json.dumps(tab.form_state())))
    assert other.form.config().redraw == 0.5


def test_learning_rate_steps_along_1_2_5(qtbot):
    spin = LogSpinBox()
    qtbot.addWidget(spin)
    spin.setDecimals(5)
    spin.setRange(0.0, 10.0)
    spin.setValue(0.001)
    assert spin.text() == "0.001"
    seen = []
    for _ in range(3):
        spin.stepBy(1)
        seen.append(spin.value())
    assert seen == pytest.approx([0.002, 0.005, 0.01])
    spin.setValue(0.00002)
    spin.stepBy(-1)
    assert spin.value() == pytest.approx(0.00001)
    spin.stepBy(-1)
    assert spin.value() == 0.0  # weight decay can be switched off with the arrows
    spin.stepBy(1)
    assert spin.value() == pytest.approx(0.00001)


class SignalCounter(QObject):
    """Counts the worker's signals (a QObject slot, as cross-thread connections want)."""

    def __init__(self):
        super().__init__()
        self.batches, self.epochs = [], []

    @Slot(object)
    def on_batch(self, record):
        self.batches.append(record)

    @Slot(object)
    def on_epoch(self, record):
        self.epochs.append(record)


def test_the_worker_throttles_batch_progress(qapp, mnist_dir):
    epochs = 3
    config = dataclasses.replace(PRESETS["mlp"].config, epochs=epochs, batch_size=8)
    job = TrainingJob(config, "mlp", data_dir=str(mnist_dir), architecture=mlp_architecture((16,)),
                      train_limit=LIMIT, test_limit=1000)
    worker, counter = TrainingWorker(job), SignalCounter()
    worker.batch_progress.connect(counter.on_batch)
    worker.epoch_progress.connect(counter.on_epoch)
    started = time.perf_counter()
    worker.run()  # on this thread: the signals are delivered at once
    seconds = time.perf_counter() - started
    batches_run = epochs * -(-(LIMIT - 600) // 8)
    assert len(counter.epochs) == epochs
    assert 1 <= len(counter.batches) <= seconds / MIN_SECONDS_BETWEEN_BATCH_SIGNALS + epochs + 1
    assert len(counter.batches) < batches_run / 4
    assert counter.batches[-1].epoch == epochs  # the final record always gets through


def test_continuing_a_preset_network_shows_its_preset_and_training_settings(open_train_tab,
                                                                          qtbot):
    tab = open_train_tab()
    tab.show()
    form = tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData("notebook"))
    cnn = PRESETS["cnn"]
    model = Model.from_architecture(cnn.architecture, cnn.input_shape)
    trained_with = dataclasses.replace(cnn.config, epochs=15, augmentation=Augmentation())
    model.info = {"config": trained_with.to_dict()}

    tab.set_active_model(model)
    assert form.presetCombo.currentData() == "notebook"  # nothing changes by itself...
    choose_continue(qtbot, form)                           # ...until the user continues it

    assert form.presetCombo.currentData() == "cnn" and form.continue_chosen()
    assert form.epochsSpin.value() == 15 and form.augmentCheck.isChecked()
    assert form.batchSizeSpin.value() == 128  # not the notebook's full batch on a CNN
    custom = Model.from_architecture(mlp_architecture((33,)))
    tab.set_active_model(custom)
    assert form.presetCombo.currentData() == "cnn" and form.continue_chosen()


class ThreadPriorities(QObject):
    """Notes the priority (niceness) of the thread that emits each epoch record."""

    def __init__(self):
        super().__init__()
        self.seen = []

    @Slot(object)
    def on_epoch(self, record):
        self.seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_training_threads_give_way_to_the_gui_thread(qapp, mnist_dir):
    gui_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    config = dataclasses.replace(PRESETS["mlp"].config, epochs=1, batch_size=64)
    job = TrainingJob(config, "mlp", data_dir=str(mnist_dir), architecture=mlp_architecture((16,)),
                      train_limit=LIMIT, test_limit=1000)
    worker, priorities = TrainingWorker(job), ThreadPriorities()
    worker.epoch_progress.connect(priorities.on_epoch, Qt.ConnectionType.DirectConnection)
    thread = threading.Thread(target=worker.run)  # like the QThread: the worker's own thread
    thread.start()
    thread.join(RUN_TIMEOUT_MS / 1000)
    assert priorities.seen == [TRAINING_NICENESS]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui_niceness


def test_every_engine_setting_is_a_form_field(open_train_tab, qtbot):
    """Momentum, Nesterov, warm-up, the step schedule and early stopping, typed and clicked
    like a user, reach the TrainConfig; settings of another optimizer or schedule are greyed."""
    tab = open_train_tab()
    tab.show()
    form = tab.form
    configure(tab, optimizer="adam")
    assert not form.momentumSpin.isEnabled() and not form.stepEverySpin.isEnabled()
    form.optimizerCombo.setCurrentIndex(form.optimizerCombo.findData("momentum"))
    form.scheduleCombo.setCurrentIndex(form.scheduleCombo.findData("step"))
    assert form.momentumSpin.isEnabled() and form.stepFactorSpin.isEnabled()
    for spin, text in ((form.momentumSpin, "0.75"), (form.warmupSpin, "2"),
                       (form.stepEverySpin, "3"), (form.stepFactorSpin, "0.25"),
                       (form.earlyStoppingSpin, "5")):
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), text)
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)
    config = form.config()
    assert (config.optimizer, config.nesterov, config.momentum) == ("sgd", False, 0.75)
    assert (config.schedule, config.step_every, config.step_gamma) == ("step", 3, 0.25)
    assert config.warmup_epochs == 2.0 and config.early_stopping_patience == 5
    form.earlyStoppingSpin.setValue(0)
    assert form.earlyStoppingSpin.text() == "off" and form.config().early_stopping_patience == 0


def test_a_model_trained_with_nesterov_shows_it(open_train_tab, qtbot):
    tab = open_train_tab()
    tab.show()
    preset = PRESETS["mlp"]
    model = Model.from_architecture(preset.architecture, rng=np.random.default_rng(0))
    model.info = {"config": dataclasses.replace(preset.config, optimizer="sgd", nesterov=True,
                                                momentum=0.7, warmup_epochs=1.0).to_dict()}
    tab.set_active_model(model)
    form = tab.form
    choose_continue(qtbot, form)
    assert form.optimizerCombo.currentData() == "nesterov"
    assert form.momentumSpin.value() == 0.7 and form.momentumSpin.isEnabled()
    assert form.warmupSpin.value() == 1.0
    assert form.config().nesterov is True


def test_the_split_description_counts_redrawn_digits_apart_from_the_validation_ones():
    from desktop.train.worker import _describe_split
    from nn.training.train import TrainConfig

    config = TrainConfig(validation_size=5000, redraw=1.0)
    assert (_describe_split("MNIST", 30_000, 2_000, config)
            == "MNIST: 25,000 train + 25,000 redrawn / 5,000 validation / 2,000 test")
    assert (_describe_split("MNIST", 30_000, 2_000, dataclasses.replace(config, redraw=0.0))
            == "MNIST: 25,000 train / 5,000 validation / 2,000 test")
