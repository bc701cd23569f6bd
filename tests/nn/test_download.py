"""Downloads against real HTTP servers on 127.0.0.1: success, bad checksum, a server that hangs
up halfway, no server at all, and cancelling."""

import functools
import http.server

import pytest

from nn.data.datasets import load_dataset
from nn.data.download import CHUNK_SIZE, DownloadCancelled, download_dataset
from nn.network.errors import DataError
from tests.local_http import N_TRAIN, QuietHandler, serve, stop

TIMEOUT = 2.0


class HalfThenHangUpHandler(http.server.BaseHTTPRequestHandler):
    """Announces the full length, sends half of the file, then closes the connection."""

    directory = None

    def do_GET(self):
        content = (self.directory / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content[: len(content) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format, *args):
        pass


@pytest.fixture
def good_server(served):
    server, url = serve(functools.partial(QuietHandler, directory=str(served[0])))
    yield url
    stop(server)


@pytest.fixture
def hang_up_server(served):
    handler = type("Handler", (HalfThenHangUpHandler,), {"directory": served[0]})
    server, url = serve(handler)
    yield url
    stop(server)


def test_download_succeeds_with_verified_files_and_progress(served, good_server, tmp_path):
    folder, info = served
    dest = tmp_path / "dest" / "mnist"
    reports = []

    result = download_dataset(info, dest, on_progress=reports.append, mirrors=[good_server],
                              timeout=TIMEOUT)

    assert result == dest
    assert sorted(path.name for path in dest.iterdir()) == sorted(info.files.values())
    for name in info.files.values():
        assert (dest / name).read_bytes() == (folder / name).read_bytes()
    images = [r for r in reports if r.file == "train-images-idx3-ubyte.gz"]
    size = (folder / "train-images-idx3-ubyte.gz").stat().st_size
    # One report per read: what has arrived, never more than a chunk at a time.
    done = [0] + [r.bytes_done for r in images]
    assert len(images) >= -(-size // CHUNK_SIZE) >= 3
    assert all(0 < b - a <= CHUNK_SIZE for a, b in zip(done, done[1:]))
    assert images[-1].bytes_done == images[-1].bytes_total == size
    assert load_dataset("mnist", dest).x_train.shape == (N_TRAIN, 784)


def test_files_already_present_and_correct_are_not_downloaded_again(served, closed_port_url,
                                                                    tmp_path):
    folder, info = served
    dest = tmp_path / "dest"
    dest.mkdir()
    for name in info.files.values():
        (dest / name).write_bytes((folder / name).read_bytes())

    assert download_dataset(info, dest, mirrors=[closed_port_url], timeout=TIMEOUT) == dest


def test_next_mirror_is_tried_and_a_damaged_local_file_is_replaced(served, good_server,
                                                                   closed_port_url, tmp_path):
    folder, info = served
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")

    download_dataset(info, dest, mirrors=[closed_port_url, good_server], timeout=TIMEOUT)

    assert (dest / "t10k-labels-idx1-ubyte.gz").read_bytes() == \
        (folder / "t10k-labels-idx1-ubyte.gz").read_bytes()


def test_wrong_checksum_on_the_server_leaves_nothing_behind(served, good_server, tmp_path):
    folder, info = served
    served_file = folder / "train-images-idx3-ubyte.gz"
    changed = bytearray(served_file.read_bytes())  # the published size, not its content
    changed[len(changed) // 2] ^= 0xFF
    served_file.write_bytes(bytes(changed))
    dest = tmp_path / "dest"

    with pytest.raises(DataError) as caught:
        download_dataset(info, dest, mirrors=[good_server], timeout=TIMEOUT)

    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message and "SHA-256" in message
    assert list(dest.iterdir()) == []


def test_http_error_is_reported(served, good_server, tmp_path):
    folder, info = served
    (folder / "train-images-idx3-ubyte.gz").unlink()

    with pytest.raises(DataError, match="answered HTTP 404"):
        download_dataset(info, tmp_path / "dest", mirrors=[good_server], timeout=TIMEOUT)


def test_server_hanging_up_halfway_then_retry_works(served, hang_up_server, good_server,
                                                    tmp_path):
    folder, info = served
    dest = tmp_path / "dest"
    size = (folder / "train-images-idx3-ubyte.gz").stat().st_size

    with pytest.raises(DataError) as caught:
        download_dataset(info, dest, mirrors=[hang_up_server], timeout=TIMEOUT)

    assert str(caught.value) == (
        f"Download of train-images-idx3-ubyte.gz from {hang_up_server}train-images-idx3-ubyte.gz "
        f"stopped after {size // 2} of {size} bytes; check your connection and try again."
    )
    assert list(dest.iterdir()) == []
    download_dataset(info, dest, mirrors=[good_server], timeout=TIMEOUT)
    assert sorted(path.name for path in dest.iterdir()) == sorted(info.files.values())


def test_offline_error_says_which_files_to_copy_where(served, closed_port_url, tmp_path):
    _, info = served
    dest = tmp_path / "dest" / "mnist"

    with pytest.raises(DataError) as caught:
        download_dataset(info, dest, mirrors=[closed_port_url], timeout=TIMEOUT)

    message = str(caught.value)
    assert "offline" in message
    for name in info.files.values():
        assert name in message
    assert str(dest) in message
    assert list(dest.iterdir()) == []


def test_should_stop_cancels_and_removes_the_partial_file(served, good_server, tmp_path):
    _, info = served
    dest = tmp_path / "dest"
    reports = []

    with pytest.raises(DownloadCancelled) as caught:
        download_dataset(info, dest, on_progress=reports.append,
                         should_stop=lambda: len(reports) >= 1, mirrors=[good_server],
                         timeout=TIMEOUT)

    assert isinstance(caught.value, DataError)
    assert "train-images-idx3-ubyte.gz" in str(caught.value)
    assert len(reports) == 1
    assert list(dest.iterdir()) == []
