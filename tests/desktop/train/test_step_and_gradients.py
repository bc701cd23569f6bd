"""Step-by-step training, the gradient plot, the ready-made experiments and the Inspect tab's
live weights, driven with real clicks on small synthetic data (no MNIST needed)."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QComboBox, QSlider, QTableWidget

from desktop.inspect.views import HeatImage
from desktop.train.experiments import EXPERIMENTS
from desktop.train.hover import view_to_widget
from nn.data.idx import write_idx
from nn.ink.second_look import second_look
from tests.desktop.drawing import NO_BUTTON, draw_on_pad, send_mouse

RUN_TIMEOUT_MS = 60_000
SETTLE_S = 0.3          # long enough for another batch, were one allowed


@pytest.fixture
def tiny_data(tmp_path):
    """Four IDX files of random 28x28 images with random labels: 400 train, 50 test."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 400), ("t10k", 50)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz",
                  rng.integers(0, 10, n, dtype=np.uint8))
    return tmp_path


@pytest.fixture
def tab(open_train_tab, tiny_data):
    tab = open_train_tab(tiny_data)
    form = tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData("mlp"))
    form.hiddenLayersEdit.setText("8, 6")
    form.batchSizeSpin.setValue(32)
    form.choose_new_model()
    return tab


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def points(curve):
    x, _y = curve.getData()
    return 0 if x is None else len(x)


def step(qtbot, tab, snapshots, batches):
    """Click Step and wait for the batch's weights; returns when ``batches`` have been shown."""
    with qtbot.waitSignal(tab.weights_changed, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.stepButton)
    qtbot.waitUntil(lambda: points(tab.curves["batch_loss"]) == batches, timeout=RUN_TIMEOUT_MS)
    qtbot.wait(int(SETTLE_S * 1000))
    tab.live.redraw()
    assert points(tab.curves["batch_loss"]) == batches
    assert len(snapshots) == batches
    assert tab.is_training and tab.is_paused


def test_step_twice_on_a_new_run_trains_exactly_two_batches(qtbot, tab):
    snapshots = []
    tab.weights_changed.connect(lambda model: snapshots.append(model))
    step(qtbot, tab, snapshots, 1)
    assert tab.pauseButton.text() == "Resume" and "Paused" in tab.statusLabel.text()
    step(qtbot, tab, snapshots, 2)
    first, second = (np.concatenate([p.ravel() for p in m.params]) for m in snapshots)
    assert not np.array_equal(first, second)   # the second batch changed the weights

    norms = tab.gradientPlot.curves["gradient_norms"]
    assert [points(c) for c in norms] == [2, 2, 2]   # Dense 1-3, one point per batch
    assert [points(c) for c in tab.gradientPlot.curves["dead_units"]] == [2, 2]
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        click(qtbot, tab.stopButton)
    trained = np.concatenate([p.ravel() for p in blocker.args[0].params])
    np.testing.assert_array_equal(trained, second)   # nothing trained after the second step


def test_five_steps_show_five_points_on_a_batch_axis_and_five_rows(qtbot, tab):
    snapshots = []
    tab.weights_changed.connect(lambda model: snapshots.append(model))
    for n in range(1, 6):
        step(qtbot, tab, snapshots, n)

    table = tab.findChild(QTableWidget, "stepTable")
    assert not table.isHidden() and table.rowCount() == 5
    assert [table.item(row, 0).text() for row in range(5)] == ["1", "2", "3", "4", "5"]
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:6] == ["Step", "Loss before", "Loss after", "Right before", "Right after",
                           "Learning rate"]
    assert headers[6:] == ["|Δw|/|w| Dense 1", "|Δw|/|w| Dense 2", "|Δw|/|w| Dense 3"]
    for row in range(5):
        before, after = (float(table.item(row, c).text()) for c in (1, 2))
        assert after != before  # the step changed what the network makes of its batch
        right, of = table.item(row, 4).text().split(" of ")
        assert of == "32" and 0 <= int(right) <= 32
    for name in ("before", "after"):
        x, _y = tab.live.steps.points[name].getData()
        assert len(x) == 5
    # The x axis counts batches and spans the steps taken, not the whole run.
    axis = tab.lossPlot.getPlotItem().getAxis("bottom")
    assert axis.labelText == "batch (step)"
    low, high = tab.lossPlot.getPlotItem().viewRange()[0]
    assert high * axis.scale < 8


