"""Opening the handwriting collection whatever state its file is in.

A damaged file (or one that is not SQLite, or holds another program's ``drawings`` table) is
never deleted: it is renamed aside with the time in its name, together with its ``-wal`` and
``-shm`` companions (the WAL holds the last committed drawings), a new collection takes its
place, and every drawing that can still be read is copied into it row by row, skipping the
rows on damaged pages. Any other failure (a newer schema, a locked or read-only file) leaves
the file alone: the app runs without the collection and says why.
"""

import itertools
import json
import logging
import os
import sqlite3
from contextlib import closing, suppress
from datetime import datetime
from pathlib import Path

from desktop.handwriting.db_errors import FAILURES, DamagedCollection
from desktop.handwriting.store import (
    COLUMNS,
    N_CLASSES,
    SIDE,
    HandwritingStore,
    default_path,
    lenient_text,
)
from nn.errors import DigitLabError

COMPANIONS = ("", "-wal", "-shm")   # SQLite's files of one database: the file, its WAL, its index
MAX_PROBED_IDS = 1_000_000          # ids tried one by one between the lowest and highest seen

log = logging.getLogger(__name__)


def open_collection(path=None):
    """(HandwritingStore or None, message): the user's collection at ``path`` (default: the
    per-user one) and one line for the status bar, "" when all went well."""
    path = Path(path) if path else default_path()
    try:
        return HandwritingStore(path), ""
    except DamagedCollection as error:
        log.error("%s", error)
    except DigitLabError as error:
        log.error("cannot open the handwriting collection: %s", error)
        return None, str(error)
    try:
        aside = move_aside(path)
    except OSError as error:
        return None, (f"Your handwriting collection {path} cannot be used and could not be "
                      f"moved aside ({error.strerror}); move it elsewhere yourself and restart "
                      f"DigitLab.")
    try:
        store = HandwritingStore(path)
    except DigitLabError as error:
        return None, (f"Your handwriting collection could not be used and is kept as {aside}, "
                      f"but no new one could start: {error}")
    try:
        recovered = store.restore(readable_rows(aside))
    except DigitLabError as error:   # e.g. the disk filled up: the new collection stays empty
        return store, (f"Your handwriting collection could not be used and is kept as {aside}; "
                       f"a new, empty one was started, as its drawings could not be copied: "
                       f"{error}")
    log.warning("moved %s aside to %s; recovered %d drawings", path, aside, recovered)
    return store, (f"Your handwriting collection was damaged or not DigitLab's, so a new one "
                   f"was started with the {recovered} drawings still readable; the old file "
                   f"is kept as {aside}.")


def move_aside(path):
    """Rename the database ``path`` and its companions to a free name with the current time
    (handwriting.sqlite3 -> handwriting-damaged-20260131-142501.sqlite3); returns the new path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in itertools.count():
        aside = path.with_name(f"{path.stem}-damaged-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not any(Path(f"{aside}{c}").exists() for c in COMPANIONS):
            break
    for companion in COMPANIONS:
        source = Path(f"{path}{companion}")
        if companion == "" or source.exists():
            os.replace(source, f"{aside}{companion}")
    return aside


def readable_rows(path):
    """The rows of the collection file ``path`` that can still be read and make sense, as
    `HandwritingStore.restore` takes them; [] when the file cannot be read at all."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except FAILURES:
        return []
    db.text_factory = lenient_text
    with closing(db):
        ids = _known_ids(db)
        if ids:
            low, high = min(ids), max(ids)
            if high - low < MAX_PROBED_IDS:
                ids.update(range(low, high + 1))
        rows = []
        for drawing_id in sorted(ids):
            try:
                row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM drawings WHERE id = ?",
                                 (drawing_id,)).fetchone()
            except FAILURES:   # a damaged page: this row is lost, the others are not
                continue
            if row is not None and _sensible(row):
                rows.append(row)
        return rows


def _known_ids(db):
    """The ids a scan reaches before it meets damage: forwards, backwards, by the label index."""
    ids = set()
    for query in ("SELECT id FROM drawings ORDER BY id",
                  "SELECT id FROM drawings ORDER BY id DESC",
                  "SELECT id FROM drawings INDEXED BY drawings_by_label ORDER BY label, id"):
        with suppress(*FAILURES):
            for (drawing_id,) in db.execute(query):
                if isinstance(drawing_id, int):
                    ids.add(drawing_id)
    return ids


def _sensible(row):
    """Whether a row read from a damaged file is a drawing the app can use."""
    _, label, image, strokes, created, predicted, confidence = row
    try:
        json.loads(strokes)
    except (TypeError, ValueError):
        return False
    return (isinstance(label, int) and 0 <= label < N_CLASSES
            and isinstance(image, bytes) and len(image) == SIDE * SIDE
            and isinstance(created, str) and (predicted is None or isinstance(predicted, int))
            and (confidence is None or isinstance(confidence, (int, float))))
