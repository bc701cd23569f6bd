"""Bad values in the run history: each row checked on reading, the bad ones set aside at
launch with one line that says so, the window open and the good runs listed.

The files are made the way a crash, a hand edit or another program leaves them: the same
tables and columns as DigitLab's, but without its NOT NULL and CHECK rules, so any value of
any type can sit in any column.
"""

import json
import sqlite3

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop import main_window
from desktop.storage.recovery import open_database
from desktop.storage.run_rows import max_curve_bytes
from desktop.storage.runs import CURVE_COLUMNS, DB_NAME, RUN_COLUMNS, RunStore, pack_curve
from tests.desktop.drawing import shown

GOOD = {"created": "2026-11-29T10:31:00+00:00", "kind": "new", "status": "finished",
        "name": "mlp-good", "network": "784-32-10 ReLU", "dataset": "mnist", "epochs": 2,
        "accuracy": 0.9, "seconds": 3.5, "parameters": 25_450,
        "settings": json.dumps({"config": {"learning_rate": 0.01, "epochs": 2},
                                "form": {"preset": "mlp", "epochs": 2}}),
        "model_path": None}
CURVE = pack_curve(np.arange(10.0), np.linspace(2, 0.1, 10))

# One kind of bad stored value each: (column, value), the audit's and their neighbours.
BAD_VALUES = {
    "created NULL": ("created", None),
    "created BLOB": ("created", b"\x00\x01"),
    "accuracy text": ("accuracy", "abc"),
    "seconds text": ("seconds", "slow"),
    "accuracy above 1": ("accuracy", 7.5),
    "epochs negative": ("epochs", -3),
    "epochs real": ("epochs", 2.5),
    "parameters huge": ("parameters", 2**62),
    "kind unknown": ("kind", "mystery"),
    "dataset unknown": ("dataset", "imagenet"),
    "model_path BLOB": ("model_path", b"m.npz"),
    "settings Infinity": ("settings", '{"form": {"epochs": Infinity}}'),
    "settings nested": ("settings", '{"form": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    "settings not JSON": ("settings", "{form"),
    "config step_every 0": ("settings", json.dumps({"config": {"step_every": 0}})),
}


def write_foreign_file(path, runs, curves):
    """A run history with DigitLab's tables and columns but none of its rules, holding
    ``runs`` ([{column: value}] without ids) and ``curves`` ([(run_id, name, points)])."""
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE runs (id INTEGER PRIMARY KEY, {', '.join(RUN_COLUMNS[1:])})")
    db.execute(f"CREATE TABLE curves (id INTEGER PRIMARY KEY, {', '.join(CURVE_COLUMNS[1:])})")
    db.execute("PRAGMA user_version=1")
    for run in runs:
        db.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS[1:])}) VALUES "
                   f"({', '.join('?' * (len(RUN_COLUMNS) - 1))})",
                   [run[c] for c in RUN_COLUMNS[1:]])
    db.executemany("INSERT INTO curves (run_id, name, points) VALUES (?, ?, ?)", curves)
    db.commit()
    db.close()


# The audit's: each stopped every launch or crashed the Train tab.
AT_LAUNCH = ["created NULL", "created BLOB", "accuracy text", "seconds text", "settings Infinity",
             "settings nested"]


@pytest.mark.parametrize("bad", AT_LAUNCH)
def test_a_launch_with_a_bad_stored_value_opens_and_says_what_was_set_aside(
        qtbot, monkeypatch, tmp_path, private_home, bad):
    column, value = BAD_VALUES[bad]
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")
    private_home.mkdir(parents=True, exist_ok=True)
    write_foreign_file(private_home / DB_NAME, [GOOD, GOOD | {column: value}],
                       [(1, "batch_loss", CURVE), (2, "batch_loss", CURVE)])
    window = shown(qtbot, main_window.MainWindow(), (1100, 760))
    message = window.statusBar().currentMessage()
    assert "run history" in message and f"run 2: its {column}" in message
    assert "set aside" in message and "runs-damaged-" in message and "\n" not in message
    table = window.train_tab.run_history.table
    assert table.model().rowCount() == 1
    table.model().set_checked(1, True)   # its curves on the plots, read from the file
    assert window.train_tab.run_history.overlays.run_ids() == [1]
    window.close()


def test_a_launch_with_an_oversized_curve_opens_and_never_reads_it(
        qtbot, monkeypatch, tmp_path, private_home):
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")
    private_home.mkdir(parents=True, exist_ok=True)
    oversize = b"\x00" * (max_curve_bytes(2) + 8)   # the audit's took 200-350 MB; same rule
    write_foreign_file(private_home / DB_NAME, [GOOD],
                       [(1, "batch_loss", CURVE), (1, "val_loss", oversize)])
    window = shown(qtbot, main_window.MainWindow(), (1100, 760))
    message = window.statusBar().currentMessage()
    assert "curve 2" in message and "far more than a run of 2 epochs" in message
    window.train_tab.run_history.table.model().set_checked(1, True)
    assert window.train_tab.run_history.overlays.run_ids() == [1]
    assert set(window.runs.curves(1)) == {"batch_loss"}
    window.close()


