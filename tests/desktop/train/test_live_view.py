"""The Train tab's live view: however many records a run sends, the event loop redraws a few
times a second."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication

from desktop.train.live_view import LiveView
from desktop.widgets.steady_view import MARGIN, steady_range
from nn.training.progress import BatchProgress

BATCHES = 200   # a batch of each epoch: the notebook preset sends hundreds a second
finite = st.floats(-1e6, 1e6)


def batch(i, epochs=2):
    return BatchProgress(epoch=i / BATCHES, epochs=epochs, loss=1 / i, accuracy=0.5,
                         learning_rate=0.01, samples_per_second=1000.0, elapsed=i / 1000,
                         eta=1.0)


@pytest.fixture
def view(qtbot):
    """A live view on screen, as the Train tab shows it, for a run of two epochs."""
    view = LiveView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.start(epochs=2)
    yield view
    view.finish()


def test_a_burst_of_batches_moves_the_progress_bar_once_to_the_newest(qtbot, view):
    values = []
    view.progress.valueChanged.connect(values.append)
    for i in range(1, 2 * BATCHES + 1):
        view.add_batch(batch(i))
    assert values == []   # a batch only joins the buffers: no repaint per batch
    qtbot.waitUntil(lambda: values != [], timeout=1000)   # the next redraw shows the newest
    assert values == [view.progress.maximum()]
    assert view.progress.format().startswith("Epoch 2/2")


def y_range_changes(plot):
    changes = []
    plot.getPlotItem().getViewBox().sigYRangeChanged.connect(lambda *_: changes.append(1))
    return changes


def test_the_loss_axis_moves_in_steps_while_the_loss_creeps_down(view):
    loss_plot = view.training_curves.loss_plot
    changes = y_range_changes(loss_plot)
    losses = 2.3 * np.exp(-np.linspace(0, 4, 2 * BATCHES))   # from 2.3 down to 0.04
    for i, loss in enumerate(losses, start=1):
        view.add_batch(dataclasses.replace(batch(i), loss=float(loss)))
        view.training_curves.redraw()
        QApplication.processEvents()   # painted: the view fits its range then
    # Each change of range redraws the axis; a range fitted to every point changes 400 times.
    assert 1 <= len(changes) <= len(losses) / 16
    low, high = loss_plot.getPlotItem().getViewBox().viewRange()[1]
    shown = view.training_curves.curves["batch_loss"].getData()[1]
    assert low <= shown.min() and shown.max() <= high   # every point in view
    assert shown.max() - shown.min() >= 0.5 * (high - low)   # and not lost in empty space


def test_a_range_the_user_chose_stays_while_the_run_goes_on(view):
    for i in range(1, 50):
        view.add_batch(batch(i))
    view.redraw()
    QApplication.processEvents()
    box = view.training_curves.loss_plot.getPlotItem().getViewBox()
    box.setYRange(0.2, 0.4, padding=0)   # as zooming in does
    for i in range(50, 150):
        view.add_batch(batch(i))
    view.redraw()
    QApplication.processEvents()
    assert box.viewRange()[1] == pytest.approx([0.2, 0.4])
    box.enableAutoRange(axis="y")   # the plot's "A" button: follow the curves again
    QApplication.processEvents()
    low, high = box.viewRange()[1]
    assert low <= 1 / 149 and high >= 1.0


@given(st.tuples(finite, finite).map(sorted), st.tuples(finite, finite).map(sorted))
def test_a_steady_range_always_holds_the_curves(wanted, shown):
    low, high = steady_range(tuple(wanted), tuple(shown))
    assert low <= wanted[0] and wanted[1] <= high
    if (low, high) != tuple(shown):   # refitted: the curves fill most of it
        assert wanted[1] - wanted[0] >= (high - low) / (1 + 2 * MARGIN) * (1 - 1e-9)
