"""Replacing a file atomically: a crash, a kill or a full disk leaves the old file or the new
one, never half of one, and no pile of temporary files.

The new content goes to a temporary file beside the target, named
``.<target name>.<pid>-<random>.digitlab-partial``; it is flushed to disk and only then renamed
over the target. A process killed while writing leaves its temporary file behind: the next
save of the same file removes the ones whose process is gone, and `remove_stale_partials`
does that for a whole folder (the app calls it at launch for its own folders).
"""

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from nn.files.paths import not_a_file

PARTIAL_SUFFIX = ".digitlab-partial"
MAX_PID = 2**31 - 1   # process ids are C ints
# Bytes the temporary file's name adds to its target's: the dots, the process id, the 8
# random characters tempfile picks, the suffix. A target name this much under the system's
# limit is the longest that can be saved.
TEMPORARY_NAME_EXTRA = len(f"..{MAX_PID}-{'x' * 8}{PARTIAL_SUFFIX}")


def write_atomically(path, write):
    """Call ``write(file)`` with a binary file open on a temporary file, then put it in place
    of ``path``.

    A symbolic link at ``path`` stays a link and its target gets the new content; a file that
    exists keeps its permission bits, a new one gets the usual ones (0666 minus the umask);
    anything else there (a folder, a pipe, a device) is left alone and OSError raised.
    Raises OSError (the temporary file is removed) or whatever ``write`` raises.
    """
    write_together({path: write})


def write_together(writes):
    """`write_atomically` for files that belong together ({path: write}, say an export's
    images and labels): every new content is written and flushed before any is renamed into
    place, so a full disk leaves all the old files, never a new one beside an old one."""
    written = []
    try:
        for path, write in writes.items():
            written.append(_written(path, write))
        for tmp, target in written:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in written:   # those renamed already are gone from here
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _written(path, write):
    """(temporary file, target): ``write``'s content flushed to disk beside ``path``'s
    target, with the permission bits the target is to have."""
    folder = os.path.dirname(os.fspath(path)) or os.curdir
    if not os.path.isdir(folder):
        # Asked of the system as written: realpath would read "gone/../m.npz" as "m.npz",
        # a file that the same name could never open again.
        raise FileNotFoundError(errno.ENOENT, "No such folder", folder)
    target = Path(os.path.realpath(path))
    if not_a_file(target):
        # Renamed over, a pipe or a device (say /dev/null, for root) would become a file.
        raise OSError(errno.EINVAL, "Not a file (a folder, a pipe or a device)", os.fspath(path))
    remove_stale_partials(target.parent, target.name)
    mode = _mode_for(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}-",
                               suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp, target


def remove_stale_partials(folder, name=None):
    """Remove the temporary files that a killed save left in ``folder`` (only those of the file
    called ``name`` when given); returns how many were removed. Files of a save still under
    way in a live process are left alone."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        pid = _owner_of(entry.name, name)
        if pid is not None and not _alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


def _owner_of(filename, name):
    """The process id in a temporary file's name, or None if it is not one (of ``name``)."""
    if not (filename.startswith(".") and filename.endswith(PARTIAL_SUFFIX)):
        return None
    target, _, tail = filename[1:-len(PARTIAL_SUFFIX)].rpartition(".")
    pid = tail.partition("-")[0]
    # Only ASCII digits of a number a process id can be (str.isdigit also takes "²"; a number
    # past a C int makes os.kill overflow): any other name is not one of ours.
    if (not target or not (pid.isascii() and pid.isdigit()) or not 0 < int(pid) <= MAX_PID
            or (name is not None and target != name)):
        return None
    return int(pid)


def _alive(pid):
    if pid == os.getpid():
        return True
    if os.name == "nt":
        # No cheap liveness test; a file another process still has open cannot be removed on
        # Windows anyway, so trying the removal is safe.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def _mode_for(target):
    """Permission bits for the new file: those of the file it replaces, else the default."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
