"""The run history's SQLite store: what it keeps, how compactly, and how it fails."""

import sqlite3
import textwrap
from contextlib import closing

import numpy as np
import pytest

from desktop.storage import database as database_module
from desktop.storage.recovery import open_database
from desktop.storage.runs import DB_NAME, Run, RunStore, pack_curve
from nn.network.errors import DataError
from tests.sigkill import ids_reported_until_killed

KILL_AFTER_IDS = 100    # the writer is killed once it has reported this many recorded runs


def a_run(accuracy=0.9, lr=0.001, **changes):
    fields = {"created": "2026-11-29T10:31:00+00:00", "kind": "new", "status": "finished",
              "name": "mlp-2026-11-29-1031", "network": "784-32-10 ReLU", "dataset": "mnist",
              "epochs": 2, "accuracy": accuracy, "seconds": 3.5, "parameters": 25_450,
              "settings": {"config": {"learning_rate": lr, "batch_size": 64},
                           "architecture": [{"type": "Dense", "in": 784, "out": 10}],
                           "form": {"preset": "mlp", "learning_rate": lr}}}
    return Run(**(fields | changes))


def some_curves(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 2, n)
    return {"batch_loss": (x, rng.random(n)), "val_accuracy": (np.array([1.0, 2.0]),
                                                              np.array([91.5, 95.25]))}


def test_a_run_and_its_curves_come_back_as_they_were_stored(run_store, tmp_path):
    curves = some_curves()
    stored = run_store.add(a_run(), curves)
    assert stored.id == 1 and stored == a_run(id=1)
    run_store.close()
    reopened = RunStore(tmp_path / DB_NAME)
    try:
        assert reopened.runs() == [a_run(id=1)]
        got = reopened.curves(1)
        assert set(got) == set(curves)
        for name, (x, y) in curves.items():
            assert got[name][0].dtype == np.float32
            np.testing.assert_array_equal(got[name][0], x.astype(np.float32))
            np.testing.assert_array_equal(got[name][1], y.astype(np.float32))
        reopened.set_model_path(1, tmp_path / "m.npz")
        assert reopened.runs()[0].model_path == str(tmp_path / "m.npz")
    finally:
        reopened.close()


def test_curves_are_float32_blobs_of_8_bytes_a_point(run_store, tmp_path):
    run_store.add(a_run(), some_curves(n=1000))
    db = sqlite3.connect(tmp_path / DB_NAME)
    try:
        sizes = dict(db.execute("SELECT name, length(points) FROM curves"))
        kinds = {row[0] for row in db.execute("SELECT typeof(points) FROM curves")}
    finally:
        db.close()
    assert sizes == {"batch_loss": 8000, "val_accuracy": 16} and kinds == {"blob"}


def test_delete_forgets_the_run_and_its_curves(run_store, tmp_path):
    first, second = run_store.add(a_run(), some_curves()), run_store.add(a_run(0.5), some_curves())
    run_store.delete(first.id)
    assert [run.id for run in run_store.runs()] == [second.id] and len(run_store) == 1
    assert run_store.curves(first.id) == {}
    db = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert db.execute("SELECT DISTINCT run_id FROM curves").fetchall() == [(second.id,)]
    finally:
        db.close()


def test_the_database_is_its_own_wal_file_in_the_user_folder(private_home):
    run_store = RunStore()
    try:
        assert run_store.path == private_home / "runs.sqlite3"
        assert run_store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert run_store._db.execute("PRAGMA synchronous").fetchone()[0] == 2   # FULL
    finally:
        run_store.close()
    assert not (private_home / "handwriting.sqlite3").exists()


def test_a_locked_run_history_is_one_line_that_says_so(run_store, tmp_path, monkeypatch):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DataError) as error:
            run_store.add(a_run(), some_curves())
    finally:
        other.execute("ROLLBACK")
        other.close()
    message = str(error.value)
    assert "record the training run" in message and "locked" in message and "\n" not in message
    assert run_store.runs() == [], "nothing half-written"


def test_a_full_disk_is_one_line_and_keeps_the_runs_before(run_store, tmp_path):
    run_store.add(a_run(), some_curves())
    # Not a byte more than the file has now: the next run's curves do not fit.
    pages = run_store._db.execute("PRAGMA page_count").fetchone()[0]
    run_store._db.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(DataError) as error:
        run_store.add(a_run(), some_curves(n=20_000))
    message = str(error.value)
    assert "disk is full" in message and "runs saved before are kept" in message
    assert [run.id for run in run_store.runs()] == [1]


@pytest.mark.parametrize("content", [b"not SQLite at all" * 300, None])
def test_a_damaged_or_foreign_run_history_is_kept_aside_at_launch(tmp_path, content):
    path = tmp_path / DB_NAME
    if content is None:   # another program's "runs" table
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, athlete TEXT, km REAL)")
        db.commit()
        db.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    run_store, message = open_database(RunStore, path)
    try:
        kept = list(tmp_path.glob("runs-damaged-*.sqlite3"))
        assert len(kept) == 1 and kept[0].read_bytes() == before
        assert "run history" in message and "0 runs" in message and "\n" not in message
        assert run_store.add(a_run(), some_curves()).id == 1
    finally:
        run_store.close()


