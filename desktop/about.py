"""Help > About's text, and where DigitLab writes its log: facts the window and the launcher both
show, kept apart from either so neither imports the other."""

import platform

from PySide6.QtCore import qVersion

from desktop.settings import APPLICATION as APP_NAME
from desktop.settings import settings_location
from nn import __version__
from nn.data.folders import user_data_dir


def log_path():
    """The log file: ``<per-user data folder>/logs/digitlab.log`` (shown in Help > About)."""
    return user_data_dir() / "logs" / "digitlab.log"


def about_html():
    """Help > About: the version, the libraries, and where DigitLab keeps its files."""
    import numpy
    import pyqtgraph
    import PySide6

    data = user_data_dir()
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>A neural network written from scratch in NumPy, trained on MNIST in front of you, "
        "reading the digits you draw.</p>"
        f"<p>Python {platform.python_version()} · NumPy {numpy.__version__} · "
        f"PySide6 {PySide6.__version__} (Qt {qVersion()}) · pyqtgraph {pyqtgraph.__version__}</p>"
        "<p><b>Where DigitLab keeps its files</b><br>"
        f"Settings: {settings_location()}<br>Data: {data}<br>"
        f"Datasets: {data / 'datasets'}<br>Log: {log_path()}</p>")
