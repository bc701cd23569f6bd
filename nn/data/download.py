"""Download a dataset's four files from its mirrors, verified by SHA-256, with the stdlib only.

Each file is streamed to ``<name>.part`` and renamed to its real name only once complete and
verified, so an interrupted or corrupted download never looks like a usable file. A mirror
that fails (HTTP error, dropped connection, wrong size or checksum) is skipped for the next
one. No more than the file's published size is ever received, whatever the server says.
Cancel acts within `POLL_SECONDS` whatever the server does: the wait for its answer runs on a
helper thread, and a watchdog shuts the connection down under a read that waits for data.
"""

import contextlib
import hashlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from nn.data.transfer import (MIN_BYTES_PER_SECOND, content_length, sha256_of, too_slow,
                              write_problem)
from nn.network.errors import DataError

CHUNK_SIZE = 64 * 1024
POLL_SECONDS = 0.1   # how often a waiting download looks at should_stop: Cancel acts this fast


@dataclass(frozen=True)
class DownloadProgress:
    """How far the download of one file has got (``bytes_total`` is None if unknown)."""

    file: str
    bytes_done: int
    bytes_total: int | None


class DownloadCancelled(DataError):
    """``should_stop()`` asked to stop; the partial file was removed."""


class _MirrorFailed(Exception):
    """One mirror could not deliver one file; ``unreachable`` means no connection at all,
    ``timed_out`` that the server did not answer in time."""

    def __init__(self, message, unreachable=False, timed_out=False):
        super().__init__(message)
        self.unreachable, self.timed_out = unreachable, timed_out


def download_dataset(info, dest_dir, on_progress=None, should_stop=None, mirrors=None,
                     timeout=30):
    """Download the files of ``info`` into ``dest_dir``; return ``dest_dir`` as a Path.

    Files already there with the right SHA-256 are kept. For each other file the mirrors
    (``mirrors``, default ``info.mirrors``, base URLs) are tried in turn.

    Parameters
    ----------
    info : nn.data.datasets.DatasetInfo
    dest_dir : str or os.PathLike
        Created if needed.
    on_progress : callable, optional
        Called with a `DownloadProgress` after each chunk of at most 64 KiB; throttling the
        display is the caller's job.
    should_stop : callable, optional
        Checked before each chunk; when it returns True the download stops with
        `DownloadCancelled`.
    timeout : float
        Seconds to wait for a connection or for the next chunk.

    Raises
    ------
    DataError
        When no mirror delivers a file; when none can be reached at all (or none answers in
        time), the message says which files to copy into which folder by hand; when a file
        cannot be written. `DownloadCancelled` on cancel.
    """
    dest = Path(dest_dir)
    bases = tuple(mirrors) if mirrors is not None else info.mirrors
    if not bases:
        raise ValueError("download_dataset needs at least one mirror URL")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"Cannot create {dest}: {error.strerror}; choose another folder.") from None
    for filename in info.files.values():
        expected = info.sha256[filename]
        # The size first: hashing a 20 GB file in the way took a minute, deaf to Cancel.
        if ((dest / filename).is_file() and (dest / filename).stat().st_size == info.sizes[filename]
                and sha256_of(dest / filename) == expected):
            continue
        for path in (dest / filename, dest / (filename + ".part")):
            if path.is_dir():
                raise DataError(f"Cannot download into {path}: a folder of that name is in "
                                "the way; remove it or choose another folder.")
        failures = []
        for base in bases:
            url = base.rstrip("/") + "/" + filename
            try:
                _fetch(url, dest / filename, expected, info.sizes[filename], on_progress,
                       should_stop, timeout)
                break
            except _MirrorFailed as failure:
                failures.append(failure)
        else:
            raise DataError(_explain(failures, info, dest, bases))
    return dest


def _explain(failures, info, dest, bases):
    """One message for a file no mirror delivered: the first real failure, or 'offline'."""
    for failure in failures:
        if not failure.unreachable:
            return str(failure)
    names = ", ".join(info.files.values())
    reasons = "; ".join(str(failure) for failure in failures)
    if any(failure.timed_out for failure in failures):
        why = (f"No download server answered in time ({reasons}): the connection is too slow "
               f"or the servers are busy; try again later, or")
    else:
        why = (f"No download server could be reached ({reasons}), so this machine seems to be "
               f"offline:")
    return (f"{why} copy the four files {names} into {dest} from a computer that can fetch "
            f"them from {' or '.join(bases)}.")


