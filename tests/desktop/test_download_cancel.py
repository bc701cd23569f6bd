"""The download dialog against a real local server that trickles one byte every half second:
its Cancel button and closing the window each act within a second."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton

from desktop import dataset_choice, main_window
from nn.data.datasets import DATASETS
from tests import local_http

WITHIN_MS = 1000
FIRST_FILE = "train-images-idx3-ubyte.gz"


@pytest.fixture
def trickling(tmp_path, monkeypatch):
    """A server that trickles MNIST's first file, which the Data menu's DATASETS describe."""
    local_http.no_dataset(monkeypatch, tmp_path)
    info = local_http.tiny_mnist(tmp_path / "served", seed=5)
    monkeypatch.setattr(dataset_choice, "DATASETS", {**DATASETS, "mnist": info})
    server, url = local_http.serve(local_http.trickle_handler(info.sizes[FIRST_FILE]))
    yield url
    local_http.stop(server)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, trickling):
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: pytest.fail(f"dialog: {a[2]}"))
    win = main_window.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.data.mirrors = [trickling]
    yield win
    win.data.shutdown()


def start_download(qtbot, win):
    win.named_actions["downloadAction"].trigger()   # Data > Download
    dialog = win.findChild(QProgressDialog, "downloadProgress")
    qtbot.waitUntil(lambda: "Downloading" in dialog.labelText(), timeout=5000)
    return dialog


def test_cancel_in_the_dialog_acts_within_a_second(qtbot, window, private_home):
    dialog = start_download(qtbot, window)
    started = time.monotonic()
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.data.is_busy, timeout=WITHIN_MS)
    assert time.monotonic() - started < WITHIN_MS / 1000
    assert "cancelled" in window.statusBar().currentMessage()
    assert not list(private_home.rglob("*.part")), "no partial file is kept"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=st.lists(st.one_of(
    st.tuples(st.just("send"), st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"\r\n", b"x" * 40,
                                                b"Content-Length: 99999\r\n"])),
    st.tuples(st.just("wait"), st.floats(0.0, 0.2))), max_size=6),
    cancel_after_ms=st.integers(0, 300))
def test_the_dialog_ends_within_a_second_whatever_the_server_does(qtbot, window, script,
                                                                   cancel_after_ms):
    server, url = local_http.serve(local_http.scripted_handler(script))
    window.data.mirrors = [url]
    failures = []
    try:
        with pytest.MonkeyPatch.context() as patch:   # a failed download's dialog, recorded
            patch.setattr(QMessageBox, "critical", lambda *a: failures.append(a[2]))
            window.named_actions["downloadAction"].trigger()
            qtbot.wait(cancel_after_ms)   # when the user clicks Cancel: part of the example
            dialog = window.findChild(QProgressDialog, "downloadProgress")
            if dialog is not None:
                qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not window.data.is_busy, timeout=WITHIN_MS)
    finally:
        local_http.stop(server)
    assert all("\n" not in text for text in failures)


def test_closing_the_window_during_a_download_takes_under_a_second(qtbot, window):
    start_download(qtbot, window)
    started = time.monotonic()
    assert window.close()
    assert time.monotonic() - started < WITHIN_MS / 1000
    assert not window.data.is_busy
