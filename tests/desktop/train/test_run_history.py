"""The Train tab's run history, driven through Qt events: runs recorded as they end, sorted by a
header click, ticked to overlay their curves, re-run, opened and deleted; kept across launches.

Runs train on a small synthetic dataset (each digit a bar at its own place, plus noise), so
these tests need no MNIST and each run takes a fraction of a second.
"""

import sqlite3
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QStyle, QStyleOptionViewItem, QTableView

from desktop.train.runs_model import ACCURACY, CHECK, DIFFERS, EPOCHS, NETWORK, WHEN
from desktop.storage.runs import DB_NAME, RunStore
from nn.data.idx import write_idx
from tests.desktop.drawing import shown

RUN_TIMEOUT_MS = 30_000
N_STORED = 1000
LOAD_LIMIT_S = 1.0   # 1,000 runs into the view; it takes ~0.1 s


def learnable_images(n, rng):
    """(n, 28, 28) uint8 images whose label is where a bar is, and (n,) labels."""
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        image[4:24, 2 + 2 * label:4 + 2 * label] = 255
    return images, labels


@pytest.fixture
def synthetic_dir(tmp_path):
    folder, rng = tmp_path / "synthetic", np.random.default_rng(0)
    folder.mkdir()
    for prefix, n in (("train", 600), ("t10k", 200)):
        images, labels = learnable_images(n, rng)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture
def tab(open_train_tab, qtbot, run_store, synthetic_dir):
    tab = shown(qtbot, open_train_tab(synthetic_dir), (1100, 700))
    tab.set_run_store(run_store)
    return tab


def configure(tab, learning_rate, epochs=2, batch_size=32):
    form = tab.form
    form.presetCombo.setCurrentIndex(form.presetCombo.findData("mlp"))
    form.hiddenLayersEdit.setText("16")
    form.epochsSpin.setValue(epochs)
    form.batchSizeSpin.setValue(batch_size)
    form.learningRateSpin.setValue(learning_rate)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def train(qtbot, tab):
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        click(qtbot, tab.startButton)
    return blocker.args[0]


def table_of(widget):
    return widget.findChild(QTableView, "runHistory")


def cell(table, row, column):
    return table.model().index(row, column).data()


