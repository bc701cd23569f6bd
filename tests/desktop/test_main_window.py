"""The main window, driven through its menu actions with the file dialogs and message boxes
patched: which model is active, Save/Open/Import, the unsaved-model prompt, recent files,
action states while training, the Data menu, and closing in the middle of a run."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QWidget,
)

from desktop import settings
from desktop.inspect.views import HeatImage
from desktop.train.live_view import MIN_PLOT_HEIGHT
from desktop.widgets.mouse import draw_stroke
from nn.data.datasets import DATASETS
from nn.data.folders import user_dataset_dir
from nn.files.modelfile import load_model, save_model
from tests.desktop.drawing import SEVEN, draw_on_pad
from tests.desktop.stand_ins import BUNDLED_HIDDEN, shown_text, tiny_model

REPOSITORY = Path(__file__).resolve().parents[2]
Button = QMessageBox.StandardButton


def status(win):
    return win.findChild(QLabel, "modelStatus").text()


def action(win, name):
    return win.findChild(QAction, name)


# --- the active model -------------------------------------------------------------------------

def test_window_opens_with_the_bundled_model(window, bundled):
    assert window.active_path == str(bundled) and not window.is_modified
    text = status(window)
    assert "bundled model" in text and "784-16-10 ReLU" in text and "50.0%" in text
    assert "unsaved" not in text
    assert window.windowTitle() == "DigitLab — bundled model[*]"
    assert [window.tabs.tabText(i) for i in range(3)] == ["Draw", "Number", "Train"]
    draw_on_pad(window.draw_tab.pad, SEVEN)
    assert window.draw_tab.findChild(QLabel, "predictedDigit").text() != ""


def test_the_real_bundled_model_loads_when_present():
    path = REPOSITORY / "resources" / "default-model.npz"
    if not path.is_file():
        pytest.skip("resources/default-model.npz is not there yet")
    assert load_model(path).predict_proba(np.zeros((1, 784), np.float32)).shape == (1, 10)


def test_without_any_model_the_status_says_so_and_save_is_off(open_window, dialogs,
                                                               no_bundled_model):
    win = open_window(show=False)
    assert win.active_model is None and "No model" in status(win)
    assert not action(win, "saveAction").isEnabled() and not action(win, "saveAsAction").isEnabled()
    assert action(win, "startAction").isEnabled() and action(win, "openAction").isEnabled()
    assert not action(win, "pauseAction").isEnabled() and not action(win, "stopAction").isEnabled()


def test_save_as_writes_a_file_that_loads_back(window, dialogs, tmp_path):
    dialogs.save_paths.append(tmp_path / "mine")  # no suffix: .npz is added
    action(window, "saveAsAction").trigger()
    saved_path = tmp_path / "mine.npz"
    copy = load_model(saved_path)
    for (_, a), (_, b) in zip(copy.named_params(), window.active_model.named_params()):
        np.testing.assert_array_equal(a, b)
    assert window.active_path == str(saved_path) and "mine" in status(window)
    assert dialogs.errors == []


def test_save_of_the_bundled_model_asks_for_a_new_file(window, dialogs, bundled, tmp_path):
    before = bundled.read_bytes()
    dialogs.save_paths.append(tmp_path / "copy.npz")
    action(window, "saveAction").trigger()
    assert (tmp_path / "copy.npz").is_file() and bundled.read_bytes() == before


def test_open_makes_the_model_active_everywhere(window, dialogs, tmp_path):
    other = tiny_model(32, accuracy=0.9, seed=3)
    save_model(tmp_path / "other.npz", other)
    dialogs.open_paths.append(tmp_path / "other.npz")
    action(window, "openAction").trigger()
    text = status(window)
    assert "other" in text and "784-32-10 ReLU" in text and "90.0%" in text
    draw_on_pad(window.draw_tab.pad, SEVEN)
    expected = other.predict_proba(window.draw_tab.last_input[None])[0]
    digit = window.draw_tab.findChild(QLabel, "predictedDigit").text()
    assert digit == other.class_names[int(np.argmax(expected))]


def test_a_file_name_that_looks_like_html_is_shown_as_it_is(window, dialogs, tmp_path):
    # QLabel guesses HTML: "<i>" would vanish into italics (and an <img> tag loads a file).
    save_model(tmp_path / "<i>slanted.npz", tiny_model(32, accuracy=0.9, seed=3))
    dialogs.open_paths.append(tmp_path / "<i>slanted.npz")
    action(window, "openAction").trigger()
    label = window.findChild(QLabel, "modelStatus")
    assert label.text().startswith("<i>slanted ·")
    assert label.sizeHint().width() >= label.fontMetrics().horizontalAdvance(label.text())
    assert shown_text(label.toolTip()) == str(tmp_path / "<i>slanted.npz")   # its file


def test_an_error_that_quotes_a_name_like_html_shows_it_as_it_is(window, dialogs, tmp_path):
    # QMessageBox guesses HTML too: "<i>" would vanish into italics, an <img> load a file.
    path = tmp_path / "<i>slanted.npz"
    path.write_bytes(b"not a model")
    dialogs.open_paths.append(path)
    action(window, "openAction").trigger()
    assert len(dialogs.errors) == 1 and "<i>slanted.npz" in dialogs.errors[0]


@pytest.mark.parametrize("content", ["random", "foreign"])
def test_a_bad_file_shows_an_error_and_the_model_stays(window, dialogs, tmp_path, content):
    path = tmp_path / "bad.npz"
    if content == "random":
        path.write_bytes(np.random.default_rng(0).bytes(2000))
    else:
        np.savez(path, weights=np.ones((3, 3)), labels=np.arange(4))
    before = window.active_model
    dialogs.open_paths.append(path)
    action(window, "openAction").trigger()
    assert len(dialogs.errors) == 1 and "bad.npz" in dialogs.errors[0]
    assert "\n" not in dialogs.errors[0]
    assert window.active_model is before and "bundled model" in status(window)


def test_import_notebook_weights_gives_an_unsaved_784_10_10(window, dialogs, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "nb.npz", W1=rng.normal(size=(10, 784)), b1=np.zeros((10, 1)),
             W2=rng.normal(size=(10, 10)), b2=np.zeros((10, 1)))
    dialogs.open_paths.append(tmp_path / "nb.npz")
    action(window, "importNotebookAction").trigger()
    assert "784-10-10 ReLU" in status(window) and "unsaved" in status(window)
    assert window.isWindowModified()


# --- unsaved models ---------------------------------------------------------------------------

def test_a_trained_model_is_active_and_unsaved_and_open_asks_first(window, dialogs, tmp_path):
    trained = tiny_model(24, accuracy=0.7)
    window.train_tab.model_trained.emit(trained)
    assert window.active_model is trained and "unsaved" in status(window)
    assert window.isWindowModified()

    save_model(tmp_path / "other.npz", tiny_model(32))
    dialogs.answer = Button.Cancel
    action(window, "openAction").trigger()
    assert dialogs.questions == ["Unsaved model"] and dialogs.open_calls == 0
    assert window.active_model is trained

    dialogs.answer = Button.Save  # saves first (asking where), then opens
    dialogs.save_paths.append(tmp_path / "kept.npz")
    dialogs.open_paths.append(tmp_path / "other.npz")
    action(window, "openAction").trigger()
    assert load_model(tmp_path / "kept.npz").info["name"] == "tiny24"
    assert "784-32-10" in status(window) and "unsaved" not in status(window)


def test_closing_with_an_unsaved_model_asks_and_cancel_keeps_the_window(window, dialogs):
    window.train_tab.model_trained.emit(tiny_model(24))
    dialogs.answer = Button.Cancel
    assert not window.close()
    assert window.isVisible() and dialogs.questions == ["Unsaved model"]
    dialogs.answer = Button.Discard
    assert window.close()


def test_a_failed_run_is_reported_and_the_model_stays(window, dialogs):
    before = window.active_model
    window.train_tab.training_failed.emit("The loss became NaN; lower the learning rate.")
    assert dialogs.warnings == ["The loss became NaN; lower the learning rate."]
    assert window.active_model is before


# --- settings between sessions ----------------------------------------------------------------

def test_recent_files_list_saved_models_and_reopen_them(window, dialogs, tmp_path):
    for name in ("first", "second"):
        dialogs.save_paths.append(tmp_path / f"{name}.npz")
        action(window, "saveAsAction").trigger()
    recent = [a.text() for a in window.recent_menu.actions()]
    assert recent == ["&1 second.npz", "&2 first.npz"] and window.recent_menu.isEnabled()
    window.recent_menu.actions()[1].trigger()
    assert window.active_path == str(tmp_path / "first.npz")


def test_the_last_model_is_reopened_at_the_next_launch(open_window, window, dialogs, bundled,
                                                       tmp_path):
    save_model(tmp_path / "last.npz", tiny_model(32))
    dialogs.open_paths.append(tmp_path / "last.npz")
    action(window, "openAction").trigger()
    window.close()
    again = open_window(show=False)
    assert again.active_path == str(tmp_path / "last.npz")
    again.close()

    (tmp_path / "last.npz").write_bytes(b"broken")
    third = open_window(show=False)
    assert third.active_path == str(bundled)
    assert "could not be reopened" in third.statusBar().currentMessage()


def test_at_its_smallest_the_window_shows_the_train_plots_whole(qtbot, window):
    """Shrunk as far as it goes, the window still fits an 800-pixel screen, and no plot of the
    Train tab is drawn wider than its widget (its legend cut off at the right)."""
    window.tabs.setCurrentWidget(window.train_tab)
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint())
    assert window.width() <= 800
    tab = window.train_tab
    for plot in (tab.lossPlot, tab.accuracyPlot):
        assert plot.getPlotItem().sceneBoundingRect().width() <= plot.viewport().width() + 1


def test_at_its_smallest_the_window_shows_the_whole_inspect_message(qtbot, window, tmp_path):
    """Without MNIST the Inspect tab says what is missing, a long message: shrunk as far as it
    goes, the window shows all of it, not a line cut off under a scrolling half of the tab."""
    window.inspect_tab.set_dataset("mnist", tmp_path)   # a folder without it
    window.tabs.setCurrentWidget(window.inspect_tab)
    window.resize(window.minimumSizeHint())
    label = window.inspect_tab.findChild(QLabel, "inspectStatus")
    qtbot.waitUntil(lambda: "MNIST handwritten digits files" in label.text())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint())
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    widget = label
    while widget is not window:   # no widget it lies in cuts any of it off
        parent = widget.parentWidget()
        shown = label.rect().translated(label.mapTo(parent, label.rect().topLeft()))
        assert parent.rect().contains(shown), parent
        widget = parent


def test_at_its_smallest_the_window_wraps_the_inspect_pictures_instead_of_cutting_them(
        qtbot, window):
    """The first layer's 16 units are eight tiles a row at the usual size; shrunk as far as it
    goes, the Inspect tab wraps them into shorter rows, every tile in sight without scrolling
    sideways, and back to eight a row when the window grows again."""
    window.tabs.setCurrentWidget(window.inspect_tab)
    tiles = window.inspect_tab.findChildren(HeatImage, "unitWeightsTile")
    assert len(tiles) == BUNDLED_HIDDEN

    def rows():
        return len({tile.mapTo(window, tile.rect().topLeft()).y() for tile in tiles})

    window.resize(1400, 900)
    qtbot.waitUntil(lambda: rows() == 2)
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint())
    qtbot.waitUntil(lambda: rows() > 2)
    scroll = next(w for w in window.inspect_tab.findChildren(QScrollArea)
                  if w.isAncestorOf(tiles[0]))
    assert not scroll.horizontalScrollBar().isVisible()
    viewport = scroll.viewport()
    for tile in tiles:
        left = tile.mapTo(viewport, tile.rect().topLeft()).x()
        assert 0 <= left and left + tile.width() <= viewport.width(), tile.values.shape
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: rows() == 2)


def test_the_line_between_the_train_plots_and_the_runs_is_dragged_and_kept(open_window, window):
    """The user drags the line above the runs table up to see more runs; the next launch
    shows them the same way."""
    window.resize(800, 700)   # inside the offscreen screen, which clamps restored geometry
    window.tabs.setCurrentWidget(window.train_tab)
    runs = window.train_tab.run_history
    before = runs.height()
    handle = window.train_tab.splitter.handle(1)
    x, y = handle.width() / 2, handle.height() / 2
    draw_stroke(handle, np.array([(x, y), (x, y - 40), (x, y - 80)]))
    dragged = runs.height()
    assert dragged >= before + 60
    window.close()
    again = open_window()
    again.tabs.setCurrentWidget(again.train_tab)
    assert abs(again.train_tab.run_history.height() - dragged) <= 2


def test_a_saved_split_that_would_hide_the_plots_opens_as_the_first_one(qtbot, open_window,
                                                                        bundled):
    """settings.ini edited by hand, or by another program: a split that gives the plots no
    room at all is not restored."""
    hiding = QSplitter(Qt.Orientation.Vertical)
    qtbot.addWidget(hiding)
    hiding.addWidget(QWidget())
    hiding.addWidget(QWidget())
    hiding.resize(100, 1000)
    hiding.setSizes([0, 1000])
    stored = settings.open_settings()
    stored.setValue(settings.KEY_TRAIN_SPLITTER, hiding.saveState())
    stored.sync()
    window = open_window()
    window.resize(800, 700)
    window.tabs.setCurrentWidget(window.train_tab)
    qtbot.waitUntil(lambda: window.train_tab.lossPlot.height() >= MIN_PLOT_HEIGHT)
    assert window.train_tab.run_history.height() < window.train_tab.live.height()


def test_window_state_and_dataset_are_kept(open_window, window):
    window.resize(800, 650)  # inside the offscreen screen, which clamps restored geometry
    window.choose_dataset("fashion-mnist")
    window.close()
    again = open_window(show=False)
    assert again.size().height() == 650 and action(again, "fashionAction").isChecked()
    assert settings.dataset_choice() == ("fashion-mnist", None)



def test_the_window_fits_a_laptop_screen_and_the_train_settings_scroll(qtbot, window):
    """The first window fits the screen (the offscreen one is 800x800), and a window as low as
    a laptop's 768 pixels less the task bar and title leaves every setting within reach:
    with Augment's preview the Train column is over 800 pixels, and it scrolls instead of
    making the window taller than the screen. Start, Pause, Step and Stop stay in sight
    without scrolling, and the plots stay tall enough to read."""
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width() and window.height() <= screen.height()
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.form.augmentCheck.setChecked(True)
    window.resize(1000, 640)
    qtbot.waitUntil(lambda: window.height() == 640)
    for button in (tab.startButton, tab.pauseButton, tab.stepButton, tab.stopButton):
        qtbot.waitUntil(lambda: button.visibleRegion().boundingRect() == button.rect())
    assert min(tab.lossPlot.height(), tab.accuracyPlot.height()) >= MIN_PLOT_HEIGHT
    column = window.findChild(QScrollArea, "trainSettings")
    column.ensureWidgetVisible(tab.augmentPreview)
    qtbot.waitUntil(lambda: tab.augmentPreview.visibleRegion().boundingRect()
                    == tab.augmentPreview.rect())


# --- training through the menus ---------------------------------------------------------------

def test_actions_while_training_and_stop_keeps_what_was_learnt(qtbot, window, dialogs, mnist_dir):
    window.train_tab.train_limit = window.train_tab.test_limit = 2000
    window.train_tab.form.epochsSpin.setValue(200)   # still running when Stop is pressed
    window.choose_dataset("mnist", str(mnist_dir))
    with qtbot.waitSignal(window.train_tab.state_changed, timeout=5000):
        action(window, "startAction").trigger()
    assert window.tabs.currentWidget() is window.train_tab
    for name in ("startAction", "openAction", "importNotebookAction", "newModelAction",
                 "mnistAction", "downloadAction", "useFolderAction"):
        assert not action(window, name).isEnabled(), name
    for name in ("pauseAction", "stopAction", "saveAsAction", "quitAction", "aboutAction"):
        assert action(window, name).isEnabled(), name
    assert not window.recent_menu.isEnabled()
    action(window, "pauseAction").trigger()
    assert action(window, "pauseAction").text() == "&Resume"
    action(window, "pauseAction").trigger()
    bar = window.train_tab.findChild(QProgressBar, "trainingProgress")
    qtbot.waitUntil(lambda: bar.value() > bar.minimum(), timeout=30000)  # something learnt
    with qtbot.waitSignal(window.train_tab.model_trained, timeout=30000):
        action(window, "stopAction").trigger()
    qtbot.waitUntil(lambda: not window.train_tab.is_training, timeout=10000)
    assert action(window, "startAction").isEnabled()
    assert not action(window, "stopAction").isEnabled()
    assert "unsaved" in status(window) and window.active_path is None
    assert dialogs.warnings == []


CLOSE_DURING_TRAINING = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox, QProgressBar
    from desktop.garbage import collect_on_gui_thread, set_aside_what_lives_on
    app = QApplication([])
    collect_on_gui_thread(app)   # as desktop.app.main does
    asked = []
    def answer(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.StandardButton.Yes  # "stop training and quit"
    QMessageBox.question = answer
    from desktop.main_window import MainWindow
    window = MainWindow()
    window.train_tab.train_limit = window.train_tab.test_limit = 4000
    window.choose_dataset("mnist", sys.argv[1])
    window.show()
    set_aside_what_lives_on()
    window.named_actions["startAction"].trigger()
    bar = window.findChild(QProgressBar, "trainingProgress")
    def close_after_first_progress():
        if window.train_tab.is_training and bar.value() > bar.minimum():
            window.close()
        else:
            QTimer.singleShot(20, close_after_first_progress)
    QTimer.singleShot(20, close_after_first_progress)
    QTimer.singleShot(60000, lambda: sys.exit(3))  # never hang the test suite
    status = app.exec()
    print("asked:", asked, "training:", window.train_tab.is_training)
    sys.exit(status)
""")


