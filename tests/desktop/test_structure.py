"""The app is built of objects that own their state and signals: no class in desktop/ takes
part of its behaviour from a class of the app's own mixed in beside its real base."""

import ast
from pathlib import Path

import desktop

DESKTOP_DIR = Path(desktop.__file__).resolve().parent


def mixed_in_app_classes(sources):
    """``file: Class(bases)`` for each class with several bases of which one is the app's."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources}
    classes = [(path, node) for path, tree in trees.items() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    own = {node.name for _, node in classes}
    return [f"{path.name}: {node.name}({', '.join(ast.unparse(b) for b in node.bases)})"
            for path, node in classes
            if len(node.bases) > 1 and any(ast.unparse(b).split(".")[-1] in own
                                           for b in node.bases)]


def test_no_class_in_the_app_inherits_a_mixin_of_its_own():
    sources = sorted(DESKTOP_DIR.rglob("*.py"))
    assert len(sources) >= 20
    assert mixed_in_app_classes(sources) == []


def test_the_check_sees_a_mixin(tmp_path):
    sample = tmp_path / "window.py"
    sample.write_text("class HelperMixin:\n    pass\n\n"
                      "class Window(HelperMixin, QMainWindow):\n    pass\n\n"
                      "class Tab(QWidget):\n    pass\n")
    assert mixed_in_app_classes([sample]) == ["window.py: Window(HelperMixin, QMainWindow)"]
