"""Downloads against hostile servers and folders, with real HTTP servers on 127.0.0.1: no
answer, an endless body without Content-Length, a stall halfway, a trickle, and folders in
the way."""

import http.server
import time

import pytest

from nn.data.download import download_dataset
from nn.network.errors import DataError

TIMEOUT = 0.5


class SilentHandler(http.server.BaseHTTPRequestHandler):
    """Accepts the connection and never answers."""

    def do_GET(self):
        time.sleep(TIMEOUT * 4)

    def log_message(self, format, *args):
        pass


class EndlessHandler(http.server.BaseHTTPRequestHandler):
    """Answers 200 with no Content-Length and zeros for as long as the client reads."""

    sent = 0

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        block = bytes(64 * 1024)
        try:
            for _ in range(5000):  # 320 MB at most
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:  # the client hung up, as it should
            pass
        self.close_connection = True

    def log_message(self, format, *args):
        pass


class StallHandler(http.server.BaseHTTPRequestHandler):
    """Announces the right length, sends a little, then goes quiet."""

    size = 0

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        self.wfile.write(bytes(100))
        self.wfile.flush()
        time.sleep(TIMEOUT * 4)

    def log_message(self, format, *args):
        pass


class TrickleHandler(http.server.BaseHTTPRequestHandler):
    """Announces the right length, then sends a byte at a time, each well within the
    timeout: a wait for each piece never runs out."""

    size = 0

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b"\0")
                self.wfile.flush()
                time.sleep(TIMEOUT / 5)
        except OSError:   # the client hung up, as it should
            pass

    def log_message(self, format, *args):
        pass


class GarbageHandler(http.server.BaseHTTPRequestHandler):
    """Answers with bytes that are not HTTP."""

    def do_GET(self):
        self.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
        self.close_connection = True

    def log_message(self, format, *args):
        pass


def one_line(error):
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_server_that_never_answers_is_reported_as_timed_out(served, server_of, tmp_path):
    _, info = served
    url = server_of(SilentHandler)

    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[url], timeout=TIMEOUT)

    message = one_line(caught)
    assert "No download server answered in time" in message and "offline" not in message


def test_a_server_that_stalls_halfway_is_reported_as_timed_out(served, server_of, tmp_path):
    _, info = served
    StallHandler.size = info.sizes["train-images-idx3-ubyte.gz"]
    url = server_of(StallHandler)

    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[url], timeout=TIMEOUT)

    assert "sent nothing for 0.5 s" in one_line(caught)
    assert list((tmp_path / "dest").iterdir()) == []


def test_a_server_that_trickles_is_given_up_instead_of_waited_on_for_months(served, server_of,
                                                                            tmp_path):
    # A byte every 0.1 s never reaches the 0.5 s timeout: before, the download went on for
    # as long as the server liked (26 MB at that pace take months).
    _, info = served
    TrickleHandler.size = info.sizes["train-images-idx3-ubyte.gz"]
    url = server_of(TrickleHandler)
    start = time.monotonic()

    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[url], timeout=TIMEOUT)

    assert "under 1,000 bytes a second" in one_line(caught)
    assert time.monotonic() - start < 10 and list((tmp_path / "dest").iterdir()) == []


def test_an_endless_body_without_length_stops_at_the_published_size(served, server_of,
                                                                     tmp_path):
    _, info = served
    EndlessHandler.sent = 0
    url = server_of(EndlessHandler)

    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[url], timeout=TIMEOUT)

    assert "more than the" in one_line(caught)
    assert list((tmp_path / "dest").iterdir()) == []
    assert EndlessHandler.sent < 50 * 2**20  # the client hung up long before 320 MB


def test_an_answer_that_is_not_http_is_a_failed_mirror(served, server_of, tmp_path):
    _, info = served

    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[server_of(GarbageHandler)],
                         timeout=TIMEOUT)

    assert "not valid HTTP" in one_line(caught)


@pytest.mark.parametrize("in_the_way", ["train-images-idx3-ubyte.gz.part",
                                        "train-images-idx3-ubyte.gz"])
def test_a_folder_in_the_way_is_named_not_blamed_on_disk_space(served, tmp_path, in_the_way):
    _, info = served
    dest = tmp_path / "dest"
    (dest / in_the_way).mkdir(parents=True)

    with pytest.raises(DataError) as caught:
        download_dataset(info, dest, mirrors=["http://127.0.0.1:9/"], timeout=TIMEOUT)

    message = one_line(caught)
    assert "folder of that name is in the way" in message and "disk space" not in message
    assert (dest / in_the_way).is_dir()