@pytest.mark.slow
def test_closing_in_the_middle_of_training_exits_cleanly(mnist_dir, private_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=str(private_home))
    result = subprocess.run([sys.executable, "-c", CLOSE_DURING_TRAINING, str(mnist_dir)],
                            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
    assert "asked: ['Training is running'] training: False" in result.stdout


QUIT_WHILE_MATHS_READS_MNIST = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop.garbage import collect_on_gui_thread, set_aside_what_lives_on
    from desktop.main_window import MainWindow
    def main():   # as desktop.app.main: the window goes when main returns
        app = QApplication([])
        collect_on_gui_thread(app)
        window = MainWindow()
        window.choose_dataset("mnist", sys.argv[1])
        window.show()
        set_aside_what_lives_on()
        window.tabs.setCurrentWidget(window.maths_view)   # starts reading MNIST's examples
        QTimer.singleShot(0, window.close)
        QTimer.singleShot(60000, lambda: sys.exit(3))  # never hang the test suite
        status = app.exec()
        print("still reading:", not window.maths_view.wait_for_examples(0))
        return status
    sys.exit(main())
""")


def test_quitting_while_the_maths_tab_reads_its_examples_exits_cleanly(mnist_dir,
                                                                       private_home):
    """The Maths tab reads MNIST's first images on a pool thread when it is first shown: a
    user who quits at once gets no traceback from a reader answering a closed window."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=str(private_home))
    result = subprocess.run([sys.executable, "-c", QUIT_WHILE_MATHS_READS_MNIST,
                             str(mnist_dir)],
                            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "still reading: False" in result.stdout


# --- Data menu --------------------------------------------------------------------------------

def test_use_folder_checks_the_folder(window, dialogs, monkeypatch, tmp_path, mnist_dir):
    folders = [str(tmp_path), str(mnist_dir)]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: folders.pop(0))
    action(window, "useFolderAction").trigger()
    assert len(dialogs.errors) == 1 and "does not hold" in dialogs.errors[0]
    assert settings.dataset_choice() == ("mnist", None)
    action(window, "useFolderAction").trigger()
    assert settings.dataset_choice() == ("mnist", str(mnist_dir))
    assert window.train_tab._data_dir == str(mnist_dir)


def test_download_runs_off_the_gui_thread_with_progress(qtbot, window, dialogs, mnist_dir):
    window.data.mirrors = [mnist_dir.as_uri() + "/"]  # "download" from the local copy
    with qtbot.waitSignal(window.data.dataset_ready, timeout=60000):
        action(window, "downloadAction").trigger()
        assert window.data.is_busy and window.data.dialog is not None
    qtbot.waitUntil(lambda: not window.data.is_busy)
    folder = user_dataset_dir(DATASETS["mnist"])
    assert sorted(p.name for p in folder.iterdir()) == sorted(DATASETS["mnist"].files.values())
    assert dialogs.errors == []


def test_download_failure_is_one_dialog(qtbot, window, dialogs, tmp_path):
    window.data.mirrors = [(tmp_path / "empty").as_uri() + "/"]
    action(window, "downloadAction").trigger()
    qtbot.waitUntil(lambda: not window.data.is_busy, timeout=10000)
    assert len(dialogs.errors) == 1


# --- help -------------------------------------------------------------------------------------

def test_keyboard_shortcuts_are_listed_from_the_actions(window):
    action(window, "shortcutsAction").trigger()
    table = window.findChild(QTableWidget, "shortcutsTable")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Open Model"] == "Ctrl+O"
    assert rows["Save Model"] == "Ctrl+S"
    assert rows["Save Model As"] == "Ctrl+Shift+S"
    assert rows["Quit"] == "Ctrl+Q" and rows["Start"] == "F5"
    assert rows["Undo the last stroke (on the pad)"] == "Ctrl+Z"
    assert rows["Clear the pad (on the pad)"] == "Del / Esc / Backspace"


def test_about_names_versions_and_folders(window, dialogs, private_home):
    action(window, "aboutAction").trigger()
    text = dialogs.abouts[0]
    for needle in ("NumPy", "PySide6", "pyqtgraph", "Python", str(private_home / "logs"),
                   str(private_home / "settings.ini")):
        assert needle in text
