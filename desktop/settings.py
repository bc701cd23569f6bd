"""Everything DigitLab keeps between sessions, and every QSettings key, in one place.

Settings live where Qt keeps an application's settings (``~/.config/DigitLab/DigitLab.conf``
on Linux, the registry on Windows, a plist on macOS), except when ``DIGITLAB_HOME`` is set:
then they go to ``$DIGITLAB_HOME/settings.ini`` beside the data and the logs, so a portable
install or a test never reads or writes the user's real settings.

Every setting is read through one checked reader (`_read`): a value of the wrong type, too
long, or JSON holding NaN or Infinity or nested too deep falls back to its default with one
line in the log, and is removed.
"""

import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from nn.files.json_text import is_flat_object, read_json
from nn.files.paths import not_a_file

ORGANIZATION = "DigitLab"
APPLICATION = "DigitLab"
MAX_RECENT_FILES = 8
MAX_TEXT = 2**16   # a path, a name, or JSON of a few hundred bytes

KEY_GEOMETRY = "window/geometry"
KEY_WINDOW_STATE = "window/state"
KEY_TRAIN_SPLITTER = "window/trainSplitter"   # the Train tab's line between plots and runs
KEY_LAST_FOLDER = "files/lastFolder"
KEY_RECENT_FILES = "files/recent"          # JSON list: avoids QSettings' one-item-list quirks
KEY_LAST_MODEL = "model/lastPath"
KEY_TRAIN_FORM = "train/form"              # JSON of TrainTab.form_state()
KEY_DATASET_NAME = "data/dataset"
KEY_DATASET_FOLDER = "data/folder"

DEFAULT_DATASET = "mnist"

log = logging.getLogger(__name__)


def open_settings():
    """The QSettings object all of DigitLab reads and writes (see the module docstring)."""
    path = settings_file()
    if path is not None and not_a_file(path):
        # Qt would read a pipe until a writer came (the launch would hang), a device forever.
        return QSettings(str(_stand_in_for(path)), QSettings.Format.IniFormat)
    if os.environ.get("DIGITLAB_HOME"):
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)


def settings_file():
    """The file the settings are kept in; None where Qt keeps them elsewhere (the registry on
    Windows, the system's store on macOS)."""
    home = os.environ.get("DIGITLAB_HOME")
    if home:
        return Path(os.path.expanduser(home)) / "settings.ini"
    if sys.platform in ("win32", "darwin"):
        return None
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(config) / ORGANIZATION / f"{APPLICATION}.conf"


_stand_in = None   # the temporary folder whose settings.ini stands in for one that is no file


def _stand_in_for(path):
    global _stand_in
    if _stand_in is None:
        _stand_in = tempfile.TemporaryDirectory(prefix="digitlab-settings-")
        log.warning("%s is not a file (a pipe, a device or a folder): settings are kept only "
                    "until DigitLab closes; remove it to have them remembered again", path)
    return Path(_stand_in.name) / "settings.ini"


def settings_problem():
    """One line for the status bar when the settings will not be remembered ("" when they
    will): their file is no file, or a link to a folder that does not exist."""
    path = settings_file()
    if path is None:
        return ""
    if not_a_file(path):   # open_settings keeps them in a stand-in for this session
        reason = "is not a file (a folder, a pipe or a device)"
    elif not _can_write(path):
        reason = "cannot be written"
    else:
        return ""
    return (f"Settings are kept only until DigitLab closes: {path} {reason}; fix it or move it "
            f"away to have them remembered.")


def _can_write(path):
    """Whether Qt can write the settings file ``path``. It writes a new file beside the one
    a link leads to, then renames it; for a plain file it first makes the missing folders."""
    try:
        if path.is_symlink():
            folder = Path(os.path.realpath(path)).parent
        else:
            folder = next(p for p in path.parents if p.exists())
        return folder.is_dir() and os.access(folder, os.W_OK)
    except OSError:
        return False


def settings_location():
    """Where the settings are stored, for the About box."""
    return open_settings().fileName()


