"""File > Export as ONNX…: off without a model; with one, it suggests the model's name, writes a
file onnxruntime runs with the app's own answers, and shows what goes wrong in a dialog (a real
QMessageBox, read and closed as a user would)."""

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from nn.network.model import Model
from nn.training.presets import cnn_architecture
from tests.desktop.stand_ins import shown_text, use_as_bundled

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (test extra)")
pytest.importorskip("onnx", reason="the onnx extra is missing: pip install -e '.[onnx]'")

from nn.files.onnx_export import MISSING_ONNX


class SaveDialog:
    """Stands in for QFileDialog.getSaveFileName: records the suggestion, answers ``path``."""

    def __init__(self, monkeypatch, path):
        self.path, self.suggestions = path, []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.answer)

    def answer(self, parent, title, suggestion, file_filter):
        self.suggestions.append((title, suggestion, file_filter))
        return str(self.path), file_filter


@pytest.fixture
def window(open_window, tmp_path, monkeypatch):
    """The window with a small CNN as its active model, read from "little-cnn.npz"."""
    model = Model.from_architecture(cnn_architecture((4,), kernel=3, dense=(16,)), (1, 28, 28),
                                    rng=np.random.default_rng(0))
    use_as_bundled(tmp_path / "models" / "little-cnn.npz", monkeypatch, model)
    return open_window()


def export_action(window):
    return window.findChild(QAction, "exportOnnxAction")


def trigger_and_read_error_box(qtbot, action):
    """Trigger ``action``, which must show a QMessageBox; returns its (title, text) after
    pressing its OK button."""
    seen, tries = [], iter(range(100))  # looks for the box for 2 s at most

    def read_and_close():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            if next(tries, None) is not None:
                QTimer.singleShot(20, read_and_close)
            return
        seen.append((box.windowTitle(), shown_text(box.text())))
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, read_and_close)
    action.trigger()
    assert len(seen) == 1, "no message box was shown"
    return seen[0]


def test_export_is_off_without_a_model(open_window, no_bundled_model):
    window = open_window()

    assert window.active_model is None
    assert not export_action(window).isEnabled()
    assert export_action(window) in window.menuBar().actions()[0].menu().actions()  # File menu


def test_export_writes_a_file_onnxruntime_runs_with_the_apps_answers(qtbot, window, monkeypatch,
                                                                     tmp_path):
    dialog = SaveDialog(monkeypatch, tmp_path / "exported")  # no suffix: .onnx is added

    assert export_action(window).isEnabled()
    export_action(window).trigger()

    ((title, suggestion, file_filter),) = dialog.suggestions
    assert (title == "Export as ONNX" and suggestion.endswith("little-cnn.onnx")
            and "*.onnx" in file_filter)
    written = tmp_path / "exported.onnx"
    images = np.random.default_rng(1).random((6, 1, 28, 28), dtype=np.float32)
    session = ort.InferenceSession(str(written), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"image": images})
    np.testing.assert_allclose(probabilities, window.active_model.predict_proba(images),
                               atol=1e-5)
    assert "exported.onnx" in window.statusBar().currentMessage()
    assert not window.is_modified  # exporting is not saving: the model file is unchanged


def test_a_failed_export_shows_the_file_and_the_reason(qtbot, window, monkeypatch, tmp_path):
    SaveDialog(monkeypatch, tmp_path / "no-such-folder" / "m.onnx")

    title, text = trigger_and_read_error_box(qtbot, export_action(window))

    assert "ONNX" in title
    assert "m.onnx" in text and "does not exist" in text
    assert not (tmp_path / "no-such-folder").exists()


def test_without_the_onnx_package_the_dialog_says_what_to_install(qtbot, window, monkeypatch,
                                                                  tmp_path):
    dialog = SaveDialog(monkeypatch, tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # how Python marks a module as unavailable

    _, text = trigger_and_read_error_box(qtbot, export_action(window))

    assert text == MISSING_ONNX
    assert dialog.suggestions == []  # told before being asked for a file
    assert not (tmp_path / "m.onnx").exists()
