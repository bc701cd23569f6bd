"""Start on a machine without the dataset: one dialog offers to download it (from a real HTTP
server on 127.0.0.1 serving small generated IDX files) or to choose its folder, and the
progress bar always ends saying what happened."""

import functools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop import dataset_choice
from nn.data.datasets import DATASETS, MNIST
from nn.data.folders import user_dataset_dir
from tests import local_http

LEFT = Qt.MouseButton.LeftButton
NOT_FOUND = "No MNIST handwritten digits: training did not start"


@pytest.fixture
def no_dataset(tmp_path, monkeypatch):
    """Nowhere to find MNIST: no DIGITLAB_DATA, an empty checkout data/, an empty home."""
    local_http.no_dataset(monkeypatch, tmp_path)


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Base URL of a server with four small valid IDX files, which MNIST's checksums match."""
    folder = tmp_path / "served"
    served = local_http.tiny_mnist(folder, seed=3)
    # The Data menu downloads what its DATASETS describe: MNIST with these files' checksums.
    monkeypatch.setattr(dataset_choice, "DATASETS", {**DATASETS, "mnist": served})
    httpd, url = local_http.serve(functools.partial(local_http.QuietHandler,
                                                    directory=str(folder)))
    yield url
    local_http.stop(httpd)


@pytest.fixture
def window(open_window, no_bundled_model, no_dataset, dialogs):
    """The window of a first launch: no model, no dataset, dialogs answered by ``dialogs``."""
    win = open_window()
    win.train_tab.form.epochsSpin.setValue(1)
    return win


def shown_messages(dialogs):
    """The errors and warnings shown in dialogs, in one list."""
    return dialogs.errors + dialogs.warnings


def press_start(qtbot, win):
    """Click Start; returns the dialog it opens."""
    win.tabs.setCurrentWidget(win.train_tab)
    qtbot.mouseClick(win.train_tab.startButton, LEFT)
    box = win.findChild(QMessageBox, "datasetMissingDialog")
    assert box is not None and box.isVisible()
    return box


def progress_text(win):
    return win.train_tab.trainingProgress.format()


def test_download_now_fetches_the_dataset_then_trains(qtbot, window, server, dialogs):
    window.data.mirrors = [server]
    box = press_start(qtbot, window)
    assert not window.train_tab.is_training and progress_text(window) == NOT_FOUND
    with qtbot.waitSignal(window.train_tab.model_trained, timeout=60000):
        qtbot.mouseClick(box.findChild(QPushButton, "downloadNowButton"), LEFT)
        assert window.data.dialog is not None  # the download's progress, with Cancel
    folder = user_dataset_dir(MNIST)
    assert sorted(p.name for p in folder.iterdir()) == sorted(MNIST.files.values())
    assert window.active_model is not None and window.is_modified
    assert window.train_tab.trainingProgress.value() == window.train_tab.trainingProgress.maximum()
    assert shown_messages(dialogs) == []


def test_a_failed_download_says_so_in_the_progress_bar(qtbot, window, closed_port_url, dialogs):
    window.data.mirrors = [closed_port_url]
    box = press_start(qtbot, window)
    qtbot.mouseClick(box.findChild(QPushButton, "downloadNowButton"), LEFT)
    qtbot.waitUntil(lambda: not window.data.is_busy, timeout=10000)
    assert progress_text(window) == "Download failed: training did not start"
    assert len(shown_messages(dialogs)) == 1 and "offline" in shown_messages(dialogs)[0]
    assert not window.train_tab.is_training and window.active_model is None


def test_cancelling_the_offer_says_what_is_missing(qtbot, window, dialogs):
    box = press_start(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), LEFT)
    assert progress_text(window) == NOT_FOUND
    assert not window.data.is_busy and not window.train_tab.is_training
    window.data.dataset_ready.emit("mnist", None)  # a later download does not start a run
    assert not window.train_tab.is_training and shown_messages(dialogs) == []


def test_choose_folder_offers_the_folder_dialog(qtbot, window, monkeypatch, dialogs):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    box = press_start(qtbot, window)
    qtbot.mouseClick(box.findChild(QPushButton, "chooseFolderButton"), LEFT)
    assert progress_text(window) == "No folder chosen: training did not start"


def test_unreadable_data_ends_with_failed_not_loading(qtbot, window, tmp_path, dialogs):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in MNIST.files.values():
        (folder / name).write_bytes(b"not an IDX file")
    window.choose_dataset("mnist", str(folder))
    with qtbot.waitSignal(window.train_tab.training_failed, timeout=20000):
        qtbot.mouseClick(window.train_tab.startButton, LEFT)
    qtbot.waitUntil(lambda: not window.train_tab.is_training)
    assert progress_text(window) == "Training failed at %p%"
    assert window.train_tab.trainingProgress.text() == "Training failed at 0%"
    assert len(shown_messages(dialogs)) == 1