def test_step_pauses_a_running_run_and_resume_goes_on(qtbot, tab):
    tab.form.epochsSpin.setValue(200)
    click(qtbot, tab.startButton)
    qtbot.waitUntil(lambda: tab.trainingProgress.format().startswith("Epoch"),
                    timeout=RUN_TIMEOUT_MS)
    click(qtbot, tab.stepButton)
    assert tab.is_paused
    qtbot.wait(int(SETTLE_S * 1000))
    tab.live.redraw()
    held = points(tab.curves["batch_loss"])
    qtbot.wait(int(SETTLE_S * 1000))
    tab.live.redraw()
    assert points(tab.curves["batch_loss"]) == held
    click(qtbot, tab.pauseButton)   # Resume
    qtbot.waitUntil(lambda: tab.live.redraw() or points(tab.curves["batch_loss"]) > held,
                    timeout=RUN_TIMEOUT_MS)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_an_experiment_button_fills_the_form_and_starts(qtbot, tab, experiment):
    button = tab.experiments.buttons[experiment.name]
    click(qtbot, button)
    assert tab.is_training and not button.isEnabled()
    form = tab.form
    assert form.hiddenLayersEdit.text() == experiment.hidden
    assert form.activationCombo.currentData() == experiment.activation
    assert form.optimizerCombo.currentData() == experiment.optimizer
    assert form.learningRateSpin.value() == experiment.learning_rate
    assert tab.experiments.hint.text() == experiment.look_for
    assert not tab.experiments.hint.isHidden()
    tab.shutdown()


def test_vanishing_gradients_show_in_the_plot(qtbot, tab):
    [vanishing] = [e for e in EXPERIMENTS if e.activation == "sigmoid"]
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.experiments.buttons[vanishing.name])
    curves = tab.gradientPlot.curves["gradient_norms"]

    def all_drawn():  # one curve is added per event-loop turn, and filled at the next redraw
        tab.gradientPlot.redraw()
        return len(curves) == 9 and all(c.getData()[1] is not None for c in curves)

    # eight hidden layers and the output layer
    qtbot.waitUntil(all_drawn, timeout=RUN_TIMEOUT_MS)
    norms = [c.getData()[1] for c in curves]
    assert np.median(norms[0]) < np.median(norms[-1]) / 100


def test_the_inspect_tab_shows_the_notebook_units_while_they_train(window, qtbot, tiny_data):
    window.choose_dataset("mnist", str(tiny_data))
    window.tabs.setCurrentWidget(window.draw_tab)
    draw_on_pad(window.draw_tab.pad, [(0.5, 0.2), (0.5, 0.8)])
    readings = []
    window.draw_tab.prediction_changed.connect(lambda probs: readings.append(probs))
    tab = window.train_tab
    tab.form.presetCombo.setCurrentIndex(tab.form.presetCombo.findData("notebook"))
    tab.new_model()
    window.tabs.setCurrentWidget(window.inspect_tab)
    snapshots = []
    tab.weights_changed.connect(lambda model: snapshots.append(model))
    shown = []
    for _ in range(2):
        with qtbot.waitSignal(tab.weights_changed, timeout=RUN_TIMEOUT_MS):
            click(qtbot, tab.stepButton)
        tiles = window.inspect_tab.findChildren(HeatImage, "unitWeightsTile")
        assert len(tiles) == 10
        shown.append(np.stack([t.values for t in tiles]))
        # The tiles show the weights of the model in training, not of the active model.
        np.testing.assert_array_equal(shown[-1], snapshots[-1].layers[0].W.T.reshape(10, 28, 28))
    assert not np.array_equal(shown[0], shown[1])
    # The Draw tab reads the drawing with them too (at a second look: they are unsure), once
    # it is shown.
    window.tabs.setCurrentWidget(window.draw_tab)
    training = snapshots[-1]
    first = training.predict_proba(window.draw_tab.last_input[None])[0]
    np.testing.assert_allclose(readings[-1],
                               second_look(training, window.draw_tab.pad.strokes, first))
    assert window.active_model is not snapshots[-1]


