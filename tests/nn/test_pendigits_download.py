"""The pen digits download and the .Z unpacking it needs, against real local HTTP servers and
files made by the real `compress` (tests/nn/files, from tests/nn/unipen_text.py's text)."""

import functools
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data.pendigits_download import PendigitsCancelled, download_pendigits
from nn.data.unipen import FILE_NAME, MAX_FILE_BYTES, read_unipen
from nn.data.unix_compress import NotCompressed, uncompress
from nn.network.errors import DataError
from tests import local_http
from tests.nn.unipen_text import unipen_text

FILES = Path(__file__).parent / "files"
TEXT = unipen_text().encode()


@pytest.mark.parametrize("bits", [10, 12, 16])
def test_files_made_by_compress_unpack_to_the_original(bits):
    packed = (FILES / f"synthetic-b{bits}.tra.Z").read_bytes()
    assert uncompress(packed, len(TEXT)) == TEXT


def test_more_than_the_limit_is_refused():
    with pytest.raises(NotCompressed, match="more than 1000 bytes"):
        uncompress((FILES / "synthetic-b16.tra.Z").read_bytes(), 1000)


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(0, 100), flip=st.integers(0, 5000), bit=st.integers(0, 7))
def test_damaged_streams_end_in_bytes_or_not_compressed(cut, flip, bit):
    packed = bytearray((FILES / "synthetic-b16.tra.Z").read_bytes()[:3 + cut * 50])
    if flip < len(packed):
        packed[flip] ^= 1 << bit
    try:
        out = uncompress(bytes(packed), 10 * len(TEXT))
    except NotCompressed:
        return
    assert len(out) <= 10 * len(TEXT)


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / f"{FILE_NAME}.Z").write_bytes((FILES / "synthetic-b16.tra.Z").read_bytes())
    (served / "huge.Z").write_bytes(b"\x1f\x9d\x90" + bytes(9 << 20))
    handler = functools.partial(local_http.QuietHandler, directory=str(served))
    http_server, base = local_http.serve(handler)
    yield base
    local_http.stop(http_server)


def test_downloads_unpacks_verifies_and_saves_the_file(tmp_path, server):
    path = download_pendigits(tmp_path / "dest", url=server + f"{FILE_NAME}.Z",
                              sha256=hashlib.sha256(TEXT).hexdigest())
    assert path == tmp_path / "dest" / FILE_NAME and path.read_bytes() == TEXT
    assert len(read_unipen(path)) == 400
    assert [p.name for p in path.parent.iterdir()] == [FILE_NAME]  # no .part left behind


def test_a_file_that_is_not_the_published_one_is_not_saved(tmp_path, server):
    with pytest.raises(DataError, match="not the published") as error:
        download_pendigits(tmp_path / "dest", url=server + f"{FILE_NAME}.Z", sha256="0" * 64)
    assert "\n" not in str(error.value) and not (tmp_path / "dest").exists()


@pytest.mark.parametrize("name, words", [("huge.Z", "more than 8 MB"), ("missing.Z", "HTTP 404")])
def test_bad_answers_give_one_line_and_save_nothing(tmp_path, server, name, words):
    with pytest.raises(DataError, match=words):
        download_pendigits(tmp_path / "dest", url=server + name)
    assert not (tmp_path / "dest").exists()


def test_no_server_and_cancel(tmp_path, server):
    with pytest.raises(DataError, match="Cannot reach"):
        download_pendigits(tmp_path, url=local_http.closed_port_url() + "x.Z", timeout=2)
    with pytest.raises(PendigitsCancelled):
        download_pendigits(tmp_path, url=server + f"{FILE_NAME}.Z", should_stop=lambda: True)
    assert not (tmp_path / FILE_NAME).exists()


@pytest.mark.parametrize("script, words", [
    ([("send", b"SSH-2.0-OpenSSH\r\n")], "not valid HTTP"),          # a proxy that is not one
    ([("send", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")],
     "not valid HTTP"),                                                   # broken chunking
    ([("send", b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 150 + b"\r\n")], "not valid HTTP"),
    # a body cut short read as "its SHA-256 differs", a reset as "Cannot reach"
    ([("send", b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + bytes(1000)),
      ("close", None)], "stopped after 1,000 of 100,000 bytes"),
    ([("send", b"HTTP/1.1 200 OK\r\n\r\n" + bytes(1000)), ("reset", None)],
     "broke off after 1,000 bytes"),
], ids=["not HTTP", "bad chunk", "header flood", "cut short", "reset"])
def test_a_bad_answer_is_one_line_that_says_what_went_wrong(tmp_path, script, words):
    # The first three printed a traceback from http.client (the MNIST download said it in
    # one line).
    http_server, base = local_http.serve(local_http.scripted_handler(script))
    try:
        with pytest.raises(DataError, match=words) as error:
            download_pendigits(tmp_path / "dest", url=base + "x.Z", timeout=5)
    finally:
        local_http.stop(http_server)
    assert "\n" not in str(error.value) and not (tmp_path / "dest").exists()


def test_a_redirect_loop_is_one_line(tmp_path):
    http_server, base = local_http.serve(local_http.RedirectLoopHandler)
    try:
        with pytest.raises(DataError) as error:
            download_pendigits(tmp_path / "dest", url=base + "x.Z", timeout=5)
    finally:
        local_http.stop(http_server)
    assert "\n" not in str(error.value)   # urllib's reason held "...message was:\nFound"



def test_a_server_that_trickles_is_given_up(tmp_path):
    # read() waited for 64 KiB that came a byte at a time: before, the download went on for
    # as long as the server liked, showing nothing.
    script = [("send", b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")]
    script += [("send", b"\0"), ("wait", 0.1)] * 100
    http_server, base = local_http.serve(local_http.scripted_handler(script))
    start = time.monotonic()
    try:
        with pytest.raises(DataError, match="under 1,000 bytes a second") as error:
            download_pendigits(tmp_path / "dest", url=base + "x.Z", timeout=0.5)
    finally:
        local_http.stop(http_server)
    assert "\n" not in str(error.value) and time.monotonic() - start < 5


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    from nn.data.pendigits_download import download_pendigits
    from nn.network.errors import DataError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
    try:
        download_pendigits(sys.argv[1], url=sys.argv[2], sha256=sys.argv[3])
    except DataError as e:
        print(e)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file size limits")
def test_a_full_disk_leaves_no_part_file_and_says_what_to_do(tmp_path, server):
    dest = tmp_path / "dest"
    result = subprocess.run([sys.executable, "-c", FULL_DISK, str(dest),
                             server + f"{FILE_NAME}.Z", hashlib.sha256(TEXT).hexdigest()],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, no_proxy="127.0.0.1"))

    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "free some disk space or choose another folder" in result.stdout
    assert list(dest.iterdir()) == []


def test_a_file_already_there_is_checked_without_reading_it_whole(tmp_path, server):
    # A 2 GB file by that name was read into memory to hash it.
    dest = tmp_path / "dest"
    dest.mkdir()
    with open(dest / FILE_NAME, "wb") as big:
        big.truncate(MAX_FILE_BYTES)   # the largest it hashes; sparse: no disk used
    tracemalloc.start()
    try:
        path = download_pendigits(dest, url=server + f"{FILE_NAME}.Z",
                                  sha256=hashlib.sha256(TEXT).hexdigest())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path.read_bytes() == TEXT and peak < 4_000_000
