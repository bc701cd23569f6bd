"""Shared fixtures: real MNIST when it is available, and a private per-user folder."""

import os
from pathlib import Path

import pytest

from tests import local_http

# Qt must not look for a screen in CI; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "mnist"


def real_mnist_dir():
    """The folder with the four real MNIST files, or None."""
    for candidate in (os.environ.get("DIGITLAB_DATA"), SHARED_MNIST):
        if candidate and (Path(candidate) / "t10k-images-idx3-ubyte.gz").is_file():
            return Path(candidate).resolve()  # tests chdir and build file: URIs
    return None


@pytest.fixture
def mnist_dir():
    path = real_mnist_dir()
    if path is None:
        pytest.skip("real MNIST not found: set DIGITLAB_DATA to the folder with the four IDX files")
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Every test gets its own per-user folder, so nothing touches the real one."""
    home = tmp_path / "digitlab-home"
    monkeypatch.setenv("DIGITLAB_HOME", str(home))
    return home


@pytest.fixture
def closed_port_url():
    return local_http.closed_port_url()
