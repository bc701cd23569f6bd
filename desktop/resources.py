"""Where the files DigitLab ships with are: the bundled model and the icons.

They are the package data of ``desktop.assets``, which pyproject.toml maps to the checkout's
top-level ``resources/`` folder, and are read through ``importlib.resources``: the same names
work in a checkout installed with ``pip install -e .``, in a wheel, under pipx and in the
PyInstaller bundle. A checkout that is not installed (or whose environment holds another
checkout's install) has no ``desktop.assets``; then its own ``resources/`` is used.
"""

from importlib.resources import files
from pathlib import Path

from nn.files import bundled

ASSETS_PACKAGE = "desktop.assets"


def _folder():
    try:
        # Wheels and the bundle install package data as plain files, so this is a real path.
        return Path(str(files(ASSETS_PACKAGE)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / "resources"


FOLDER = _folder()
BUNDLED_MODEL = FOLDER / bundled.FILE_NAME
ICON_SVG = FOLDER / "icon.svg"
ICON_PNGS = sorted((FOLDER / "icons").glob("digitlab-*.png"))  # when Qt lacks its SVG plugin
DESKTOP_ICON = FOLDER / "icons" / "digitlab-256.png"  # the size a .desktop entry installs
