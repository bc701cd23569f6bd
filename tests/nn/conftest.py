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


@pytest.fixture
def server_of():
    """Start a local server for a handler class (``server_of(handler)`` returns its base URL);
    all are stopped after the test."""
    servers = []

    def start(handler):
        server, url = local_http.serve(handler)
        servers.append(server)
        return url

    yield start
    for server in servers:
        local_http.stop(server)
