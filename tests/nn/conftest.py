"""Fixtures of the download tests: the small MNIST a local server offers, and no proxy."""

import pytest

from tests import local_http


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    local_http.no_proxy(monkeypatch)


@pytest.fixture
def served(tmp_path):
    """A folder with four tiny valid IDX gz files, and MNIST's info with their checksums."""
    folder = tmp_path / "served"
    return folder, local_http.tiny_mnist(folder, seed=7)
