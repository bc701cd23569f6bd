"""The handwriting collection under faults: a full disk on COMMIT, a lock held by another
connection, a read-only database, a damaged, foreign or non-SQLite file at launch, and
random damage. Each ends in one clear DataError or a recovered collection; nothing committed
before is lost."""

import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.handwriting.store import DB_NAME, HandwritingStore
from desktop.storage import database as database_module
from desktop.storage.recovery import open_database
from nn.network.errors import DataError, DigitLabError

ROOT = Path(__file__).resolve().parents[3]
PAGE = 4096   # SQLite's default page size
N_DRAWINGS = 300


def make_collection(path, n=N_DRAWINGS, seed=0):
    """A real collection of ``n`` random drawings; returns (labels, images) as stored."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    store = HandwritingStore(path)
    store.add_many(labels, images)
    store.close()   # the last connection: the WAL is folded into the file
    return labels, images


def damage_a_middle_page(path, seed=1):
    """Overwrite one page in the middle of the database file with random bytes."""
    pages = path.stat().st_size // PAGE
    with open(path, "r+b") as f:
        f.seek(pages // 2 * PAGE)
        f.write(np.random.default_rng(seed).integers(0, 256, PAGE, dtype=np.uint8).tobytes())


# --- a full disk on COMMIT ----------------------------------------------------------------------

FULL_DISK_WRITER = textwrap.dedent("""
    import os, resource, signal, sys
    import numpy as np
    from desktop.handwriting.store import HandwritingStore
    from nn.network.errors import DataError
    path = sys.argv[1]
    store = HandwritingStore(path)
    rng = np.random.default_rng(0)
    for n in range(20):
        print(store.add(n % 10, rng.random((28, 28))), flush=True)
    # The "disk" now holds only a few more KB: a write past it fails with EFBIG, not a signal.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    room = max(os.path.getsize(path + suffix) for suffix in ("", "-wal")) + 8192
    resource.setrlimit(resource.RLIMIT_FSIZE, (room, hard))
    try:
        for n in range(1000):
            print(store.add(n % 10, rng.random((28, 28))), flush=True)
    except DataError as error:
        print("ERROR", error, flush=True)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))   # space again: it goes on
    print(store.add(7, rng.random((28, 28))), flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_on_commit_is_one_clear_error_and_keeps_every_saved_drawing(tmp_path):
    path = tmp_path / DB_NAME
    done = subprocess.run([sys.executable, "-c", FULL_DISK_WRITER, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    errors = [line for line in lines if line.startswith("ERROR")]
    assert len(errors) == 1, done.stdout
    assert "disk" in errors[0] and "free some space" in errors[0] and str(path) in errors[0]
    assert "Traceback" not in done.stderr
    committed = [int(line) for line in lines if not line.startswith("ERROR")]
    assert len(committed) > 20, "some drawings fitted before the disk was full, one after"
    reopened = HandwritingStore(path)
    try:
        assert reopened.arrays()[0].tolist() == committed
    finally:
        reopened.close()


# --- another connection holds the lock ----------------------------------------------------------

@pytest.fixture
def collection(tmp_path):
    path = tmp_path / DB_NAME
    make_collection(path, n=5)
    return path


def hold_lock(path):
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_a_locked_collection_opens_and_reads_and_a_write_says_it_is_locked(collection,
                                                                           monkeypatch):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_S", 0.2)   # the test waits 0.2 s, not 5
    holder = hold_lock(collection)
    try:
        store = HandwritingStore(collection)   # opening writes nothing: it works while locked
        assert len(store) == 5
        for write in (lambda: store.add(1, np.zeros((28, 28))), lambda: store.delete(1),
                      lambda: store.add_many([2], np.zeros((1, 28, 28), np.uint8))):
            with pytest.raises(DataError) as error:
                write()
            message = str(error.value)
            assert "locked" in message and "another program" in message and "\n" not in message
        assert len(store) == 5
    finally:
        holder.rollback()
        holder.close()
    store.add(1, np.zeros((28, 28)))   # the lock is gone: writing works again
    assert len(store) == 6
    store.close()


def test_a_short_lock_is_waited_out(collection):
    holder = hold_lock(collection)
    release = threading.Timer(0.3, holder.commit)
    release.start()
    store = HandwritingStore(collection)
    try:
        store.add(3, np.zeros((28, 28)))
        assert store.counts()[3] >= 1 and len(store) == 6
    finally:
        release.join()
        holder.close()
        store.close()


def test_a_read_only_database_says_so(collection):
    store = HandwritingStore(collection)
    store._db.execute("PRAGMA query_only=1")   # SQLite then refuses writes as read-only
    with pytest.raises(DataError, match="read-only; make both writable"):
        store.add(1, np.zeros((28, 28)))
    assert len(store) == 5
    store.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="needs POSIX permissions that bind the user (root ignores them)")
def test_a_read_only_folder_is_reported_and_its_collection_left_alone(tmp_path):
    path = tmp_path / DB_NAME
    make_collection(path, n=5)
    before = path.read_bytes()
    tmp_path.chmod(0o555)
    try:
        store, message = open_database(HandwritingStore, path)
        assert store is None and str(path) in message and "writable" in message
        assert sorted(os.listdir(tmp_path)) == [DB_NAME] and path.read_bytes() == before
    finally:
        tmp_path.chmod(0o755)


@pytest.mark.parametrize("make", [Path.mkdir, os.mkfifo], ids=["a folder", "a pipe"])
def test_a_folder_or_pipe_in_place_of_the_collection_is_reported_and_left_alone(tmp_path, make):
    path = tmp_path / DB_NAME
    make(path)
    store, message = open_database(HandwritingStore, path)
    assert store is None and str(path) in message
    assert "not a file" in message and "disk" not in message   # a pipe was a "disk I/O error"
    assert not path.is_file() and os.listdir(tmp_path) == [DB_NAME]


def test_rows_that_break_the_checks_are_left_out_of_every_reading(collection):
    db = sqlite3.connect(collection)
    db.execute("PRAGMA ignore_check_constraints=ON")   # as another program might write them
    db.executemany("INSERT INTO drawings (label, image, strokes, created) VALUES (?, ?, ?, ?)",
                   [(42, bytes(784), "[]", "now"), ("seven", bytes(784), "[]", "now"),
                    (3, b"short", "[]", "now"), (3, "a text, not a blob" * 50, "[]", "now")])
    db.execute("UPDATE drawings SET strokes = 'not JSON' WHERE id = 1")
    db.commit()
    db.close()
    store = HandwritingStore(collection)
    try:
        ids, images, labels = store.arrays()
        assert ids.tolist() == [1, 2, 3, 4, 5] and images.shape == (5, 28, 28)
        assert len(store) == 5 and sum(store.counts()) == 5
        assert [r["id"] for r in store.records()] == [1, 2, 3, 4, 5]
        assert store.records()[0]["strokes"] == []
    finally:
        store.close()


# --- a damaged, foreign or non-SQLite file at launch --------------------------------------------

def foreign_table(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE drawings (id INTEGER PRIMARY KEY, title TEXT, svg BLOB)")
    db.execute("INSERT INTO drawings (title, svg) VALUES ('house', x'00')")
    db.commit()
    db.close()


DAMAGE = {
    "a damaged middle page": lambda path: (make_collection(path), damage_a_middle_page(path)),
    "not SQLite": lambda path: path.write_bytes(b"%PDF-1.7 certainly not a database\n" * 200),
    "another program's drawings table": foreign_table,
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_launch_keeps_a_bad_collection_aside_recovers_its_rows_and_goes_on(
        open_window, no_bundled_model, private_home, kind):
    private_home.mkdir(parents=True, exist_ok=True)
    path = private_home / DB_NAME
    DAMAGE[kind](path)
    damaged_bytes = path.read_bytes()
    window = open_window(show=False)
    store = window.handwriting
    assert store is not None and store.path == path
    kept = [p for p in private_home.iterdir() if p.name.startswith("handwriting-damaged-")
            and p.suffix == ".sqlite3"]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes, "kept as it was"
    message = window.statusBar().currentMessage()
    assert str(kept[0]) in message and "new one" in message and "\n" not in message
    ids, images, labels = store.arrays()
    if kind == "a damaged middle page":
        original_labels, original_images = make_collection(private_home / "copy.sqlite3")
        assert N_DRAWINGS // 2 < len(ids) < N_DRAWINGS, "only the rows on that page are lost"
        np.testing.assert_array_equal(images, original_images[ids - 1])   # bit-exact
        np.testing.assert_array_equal(labels, original_labels[ids - 1])
        assert f"{len(ids)} drawings" in message
    else:
        assert len(ids) == 0 and "0 drawings" in message
    store.add(4, np.ones((28, 28)))   # and the new collection takes drawings
    assert store.counts()[4] == sum(labels == 4) + 1
    window.handwriting.close()
    second = open_window(show=False)       # the next launch starts quietly
    assert second.statusBar().currentMessage() == ""
    second.handwriting.close()


LAUNCH = textwrap.dedent("""
    from PySide6.QtWidgets import QApplication
    from desktop import main_window
    app = QApplication([])
    main_window.BUNDLED_MODEL = main_window.BUNDLED_MODEL.with_name("none.npz")  # quick
    window = main_window.MainWindow()
    print(len(window.handwriting))
    print(window.statusBar().currentMessage())
    window.close()
""")


def test_a_launch_with_a_damaged_collection_exits_normally(private_home):
    private_home.mkdir(parents=True, exist_ok=True)
    make_collection(private_home / DB_NAME)
    damage_a_middle_page(private_home / DB_NAME)
    env = dict(os.environ, DIGITLAB_HOME=str(private_home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", LAUNCH], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    recovered, message = done.stdout.splitlines()[:2]
    assert N_DRAWINGS // 2 < int(recovered) < N_DRAWINGS
    assert f"{recovered} drawings" in message and "handwriting-damaged-" in message


def test_a_second_damage_within_the_same_second_keeps_both_files(tmp_path):
    path = tmp_path / DB_NAME
    for _ in range(2):
        path.write_bytes(b"garbage" * 1000)
        store, _ = open_database(HandwritingStore, path)
        store.close()
    assert len(list(tmp_path.glob("handwriting-damaged-*.sqlite3"))) == 2


# --- random damage ------------------------------------------------------------------------------

def _real_collection_bytes():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DB_NAME
        make_collection(path, n=40)
        return path.read_bytes()


REAL_BYTES = _real_collection_bytes()


def exercise(path):
    """Open ``path`` as the app does, read and write it: only DigitLabError may come out."""
    try:
        store = HandwritingStore(path)
    except DigitLabError:
        return
    try:
        store.arrays(), store.counts(), store.records(), len(store)
        store.add(5, np.zeros((28, 28)))
    except DigitLabError:
        pass
    finally:
        store.close()


# database=None: no example folder in the checkout; a failure prints its example anyway.
FAST = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=3 * PAGE))
def test_random_bytes_are_opened_or_refused_with_a_data_error(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DB_NAME
        path.write_bytes(content)
        exercise(path)


# Damage as a disk or a stray write makes it: runs of bytes overwritten, pages included.
DAMAGE_RUNS = st.lists(st.tuples(st.integers(0, len(REAL_BYTES) - 1),
                                 st.binary(min_size=1, max_size=PAGE)), min_size=1, max_size=4)


@FAST
@given(DAMAGE_RUNS, st.booleans())
def test_mutated_real_collections_are_opened_recovered_or_refused(runs, recover):
    content = bytearray(REAL_BYTES)
    for position, run in runs:
        content[position:position + len(run)] = run[:len(content) - position]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DB_NAME
        path.write_bytes(bytes(content))
        if recover:   # what the app does at launch: never raises
            store, message = open_database(HandwritingStore, path)
            assert store is not None or message
            if store is not None:
                store.close()
                exercise(path)
        else:
            exercise(path)
