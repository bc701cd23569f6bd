"""The Maths tab in the main window: it takes the Draw tab's drawing (and waits, hidden,
while the user draws), starts from the active model's weights when asked and leaves that
model alone, and says so when the active model is not the notebook's network. MNIST is
absent here: the examples are the built-in digits, and the tab says why."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop import main_window
from desktop.main_window import MainWindow
from nn.files.modelfile import save_model
from nn.network.model import Model
from nn.training.presets import PRESETS, mlp_architecture
from tests.desktop.drawing import SEVEN, draw_on_pad


def notebook_model(seed=9):
    return Model.from_architecture(PRESETS["notebook"].architecture,
                                   rng=np.random.default_rng(seed))


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "notebook.npz"
    save_model(path, notebook_model())
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", path)
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))   # no MNIST anywhere
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1150, 820)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.maths_view.wait_for_examples()
    win.train_tab.shutdown()


def open_maths_tab(qtbot, window):
    bar = window.tabs.tabBar()
    index = window.tabs.indexOf(window.maths_view)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentWidget() is window.maths_view
    window.maths_view.wait_for_examples()


def status(window):
    return window.maths_view.findChild(QLabel, "mathsStatus").text()


def test_the_drawing_is_example_one_and_the_hidden_tab_waits_while_drawing(qtbot, window):
    traces = []
    window.maths_view.session.trace_changed.connect(traces.append)
    with qtbot.waitSignal(window.draw_tab.prediction_changed):
        draw_on_pad(window.draw_tab.pad, SEVEN)
    assert traces == []   # hidden: pen strokes cost it nothing
    open_maths_tab(qtbot, window)
    session = window.maths_view.session
    np.testing.assert_array_equal(session.x[0], window.draw_tab.last_input.reshape(784))
    predicted = window.draw_tab.findChild(QLabel, "predictedDigit").text()
    assert session.y[0] == int(predicted)   # the label starts as the Draw tab's reading
    assert window.tabs.tabText(window.tabs.indexOf(window.maths_view)) == "Maths"
    qtbot.waitUntil(lambda: "Data > Download" in status(window))
    assert "digits written here as pen strokes" in status(window)


def test_without_a_drawing_example_one_comes_from_the_built_in_digits(qtbot, window):
    open_maths_tab(qtbot, window)
    assert "Nothing drawn on the Draw tab" in status(window)
    assert window.maths_view.session.trace.x.shape == (1, 784)
    window.maths_view.controls.batch_size.setValue(4)
    assert list(window.maths_view.session.y) == [0, 1, 4, 7]   # every built-in digit
    assert window.maths_view.session.x.max() == 1.0 and window.maths_view.session.x.min() == 0.0


def test_starting_from_the_active_model_leaves_that_model_alone(qtbot, window):
    open_maths_tab(qtbot, window)
    active = window.active_model
    before = [p.copy() for p in active.params]
    window.maths_view.controls.weights.setCurrentIndex(1)   # "the active model's"
    np.testing.assert_array_equal(window.maths_view.session.trace.w1, before[0])
    qtbot.mouseClick(window.maths_view.ten_button, Qt.MouseButton.LeftButton)
    assert window.maths_view.session.steps_taken == 10
    for now, then in zip(active.params, before):
        np.testing.assert_array_equal(now, then)


def test_another_kind_of_active_model_is_refused_with_a_reason(qtbot, window):
    window.set_active_model(Model.from_architecture(mlp_architecture((16,))))
    open_maths_tab(qtbot, window)
    window.maths_view.controls.weights.setCurrentIndex(1)
    assert "784-16-10 ReLU, not the notebook's 784-10-10" in status(window)
    assert window.maths_view.controls.weights.currentIndex() == 0   # back to fresh weights
    np.testing.assert_array_equal(window.maths_view.session.trace.w1,
                                  notebook_model(2).layers[0].W)
