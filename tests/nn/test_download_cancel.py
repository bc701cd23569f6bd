"""Cancel acts within a second whatever the server does, and a redirect chain is one line:
real HTTP servers on 127.0.0.1 that trickle one byte every half second (never long enough
for a timeout), loop on redirects, or follow a random hostile script."""

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn.data.download import DownloadCancelled, download_dataset
from nn.network.errors import DataError
from tests.local_http import (RedirectLoopHandler, scripted_handler, serve, stop,
                              trickle_handler)

CANCEL_WITHIN_S = 1.0
FIRST_FILE = "train-images-idx3-ubyte.gz"


class Download(threading.Thread):
    """download_dataset on its own thread, as the app runs it; ``cancel()`` then says how
    long it took to return."""

    def __init__(self, info, dest, url):
        super().__init__(daemon=True)
        self.info, self.dest, self.url = info, dest, url
        self.stop_flag, self.progressed = threading.Event(), threading.Event()
        self.error = None

    def run(self):
        try:
            download_dataset(self.info, self.dest, mirrors=[self.url], timeout=30,
                             should_stop=self.stop_flag.is_set,
                             on_progress=lambda p: self.progressed.set())
        except DataError as error:
            self.error = error

    def cancel(self):
        start = time.monotonic()
        self.stop_flag.set()
        self.join(timeout=10)
        return time.monotonic() - start


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_cancel_returns_within_a_second_from_a_trickling_server(served, server_of, tmp_path,
                                                                in_headers):
    _, info = served
    url = server_of(trickle_handler(info.sizes[FIRST_FILE], in_headers))
    download = Download(info, tmp_path / "dest", url)
    download.start()
    if in_headers:   # no progress to wait for: cancel while the status line trickles
        assert not download.progressed.wait(1.2)
    else:
        assert download.progressed.wait(5), "the first byte arrives"
    took = download.cancel()
    assert took < CANCEL_WITHIN_S and not download.is_alive()
    assert isinstance(download.error, DownloadCancelled)
    assert list((tmp_path / "dest").iterdir()) == [], "no partial file is kept"


def test_a_redirect_chain_is_one_line_that_says_so(served, server_of, tmp_path):
    _, info = served
    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[server_of(RedirectLoopHandler)],
                         timeout=5)
    message = str(caught.value)
    assert "\n" not in message and "redirect after redirect" in message and FIRST_FILE in message


def test_a_redirect_to_a_local_file_says_where_it_led(served, server_of, tmp_path):
    # One redirect to file:///etc/passwd read as "redirect after redirect".
    _, info = served
    away = scripted_handler([("send", b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\n"
                                      b"Content-Length: 0\r\n\r\n")])
    with pytest.raises(DataError) as caught:
        download_dataset(info, tmp_path / "dest", mirrors=[server_of(away)], timeout=5)
    message = str(caught.value)
    assert "\n" not in message and "redirect after redirect" not in message
    assert "file:///etc/passwd" in message and "is not allowed" in message


# --- a hostile server's random script -----------------------------------------------------------

STEP = st.one_of(st.tuples(st.just("send"), st.binary(min_size=1, max_size=64)),
                 st.tuples(st.just("wait"), st.floats(0.0, 0.15)),
                 st.tuples(st.just("header"), st.sampled_from(
                     [b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 302 Found\r\nLocation: /x\r\n",
                      b"HTTP/1.1 500 Oops\r\n", b"Content-Length: 5\r\n",
                      b"Content-Length: -1\r\n", b"Transfer-Encoding: chunked\r\n", b"\r\n",
                      b"HTTP/1.0 200\r\n\r\n", b"\xff\xfe garbage\r\n"])),
                 st.just(("close", None)))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=st.lists(STEP, max_size=8), cancel_after=st.floats(0.0, 0.4))
def test_any_server_script_ends_in_a_file_an_error_or_a_prompt_cancel(
        served, tmp_path_factory, script, cancel_after):
    _, info = served
    server, url = serve(scripted_handler(script))
    try:
        dest = tmp_path_factory.mktemp("dest")
        download = Download(info, dest, url)
        download.start()
        download.join(cancel_after)
        took = download.cancel()
    finally:
        stop(server)
    assert took < CANCEL_WITHIN_S and not download.is_alive()
    if download.error is not None:
        assert "\n" not in str(download.error) and str(download.error)
    assert not list(dest.glob("*.part")), "no partial file is kept"


def test_cancel_is_heard_with_a_huge_file_in_the_way(served, server_of, tmp_path):
    # A file of the dataset's name but not its size was hashed whole before anything else:
    # 20 GB took a minute, deaf to Cancel (and closing the window waited for it).
    _, info = served
    dest = tmp_path / "dest"
    dest.mkdir()
    with open(dest / FIRST_FILE, "wb") as huge:   # sparse: no disk is used
        huge.truncate(4 << 30)
    download = Download(info, dest, server_of(trickle_handler(info.sizes[FIRST_FILE], False)))
    download.start()
    assert download.progressed.wait(5), "the download starts without reading the file first"
    took = download.cancel()
    assert took < CANCEL_WITHIN_S and isinstance(download.error, DownloadCancelled)