def hover(plot, pos):
    """The pointer moved over ``plot`` to ``pos`` (no button held), as a mouse sends it."""
    send_mouse(plot.viewport(), QEvent.Type.MouseMove, (pos.x(), pos.y()), NO_BUTTON, NO_BUTTON)


def test_hovering_a_curve_reads_out_its_value_and_step(qtbot, tab):
    tab.resize(1100, 900)
    tab.show()
    qtbot.waitExposed(tab)
    snapshots = []
    tab.weights_changed.connect(lambda model: snapshots.append(model))
    for n in range(1, 4):
        step(qtbot, tab, snapshots, n)
    item = tab.lossPlot.getPlotItem()
    x, y = tab.live.steps.points["after"].getData()
    readout = tab.live.hover[item]

    point = view_to_widget(tab.lossPlot, item, x[1], y[1])
    qtbot.waitUntil(lambda: hover(tab.lossPlot, point) or readout.text != "")

    name, where = readout.text.split("\n")
    assert name == f"step: batch loss after: {y[1]:.4g}"
    assert where == "batch (step) 2"
    (_, x_max), (_, y_max) = item.viewRange()
    far = view_to_widget(tab.lossPlot, item, x_max, y_max)   # the top right: no point near
    # pyqtgraph drops moves that follow the last within 10 ms: move until one gets through.
    qtbot.waitUntil(lambda: hover(tab.lossPlot, far) or readout.text == "")


def test_dying_relus_pile_up_in_the_bottom_row_of_the_histograms(qtbot, tab):
    [dying] = [e for e in EXPERIMENTS if e.name == "dyingReluButton"]
    histograms = tab.live.histograms
    tab.live.layer_views.setCurrentWidget(histograms)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.experiments.buttons[dying.name])
    tab.live.redraw()

    combo = tab.findChild(QComboBox, "histogramLayerCombo")
    assert combo.count() >= 2 and combo.currentText() == "Dense 1"
    weights = histograms.weights["Dense 1"]
    assert len(weights.columns) >= 2    # one column per copy of the weights
    assert all(column.sum() == weights.columns[0].sum() for column in weights.columns)
    firing = histograms.firing["Dense 1"]
    units = firing.columns[0].sum()
    # Units that never fire: the bottom bin; a learning rate 50 times too high fills it.
    assert firing.columns[-1][0] > firing.columns[0][0]
    assert firing.columns[-1][0] >= units / 4
    image = histograms.images["firing"].image
    assert image.shape == (len(firing.columns), 20)


def test_the_smoothing_slider_smooths_the_batch_loss_again(qtbot, tab):
    snapshots = []
    tab.weights_changed.connect(lambda model: snapshots.append(model))
    for n in range(1, 4):
        step(qtbot, tab, snapshots, n)
    raw = tab.live.training_curves.snapshot()["batch_losses"][1]
    slider = tab.findChild(QSlider, "smoothingSlider")
    slider.setFocus()

    qtbot.keyClick(slider, Qt.Key.Key_Home)   # 0: every batch's loss as it is
    np.testing.assert_allclose(tab.curves["batch_loss"].getData()[1], raw)
    qtbot.keyClick(slider, Qt.Key.Key_End)    # 0.99: the first point, then barely moving
    smoothed = tab.curves["batch_loss"].getData()[1]
    assert smoothed[0] == pytest.approx(raw[0])
    assert np.ptp(smoothed) < np.ptp(raw)
