"""Opening a DigitLab database whatever state its file is in.

A damaged file (or one that is not SQLite, or holds another program's tables of the same
names) is never deleted: it is renamed aside with the time in its name, together with its
``-wal`` and ``-shm`` companions (the WAL holds the last commits), a new database takes its
place, and every row that can still be read is copied into it one by one, skipping the rows
on damaged pages. A readable file with rows the store cannot use (`Database.bad_rows`) is
copied aside the same way before those rows are removed. Any other failure (a newer schema,
a locked or read-only file) leaves the file alone: the app runs without that database and
says why.
"""

import itertools
import logging
import os
import sqlite3
from contextlib import closing, suppress
from datetime import datetime
from pathlib import Path

from desktop.storage.database import lenient_text
from desktop.storage.errors import FAILURES, DamagedDatabase
from nn.network.errors import DigitLabError

COMPANIONS = ("", "-wal", "-shm")   # SQLite's files of one database: the file, its WAL, its index
MAX_PROBED_IDS = 1_000_000          # ids tried one by one between the lowest and highest seen

log = logging.getLogger(__name__)


def open_database(store_class, path=None):
    """(store or None, message): the `desktop.storage.database.Database` subclass
    ``store_class`` opened on ``path`` (default: its per-user file), and one line for the
    status bar, "" when all went well."""
    path = Path(path) if path else store_class.default_path()
    kind = store_class.KIND
    try:
        store = store_class(path)
    except DamagedDatabase as error:
        log.error("%s", error)
    except DigitLabError as error:
        log.error("cannot open %s: %s", kind.title, error)
        return None, str(error)
    else:
        return store, set_aside_bad_rows(store)
    try:
        aside = move_aside(path)
    except OSError as error:
        return None, (f"{kind.sentence_title} {path} cannot be used and could not be moved "
                      f"aside ({error.strerror}); move it elsewhere yourself and restart "
                      f"DigitLab.")
    try:
        store = store_class(path)
    except DigitLabError as error:
        return None, (f"{kind.sentence_title} could not be used and is kept as {aside}, but no "
                      f"new one could start: {error}")
    try:
        recovered = store.restore(readable_rows(aside, store_class))
    except DigitLabError as error:   # e.g. the disk filled up: the new database stays empty
        return store, (f"{kind.sentence_title} could not be used and is kept as {aside}; a "
                       f"new, empty one was started, as its {kind.items} could not be copied: "
                       f"{error}")
    log.warning("moved %s aside to %s; recovered %d %s", path, aside, recovered, kind.items)
    return store, (f"{kind.sentence_title} was damaged or not DigitLab's, so a new one was "
                   f"started with the {recovered} {kind.items} still readable; the old file "
                   f"is kept as {aside}.")


def set_aside_bad_rows(store):
    """Remove the rows ``store`` cannot use (`Database.bad_rows`) once a copy of the file as it
    was is kept aside; returns one line for the status bar, "" when every row is good. When
    no copy can be made the rows stay in the file, left out by the reading methods."""
    bad = store.bad_rows()
    if not bad:
        return ""
    kind = store.KIND
    what = (f"{kind.sentence_title} holds {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} "
            f"DigitLab cannot use ({bad[0][2]}{'; ...' if len(bad) > 1 else ''})")
    log.warning("%s: %s", store.path, "; ".join(row[2] for row in bad[:20]))
    try:
        aside = aside_name(store.path)
        store.copy_to(aside)
        store.remove_rows(bad)
    except DigitLabError as error:
        return f"{what}; they are left out, but could not be set aside: {error}"
    return f"{what}; they were set aside, and the file as it was is kept as {aside}."


def aside_name(path):
    """A free name beside the database ``path`` with the current time in it
    (handwriting.sqlite3 -> handwriting-damaged-20260131-142501.sqlite3)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in itertools.count():
        aside = path.with_name(f"{path.stem}-damaged-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not any(Path(f"{aside}{c}").exists() for c in COMPANIONS):
            return aside


def move_aside(path):
    """Rename the database ``path`` and its companions to a free name (`aside_name`); returns
    the new path."""
    aside = aside_name(path)
    for companion in COMPANIONS:
        source = Path(f"{path}{companion}")
        if companion == "" or source.exists():
            os.replace(source, f"{aside}{companion}")
    return aside


def readable_rows(path, store_class):
    """{table: rows} of the database file ``path`` that can still be read and make sense, as
    ``store_class.restore`` takes them; empty lists when the file cannot be read at all.

    A column the file's table lacks (an older or foreign schema) is read as NULL, for the
    store to judge. The ids between those found are tried one by one only when a scan met
    damage: in an intact file they hold no rows, and a million of them take half a minute."""
    rows = {table: [] for table in store_class.TABLES}
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except FAILURES:
        return rows
    db.text_factory = lenient_text
    with closing(db):
        for table, columns in store_class.TABLES.items():
            ids, intact = _known_ids(db, table, store_class.RECOVERY_SCANS.get(table, ()))
            if ids and not intact:
                low, high = min(ids), max(ids)
                if high - low < MAX_PROBED_IDS:
                    ids.update(range(low, high + 1))
            present = _columns(db, table)
            chosen = ", ".join(c if c in present or not present else f"NULL AS {c}"
                               for c in columns)
            for row_id in sorted(ids):
                try:
                    row = db.execute(f"SELECT {chosen} FROM {table} WHERE rowid = ?",
                                     (row_id,)).fetchone()
                except FAILURES:   # a damaged page: this row is lost, the others are not
                    continue
                if row is not None and store_class.sensible(table, row):
                    rows[table].append(row)
    return rows


def _columns(db, table):
    """The names of the columns ``table`` has in ``db`` (empty when they cannot be read:
    then every column is asked for, as the store has them)."""
    with suppress(*FAILURES):
        return {name for _, name, *_ in db.execute(f"PRAGMA table_info({table})")}
    return set()


def _known_ids(db, table, extra_scans):
    """(ids, intact): the row ids of ``table`` that scans reach before they meet damage
    (forwards, backwards, and by the ``extra_scans`` queries, through an index), and
    whether the forward scan read the whole table without meeting any."""
    ids, intact = set(), False
    queries = [f"SELECT rowid FROM {table} ORDER BY rowid",
               f"SELECT rowid FROM {table} ORDER BY rowid DESC"]
    for n, query in enumerate(queries + list(extra_scans)):
        with suppress(*FAILURES):
            for (row_id,) in db.execute(query):
                if isinstance(row_id, int):
                    ids.add(row_id)
            intact = intact or n == 0
    return ids, intact
