"""Build DigitLab as a double-click application: ``python -m desktop.bundle [--check]``.

PyInstaller (``pip install -e ".[bundle]"``) freezes Python, NumPy, Qt and the app into one
folder, ``dist/DigitLab/``, whose ``DigitLab`` executable starts the app with the bundled model
and the icon; nobody needs Python to run it. The folder can be copied anywhere. On Linux the
command also writes ``dist/DigitLab/digitlab.desktop`` for that folder (absolute paths: write
it again after moving the folder, or copy it to ``~/.local/share/applications``).

The arguments below are the whole recipe, for every system PyInstaller supports (it builds
for the system it runs on). ``--check`` starts the built executable offscreen with an empty
per-user folder and checks that its window opens with the bundled model active.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desktop import install, resources
from desktop.app import BENCH_ENV, BENCH_PREFIX

NAME = "DigitLab"
REPOSITORY = Path(__file__).resolve().parents[1]
DIST = REPOSITORY / "dist"
WORK = REPOSITORY / "build" / "pyinstaller"
ENTRY_SCRIPT = Path(__file__).with_name("__main__.py")
# Qt and Python modules the app never imports; each would bring its Qt libraries (QtQuick and
# QtQml: tens of MB). The icon's SVG needs Qt's svg plugin, not the QtSvg module.
UNUSED_MODULES = [
    *(f"PySide6.{m}" for m in (
        "QtConcurrent", "QtDBus", "QtDesigner", "QtHelp", "QtNetwork", "QtPrintSupport",
        "QtQml", "QtQuick", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtSql",
        "QtSvgWidgets", "QtUiTools", "QtXml")),
    "pyqtgraph.opengl", "pyqtgraph.examples", "pyqtgraph.jupyter", "tkinter", "pytest",
    "PyInstaller",
]
# pyqtgraph imports these when they exist, for its SVG export and test helpers, and runs
# without them; DigitLab uses neither.
PYQTGRAPH_OPTIONAL = ["PySide6.QtSvg", "PySide6.QtTest"]
# pyqtgraph's curves import these with importlib, which PyInstaller cannot follow.
HIDDEN_IMPORTS = ["PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"]
# Files PyInstaller's Qt hooks collect that DigitLab never loads, as globs in the bundle's
# _internal folder: Qt's own translations (DigitLab speaks English only), the software OpenGL
# renderer (Windows), image formats other than SVG (PNG is built in), and the platforms for
# embedded screens and remote desktops with what only they load (xcb, wayland, offscreen stay):
# libQt6EglFSDeviceIntegration and libQt6EglFsKmsSupport (Qt spells them both ways).
PRUNED = [
    "PySide6/Qt/translations", "PySide6/opengl32sw.dll", "PySide6/Qt/plugins/generic",
    "PySide6/Qt/plugins/egldeviceintegrations", "PySide6/Qt/lib/libQt6EglF[sS]*",
    *(f"PySide6/Qt/plugins/imageformats/*q{f}.*"
      for f in ("gif", "icns", "ico", "jpeg", "tga", "tiff", "wbmp", "webp", "pdf")),
    *(f"PySide6/Qt/plugins/platforms/*q{p}.*"
      for p in ("eglfs", "linuxfb", "minimal", "minimalegl", "vkkhrdisplay", "vnc")),
]
CHECK_TIMEOUT_S = 60


def pyinstaller_arguments():
    """The PyInstaller command line that builds the bundle."""
    data = [(resources.FOLDER / "__init__.py", "desktop/assets"),  # makes it a package
            (resources.BUNDLED_MODEL, "desktop/assets"), (resources.ICON_SVG, "desktop/assets"),
            *((png, "desktop/assets/icons") for png in resources.ICON_PNGS)]
    arguments = [str(ENTRY_SCRIPT), "--name", NAME, "--onedir", "--windowed", "--noconfirm",
                 "--clean", "--distpath", str(DIST), "--workpath", str(WORK),
                 "--specpath", str(WORK)]
    for source, target in data:
        arguments += ["--add-data", f"{source}{os.pathsep}{target}"]
    for module in HIDDEN_IMPORTS:
        arguments += ["--hidden-import", module]
    for module in UNUSED_MODULES + PYQTGRAPH_OPTIONAL:
        arguments += ["--exclude-module", module]
    return arguments


def executable(folder=DIST / NAME):
    return folder / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def build():
    """Run PyInstaller, prune what the app does not need; returns the bundle's folder."""
    try:
        import PyInstaller.__main__
    except ImportError:
        raise SystemExit('PyInstaller is missing: pip install -e ".[bundle]"') from None
    PyInstaller.__main__.run(pyinstaller_arguments())
    folder = DIST / NAME
    internal = folder / "_internal"
    prune(internal)
    if sys.platform.startswith("linux"):
        icon = internal / "desktop" / "assets" / "icons" / resources.DESKTOP_ICON.name
        (folder / f"{install.APP_ID}.desktop").write_text(
            install.desktop_entry([str(executable(folder))], icon, folder), encoding="utf-8")
    return folder


def prune(internal, patterns=PRUNED):
    """Remove what matches ``patterns`` (globs in the bundle's ``internal`` folder), then every
    symbolic link left pointing at nothing: PyInstaller links some libraries from the top of
    ``_internal`` to their place under PySide6, and a dangling link breaks copying the folder."""
    for pattern in patterns:
        for path in internal.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for folder, subfolders, files in os.walk(internal):
        for name in subfolders + files:
            path = Path(folder, name)
            if path.is_symlink() and not path.exists():
                path.unlink()


def check(folder=DIST / NAME):
    """Start the bundle offscreen with an empty per-user folder; returns (seconds to the
    window, the line it printed). Raises RuntimeError when it fails."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=home,
                   **{BENCH_ENV: repr(time.time())})
        result = subprocess.run([str(executable(folder))], env=env, capture_output=True,
                                text=True, timeout=CHECK_TIMEOUT_S, cwd=home)
    line = next((x for x in result.stdout.splitlines() if x.startswith(BENCH_PREFIX)), "")
    expected = f"model={resources.BUNDLED_MODEL.stem}"
    if result.returncode != 0 or "visible=True" not in line or expected not in line:
        raise RuntimeError(f"the bundle did not open with the bundled model: {line!r} "
                           f"{result.stderr.strip()[-500:]}")
    return float(line[len(BENCH_PREFIX):].split()[0]), line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m desktop.bundle",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only start the bundle built before and check it")
    args = parser.parse_args(argv)
    folder = DIST / NAME if args.check else build()
    try:
        seconds, _line = check(folder)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(f"{executable(folder)}: window with the bundled model after {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
