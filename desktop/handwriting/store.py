"""The user's own labelled drawings, kept in an SQLite database in the per-user data folder.

Every drawing is one row: its label, the 28x28 network input as 784 uint8 bytes (ink = 255,
like MNIST), the raw pad strokes as JSON (so a later version can re-render them with another
preprocessing), the time, and what the model predicted when it was labelled.

Durability: WAL journal mode plus ``synchronous=FULL`` and one transaction per write. With
WAL, NORMAL is already safe against the *process* being killed (the WAL survives in the OS
page cache), but a power cut or OS crash may lose the last commits; FULL syncs the WAL on
every commit, so a drawing the user was told is "Saved" is on disk. A write is a few hundred
bytes and happens on a key press, so the extra fsync costs nothing the user can notice.

Opening checks the file before writing to it (``quick_check``, the ``drawings`` table's columns,
the schema version); every SQLite failure becomes a one-line DataError (``db_errors``), and
`desktop.handwriting.recovery` deals with a damaged file at launch.

No Qt here: the store is plain stdlib + NumPy, so a subprocess (the kill test) or the CLI can
use it too.
"""

import json
import sqlite3
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from desktop.handwriting.db_errors import FAILURES, damaged, explain
from nn.datasets import user_data_dir
from nn.errors import DataError
from nn.idx import read_idx, write_idx

