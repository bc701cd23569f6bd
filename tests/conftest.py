"""Shared fixtures: real MNIST when it is available (tests/real_data.py), and a private
per-user folder."""

import os

import pytest

from tests import local_http
from tests.real_data import real_dataset_dir

# Qt must not look for a screen in CI; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

@pytest.fixture
def mnist_dir():
    return real_dataset_dir("mnist")


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Every test gets its own per-user folder, so nothing touches the real one."""
    home = tmp_path / "digitlab-home"
    monkeypatch.setenv("DIGITLAB_HOME", str(home))
    return home


@pytest.fixture
def closed_port_url():
    return local_http.closed_port_url()