def click_header(qtbot, table, column):
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def click_checkbox(qtbot, table, row):
    """A click on the check box of ``row``, where the style draws it."""
    option = QStyleOptionViewItem()
    option.rect = table.visualRect(table.model().index(row, CHECK))
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                       option, table)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def click_row(qtbot, table, row, column=NETWORK):
    rect = table.visualRect(table.model().index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def legend_texts(plot):
    return [label.text for _sample, label in plot.getPlotItem().legend.items]


def test_two_runs_are_listed_sorted_overlaid_and_one_deleted(qtbot, tab, run_store):
    table = table_of(tab)
    configure(tab, learning_rate=0.1)
    train(qtbot, tab)
    configure(tab, learning_rate=0.001)
    train(qtbot, tab)
    assert table.model().rowCount() == 2 and len(run_store) == 2
    assert cell(table, 0, NETWORK).startswith("784-16-10") and cell(table, 0, EPOCHS) == "2"
    # Runs recorded while the table is shown are read whole, not "07 Dec..." in a column
    # sized when it was empty.
    metrics = table.fontMetrics()
    for column in (WHEN, NETWORK):
        assert table.columnWidth(column) > metrics.horizontalAdvance(cell(table, 0, column))

    click_header(qtbot, table, ACCURACY)
    first = [run_store.runs()[i].accuracy for i in range(2)]
    ascending = [cell(table, row, ACCURACY) for row in range(2)]
    assert ascending == [f"{a:.2%}" for a in sorted(first)]
    click_header(qtbot, table, ACCURACY)
    assert [cell(table, row, ACCURACY) for row in range(2)] == ascending[::-1]

    loss_before = len(tab.lossPlot.getPlotItem().listDataItems())
    accuracy_before = len(tab.accuracyPlot.getPlotItem().listDataItems())
    for row in range(2):
        click_checkbox(qtbot, table, row)
    assert table.model().checked_ids() and len(table.model().checked_ids()) == 2
    assert len(tab.lossPlot.getPlotItem().listDataItems()) == loss_before + 2
    assert len(tab.accuracyPlot.getPlotItem().listDataItems()) == accuracy_before + 2
    legends = legend_texts(tab.lossPlot)
    ids = [run_store.runs()[i].id for i in range(2)]
    # Short and unique: what differs and the run's name; all its settings in the tooltip.
    assert sorted(legends[-2:]) == sorted([f"lr=0.1 · run {ids[0]}", f"lr=0.001 · run {ids[1]}"])
    tooltip = tab.lossPlot.getPlotItem().legend.items[-1][1].toolTip()
    assert "Learning rate: " in tooltip and "Optimizer: " in tooltip and "Batch size: " in tooltip
    assert {cell(table, row, DIFFERS) for row in range(2)} == {"lr=0.1", "lr=0.001"}
    overlays = tab.run_history.overlays
    colours = {overlays.colour_of(run_id) for run_id in overlays.run_ids()}
    assert len(colours) == 2, "each run in its own colour"
    click_checkbox(qtbot, table, 1)   # unticked: its curves go...
    assert len(tab.lossPlot.getPlotItem().listDataItems()) == loss_before + 1
    assert len(overlays.run_ids()) == 1
    click_checkbox(qtbot, table, 1)   # ...and come back, named again by what differs
    assert len(tab.lossPlot.getPlotItem().listDataItems()) == loss_before + 2
    assert ({f"lr=0.1 · run {ids[0]}", f"lr=0.001 · run {ids[1]}"}
            <= set(legend_texts(tab.lossPlot)))

    click_row(qtbot, table, 0)
    deleted = table.model().run_at(0).id
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    kept = [run.id for run in run_store.runs()]
    assert len(kept) == 1 and deleted not in kept and table.model().rowCount() == 1
    assert len(tab.lossPlot.getPlotItem().listDataItems()) == loss_before + 1
    assert f"run {kept[0]}: 784-16-10 ReLU" in legend_texts(tab.lossPlot), \
        "one run left: nothing differs, so it is named by its number and network"


def test_a_stopped_run_and_a_continued_one_are_marked(qtbot, tab, run_store):
    table = table_of(tab)
    configure(tab, learning_rate=0.001, epochs=500, batch_size=8)
    click(qtbot, tab.startButton)
    qtbot.waitUntil(lambda: tab.trainingProgress.format().startswith("Epoch"),
                    timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        click(qtbot, tab.stopButton)
    assert run_store.runs()[0].status == "stopped" and "(stopped)" in cell(table, 0, EPOCHS)
    click_checkbox(qtbot, table, 0)
    run = run_store.runs()[0]
    assert legend_texts(tab.lossPlot)[-1] == (
        f"run {run.id}: 784-16-10 ReLU (stopped after {run.epochs} of 500 epochs)")
    click_checkbox(qtbot, table, 0)
    tab.set_active_model(blocker.args[0])
    combo = tab.form.startFromCombo   # "Start from" never changes by itself: the user picks
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)   # "Continue the active model", the first item
    tab.form.epochsSpin.setValue(1)
    assert tab.form.continue_chosen()
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.startButton)
    kinds = [run.kind for run in run_store.runs()]
    assert kinds == ["new", "continue"] and "(continue)" in cell(table, 0, NETWORK)


def test_rerun_fills_the_form_and_trains_the_same_settings_again(qtbot, tab, run_store):
    table = table_of(tab)
    configure(tab, learning_rate=0.05, epochs=1)
    train(qtbot, tab)
    configure(tab, learning_rate=0.002, epochs=2)
    click_row(qtbot, table, 0)
    rerun = tab.findChild(QPushButton, "rerunButton")
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        click(qtbot, rerun)
        assert not rerun.isEnabled(), "no second run while one trains"
    assert tab.form.learningRateSpin.value() == pytest.approx(0.05)
    assert blocker.args[0].info["config"]["learning_rate"] == pytest.approx(0.05)
    first, second = run_store.runs()
    assert second.settings["config"] == first.settings["config"]
    assert second.kind == "new"


