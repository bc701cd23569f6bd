"""What an SQLite error on one of DigitLab's databases means for the user, in one line.

SQLite's result code says what went wrong: Python 3.11+ hands it over with the error, older
Pythons only SQLite's message, whose wording SQLite fixes per result code. A damaged file
raises `DamagedDatabase`, the one error that moving the file aside and starting a new
database cures (`desktop.storage.recovery`); every other one leaves the file alone.
"""

import sqlite3
from dataclasses import dataclass

from nn.network.errors import DataError

# What a statement on a damaged file may raise: Python decodes SQLite's error messages as
# UTF-8, and one quoting a damaged schema raises UnicodeDecodeError instead.
FAILURES = (sqlite3.Error, UnicodeDecodeError)

# SQLite's primary result codes (https://sqlite.org/rescode.html).
PERM, BUSY, LOCKED, READONLY, IOERR = 3, 5, 6, 8, 10
CORRUPT, FULL, CANTOPEN, NOTADB = 11, 13, 14, 26

# The message SQLite gives for each code, for Pythons without ``sqlite_errorcode``.
_MESSAGE_CODES = {
    "database is locked": BUSY,
    "database table is locked": LOCKED,
    "readonly database": READONLY,
    "disk I/O error": IOERR,
    "malformed": CORRUPT,
    "database or disk is full": FULL,
    "unable to open database file": CANTOPEN,
    "file is not a database": NOTADB,
}


@dataclass(frozen=True)
class Kind:
    """How the messages name a database and what it holds."""

    title: str   # "your handwriting collection"
    items: str   # "drawings"

    @property
    def sentence_title(self):
        """The title at the start of a sentence: "Your handwriting collection"."""
        return self.title[:1].upper() + self.title[1:]


class DamagedDatabase(DataError):
    """The file is no database DigitLab can use: damaged, not SQLite, or another program's."""


def damaged(kind, path, what):
    """The DamagedDatabase for the file ``path`` of ``kind``, which ``what`` ("is damaged
    (...)")."""
    return DamagedDatabase(f"{kind.sentence_title} {path} {what}; restart DigitLab to keep the "
                           f"file aside and recover the {kind.items} it still holds.")


def result_code(error):
    """The primary SQLite result code of ``error`` (one of FAILURES), or None if unknown."""
    if isinstance(error, UnicodeDecodeError):
        return CORRUPT
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF   # extended codes (SQLITE_IOERR_WRITE, ...) keep the primary low byte
    return next((c for text, c in _MESSAGE_CODES.items() if text in str(error)), None)


def explain(error, kind, path, action):
    """The DataError for ``error`` (one of FAILURES) met while trying to ``action`` (a verb
    phrase such as "save your drawing in") the database file ``path`` of ``kind``."""
    code = result_code(error)
    if code in (CORRUPT, NOTADB):
        return damaged(kind, path, f"is damaged ({error})")
    start = f"Cannot {action} {path}"
    kept = f"(the {kind.items} saved before are kept)"
    if code in (BUSY, LOCKED):
        return DataError(f"{start}: another program is using it (the database is locked); "
                         f"close that program or the other DigitLab window and try again.")
    if code == FULL:
        return DataError(f"{start}: the disk is full; free some space and try again {kept}.")
    if code == IOERR:
        return DataError(f"{start}: the disk refused it (disk I/O error: it may be full or "
                         f"failing); free some space or check the disk and try again {kept}.")
    if code in (READONLY, PERM):
        return DataError(f"{start}: the file or its folder is read-only; make both writable "
                         f"and try again.")
    if code == CANTOPEN:
        return DataError(f"{start}: it cannot be opened; check that it is a file and that its "
                         f"folder exists and is writable.")
    return DataError(f"{start} ({error}); check the disk and the file's permissions.")
