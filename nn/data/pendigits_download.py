"""Download the pen digits of the 30 training writers from where UCI publishes them.

UCI keeps the file as ``pendigits-orig.tra.Z`` (Unix ``compress``). It is fetched into memory
(it is under 1 MB), unpacked, checked against the SHA-256 of the published text, and only then
written, through a ``.part`` file renamed when complete, so that no partial or wrong file ever
sits under the real name. The same data set's second file (other writers, kept for testing
models) is not fetched.
"""

import contextlib
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from nn.data.transfer import (MIN_BYTES_PER_SECOND, content_length, sha256_of, too_slow,
                              write_problem)
from nn.data.unipen import FILE_NAME, MAX_FILE_BYTES, SHA256
from nn.files.paths import file_at
from nn.data.unix_compress import MAGIC, NotCompressed, uncompress
from nn.network.errors import DataError

URL = ("https://archive.ics.uci.edu/ml/machine-learning-databases/pendigits/"
       f"{FILE_NAME}.Z")
MAX_DOWNLOAD_BYTES = 8 << 20  # the .Z file is about 1 MB
CHUNK_BYTES = 64 << 10


class PendigitsCancelled(DataError):
    """``should_stop()`` asked to stop; nothing was written."""


def download_pendigits(dest_dir, url=URL, sha256=SHA256, timeout=30, should_stop=None):
    """Fetch, unpack and verify the pen digits; return the path of ``FILE_NAME`` in dest_dir.

    A file already there with the right SHA-256 is kept. Raises DataError with one sentence
    when the server cannot be reached, sends too much, or sends anything but the published
    file; PendigitsCancelled when ``should_stop()`` becomes true.
    """
    dest_dir = Path(dest_dir)
    final = dest_dir / FILE_NAME
    if file_at(final) and final.stat().st_size <= MAX_FILE_BYTES and sha256_of(final) == sha256:
        return final
    data = _fetch(url, timeout, should_stop)
    if data[:2] == MAGIC:
        try:
            data = uncompress(data, MAX_FILE_BYTES)
        except NotCompressed as error:
            raise DataError(f"{url} did not send a readable .Z file ({error}); try again "
                            f"later, or copy {FILE_NAME} into {dest_dir} by hand.") from None
    if _sha256(data) != sha256:
        raise DataError(f"{url} sent a file that is not the published {FILE_NAME} (its SHA-256 "
                        f"differs); nothing was saved. Try again later, or copy the file into "
                        f"{dest_dir} by hand.")
    part = final.with_name(final.name + ".part")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, final)
    except OSError as error:
        raise DataError(write_problem(error, part, final)) from None
    finally:
        with contextlib.suppress(OSError):   # renamed already, never made, or not a file
            part.unlink(missing_ok=True)
    return final


def _fetch(url, timeout, should_stop):
    """The body at ``url``, at most MAX_DOWNLOAD_BYTES; DataError otherwise."""
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            chunks, started = [], time.monotonic()
            # read1: what has arrived, so that a server sending a byte at a time is noticed
            while chunk := response.read1(CHUNK_BYTES):
                if should_stop is not None and should_stop():
                    raise PendigitsCancelled("The download of the pen digits was cancelled.")
                if too_slow(size, started, timeout):
                    raise DataError(f"{url} sends under {MIN_BYTES_PER_SECOND:,} bytes a "
                                    f"second; try again later, or copy {FILE_NAME} by hand.")
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DataError(f"{url} sent more than {MAX_DOWNLOAD_BYTES >> 20} MB, far "
                                    f"more than the pen digits; nothing was saved.")
                chunks.append(chunk)
            announced = content_length(response)
    except urllib.error.HTTPError as error:
        raise DataError(f"{url} answered HTTP {error.code} ({_one_line(error.reason)}); try "
                        f"again later, or copy {FILE_NAME} by hand.") from None
    except http.client.HTTPException as error:   # an answer that is not HTTP, a broken body
        raise DataError(f"{url} sent an answer that is not valid HTTP ({type(error).__name__}); "
                        f"try again later, or copy {FILE_NAME} by hand.") from None
    except (urllib.error.URLError, OSError) as error:
        reason = _one_line(getattr(error, "reason", None) or error)
        if size:   # it was reached, and the connection broke
            raise DataError(f"The download from {url} broke off after {size:,} bytes "
                            f"({reason}); check the connection and try again.") from None
        raise DataError(f"Cannot reach {url} ({reason}); check the connection, or "
                        f"copy {FILE_NAME} by hand.") from None
    if announced is not None and size != announced:   # the server hung up early
        raise DataError(f"The download from {url} stopped after {size:,} of {announced:,} "
                        f"bytes; check the connection and try again.")
    return b"".join(chunks)


def _one_line(reason):
    """A server's or the system's reason, as words on one line of at most 80 characters."""
    return " ".join(str(reason).split())[:80]


def _sha256(data):
    return hashlib.sha256(data).hexdigest()