def test_a_thousand_runs_load_fast_and_curves_are_read_only_for_ticked_runs(qtbot, tmp_path,
                                                                          open_train_tab):
    store = RunStore(tmp_path / DB_NAME)
    runs = [(i + 1, f"2026-11-{1 + i % 28:02d}T10:00:00+00:00", "new", "finished", f"mlp-{i}",
             "784-32-10 ReLU", "mnist", 1 + i % 20, (i * 7919 % 1000) / 1000, 1.0 + i,
             1000 + i, '{"config": {"learning_rate": %g}, "form": {}}' % (0.001 * (1 + i % 3)),
             None) for i in range(N_STORED)]
    curves = [(i + 1, i + 1, "batch_loss", np.zeros(2000, "<f4").tobytes())
              for i in range(N_STORED)]
    store.restore({"runs": runs, "curves": curves})
    statements = []
    store._db.set_trace_callback(statements.append)
    tab = shown(qtbot, open_train_tab(), (1100, 700))
    started = time.perf_counter()
    tab.set_run_store(store)
    table = table_of(tab)
    table.doItemsLayout()        # what the view does before it paints: column widths...
    table.viewport().repaint()   # ...and the rows on screen
    seconds = time.perf_counter() - started
    assert table.model().rowCount() == N_STORED and seconds < LOAD_LIMIT_S
    assert not [s for s in statements if "curves" in s], "no curve is read for the list"
    click_header(qtbot, table, ACCURACY)
    click_header(qtbot, table, ACCURACY)   # highest first
    assert cell(table, 0, ACCURACY) == f"{max(r[8] for r in runs):.2%}"
    click_checkbox(qtbot, table, 0)
    click_checkbox(qtbot, table, 1)
    assert len([s for s in statements if "FROM curves" in s]) == 2
    store.close()


def test_runs_survive_a_restart_and_a_saved_model_opens_from_its_run(
        qtbot, open_window, no_bundled_model, tmp_path, synthetic_dir, private_home):
    window = open_window()
    window.choose_dataset("mnist", synthetic_dir)
    configure(window.train_tab, learning_rate=0.01, epochs=1)
    train(qtbot, window.train_tab)
    saved = tmp_path / "trained.npz"
    window.files._write(str(saved))   # File > Save As without its dialog
    assert not window.is_modified
    window.close()
    assert window.runs is not None and (private_home / DB_NAME).exists()

    again = open_window()
    table = table_of(again)
    assert table.model().rowCount() == 1
    assert table.model().run_at(0).model_path == str(saved)
    again.set_active_model(None)   # no model is active...
    click_row(qtbot, table, 0)
    click(qtbot, again.findChild(QPushButton, "openRunModelButton"))
    assert again.active_path == str(saved)   # ...until the run's model is opened
    again.close()


def test_a_newer_run_history_is_left_alone_and_the_window_works(open_window, no_bundled_model,
                                                                private_home):
    private_home.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(private_home / DB_NAME)
    db.execute("PRAGMA user_version=9")
    db.close()
    window = open_window()
    assert window.runs is None and not table_of(window).isEnabled()
    message = window.statusBar().currentMessage()
    assert "newer DigitLab" in message and "run history" in message and "\n" not in message
    window.close()


def test_a_damaged_run_history_at_launch_is_kept_aside_and_a_new_one_records(
        qtbot, open_window, no_bundled_model, private_home, synthetic_dir):
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / DB_NAME).write_bytes(b"not a database" * 500)
    window = open_window()
    message = window.statusBar().currentMessage()
    assert "run history" in message and "runs-damaged-" in message and "\n" not in message
    window.choose_dataset("mnist", synthetic_dir)
    configure(window.train_tab, learning_rate=0.01, epochs=1)
    train(qtbot, window.train_tab)
    assert len(window.runs) == 1 and table_of(window).model().rowCount() == 1
    window.is_modified = False   # the trained model is not wanted: closing asks nothing
    window.close()


def test_a_run_the_locked_history_cannot_record_says_so_after_training_finished(
        qtbot, monkeypatch, open_window, no_bundled_model, private_home, synthetic_dir):
    from desktop.storage import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)
    window = open_window()
    window.choose_dataset("mnist", synthetic_dir)
    configure(window.train_tab, learning_rate=0.01, epochs=1)
    other = sqlite3.connect(private_home / DB_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")   # another program holds the run history
    try:
        train(qtbot, window.train_tab)
    finally:
        other.execute("ROLLBACK")
        other.close()
    message = window.statusBar().currentMessage()
    assert "record the training run" in message and "locked" in message
    assert "could not be recorded" in window.train_tab.statusLabel.text()
    assert table_of(window).model().rowCount() == 0
    window.is_modified = False
    window.close()