def _fetch(url, final, expected, size, on_progress, should_stop, timeout):
    """Stream ``url`` to ``final.part``, check its size and SHA-256, then rename it to ``final``.

    The .part file is removed on every failure (including cancel), so nothing half-done stays.
    """
    part = final.with_name(final.name + ".part")
    try:
        response = _open(url, timeout, should_stop, final.name)
    except urllib.error.HTTPError as error:
        error.close()  # an HTTPError holds the open connection of its error page
        if 300 <= error.code < 400 and "not allowed" in str(error.reason):
            raise _MirrorFailed(   # urllib follows a redirect to http(s) or ftp only
                f"Download of {final.name} from {url} failed: the server sent the request on "
                f"to {' '.join(str(error.reason).split())[:120]}; try another server or copy "
                "the file by hand.") from None
        if 300 <= error.code < 400:   # urllib follows 10 redirects, then gives up
            raise _MirrorFailed(
                f"Download of {final.name} from {url} failed: the server sent the request on "
                f"through redirect after redirect (HTTP {error.code}) without ever answering "
                "with the file; try again later or copy the file by hand.") from None
        raise _MirrorFailed(
            f"Download of {final.name} from {url} failed: the server answered HTTP "
            f"{error.code} {' '.join(str(error.reason).split())[:80]}; try again later or "
            "copy the file by hand.") from None
    except http.client.HTTPException as error:  # an answer that is not HTTP at all
        raise _MirrorFailed(f"Download of {final.name} from {url} failed: the server's answer "
                            f"is not valid HTTP ({type(error).__name__}); "
                            "try again later.") from None
    except (urllib.error.URLError, OSError) as error:  # refused, no DNS, timeout
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise _MirrorFailed(f"{url}: no answer within {timeout:g} s", unreachable=True,
                                timed_out=True) from None
        raise _MirrorFailed(f"{url}: {reason}", unreachable=True) from None
    try:
        with response, _cancellable(response, should_stop), open(part, "wb") as out:
            digest = _stream(response, out, final.name, url, size, timeout, on_progress,
                             should_stop)
            out.flush()
            os.fsync(out.fileno())  # the rename below must not publish data still in cache
        if digest != expected:
            raise _MirrorFailed(
                f"Download of {final.name} from {url} has SHA-256 {digest} instead of "
                f"{expected}; the file on the server is damaged or changed, try again later."
            )
        os.replace(part, final)
    except OSError as error:
        raise DataError(write_problem(error, part, final)) from None
    finally:
        with contextlib.suppress(OSError):  # nothing to remove, or not a file
            part.unlink(missing_ok=True)


def _stream(response, out, filename, url, size, timeout, on_progress, should_stop):
    """Copy ``response`` to ``out`` in chunks, never more than ``size`` bytes; return the
    hex SHA-256 of what was received."""
    total = content_length(response)
    if total is not None and total != size:
        raise _MirrorFailed(f"Download of {filename} from {url} announces {total} bytes instead "
                            f"of {size}; the file on the server is not the published one, try "
                            "again later.")
    digest = hashlib.sha256()
    done, started = 0, time.monotonic()
    while True:
        _check_stop(should_stop, filename)
        if too_slow(done, started, timeout):
            raise _MirrorFailed(f"Download of {filename} from {url} stopped after {done} bytes: "
                                f"the server sends under {MIN_BYTES_PER_SECOND:,} bytes a "
                                f"second; try again later.", timed_out=True)
        try:
            # read1: what has arrived, up to a chunk, so a slow server still shows progress
            chunk = response.read1(min(CHUNK_SIZE, size + 1 - done))
        except TimeoutError:
            _check_stop(should_stop, filename)
            raise _MirrorFailed(f"Download of {filename} from {url} stopped after {done} bytes: "
                                f"the server sent nothing for {timeout:g} s; try again later.",
                                timed_out=True) from None
        except (OSError, http.client.HTTPException):  # reset, broken chunking
            chunk = None
        if not chunk:
            _check_stop(should_stop, filename)   # the watchdog's shutdown ends a read too
            break
        done += len(chunk)
        if done > size:
            raise _MirrorFailed(f"Download of {filename} from {url} sends more than the "
                                f"{size} bytes of the published file; try another server later.")
        out.write(chunk)
        digest.update(chunk)
        if on_progress is not None:
            on_progress(DownloadProgress(filename, done, total))
    # http.client returns a short read, not an error, when the server hangs up early.
    if chunk is None or done != size:
        raise _MirrorFailed(
            f"Download of {filename} from {url} stopped after {done} of {size} bytes; "
            f"check your connection and try again."
        )
    return digest.hexdigest()


def _check_stop(should_stop, filename):
    if should_stop is not None and should_stop():
        raise DownloadCancelled(f"Download of {filename} was cancelled before it was complete.")


def _open(url, timeout, should_stop, filename):
    """``urllib.request.urlopen(url)``, cancellable: the request and the wait for the answer's
    headers run on a helper thread, and ``should_stop`` is polled meanwhile, so a server that
    accepts the connection and then delays (or trickles) its answer cannot hold up Cancel.
    An abandoned helper closes whatever it receives and ends within ``timeout``."""
    if should_stop is None:
        return urllib.request.urlopen(url, timeout=timeout)
    outcome, lock, finished = {}, threading.Lock(), threading.Event()

    def request():
        try:
            response = urllib.request.urlopen(url, timeout=timeout)
        except BaseException as error:   # handed to the waiting thread below
            outcome["error"] = error
        else:
            with lock:
                if outcome.get("abandoned"):
                    response.close()
                else:
                    outcome["response"] = response
        finished.set()

    threading.Thread(target=request, name="download-request", daemon=True).start()
    while not finished.wait(POLL_SECONDS):
        if should_stop():
            with lock:
                outcome["abandoned"] = True
                late = outcome.pop("response", None)
            if late is not None:
                late.close()
            _check_stop(should_stop, filename)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


@contextlib.contextmanager
def _cancellable(response, should_stop):
    """While the body of ``response`` is read: a watchdog thread that shuts its connection
    down as soon as ``should_stop()`` is true, so a read blocked on a slow server (one byte
    every half second never reaches the timeout) returns at once."""
    if should_stop is None:
        yield
        return
    try:   # a second handle on the connection's socket, for the watchdog's shutdown
        fd = os.dup(response.fileno())
    except (OSError, ValueError):
        fd = None
    try:
        sock = socket.socket(fileno=fd) if fd is not None else None
    except OSError:   # not a socket: a file: URL, nothing to wait for
        os.close(fd)
        sock = None
    if sock is None:
        yield
        return
    finished = threading.Event()

    def watch():
        while not finished.wait(POLL_SECONDS):
            if should_stop():
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return

    watchdog = threading.Thread(target=watch, name="download-watchdog", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        finished.set()
        watchdog.join()
        sock.close()