def _read(settings, key, parse, default):
    """The one way a setting is read: ``parse(stored value)``, or ``default`` when the key is
    absent or ``parse`` refuses the value (ValueError); a refused value is logged in one line
    and removed. A setting written by another version, a hand edit or a damaged file never
    stops a launch."""
    value = settings.value(key)
    if value is None:
        return default
    try:
        return parse(value)
    except ValueError as error:
        log.warning("ignoring the setting %s: it %s", key, error)
        settings.remove(key)   # said once: the next read finds the default
        return default


def _text(value):
    if not isinstance(value, str):
        raise ValueError(f"is {type(value).__name__}, not text")
    if len(value) > MAX_TEXT:
        raise ValueError(f"is {len(value):,} characters long")
    return value


def _json(check, what):
    """A parser of JSON text whose value ``check`` accepts (it is ``what``)."""
    def parse(value):
        parsed = read_json(_text(value))
        if not check(parsed):
            raise ValueError(f"is not {what}")
        return parsed
    return parse


_paths = _json(lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v),
               "a list of file names")
_form = _json(is_flat_object, "an object of plain values")


# --- files --------------------------------------------------------------------------------------

def recent_files(settings=None):
    """The recently opened or saved model files that still exist, newest first."""
    paths = _read(settings or open_settings(), KEY_RECENT_FILES, _paths, [])
    return [p for p in paths[:MAX_RECENT_FILES] if _is_file(p)]


def _is_file(path):
    try:
        return Path(path).is_file()
    except (OSError, ValueError):   # a name too long for the system, or with a NUL in it
        return False


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
    folder = _read(settings or open_settings(), KEY_LAST_FOLDER, _text, "")
    try:
        return folder if folder and Path(folder).is_dir() else str(Path.home())
    except (OSError, ValueError):   # see _is_file
        return str(Path.home())


def set_last_folder(path, settings=None):
    """Remember the folder of ``path`` (a file) for the next file dialog."""
    (settings or open_settings()).setValue(KEY_LAST_FOLDER, str(Path(path).resolve().parent))


def last_model_path(settings=None):
    """The model file that was active when DigitLab last saved or opened one, or None."""
    return _read(settings or open_settings(), KEY_LAST_MODEL, _text, "") or None


def set_last_model_path(path, settings=None):
    settings = settings or open_settings()
    if path is None:
        settings.remove(KEY_LAST_MODEL)
    else:
        settings.setValue(KEY_LAST_MODEL, str(Path(path).resolve()))


# --- window -------------------------------------------------------------------------------------

def window_geometry(settings=None):
    """(geometry, state, Train splitter state) QByteArrays saved by `save_window`, each None
    when absent."""
    settings = settings or open_settings()
    return tuple(_read(settings, key, _bytes, None)
                 for key in (KEY_GEOMETRY, KEY_WINDOW_STATE, KEY_TRAIN_SPLITTER))


def _bytes(value):
    if not isinstance(value, QByteArray) or value.isEmpty():
        raise ValueError(f"is {type(value).__name__}, not what Qt saved")
    return value


def save_window(geometry, state, train_splitter, settings=None):
    settings = settings or open_settings()
    settings.setValue(KEY_GEOMETRY, geometry)
    settings.setValue(KEY_WINDOW_STATE, state)
    settings.setValue(KEY_TRAIN_SPLITTER, train_splitter)


# --- training form and dataset ------------------------------------------------------------------

def train_form_state(settings=None):
    """The Train tab's form as the dict `TrainTab.form_state()` returned, or None."""
    return _read(settings or open_settings(), KEY_TRAIN_FORM, _form, None)


def set_train_form_state(state, settings=None):
    (settings or open_settings()).setValue(KEY_TRAIN_FORM, json.dumps(state))


def dataset_choice(settings=None):
    """(dataset name, folder or None) chosen in the Data menu."""
    settings = settings or open_settings()
    return (_read(settings, KEY_DATASET_NAME, _text, DEFAULT_DATASET) or DEFAULT_DATASET,
            _read(settings, KEY_DATASET_FOLDER, _text, "") or None)


def set_dataset_choice(name, folder, settings=None):
    settings = settings or open_settings()
    settings.setValue(KEY_DATASET_NAME, name)
    if folder:
        settings.setValue(KEY_DATASET_FOLDER, str(folder))
    else:
        settings.remove(KEY_DATASET_FOLDER)
