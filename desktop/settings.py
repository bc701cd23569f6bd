"""Everything DigitLab keeps between sessions, and every QSettings key, in one place.

Settings live where Qt keeps an application's settings (``~/.config/DigitLab/DigitLab.conf``
on Linux, the registry on Windows, a plist on macOS), except when ``DIGITLAB_HOME`` is set:
then they go to ``$DIGITLAB_HOME/settings.ini`` beside the data and the logs, so a portable
install or a test never reads or writes the user's real settings.
"""

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "DigitLab"
APPLICATION = "DigitLab"
MAX_RECENT_FILES = 8

KEY_GEOMETRY = "window/geometry"
KEY_WINDOW_STATE = "window/state"
KEY_LAST_FOLDER = "files/lastFolder"
KEY_RECENT_FILES = "files/recent"          # JSON list: avoids QSettings' one-item-list quirks
KEY_LAST_MODEL = "model/lastPath"
KEY_TRAIN_FORM = "train/form"              # JSON of TrainTab.form_state()
KEY_DATASET_NAME = "data/dataset"
KEY_DATASET_FOLDER = "data/folder"

DEFAULT_DATASET = "mnist"


def open_settings():
    """The QSettings object all of DigitLab reads and writes (see the module docstring)."""
    home = os.environ.get("DIGITLAB_HOME")
    if home:
        return QSettings(str(Path(home).expanduser() / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)


def settings_location():
    """Where the settings are stored, for the About box."""
    return open_settings().fileName()


def _text(settings, key, default=""):
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def _json(settings, key, default):
    try:
        return json.loads(_text(settings, key, ""))
    except ValueError:  # missing or hand-edited into garbage: start afresh
        return default


# --- files --------------------------------------------------------------------------------------

def recent_files(settings=None):
    """The recently opened or saved model files that still exist, newest first."""
    settings = settings or open_settings()
    paths = _json(settings, KEY_RECENT_FILES, [])
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and Path(p).is_file()][:MAX_RECENT_FILES]


def add_recent_file(path, settings=None):
    """Put ``path`` first in the recent files list; returns the new list."""
    settings = settings or open_settings()
    path = str(Path(path).resolve())
    paths = [path] + [p for p in recent_files(settings) if p != path]
    paths = paths[:MAX_RECENT_FILES]
    settings.setValue(KEY_RECENT_FILES, json.dumps(paths))
    return paths


def last_folder(settings=None):
    """The folder of the last file dialog, or the home folder."""
    folder = _text(settings or open_settings(), KEY_LAST_FOLDER)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def set_last_folder(path, settings=None):
    """Remember the folder of ``path`` (a file) for the next file dialog."""
    (settings or open_settings()).setValue(KEY_LAST_FOLDER, str(Path(path).resolve().parent))


def last_model_path(settings=None):
    """The model file that was active when DigitLab last saved or opened one, or None."""
    return _text(settings or open_settings(), KEY_LAST_MODEL) or None


def set_last_model_path(path, settings=None):
    settings = settings or open_settings()
    if path is None:
        settings.remove(KEY_LAST_MODEL)
    else:
        settings.setValue(KEY_LAST_MODEL, str(Path(path).resolve()))


# --- window -------------------------------------------------------------------------------------

def window_geometry(settings=None):
    """(geometry, state) QByteArrays saved by `save_window`, each None when absent."""
    settings = settings or open_settings()
    values = [settings.value(key) for key in (KEY_GEOMETRY, KEY_WINDOW_STATE)]
    return tuple(v if isinstance(v, QByteArray) and not v.isEmpty() else None for v in values)


def save_window(geometry, state, settings=None):
    settings = settings or open_settings()
    settings.setValue(KEY_GEOMETRY, geometry)
    settings.setValue(KEY_WINDOW_STATE, state)


# --- training form and dataset ------------------------------------------------------------------

def train_form_state(settings=None):
    """The Train tab's form as the dict `TrainTab.form_state()` returned, or None."""
    state = _json(settings or open_settings(), KEY_TRAIN_FORM, None)
    return state if isinstance(state, dict) else None


def set_train_form_state(state, settings=None):
    (settings or open_settings()).setValue(KEY_TRAIN_FORM, json.dumps(state))


def dataset_choice(settings=None):
    """(dataset name, folder or None) chosen in the Data menu."""
    settings = settings or open_settings()
    return (_text(settings, KEY_DATASET_NAME, DEFAULT_DATASET) or DEFAULT_DATASET,
            _text(settings, KEY_DATASET_FOLDER) or None)


def set_dataset_choice(name, folder, settings=None):
    settings = settings or open_settings()
    settings.setValue(KEY_DATASET_NAME, name)
    if folder:
        settings.setValue(KEY_DATASET_FOLDER, str(folder))
    else:
        settings.remove(KEY_DATASET_FOLDER)