@pytest.mark.parametrize("bad", BAD_VALUES, ids=list(BAD_VALUES))
def test_each_bad_value_is_set_aside_with_a_copy_of_the_file_as_it_was(tmp_path, bad):
    column, value = BAD_VALUES[bad]
    path = tmp_path / DB_NAME
    write_foreign_file(path, [GOOD, GOOD | {column: value}],
                       [(1, "batch_loss", CURVE), (2, "batch_loss", CURVE)])
    store, message = open_database(RunStore, path)
    try:
        assert f"run 2: its {column}" in message and "\n" not in message and len(message) < 400
        assert [r.name for r in store.runs()] == ["mlp-good"] and set(store.curves(1)) == {
            "batch_loss"}
    finally:
        store.close()
    kept = list(tmp_path.glob("runs-damaged-*.sqlite3"))
    assert len(kept) == 1
    db = sqlite3.connect(kept[0])
    try:   # the copy holds the rows as they were, the bad one included
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
        assert db.execute("SELECT COUNT(*) FROM curves").fetchone()[0] == 2
    finally:
        db.close()
    store, again = open_database(RunStore, path)
    store.close()
    assert again == "", "set aside once: the next launch is quiet"


def test_a_curve_far_larger_than_its_epochs_is_set_aside_unread(tmp_path):
    path = tmp_path / DB_NAME
    oversize = b"\x00" * (max_curve_bytes(0) + 8)
    write_foreign_file(path, [GOOD | {"epochs": 0}],
                       [(1, "batch_loss", CURVE), (1, "val_loss", oversize)])
    store, message = open_database(RunStore, path)
    try:
        assert "curve 2" in message and "far more than a run of 0 epochs" in message
        assert set(store.curves(1)) == {"batch_loss"}
    finally:
        store.close()


def test_rows_that_cannot_be_set_aside_are_still_left_out(tmp_path, monkeypatch):
    path = tmp_path / DB_NAME
    write_foreign_file(path, [GOOD, GOOD | {"accuracy": "abc"}], [(2, "x", b"\x00" * 8)])

    def no_room(self, aside):
        from nn.network.errors import DataError
        raise DataError("Cannot keep a copy: the disk is full.")

    monkeypatch.setattr(RunStore, "copy_to", no_room)
    store, message = open_database(RunStore, path)
    try:
        assert "left out" in message and "disk is full" in message
        assert [r.id for r in store.runs()] == [1] and len(store) == 1
        assert store.curves(2) == {}
    finally:
        store.close()


def test_a_run_that_would_read_back_bad_is_not_recorded(tmp_path):
    from desktop.storage.runs import Run
    from nn.network.errors import DataError

    store = RunStore(tmp_path / DB_NAME)
    try:
        values = {k: v for k, v in GOOD.items() if k != "settings"}
        with pytest.raises(DataError, match="accuracy"):
            store.add(Run(**values | {"accuracy": float("nan")}), {})
        assert store.runs() == []
    finally:
        store.close()


# --- random rows ----------------------------------------------------------------------------

ANY_VALUE = st.one_of(
    st.none(), st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True),
    st.text(max_size=30), st.binary(max_size=40),
    st.sampled_from(["new", "finished", "mnist", "2026-01-01T00:00:00", "{}", "[]",
                     '{"form": {"epochs": Infinity}}', '{"config": {"step_every": 0}}',
                     "[" * 5000]))
RANDOM_RUN = st.fixed_dictionaries({c: st.one_of(st.just(GOOD[c]), ANY_VALUE)
                                    for c in RUN_COLUMNS[1:]})
RANDOM_CURVE = st.tuples(st.one_of(st.integers(1, 4), ANY_VALUE), st.one_of(st.just("loss"),
                         ANY_VALUE), st.one_of(st.binary(max_size=64), ANY_VALUE))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(runs=st.lists(RANDOM_RUN, max_size=4), curves=st.lists(RANDOM_CURVE, max_size=6))
def test_random_rows_open_as_good_runs_or_set_aside(tmp_path_factory, runs, curves):
    path = tmp_path_factory.mktemp("runs") / DB_NAME
    write_foreign_file(path, runs, curves)
    store, message = open_database(RunStore, path)
    try:
        assert "\n" not in message and len(message) < 600
        listed = store.runs()
        for run in listed:   # what the Train tab shows and sorts: typed, in range
            assert isinstance(run.created, str) and isinstance(run.epochs, int)
            assert isinstance(run.seconds, (int, float)) and run.seconds >= 0
            assert run.accuracy is None or 0 <= run.accuracy <= 1
            assert isinstance(run.settings, dict)
            for x, y in store.curves(run.id).values():
                assert x.dtype == y.dtype == np.float32 and np.isfinite(x).all()
        assert store.bad_rows() == [], "every bad row is set aside at once"
        if len(listed) < len(runs):
            assert message.startswith("Your run history holds") and "set aside" in message
        else:
            assert message == "" or "curve" in message
    finally:
        store.close()


def test_a_curve_longer_than_its_epochs_allow_is_thinned_when_recorded(tmp_path):
    from desktop.storage.runs import Run

    store = RunStore(tmp_path / DB_NAME)
    try:
        n = max_curve_bytes(0) // 8 + 1000   # a long first epoch, stopped before its end
        x, y = np.linspace(0, 0.9, n), np.linspace(2.0, 0.5, n)
        values = {k: v for k, v in GOOD.items() if k != "settings"}
        run = store.add(Run(**values | {"epochs": 0, "status": "stopped"}), {"loss": (x, y)})
        got_x, got_y = store.curves(run.id)["loss"]
        assert len(got_x) == max_curve_bytes(0) // 8
        assert (got_x[0], got_x[-1], got_y[-1]) == (0.0, np.float32(0.9), np.float32(0.5))
        assert store.bad_rows() == []
    finally:
        store.close()
