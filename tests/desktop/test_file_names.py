"""File names the system refuses, given in the File menu's dialogs: Open, Import Notebook
Weights, Save As and Export as ONNX each show one clear message, and the model is intact."""

import os

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import main_window
from nn.files.modelfile import load_model, save_model
from nn.network.model import Model
from nn.training.presets import mlp_architecture
from tests.desktop.drawing import shown
from tests.desktop.stand_ins import shown_text

LONG = "m" * 300


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path):
    path = tmp_path / "active.npz"
    save_model(path, Model.from_architecture(mlp_architecture((8,)),
                                             rng=np.random.default_rng(0)))
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", path)
    win = shown(qtbot, main_window.MainWindow(), (1100, 760))
    win.errors = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: win.errors.append((title,
                                                                           shown_text(text))))
    yield win
    win.is_modified = False
    win.close()


def answer_file_dialogs(monkeypatch, path):
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, lambda *a, **k: (str(path), ""))


@pytest.mark.parametrize("action, title", [
    ("openAction", "Cannot open model"), ("importNotebookAction", "Cannot import weights"),
    ("saveAsAction", "Cannot save model")])
def test_a_300_character_name_is_one_clear_message(window, monkeypatch, tmp_path, action,
                                                    title):
    active, before = window.active_path, window.active_model
    answer_file_dialogs(monkeypatch, tmp_path / (LONG + ".npz"))
    window.findChild(QAction, action).trigger()
    assert len(window.errors) == 1
    shown_title, text = window.errors[0]
    assert shown_title == title and "304 bytes long" in text and "shorter" in text
    assert "\n" not in text and len(text) < 300
    assert window.active_path == active and window.active_model is before


def test_export_as_onnx_never_replaces_the_active_model(window, monkeypatch, tmp_path):
    pytest.importorskip("onnx")
    model_file = window.active_path
    before = open(model_file, "rb").read()
    os.symlink(model_file, tmp_path / "same.onnx")
    answer_file_dialogs(monkeypatch, tmp_path / "same.onnx")
    window.findChild(QAction, "exportOnnxAction").trigger()
    assert len(window.errors) == 1 and "one of the files being read" in window.errors[0][1]
    assert open(model_file, "rb").read() == before
    load_model(model_file)