def test_a_damaged_page_loses_only_its_runs_and_their_curves(tmp_path):
    path = tmp_path / DB_NAME
    run_store = RunStore(path)
    for i in range(60):
        run_store.add(a_run(accuracy=i / 100, name="x" * 300), some_curves(n=50, seed=i))
    run_store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    run_store.close()
    page_size = 4096
    data = bytearray(path.read_bytes())
    middle = len(data) // page_size // 2
    data[middle * page_size:(middle + 1) * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
    run_store, message = open_database(RunStore, path)
    try:
        runs = run_store.runs()
        assert 0 < len(runs) < 60 and f"{len(runs)} runs" in message
        for run in runs:   # bit-exact, and the curves of each recovered run
            assert run.accuracy == pytest.approx((run.id - 1) / 100)
        with_curves = [run.id for run in runs if run_store.curves(run.id)]
        assert with_curves, "curves come back with their runs"
        for run_id in with_curves:
            np.testing.assert_array_equal(run_store.curves(run_id)["batch_loss"][1],
                                          some_curves(50, run_id - 1)["batch_loss"][1]
                                          .astype(np.float32))
    finally:
        run_store.close()


def test_a_folder_where_the_history_keeps_its_latest_writes_is_named(tmp_path):
    # SQLite says the database "cannot be opened", which sent the user to the wrong file.
    path = tmp_path / DB_NAME
    history_with_runs(path, 1)
    (tmp_path / (DB_NAME + "-wal")).mkdir()

    run_store, message = open_database(RunStore, path)

    assert run_store is None and "\n" not in message
    assert f"{DB_NAME}-wal, where its latest writes are kept, is a folder" in message
    (tmp_path / (DB_NAME + "-wal")).rmdir()   # as the message says: the runs are all there
    run_store, message = open_database(RunStore, path)
    try:
        assert message == "" and len(run_store.runs()) == 1
    finally:
        run_store.close()


def history_with_runs(path, n):
    run_store = RunStore(path)
    for i in range(n):
        run_store.add(a_run(accuracy=i / 100), some_curves(n=20, seed=i))
    run_store.close()


def test_a_history_without_a_column_the_store_can_do_without_keeps_its_runs(tmp_path):
    # Before, every row was read with every column of today's schema: a file without
    # model_path (a column that may be NULL) recovered 0 runs.
    path = tmp_path / DB_NAME
    history_with_runs(path, 3)
    with closing(sqlite3.connect(path)) as db:
        db.execute("ALTER TABLE runs DROP COLUMN model_path")
        db.commit()

    run_store, message = open_database(RunStore, path)
    try:
        assert "3 runs" in message
        assert [run.accuracy for run in run_store.runs()] == pytest.approx([0.0, 0.01, 0.02])
        assert all(run.model_path is None for run in run_store.runs())
    finally:
        run_store.close()


def test_an_intact_history_set_aside_is_read_without_trying_every_id_in_between(
        tmp_path, monkeypatch):
    # Two runs with ids 1 and 999,999 in a file marked as not DigitLab's: before, recovery
    # tried every id between them, one SELECT each, half a minute before the window showed.
    path = tmp_path / DB_NAME
    history_with_runs(path, 2)
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE runs SET id = 999999 WHERE id = 2")
        db.execute("UPDATE curves SET run_id = 999999 WHERE run_id = 2")
        db.execute("PRAGMA user_version = -1")
        db.commit()
    statements = []
    connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(statements.append)
        return db
    monkeypatch.setattr("desktop.storage.recovery.sqlite3.connect", counting_connect)

    run_store, message = open_database(RunStore, path)
    try:
        assert "2 runs" in message
        assert sorted(run.id for run in run_store.runs()) == [1, 999999]
        assert len(statements) < 1000
    finally:
        run_store.close()


def test_pack_curve_is_little_endian_float32_pairs():
    assert pack_curve(np.array([1.0, 2.0]), np.array([0.5, 0.25])) == \
        np.array([1.0, 0.5, 2.0, 0.25], "<f4").tobytes()


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from desktop.storage.runs import Run, RunStore
    store = RunStore(sys.argv[1])
    x = np.linspace(0, 5, 2000)
    while True:
        run = store.add(Run("2026-11-29T10:31:00+00:00", "new", "finished", "mlp", "784-10",
                            "mnist", 5, 0.9, 1.0, 7850, {"form": {}}),
                        {"batch_loss": (x, np.sin(x))})
        print(run.id, flush=True)   # only after add() returned: the run is committed
""")


def test_killing_the_writer_loses_no_recorded_run(tmp_path):
    path = tmp_path / DB_NAME
    printed = ids_reported_until_killed(WRITER, path, KILL_AFTER_IDS)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM runs")}
        with_curves = {row[0] for row in db.execute("SELECT run_id FROM curves")}
    finally:
        db.close()
    assert len(printed) >= 2 and set(printed) <= stored
    assert stored == with_curves, "a run and its curves are one transaction"
    reopened = RunStore(path)
    try:
        assert len(reopened) == len(stored)
        assert len(reopened.curves(printed[-1])["batch_loss"][0]) == 2000
    finally:
        reopened.close()
