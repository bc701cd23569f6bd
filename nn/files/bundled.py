"""The model DigitLab ships with, ``default-model.npz``: the package data of ``desktop.assets``.

The desktop app reads it through ``importlib.resources`` (desktop/resources.py). The engine
never imports the app, so the command line finds the same file where installations put it:
``desktop/assets`` beside ``nn/`` (a wheel, pipx, the PyInstaller bundle), or the checkout's
``resources/``, which pyproject.toml maps to ``desktop.assets``.
"""

from pathlib import Path

from nn.network.errors import ModelFileError

FILE_NAME = "default-model.npz"
_INSTALLATION = Path(__file__).resolve().parents[2]   # the folder that holds nn/
PLACES = (_INSTALLATION / "desktop" / "assets", _INSTALLATION / "resources")


def bundled_model_path():
    """The bundled model's file; ModelFileError when this installation has none."""
    for folder in PLACES:
        if (folder / FILE_NAME).is_file():
            return folder / FILE_NAME
    raise ModelFileError(f"this installation has no bundled model ({FILE_NAME} is not in "
                         f"{' nor '.join(map(str, PLACES))}); name a model file instead.")
