"""What the main window does at launch so that DigitLab always starts, whatever state the
per-user files are in: put the window where it was left, clear what killed saves left behind,
pick the model to start with, and fill the Train form as it was left.

Picking the model returns a line for the status bar saying what it had to work around (""
when all was well); nothing here raises.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QSize

from desktop import settings
from nn.files.atomic import remove_stale_partials
from nn.data.folders import user_data_dir
from nn.network.errors import DigitLabError
from nn.files.modelfile import load_model

DEFAULT_SIZE = (1100, 780)   # room for the Train tab's settings without scrolling...
SCREEN_SHARE = 0.9           # ...but no more than this share of a smaller screen

log = logging.getLogger(__name__)


def restore_window(window):
    """Give ``window`` the size, place and docks it was left with, and the Train tab's split
    between plots and runs; a first window (or one whose saved geometry Qt cannot use) is
    DEFAULT_SIZE, within its screen."""
    geometry, state, train_splitter = settings.window_geometry(window.settings)
    if geometry is None or not window.restoreGeometry(geometry):
        # The frame and title bar are not in the size: the share leaves them room.
        screen = window.screen().availableGeometry().size()
        window.resize(QSize(*DEFAULT_SIZE).boundedTo(screen * SCREEN_SHARE))
    if state is not None:
        window.restoreState(state)
    if train_splitter is not None:
        # Not a splitter's state: False, and no change. One that would hide a side: the
        # splitter gives each side its least height when the window is shown.
        window.train_tab.splitter.restoreState(train_splitter)


def restore_train_form(window):
    """The Train form as it was left, once the model it may continue is active; on a first
    launch, a quick demo run."""
    form = settings.train_form_state(window.settings)
    if form:
        try:
            window.train_tab.set_form_state(form)
        except (KeyError, ValueError, TypeError) as error:  # written by another version
            log.warning("ignoring the saved training form: %s", error)
    else:
        window.train_tab.offer_quick_demo()


def remove_stale_temp_files(qsettings):
    """Remove the temporary files that killed saves left in DigitLab's folders: the per-user
    folder, its datasets and the folders of the recent model files. Returns how many."""
    home = user_data_dir()
    folders = {home, *(home / "datasets").glob("*"),
               *(Path(p).parent for p in settings.recent_files(qsettings))}
    removed = sum(remove_stale_partials(folder) for folder in folders)
    if removed:
        log.info("removed %d temporary files left by interrupted saves", removed)
    return removed


def activate_initial_model(window, bundled):
    """Make the last model used active in ``window``, else the ``bundled`` model file, else
    none. A last model that cannot be used is forgotten, so the next launch does not trip on it
    again. Returns a status line saying what went wrong, "" when nothing did."""
    last = settings.last_model_path(window.settings)
    if last:
        error = _activate(window, last)
        if error is None:
            return ""
        settings.set_last_model_path(None, window.settings)
        message = f"The last model could not be reopened ({error}); using the bundled one."
    else:
        message = ""
    if Path(bundled).is_file():
        error = _activate(window, bundled)
        if error is None:
            return message
        message = f"{message} The bundled model could not be loaded either: {error}".strip()
    window.set_active_model(None)
    return message


def _activate(window, path):
    """Make the model file ``path`` active; None once it is, else why not (one line)."""
    try:
        window.set_active_model(load_model(path), path)
    except DigitLabError as error:
        log.warning("cannot start with the model %r: %s", path, error)
        return str(error).rstrip(".")
    except Exception as error:  # noqa: BLE001 - whatever a hostile file does, the app starts
        log.exception("cannot start with the model %r", path)
        return f"{type(error).__name__}: {error}"
    return None
