"""What every DigitLab SQLite database in the per-user data folder does the same way.

Durability: WAL journal mode plus ``synchronous=FULL`` and one transaction per write. With
WAL, NORMAL is already safe against the *process* being killed (the WAL survives in the OS
page cache), but a power cut or OS crash may lose the last commits; FULL syncs the WAL on
every commit, so what the user was told is saved is on disk. The writes are small and rare
(a key press, the end of a training run), so the extra fsync costs nothing noticeable.

Opening checks the file before writing to it (``quick_check``, each table's columns, the
schema version); every SQLite failure becomes a one-line DataError (`desktop.storage.errors`),
and `desktop.storage.recovery` deals with a damaged file at launch.

No Qt here: plain stdlib, so a subprocess (the kill tests) or a script can use the stores too.
"""

import sqlite3
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import ClassVar

from desktop.storage.errors import FAILURES, damaged, explain
from nn.data.folders import user_data_dir
from nn.files.paths import not_a_file
from nn.network.errors import DataError, shorten

BUSY_TIMEOUT_S = 5.0  # another DigitLab window may hold the write lock for a moment
# Reading a database as it opens waits less: a lock held that long at launch is another
# program's, and the window must not wait seconds for each database before it shows.
OPEN_TIMEOUT_S = 0.5


def lenient_text(raw):
    """SQLite TEXT as str; bytes that are not UTF-8 (a damaged or foreign file) become U+FFFD
    instead of raising UnicodeDecodeError."""
    return raw.decode("utf-8", errors="replace")


class Database:
    """One SQLite file (created on first use) holding a subclass's tables.

    A subclass sets KIND (how messages name it), FILE_NAME (in the per-user folder), SCHEMA
    (CREATE ... IF NOT EXISTS statements), SCHEMA_VERSION and TABLES ({table: its columns, in
    order}; the first table holds what the recovery message counts). Every failure is a
    DataError with a one-line message; a `DamagedDatabase` when the file is damaged, not
    SQLite, or holds another program's tables of the same names.
    """

    KIND = FILE_NAME = SCHEMA = None
    SCHEMA_VERSION = 1
    TABLES: ClassVar[dict] = {}
    # Recovery: {table: queries of row ids} that reach rows a plain scan may not (by an index).
    RECOVERY_SCANS: ClassVar[dict] = {}

    def __init__(self, path=None):
        self.path = Path(path) if path else self.default_path()
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"Cannot create the folder {self.path.parent} ({error.strerror}); "
                            f"check that no file has its name and that the disk is writable.") \
                from None
        if not_a_file(self.path):
            # SQLite calls a pipe a disk I/O error, which sends the user to free disk space.
            raise DataError(f"Cannot open {self.KIND.title} {self.path}: it is not a file (a "
                            f"folder, a pipe or a device), so it cannot be opened; move it "
                            f"away and DigitLab starts a new one.")
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.is_dir():   # SQLite says the database "cannot be opened", blaming the file
            raise DataError(f"Cannot open {self.KIND.title} {self.path}: {wal}, where its "
                            f"latest writes are kept, is a folder; move it away and restart "
                            f"DigitLab.")
        try:
            # isolation_level=None: autocommit, so each write's transaction is explicit below.
            # The timeout makes SQLite wait out another connection's short write lock.
            self._db = sqlite3.connect(self.path, timeout=OPEN_TIMEOUT_S, isolation_level=None)
            self._db.text_factory = lenient_text
            ready = self._check_file()   # before anything is written to a file not ours
            # Past the read, the writes (the first launch's tables) wait as every write does:
            # another window may be making them at this very moment.
            self._db.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            if not ready:
                with self._transaction(f"create {self.KIND.title} in"):
                    for statement in filter(str.strip, self.SCHEMA.split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={self.SCHEMA_VERSION}")
        except FAILURES as error:
            self.close()
            raise explain(error, self.KIND, self.path, f"open {self.KIND.title}") from None
        except DataError:
            self.close()
            raise

    @classmethod
    def default_path(cls):
        return user_data_dir() / cls.FILE_NAME

    @staticmethod
    def sensible(table, row):
        """Whether ``row`` (all columns of ``table``) read from a damaged file can be kept."""
        return True

    def _check_file(self):
        """Whether the file holds the tables at the current schema version (False: they are
        yet to be made); raises DataError when it is damaged, another program's or newer."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > self.SCHEMA_VERSION:
            raise DataError(f"{self.path} was written by a newer DigitLab (schema {version}); "
                            f"update DigitLab to use {self.KIND.title}.")
        # Rows another program wrote past the CHECKs are no damage: readers leave them out.
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check")
                    if not row[0].startswith(("ok", "CHECK constraint failed", "NULL value in"))]
        if problems:
            raise damaged(self.KIND, self.path, f"is damaged ({shorten(problems[0], 80)})")
        present = True
        for table, expected in self.TABLES.items():
            kind = self._db.execute("SELECT type FROM sqlite_master WHERE name = ?",
                                    (table,)).fetchone()
            columns = tuple(row[1] for row in self._db.execute(f"PRAGMA table_info({table})"))
            if version < 0 or (kind is not None and (kind[0] != "table" or columns != expected)):
                raise damaged(self.KIND, self.path, "holds another program's data")
            present = present and kind is not None
        return version == self.SCHEMA_VERSION and present

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _transaction(self, action):
        """One explicit transaction: committed when the block ends, rolled back on an error.
        ``action`` names the write for the message of a failure (see `explain`)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield
            self._db.execute("COMMIT")
        except BaseException as error:
            if self._db.in_transaction:
                with suppress(*FAILURES):  # the error to report is the first one
                    self._db.execute("ROLLBACK")
            if isinstance(error, FAILURES):
                raise explain(error, self.KIND, self.path, action) from None
            raise

    @contextmanager
    def _reading(self):
        try:
            yield
        except FAILURES as error:
            raise explain(error, self.KIND, self.path, f"read {self.KIND.title}") from None

    def bad_rows(self):
        """[(table, row id, what is wrong)] of rows the reading methods leave out; a subclass
        whose rows need more than SQLite's CHECKs lists them, for recovery to set aside."""
        return []

    def remove_rows(self, rows):
        """Delete ``rows`` ([(table, row id, ...)], as `bad_rows` gives) in one transaction."""
        with self._transaction(f"remove unreadable {self.KIND.items} from"):
            for table, row_id, *_ in rows:
                self._db.execute(f"DELETE FROM {table} WHERE rowid = ?", (row_id,))

    def copy_to(self, path):
        """Write a copy of the whole database, as it is now, to the new file ``path``."""
        try:
            self._db.execute("VACUUM INTO ?", (str(path),))
        except FAILURES as error:
            raise explain(error, self.KIND, path, f"keep a copy of {self.KIND.title} as") \
                from None

    def restore(self, rows):
        """Store rows of another file as they were, in one transaction: ``rows`` maps each
        table to its rows (tuples of all its columns). Returns how many of the first table's."""
        with self._transaction(f"restore the {self.KIND.items} in"):
            for table, table_rows in rows.items():
                columns = self.TABLES[table]
                self._db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                     f"({', '.join('?' * len(columns))})", table_rows)
        return len(rows.get(next(iter(self.TABLES)), ()))
