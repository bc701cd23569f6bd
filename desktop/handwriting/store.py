"""The user's own labelled drawings, kept in an SQLite database in the per-user data folder.

Every drawing is one row: its label, the 28x28 network input as 784 uint8 bytes (ink = 255,
like MNIST), the raw pad strokes as JSON (so a later version can re-render them with another
preprocessing), the time, and what the model predicted when it was labelled.

It is a `desktop.storage.database.Database`: WAL, a transaction per write, the file checked
when opened, one-line errors, and `desktop.storage.recovery` for a damaged file at launch.
"""

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

import numpy as np

from desktop.storage.database import Database
from desktop.storage.errors import Kind
from nn.files.atomic import write_together
from nn.files.json_text import read_json
from nn.network.errors import DataError
from nn.data.idx import idx_bytes, read_digit_images

DB_NAME = "handwriting.sqlite3"
SIDE = 28
N_CLASSES = 10
IMAGES_FILE = "handwriting-images-idx3-ubyte"
LABELS_FILE = "handwriting-labels-idx1-ubyte"
MAX_IMPORT = 10_000   # drawings one import adds: a person's own take hundreds; MNIST has 60,000

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


def to_uint8(image):
    """A (28, 28) float input in [0, 1] (ink = 1) as uint8 0..255, rounded; uint8 passes as is."""
    image = np.asarray(image)
    if image.shape != (SIDE, SIDE):
        raise ValueError(f"a drawing must be {SIDE}x{SIDE}, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.copy()
    return np.clip(np.asarray(image, np.float64) * 255 + 0.5, 0, 255).astype(np.uint8)


def strokes_of(text):
    """The pad strokes stored as JSON text, or [] when they are not a list (another program's)."""
    try:
        strokes = read_json(text)
    except ValueError:
        return []
    return strokes if isinstance(strokes, list) else []


class HandwritingStore(Database):
    """The collection of labelled drawings in one SQLite file (created on first use)."""

    KIND = Kind("your handwriting collection", "drawings")
    FILE_NAME = DB_NAME
    SCHEMA = SCHEMA
    TABLES: ClassVar[dict] = {"drawings": COLUMNS}
    RECOVERY_SCANS: ClassVar[dict] = {"drawings": (
        "SELECT id FROM drawings INDEXED BY drawings_by_label ORDER BY label, id",)}

    @staticmethod
    def sensible(table, row):
        """Whether a row read from a damaged file is a drawing the app can use."""
        _, label, image, strokes, created, predicted, confidence = row
        try:
            read_json(strokes)
        except ValueError:
            return False
        return (isinstance(label, int) and 0 <= label < N_CLASSES
                and isinstance(image, bytes) and len(image) == SIDE * SIDE
                and isinstance(created, str) and (predicted is None or isinstance(predicted, int))
                and (confidence is None or isinstance(confidence, (int, float))))

    # --- writing --------------------------------------------------------------------------------

    def add(self, label, image, strokes=(), probabilities=None):
        """Store one drawing; returns its id once it is committed. image: (28, 28) input;
        probabilities: (10,), what the model read in it (its answer and how sure it was are
        kept), or None when no model read it."""
        label = int(label)
        predicted = None if probabilities is None else int(np.argmax(probabilities))
        confidence = None if probabilities is None else float(probabilities[predicted])
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

    def keep(self, label, image, strokes, probabilities):
        """`add` a drawing the user labelled; returns what the tabs tell them, such as
        "as a 3 (5 of your 3s)"."""
        self.add(label, image, strokes, probabilities)
        return f"as a {label} ({self.counts()[label]} of your {label}s)"

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
        try:   # both whole or neither: a full disk never leaves new images by old labels
            write_together({images_path: lambda f: f.write(idx_bytes(images)),
                            labels_path: lambda f: f.write(idx_bytes(labels))})
        except OSError as error:
            raise DataError(f"Cannot write to {folder}: {error.strerror}; nothing was "
                            f"exported.") from None
        return images_path, labels_path

    def import_idx(self, images_path, labels_path):
        """Add the drawings of an IDX image file and its label file; returns how many. A file
        of more than MAX_IMPORT is a data set, not someone's drawings: DataError."""
        images, labels = read_digit_images(images_path, labels_path, SIDE, N_CLASSES)
        if len(images) > MAX_IMPORT:
            raise DataError(f"{images_path} holds {len(images):,} images, more than the "
                            f"{MAX_IMPORT:,} drawings My Handwriting takes at once: it keeps "
                            f"your own drawings; train on a data set from the Train tab.")
        return self.add_many(labels, images)
