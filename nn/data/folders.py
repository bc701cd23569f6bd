"""Where DigitLab's data lives on disk: the per-user folder, the checkout's data/ folder, the
folder ``DIGITLAB_DATA`` names, and the folders a user names (checked before they are looked
in). `nn.data.datasets` and `nn.data.unipen` look for their files in these.
"""

import os
import sys
from pathlib import Path

from nn.files.paths import folder_problem
from nn.network.errors import DataError

# A checkout keeps datasets in data/ beside nn/; tests monkeypatch this to stay hermetic.
_CHECKOUT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def user_data_dir():
    """The per-user folder where DigitLab keeps its data; datasets go in its ``datasets/<name>``.

    ``DIGITLAB_HOME`` replaces the whole folder when set (tests and portable installs use it).
    Otherwise the platform's convention, without extra dependencies: ``%LOCALAPPDATA%\\DigitLab``
    on Windows, ``~/Library/Application Support/DigitLab`` on macOS and
    ``$XDG_DATA_HOME/digitlab`` (default ``~/.local/share/digitlab``) elsewhere.
    """
    if os.environ.get("DIGITLAB_HOME"):
        return Path(os.path.expanduser(os.environ["DIGITLAB_HOME"]))
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "DigitLab"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "DigitLab"
    return xdg_data_home() / "digitlab"


def xdg_data_home():
    """The freedesktop data folder: ``$XDG_DATA_HOME`` when it is an absolute path (the spec
    says to ignore relative ones), else ``~/.local/share``."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"


def user_dataset_dir(info):
    """The per-user folder for one dataset: where downloads go and where users copy files."""
    return user_data_dir() / "datasets" / info.name


def data_roots():
    """The folders datasets are looked for in when none is given: ``DIGITLAB_DATA`` if set,
    ``data/`` of the checkout, ``user_data_dir()/datasets``."""
    roots = [_CHECKOUT_DATA_DIR, user_data_dir() / "datasets"]
    if os.environ.get("DIGITLAB_DATA"):
        roots.insert(0, user_folder(os.environ["DIGITLAB_DATA"]))
    return roots


def user_folder(text):
    """The folder or file a user named (a leading ~ is their home), as a Path; DataError when
    no folder can have that name (a name part past 255 bytes, a NUL). A ~user that names no
    one stays as it is written, a folder that does not exist."""
    problem = folder_problem(text)
    if problem:
        raise DataError(f"Cannot look in {text}: {problem}.")
    return Path(os.path.expanduser(text))
