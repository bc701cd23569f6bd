"""The files the app ships with: found through desktop.resources, and all in the package."""

import fnmatch
from pathlib import Path

import pytest

from desktop import resources, smoke

REPOSITORY = Path(__file__).resolve().parents[2]


def pyproject():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11 and later")
    return tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_on_disk_is_in_the_wheel():
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPOSITORY).parts)
               for top in ("nn", "desktop") for p in (REPOSITORY / top).rglob("__init__.py")}
    assert listed == on_disk | {resources.ASSETS_PACKAGE}


def test_the_files_the_app_reads_are_package_data():
    setuptools = pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"][resources.ASSETS_PACKAGE] == "resources"
    patterns = setuptools["package-data"][resources.ASSETS_PACKAGE]
    used = [resources.BUNDLED_MODEL, resources.ICON_SVG, resources.DESKTOP_ICON,
            *resources.ICON_PNGS]
    assert len(resources.ICON_PNGS) >= 3
    for path in used:
        assert path.is_file(), path
        relative = path.relative_to(resources.FOLDER).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_smoke_check_passes_on_a_first_launch(qapp, private_home):
    assert not private_home.exists()  # a fresh per-user folder, as on a new machine
    assert smoke.check() == []


def test_smoke_check_fails_without_the_bundled_model(qapp, monkeypatch, tmp_path):
    from desktop import main_window

    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "missing.npz")
    problems = smoke.check()
    assert len(problems) == 1 and "not the active model" in problems[0]
