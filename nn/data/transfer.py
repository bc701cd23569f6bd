"""What both downloaders (MNIST's files, the pen digits) share: when a server is too slow to
wait for, what length an answer announces, a file's SHA-256, and what to tell the user when
a download cannot be written."""

import errno
import hashlib
import time

# The timeout bounds the wait for each piece; a server that sends a byte every few seconds
# never reaches it. Past the timeout, a download that averages under this is given up.
MIN_BYTES_PER_SECOND = 1000


def write_problem(error, part, final):
    """What to tell the user when the download cannot be written (never blame the disk for
    a folder in the way or a missing permission)."""
    if error.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (f"Cannot write {part}: {error.strerror}; "
                "free some disk space or choose another folder.")
    if error.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
        return (f"Cannot put the download at {final}: a folder of that name is in the way; "
                "remove it or choose another folder.")
    return (f"Cannot write {part}: {error.strerror or error}; "
            "check the folder's permissions or choose another folder.")


def content_length(response):
    """The length the answer announces, None when it announces none (or garbage)."""
    try:
        return int(response.headers["Content-Length"])
    except (TypeError, ValueError):  # header missing or malformed
        return None


def too_slow(done, started, timeout):
    """Whether a download that has received ``done`` bytes since ``started`` (time.monotonic)
    is too slow to go on: past ``timeout`` seconds, under MIN_BYTES_PER_SECOND on average."""
    elapsed = time.monotonic() - started
    return elapsed > timeout and done < MIN_BYTES_PER_SECOND * elapsed


def sha256_of(path):
    """The hex SHA-256 of the file at ``path``, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
