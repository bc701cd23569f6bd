"""Fixtures the GUI tests share: dialogs answered without a user, a tiny bundled model,
windows and Train tabs opened as a user sees them and shut down cleanly, the Draw tab, the run
history database. Helpers they use are in stand_ins.py and drawing.py beside this file."""

import gc

import pytest

from desktop.draw.tab import DrawTab
from desktop.garbage import collect_on_gui_thread
from desktop.main_window import MainWindow
from desktop.storage.runs import DB_NAME, RunStore
from desktop.train.tab import TrainTab
from tests.desktop.drawing import ink_position_model, shown
from tests.desktop.stand_ins import BUNDLED_HIDDEN, Dialogs, tiny_model, use_as_bundled


@pytest.fixture(scope="package", autouse=True)
def garbage_collected_on_gui_thread(qapp):
    """As in the app (desktop.garbage): a training thread never deletes a closed window's Qt
    objects. Afterwards, collection is automatic again for the other tests."""
    timer = collect_on_gui_thread(qapp)
    yield
    timer.stop()
    gc.collect()
    gc.enable()


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A small stand-in for resources/default-model.npz, so tests are quick and hermetic."""
    return use_as_bundled(tmp_path / "bundled" / "default-model.npz", monkeypatch,
                          tiny_model(BUNDLED_HIDDEN, accuracy=0.5))


@pytest.fixture
def no_bundled_model(tmp_path, monkeypatch):
    """Windows open with no model at all (quick; for tests that bring their own)."""
    return use_as_bundled(tmp_path / "none.npz", monkeypatch)


@pytest.fixture
def open_window(qtbot):
    """``open_window(show=True)``: a new MainWindow(), shown and exposed as a user sees it
    (or only built, as at launch); every window opened is shut down cleanly at the end (its
    training thread and download stopped and waited for)."""
    windows = []

    def open_(show=True):
        window = MainWindow()
        qtbot.addWidget(window)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window
    yield open_
    for window in windows:
        window.train_tab.shutdown()
        window.data.shutdown()


@pytest.fixture
def window(open_window, dialogs, bundled):
    """The main window on screen, with the tiny bundled model active and every dialog
    answered by ``dialogs``."""
    return open_window()


@pytest.fixture
def draw_tab(qtbot):
    """The Draw tab on screen, reading with a model that answers by where the ink is."""
    tab = shown(qtbot, DrawTab(), (900, 560))
    tab.set_model(ink_position_model())
    return tab


@pytest.fixture
def run_store(tmp_path):
    """An empty run history database."""
    opened = RunStore(tmp_path / DB_NAME)
    yield opened
    opened.close()


@pytest.fixture
def open_train_tab(qtbot):
    """``open_train_tab(data_dir=None)``: a new Train tab, training on the MNIST files in
    ``data_dir`` when given; every run it started is stopped and waited for at the end."""
    tabs = []

    def open_(data_dir=None):
        tab = TrainTab()
        qtbot.addWidget(tab)
        tabs.append(tab)
        if data_dir is not None:
            tab.set_dataset("mnist", str(data_dir))
        return tab
    yield open_
    for tab in tabs:
        tab.shutdown()
