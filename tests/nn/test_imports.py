"""The engine stays headless: nothing under nn/ imports Qt, directly or through another module."""

import ast
import subprocess
import sys
from pathlib import Path

import nn

NN_DIR = Path(nn.__file__).resolve().parent
ROOT = NN_DIR.parent
QT_PACKAGES = ("PySide6", "PySide2", "shiboken6", "shiboken2", "PyQt5", "PyQt6", "pyqtgraph",
               "qtpy", "desktop")
QT_CHECK = "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {!r}))".format(
    set(QT_PACKAGES))


def run_python(code):
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_engine_loads_no_qt():
    code = ("import nn, nn.training.train, nn.files.modelfile, nn.data.datasets, "
            "nn.data.download, nn.ink.images, nn.training.presets; import sys; "
            "print('PySide6' in sys.modules or 'pyqtgraph' in sys.modules)")
    assert run_python(code) == "False"


def test_importing_every_nn_module_loads_no_qt():
    # Every module pkgutil finds (nn.cli.commands, nn.cli.bench, ... whatever exists), except
    # __main__, which runs the command line when imported.
    code = ("import importlib, pkgutil, nn\n"
            "names = [m.name for m in pkgutil.walk_packages(nn.__path__, 'nn.')\n"
            "         if m.name.rsplit('.', 1)[-1] != '__main__']\n"
            "assert len(names) >= 10, names\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n"
            + QT_CHECK)
    assert run_python(code) == "[]"


def imported_top_level_names(source_path):
    tree = ast.parse(source_path.read_text(encoding="utf-8"), filename=str(source_path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                  "import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value.split(".")[0]


def test_no_file_under_nn_imports_qt_even_lazily():
    sources = sorted(NN_DIR.rglob("*.py"))
    assert len(sources) >= 10

    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in sources for line, name in imported_top_level_names(path)
                 if name in QT_PACKAGES]

    assert offenders == []


def test_the_static_check_would_see_a_qt_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from PySide6.QtCore import QObject\n"
                      "import pyqtgraph as pg\n"
                      "importlib.import_module('PyQt6.QtGui')\n")
    assert sorted(name for _, name in imported_top_level_names(sample)) == [
        "PyQt6", "PySide6", "pyqtgraph"]
