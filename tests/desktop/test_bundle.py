"""The double-click bundle's recipe (building it takes minutes: python -m desktop.bundle)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import bundle, resources

REPOSITORY = Path(__file__).resolve().parents[2]


def test_pyinstaller_arguments_name_existing_files_and_the_assets_package():
    arguments = bundle.pyinstaller_arguments()
    assert Path(arguments[0]).is_file() and arguments[0].endswith("__main__.py")
    assert arguments[arguments.index("--name") + 1] == "DigitLab"
    data = [arguments[i + 1].split(os.pathsep) for i, a in enumerate(arguments)
            if a == "--add-data"]
    assert all(Path(source).is_file() for source, _ in data)
    installed = {Path(target, Path(source).name).as_posix() for source, target in data}
    assert {"desktop/assets/__init__.py", "desktop/assets/default-model.npz",
            "desktop/assets/icons/digitlab-256.png"} <= installed
    assert len(installed) == 3 + len(resources.ICON_PNGS)


def test_the_app_imports_no_module_the_bundle_leaves_out(tmp_path):
    """What the bundle leaves out as unused must be: a window is built in a fresh interpreter
    (pytest-qt itself imports QtTest) and its imported modules are compared with the list."""
    code = ("import json, sys; from PySide6.QtWidgets import QApplication; "
            "app = QApplication([]); from desktop.main_window import MainWindow; "
            "w = MainWindow(); w.show(); app.processEvents(); "
            "print(json.dumps(sorted(sys.modules)))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    imported = set(json.loads(result.stdout.splitlines()[-1]))
    assert "PySide6.QtWidgets" in imported and set(bundle.HIDDEN_IMPORTS) <= imported
    left_out = {m for m in imported
                if any(m == x or m.startswith(x + ".") for x in bundle.UNUSED_MODULES)}
    assert left_out == set()


def test_the_bundle_is_an_optional_extra():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11 and later")
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    assert any(r.startswith("pyinstaller") for r in extras["bundle"])
