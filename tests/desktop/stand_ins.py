"""What the window tests put in place of a user's answers and of the real bundled model: a
`Dialogs` that answers every modal dialog as told, and tiny models that load in milliseconds.
Fixtures built on them are in tests/desktop/conftest.py."""

import numpy as np
from PySide6.QtGui import QTextDocument, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import main_window
from nn.files.modelfile import save_model
from nn.network.model import Model
from nn.training.presets import mlp_architecture

Button = QMessageBox.StandardButton
BUNDLED_HIDDEN = 16   # the stand-in bundled model of conftest's ``bundled``: 784-16-10


def shown_text(text):
    """What a QMessageBox shows of ``text``: Qt reads it as HTML when it looks like HTML."""
    if not Qt.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def tiny_model(hidden=16, accuracy=0.5, seed=0):
    """A 784-``hidden``-10 MLP, untrained, that says its test accuracy is ``accuracy``."""
    model = Model.from_architecture(mlp_architecture((hidden,)), rng=np.random.default_rng(seed))
    model.info = {"name": f"tiny{hidden}", "test_accuracy": accuracy}
    return model


def use_as_bundled(path, monkeypatch, model=None):
    """Windows opened from now on take the file ``path`` for the bundled model; ``model`` is
    written there first unless None (then ``path`` is whatever the test left there, or
    nothing: a window without a bundled model)."""
    if model is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_model(path, model)
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", path)
    return path


class Dialogs:
    """Stands in for every modal dialog: records what was asked and answers as told."""

    def __init__(self, monkeypatch):
        self.questions, self.errors, self.warnings, self.abouts = [], [], [], []
        self.answer = None          # None: Discard when offered, else Yes
        self.open_paths, self.save_paths = [], []
        self.open_calls = 0
        monkeypatch.setattr(QMessageBox, "question", self.question)
        monkeypatch.setattr(QMessageBox, "critical",
                            lambda p, t, msg, *a: self.errors.append(shown_text(msg)))
        monkeypatch.setattr(QMessageBox, "warning",
                            lambda p, t, msg, *a: self.warnings.append(shown_text(msg)))
        monkeypatch.setattr(QMessageBox, "about", lambda p, t, text: self.abouts.append(text))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", self.get_open)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.get_save)

    def question(self, parent, title, text, buttons=Button.Yes | Button.No, default=None):
        self.questions.append(title)
        if self.answer is not None:
            return self.answer
        return Button.Discard if buttons & Button.Discard else Button.Yes

    def get_open(self, *args, **kwargs):
        self.open_calls += 1
        return (str(self.open_paths.pop(0)) if self.open_paths else "", "")

    def get_save(self, *args, **kwargs):
        return (str(self.save_paths.pop(0)) if self.save_paths else "", "")