DB_NAME = "handwriting.sqlite3"
SCHEMA_VERSION = 1
SIDE = 28
N_CLASSES = 10
IMAGES_FILE = "handwriting-images-idx3-ubyte"
LABELS_FILE = "handwriting-labels-idx1-ubyte"
BUSY_TIMEOUT_S = 5.0  # another DigitLab window may hold the write lock for a moment

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND {N_CLASSES - 1}),
    image BLOB NOT NULL CHECK (length(image) = {SIDE * SIDE}),
    strokes TEXT NOT NULL,
    created TEXT NOT NULL,
    predicted INTEGER NULL,
    confidence REAL NULL
);
CREATE INDEX IF NOT EXISTS drawings_by_label ON drawings (label, id);
"""
COLUMNS = ("id", "label", "image", "strokes", "created", "predicted", "confidence")
# Rows the reading methods use: a file written by another program may break the CHECKs.
VALID_ROW = (f"typeof(label) = 'integer' AND label BETWEEN 0 AND {N_CLASSES - 1} "
             f"AND typeof(image) = 'blob' AND length(image) = {SIDE * SIDE}")


def default_path():
    return user_data_dir() / DB_NAME


def to_uint8(image):
    """A (28, 28) float input in [0, 1] (ink = 1) as uint8 0..255, rounded; uint8 passes as is."""
    image = np.asarray(image)
    if image.shape != (SIDE, SIDE):
        raise ValueError(f"a drawing must be {SIDE}x{SIDE}, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.copy()
    return np.clip(np.asarray(image, np.float64) * 255 + 0.5, 0, 255).astype(np.uint8)


def lenient_text(raw):
    """SQLite TEXT as str; bytes that are not UTF-8 (a damaged or foreign file) become U+FFFD
    instead of raising UnicodeDecodeError."""
    return raw.decode("utf-8", errors="replace")


def strokes_of(text):
    """The pad strokes stored as JSON text, or [] when they are not a list (another program's)."""
    try:
        strokes = json.loads(text)
    except (TypeError, ValueError):
        return []
    return strokes if isinstance(strokes, list) else []


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[:limit - 1] + "…"


class HandwritingStore:
    """The collection of labelled drawings in one SQLite file (created on first use).

    Every failure is a DataError with a one-line message; a `DamagedCollection` when the file
    is damaged, not SQLite, or holds another program's ``drawings`` table.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path else default_path()
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"Cannot create the folder {self.path.parent} ({error.strerror}); "
                            f"check that no file has its name and that the disk is writable.") \
                from None
        try:
            # isolation_level=None: autocommit, so each write's transaction is explicit below.
            # The timeout makes SQLite wait out another connection's short write lock.
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._db.text_factory = lenient_text
            ready = self._check_file()   # before anything is written to a file not ours
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            if not ready:
                with self._transaction("create your handwriting collection in"):
                    for statement in filter(str.strip, SCHEMA.split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except FAILURES as error:
            self.close()
            raise explain(error, self.path, "open your handwriting collection") from None
        except DataError:
            self.close()
            raise

    def _check_file(self):
        """Whether the file holds DigitLab's tables at the current schema version (False: they
        are yet to be made); raises DataError when it is damaged, another program's or newer."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DataError(f"{self.path} was written by a newer DigitLab (schema {version}); "
                            f"update DigitLab to use your handwriting collection.")
        # Rows another program wrote past the CHECKs are no damage: VALID_ROW leaves them out.
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check")
                    if not row[0].startswith(("ok", "CHECK constraint failed", "NULL value in"))]
        if problems:
            raise damaged(self.path, f"is damaged ({_shorten(problems[0])})")
        kind = self._db.execute("SELECT type FROM sqlite_master WHERE name = 'drawings'").fetchone()
        columns = tuple(row[1] for row in self._db.execute("PRAGMA table_info(drawings)"))
        if version < 0 or (kind is not None and (kind[0] != "table" or columns != COLUMNS)):
            raise damaged(self.path, "holds another program's data")
        return version == SCHEMA_VERSION and kind is not None

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
                raise explain(error, self.path, action) from None
            raise

    @contextmanager
    def _reading(self):
        try:
            yield
        except FAILURES as error:
            raise explain(error, self.path, "read your handwriting collection") from None

    # --- writing --------------------------------------------------------------------------------

    def add(self, label, image, strokes=(), predicted=None, confidence=None):
        """Store one drawing; returns its id once it is committed. image: (28, 28) input."""
        label = int(label)
        if not 0 <= label < N_CLASSES:
            raise ValueError(f"label must be 0-9, got {label}")
        blob = to_uint8(image).tobytes()
        strokes_json = json.dumps([[[round(float(x), 2), round(float(y), 2)] for x, y in stroke]
                                   for stroke in strokes])
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction("save your drawing in"):
            cursor = self._db.execute(
                "INSERT INTO drawings (label, image, strokes, created, predicted, confidence) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (label, blob, strokes_json, created,
                 None if predicted is None else int(predicted),
                 None if confidence is None else float(confidence)))
        return cursor.lastrowid

    def add_many(self, labels, images):
        """Store many (n, 28, 28) uint8 images with their labels in one transaction."""
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = [(int(label), to_uint8(image).tobytes(), "[]", created)
                for label, image in zip(labels, images)]
        with self._transaction("add the drawings to"):
            self._db.executemany("INSERT INTO drawings (label, image, strokes, created) "
                                 "VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def delete(self, drawing_id):
        with self._transaction("delete the drawing from"):
            self._db.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),))

    # --- reading --------------------------------------------------------------------------------

    def restore(self, rows):
        """Store rows of another collection as they were, in one transaction: each is
        (id, label, image bytes, strokes JSON, created, predicted, confidence)."""
        with self._transaction("restore the drawings in"):
            self._db.executemany(f"INSERT INTO drawings ({', '.join(COLUMNS)}) "
                                 f"VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    # --- reading --------------------------------------------------------------------------------

    def records(self):
        """Every drawing as a dict (id, label, strokes, created, predicted, confidence), by id."""
        with self._reading():
            rows = self._db.execute(f"SELECT id, label, strokes, created, predicted, confidence "
                                    f"FROM drawings WHERE {VALID_ROW} ORDER BY id").fetchall()
        keys = ("id", "label", "strokes", "created", "predicted", "confidence")
        return [dict(zip(keys, row), strokes=strokes_of(row[2])) for row in rows]

    def arrays(self):
        """(ids (n,) int64, images (n, 28, 28) uint8, labels (n,) uint8), ordered by id."""
        with self._reading():
            rows = self._db.execute(f"SELECT id, label, image FROM drawings WHERE {VALID_ROW} "
                                    f"ORDER BY id").fetchall()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        labels = np.array([row[1] for row in rows], dtype=np.uint8)
        images = np.frombuffer(b"".join(row[2] for row in rows), np.uint8).reshape(-1, SIDE, SIDE)
        return ids, images.copy(), labels

    def counts(self):
        """How many drawings of each digit 0-9."""
        counts = [0] * N_CLASSES
        with self._reading():
            for label, n in self._db.execute(f"SELECT label, COUNT(*) FROM drawings "
                                             f"WHERE {VALID_ROW} GROUP BY label"):
                counts[label] = n
        return counts

    def __len__(self):
        with self._reading():
            return self._db.execute(f"SELECT COUNT(*) FROM drawings "
                                    f"WHERE {VALID_ROW}").fetchone()[0]

    # --- IDX exchange ---------------------------------------------------------------------------

    def export_idx(self, folder):
        """Write the collection as MNIST-style IDX files into folder; returns their two paths."""
        folder = Path(folder)
        _, images, labels = self.arrays()
        images_path, labels_path = folder / IMAGES_FILE, folder / LABELS_FILE
        try:
            write_idx(images_path, images)
            write_idx(labels_path, labels)
        except OSError as error:
            raise DataError(f"Cannot write to {folder}: {error.strerror}.") from None
        return images_path, labels_path

    def import_idx(self, images_path, labels_path):
        """Add the drawings of an IDX image file and its label file; returns how many."""
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
            raise DataError(f"{images_path} holds images of shape {images.shape[1:]}, "
                            f"not {SIDE}x{SIDE}; choose an MNIST-style image file.")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DataError(f"{labels_path} holds {labels.shape} labels for {len(images)} "
                            f"images; choose the label file that goes with the images.")
        if len(labels) and labels.max() >= N_CLASSES:
            raise DataError(f"{labels_path} has a label {int(labels.max())}, but digits are "
                            f"0-9; choose a digit label file.")
        return self.add_many(labels, images)
