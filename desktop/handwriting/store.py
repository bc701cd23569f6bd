"""The user's own labelled drawings, kept in an SQLite database in the per-user data folder.

Every drawing is one row: its label, the 28x28 network input as 784 uint8 bytes (ink = 255,
like MNIST), the raw pad strokes as JSON (so a later version can re-render them with another
preprocessing), the time, and what the model predicted when it was labelled.

Durability: WAL journal mode plus ``synchronous=FULL`` and one transaction per write. With
WAL, NORMAL is already safe against the *process* being killed (the WAL survives in the OS
page cache), but a power cut or OS crash may lose the last commits; FULL syncs the WAL on
every commit, so a drawing the user was told is "Saved" is on disk. A write is a few hundred
bytes and happens on a key press, so the extra fsync costs nothing the user can notice.

No Qt here: the store is plain stdlib + NumPy, so a subprocess (the kill test) or the CLI can
use it too.
"""

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

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


class HandwritingStore:
    """The collection of labelled drawings in one SQLite file (created on first use)."""

    def __init__(self, path=None):
        self.path = Path(path) if path else default_path()
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit, so each write's transaction is explicit below.
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise DataError(f"{self.path} was written by a newer DigitLab (schema {version}); "
                                f"update DigitLab to open your handwriting collection.")
            with self._transaction():
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            self.close()
            # "file is not a database", "database disk image is malformed", a locked file...
            raise DataError(f"Cannot open your handwriting collection {self.path} ({error}); "
                            f"move the file aside to start a new one.") from None
        except OSError as error:
            raise DataError(f"Cannot create {self.path}: {error.strerror}.") from None

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _transaction(self):
        """One explicit transaction: committed when the block ends, rolled back on an error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException as error:
            self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):  # disk full, read-only file, ...
                raise DataError(f"Cannot write to {self.path} ({error}); check the disk "
                                f"space and the file's permissions.") from None
            raise
        self._db.execute("COMMIT")

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
        with self._transaction():
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
        with self._transaction():
            self._db.executemany("INSERT INTO drawings (label, image, strokes, created) "
                                 "VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def delete(self, drawing_id):
        with self._transaction():
            self._db.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),))

    # --- reading --------------------------------------------------------------------------------

    def records(self):
        """Every drawing as a dict (id, label, strokes, created, predicted, confidence), by id."""
        rows = self._db.execute("SELECT id, label, strokes, created, predicted, confidence "
                                "FROM drawings ORDER BY id").fetchall()
        keys = ("id", "label", "strokes", "created", "predicted", "confidence")
        return [dict(zip(keys, row), strokes=json.loads(row[2])) for row in rows]

    def arrays(self):
        """(ids (n,) int64, images (n, 28, 28) uint8, labels (n,) uint8), ordered by id."""
        rows = self._db.execute("SELECT id, label, image FROM drawings ORDER BY id").fetchall()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        labels = np.array([row[1] for row in rows], dtype=np.uint8)
        images = np.frombuffer(b"".join(row[2] for row in rows), np.uint8).reshape(-1, SIDE, SIDE)
        return ids, images.copy(), labels

    def counts(self):
        """How many drawings of each digit 0-9."""
        counts = [0] * N_CLASSES
        for label, n in self._db.execute("SELECT label, COUNT(*) FROM drawings GROUP BY label"):
            counts[label] = n
        return counts

    def __len__(self):
        return self._db.execute("SELECT COUNT(*) FROM drawings").fetchone()[0]

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
