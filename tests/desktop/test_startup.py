"""The app always starts: a last model that cannot be used, a model a tab chokes on, and the
temporary files of killed saves, each met at launch or through File > Open."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from desktop import settings
from desktop.inspect.tab import InspectTab
from nn.files.atomic import PARTIAL_SUFFIX
from nn.files.modelfile import save_model
from tests.desktop.stand_ins import BUNDLED_HIDDEN, tiny_model

LAST_HIDDEN = 24   # the last model used, told apart from the bundled one by its hidden layer


def hostile_meta(path):
    """A real model file whose meta says the name is a number."""
    save_model(path, tiny_model(LAST_HIDDEN))
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    meta["info"]["name"] = 5
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))


BAD_LAST_MODELS = {
    "damaged": lambda p: p.write_bytes(b"PK\x03\x04 not really a zip" * 50),
    "hostile meta": hostile_meta,
    "missing": lambda p: None,
    "a folder": lambda p: p.mkdir(),
    "empty": lambda p: p.write_bytes(b""),
    "a pipe": os.mkfifo,   # opening it for reading would wait for a writer forever
    "a device": None,    # /dev/zero: endless bytes; never read
}


def hidden_width(window):
    return window.active_model.layers[0].W.shape[1]


@pytest.mark.parametrize("kind", BAD_LAST_MODELS)
def test_a_bad_last_model_starts_the_bundled_one_says_why_and_is_forgotten(
        open_window, dialogs, bundled, tmp_path, kind):
    last = Path("/dev/zero") if kind == "a device" else tmp_path / "last.npz"
    if BAD_LAST_MODELS[kind] is not None:
        BAD_LAST_MODELS[kind](last)
    settings.set_last_model_path(last, settings.open_settings())
    window = open_window(show=False)
    assert window.active_path == str(bundled) and hidden_width(window) == BUNDLED_HIDDEN
    message = window.statusBar().currentMessage()
    assert "last model could not be reopened" in message and "bundled" in message
    assert "\n" not in message and "Traceback" not in message
    assert settings.last_model_path(settings.open_settings()) is None
    assert not dialogs.errors, "at launch the status bar says it, no dialog blocks the start"


def refuse_24_unit_models(monkeypatch):
    """The Inspect tab raises on models with 24 hidden units (a stand-in for any bug a
    strange model might find in a tab)."""
    set_model = InspectTab.set_model

    def picky(tab, model):
        if model is not None and model.layers[0].W.shape[1] == LAST_HIDDEN:
            raise IndexError("a tab's bug")
        set_model(tab, model)
    monkeypatch.setattr(InspectTab, "set_model", picky)


def test_a_last_model_a_tab_cannot_show_does_not_stop_the_start(open_window, dialogs, bundled,
                                                                 tmp_path, monkeypatch):
    last = tmp_path / "last.npz"
    save_model(last, tiny_model(LAST_HIDDEN))
    settings.set_last_model_path(last, settings.open_settings())
    refuse_24_unit_models(monkeypatch)
    window = open_window(show=False)
    assert window.active_path == str(bundled) and hidden_width(window) == BUNDLED_HIDDEN
    assert window.inspect_tab._model is window.active_model, "every tab has the bundled model"
    assert "IndexError" in window.statusBar().currentMessage()
    assert settings.last_model_path(settings.open_settings()) is None


@pytest.mark.parametrize("kind", ["damaged", "hostile meta", "empty"])
def test_open_of_a_bad_file_keeps_the_model_and_never_becomes_the_last_one(
        open_window, dialogs, bundled, tmp_path, kind):
    window = open_window(show=False)
    bad = tmp_path / "bad.npz"
    BAD_LAST_MODELS[kind](bad)
    dialogs.open_paths.append(bad)
    window.named_actions["openAction"].trigger()
    assert len(dialogs.errors) == 1 and "\n" not in dialogs.errors[0]
    assert window.active_path == str(bundled)
    assert settings.last_model_path(window.settings) is None
    assert str(bad) not in settings.recent_files(window.settings)
    window.close()
    assert settings.last_model_path(settings.open_settings()) == str(bundled.resolve())


def test_open_of_a_model_a_tab_cannot_show_keeps_the_old_one(open_window, dialogs, bundled,
                                                             tmp_path, monkeypatch):
    refuse_24_unit_models(monkeypatch)   # before launch: the window follows the tabs' methods
    window = open_window(show=False)
    path = tmp_path / "strange.npz"
    save_model(path, tiny_model(LAST_HIDDEN))
    dialogs.open_paths.append(path)
    window.named_actions["openAction"].trigger()
    assert len(dialogs.errors) == 1 and "cannot use this model" in dialogs.errors[0]
    assert window.active_path == str(bundled) and hidden_width(window) == BUNDLED_HIDDEN
    assert all(tab._model is window.active_model
               for tab in (window.draw_tab, window.inspect_tab, window.handwriting_tab))
    assert "bundled model" in window.findChild(QLabel, "modelStatus").text()
    assert settings.last_model_path(window.settings) is None
    window.close()
    assert settings.last_model_path(settings.open_settings()) == str(bundled.resolve())


def dead_pid():
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_launch_removes_the_temporary_files_of_killed_saves(open_window, dialogs, bundled, tmp_path,
                                                            private_home):
    models = tmp_path / "models"
    models.mkdir()
    recent = models / "mine.npz"
    save_model(recent, tiny_model())
    settings.add_recent_file(recent, settings.open_settings())
    pid = dead_pid()
    stale = [private_home / f".handwriting.sqlite3.{pid}-x1{PARTIAL_SUFFIX}",
             models / f".mine.npz.{pid}-x2{PARTIAL_SUFFIX}"]
    live = models / f".mine.npz.{os.getpid()}-x3{PARTIAL_SUFFIX}"   # a save under way
    lookalike = models / f"notes{PARTIAL_SUFFIX}"                   # not one of ours
    for path in stale + [live, lookalike]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    open_window(show=False)
    assert not any(path.exists() for path in stale)
    assert live.exists() and lookalike.exists() and recent.exists()


def test_a_per_user_folder_that_is_a_file_is_said_once(open_window, dialogs, bundled,
                                                        private_home):
    private_home.parent.mkdir(parents=True, exist_ok=True)
    private_home.write_text("not a folder")

    window = open_window()

    message = window.statusBar().currentMessage()
    assert message.count(f"Cannot create the folder {private_home}") == 1, message
    assert window.active_model is not None   # drawing still works, with the bundled model


@pytest.mark.parametrize("what, words", [("link", "settings.ini cannot be written"),
                                          ("folder", "settings.ini is not a file")])
def test_settings_that_cannot_be_kept_are_said_at_launch(open_window, dialogs, bundled,
                                                          private_home, what, words):
    # A link into a folder that is gone: Qt wrote nothing at every close, and said nothing.
    private_home.mkdir(parents=True, exist_ok=True)
    if what == "link":
        (private_home / "settings.ini").symlink_to(private_home / "gone" / "settings.ini")
    else:
        (private_home / "settings.ini").mkdir()

    window = open_window()

    message = window.statusBar().currentMessage()
    assert "Settings are kept only until DigitLab closes" in message and "\n" not in message
    assert words in message


def test_settings_that_can_be_kept_say_nothing(open_window, dialogs, bundled, private_home):
    window = open_window()
    assert "Settings" not in window.statusBar().currentMessage()
