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


# What PyInstaller 6 collects from PySide6 on Linux, in small: libraries under PySide6/Qt/lib
# and symbolic links to some of them at the top of _internal.
FAKE_BUNDLE = {
    "PySide6/Qt/lib/libQt6Core.so.6": "kept", "PySide6/Qt/lib/libQt6XcbQpa.so.6": "kept",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6": "pruned",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6": "pruned",
    "PySide6/Qt/plugins/platforms/libqxcb.so": "kept",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so": "kept",
    "PySide6/Qt/plugins/platforms/libqwayland-egl.so": "kept",
    "PySide6/Qt/plugins/platforms/libqeglfs.so": "pruned",
    "PySide6/Qt/plugins/platforms/libqvnc.so": "pruned",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so": "pruned",
    "PySide6/Qt/plugins/imageformats/libqsvg.so": "kept",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so": "pruned",
    "PySide6/Qt/translations/qt_de.qm": "pruned",
}
FAKE_LINKS = {"libQt6Core.so.6": "kept", "libQt6EglFSDeviceIntegration.so.6": "pruned"}


@pytest.mark.skipif(sys.platform == "win32", reason="the bundle's links are made on Linux")
def test_pruning_removes_the_eglfs_libraries_and_leaves_no_broken_link(tmp_path):
    internal = tmp_path / "_internal"
    for name in FAKE_BUNDLE:
        (internal / name).parent.mkdir(parents=True, exist_ok=True)
        (internal / name).write_bytes(b"\x7fELF")
    for name in FAKE_LINKS:
        (internal / name).symlink_to(Path("PySide6/Qt/lib", name))

    bundle.prune(internal)

    left = {p.relative_to(internal).as_posix() for p in internal.rglob("*")
            if p.is_file() or p.is_symlink()}
    kept = {name for name, fate in {**FAKE_BUNDLE, **FAKE_LINKS}.items() if fate == "kept"}
    assert left == kept
    assert all((internal / name).exists() for name in left), "a link points at nothing"
