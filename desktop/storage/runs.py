"""The history of training runs, kept in an SQLite database in the per-user data folder.

A run is one row of ``runs``: when it ended, how (finished or stopped), what kind of run it was
(a new model, the active model continued; "fine-tune" in records of earlier versions), the network
and dataset, the epochs, test accuracy, training time and parameter count, its settings as
JSON (the TrainConfig, the architecture, and the Train form's state that re-runs it), and the
model file once the user saves the model. Its curves are rows of ``curves``, one per curve, each
a BLOB of float32 (x, y) pairs: a few KB for thousands of points, read only when a run is
shown on the plots, so listing a thousand runs never touches them.

The runs have their own file, not the handwriting collection's: the two hold unrelated data of
different worth (the drawings are the user's own work, runs can be made again), so damage,
a newer schema or recovery in one never costs the other, and either can be deleted alone.
It is a `desktop.storage.database.Database`: WAL, a transaction per write, one-line errors,
and `desktop.storage.recovery` at launch. No Qt here.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from desktop.storage.database import Database
from desktop.storage.errors import Kind
from desktop.storage.run_rows import (KINDS, MAX_EPOCHS, POINT_BYTES, STATUSES, curve_problem,
                                      max_curve_bytes, run_problem, settings_of)
from nn.network.errors import DataError

DB_NAME = "runs.sqlite3"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN {KINDS}),
    status TEXT NOT NULL CHECK (status IN {STATUSES}),
    name TEXT NOT NULL,
    network TEXT NOT NULL,
    dataset TEXT NOT NULL,
    epochs INTEGER NOT NULL,
    accuracy REAL NULL,
    seconds REAL NOT NULL,
    parameters INTEGER NOT NULL,
    settings TEXT NOT NULL,
    model_path TEXT NULL
);
CREATE TABLE IF NOT EXISTS curves (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    points BLOB NOT NULL,
    UNIQUE (run_id, name)
);
"""
RUN_COLUMNS = ("id", "created", "kind", "status", "name", "network", "dataset", "epochs",
               "accuracy", "seconds", "parameters", "settings", "model_path")
CURVE_COLUMNS = ("id", "run_id", "name", "points")


@dataclass(frozen=True)
class Run:
    """One recorded run, without its curves (`RunStore.curves` reads those)."""

    created: str          # ISO 8601 local time with its offset, when the run ended
    kind: str             # one of KINDS
    status: str           # one of STATUSES
    name: str             # the trained model's name ("mlp-2026-11-29-1031")
    network: str          # short description ("784-32-10 ReLU")
    dataset: str          # a key of nn.data.datasets.DATASETS
    epochs: int           # epochs completed by this run
    accuracy: float | None  # on the test set, in [0, 1]
    seconds: float        # training time, pauses excluded
    parameters: int
    settings: dict = field(default_factory=dict)  # {"config", "architecture", "form"}
    model_path: str | None = None
    id: int | None = None  # set once stored


def pack_curve(x, y, most=None):
    """(n,) x and (n,) y as 8n bytes: float32 little-endian x0, y0, x1, y1...; thinned evenly
    to ``most`` points (first and last kept) when it has more."""
    if most is not None and len(x) > most:
        keep = np.linspace(0, len(x) - 1, most).round().astype(np.int64)
        x, y = np.asarray(x)[keep], np.asarray(y)[keep]
    return np.column_stack([x, y]).astype("<f4").tobytes()


def unpack_curve(blob):
    """The (x, y) float32 (n,) arrays `pack_curve` made, without points that are not finite
    (a plot cannot place them); empty ones for a blob of another length."""
    if len(blob) % 8:
        blob = b""
    points = np.frombuffer(blob, "<f4").reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    return points[:, 0].copy(), points[:, 1].copy()


class RunStore(Database):
    """The recorded training runs in one SQLite file (created on first use).

    Every row is checked when read (`desktop.storage.run_rows`): a run or curve that fails is
    left out, and `bad_rows` lists them for `desktop.storage.recovery` to set aside at launch.
    """

    KIND = Kind("your run history", "runs")
    FILE_NAME = DB_NAME
    SCHEMA = SCHEMA
    TABLES: ClassVar[dict] = {"runs": RUN_COLUMNS, "curves": CURVE_COLUMNS}
    RECOVERY_SCANS: ClassVar[dict] = {"curves": (
        "SELECT id FROM curves INDEXED BY sqlite_autoindex_curves_1 ORDER BY run_id, name",)}

    @staticmethod
    def sensible(table, row):
        """Whether a row read from a damaged file is a run (or curve) the app can use; a
        curve's size is held against its run's epochs in `restore`."""
        if table == "runs":
            return run_problem(dict(zip(RUN_COLUMNS, row))) is None
        _, run_id, name, points = row
        return isinstance(points, bytes) and curve_problem(
            {"run_id": run_id, "name": name, "points_type": "blob", "points_bytes": len(points)},
            MAX_EPOCHS) is None

    def restore(self, rows):
        """As Database.restore, leaving out curves whose run was not recovered or that are
        larger than their run's epochs allow."""
        epochs = {row[0]: row[7] for row in rows.get("runs", ())}
        curves = [row for row in rows.get("curves", ())
                  if row[1] in epochs and len(row[3]) <= max_curve_bytes(epochs[row[1]])]
        return super().restore({"runs": rows.get("runs", []), "curves": curves})

    # --- writing --------------------------------------------------------------------------------

    def add(self, run, curves):
        """Store ``run`` (a Run) and its ``curves`` ({name: (x (n,), y (n,))}) in one
        transaction; returns the run with its id once committed."""
        values = (run.created, run.kind, run.status, run.name, run.network, run.dataset,
                  int(run.epochs), None if run.accuracy is None else float(run.accuracy),
                  float(run.seconds), int(run.parameters), json.dumps(run.settings),
                  run.model_path)
        problem = run_problem(dict(zip(RUN_COLUMNS, (1, *values))))
        if problem:   # the same checks as on reading: nothing is recorded that reads back bad
            raise DataError(f"Cannot record the training run in {self.path}: {problem}.")
        with self._transaction("record the training run in"):
            cursor = self._db.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS[1:])}) "
                                      f"VALUES ({', '.join('?' * len(values))})", values)
            run_id = cursor.lastrowid
            most = max_curve_bytes(run.epochs) // POINT_BYTES   # what reading accepts
            self._db.executemany("INSERT INTO curves (run_id, name, points) VALUES (?, ?, ?)",
                                 [(run_id, name, pack_curve(x, y, most))
                                  for name, (x, y) in curves.items()])
        return dataclasses.replace(run, id=run_id)

    def set_model_path(self, run_id, path):
        """Note that the model ``run_id`` trained is now saved in the file ``path``."""
        with self._transaction("note the saved model's file in"):
            self._db.execute("UPDATE runs SET model_path = ? WHERE id = ?", (str(path), run_id))

    def delete(self, run_id):
        with self._transaction("delete the run from"):
            self._db.execute("DELETE FROM curves WHERE run_id = ?", (run_id,))
            self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    # --- reading --------------------------------------------------------------------------------

    def runs(self):
        """Every run that passes its checks as a Run (no curves), oldest first."""
        return [Run(**values | {"settings": settings_of(values["settings"])})
                for values, problem in self._checked_runs() if problem is None]

    def curves(self, run_id):
        """{name: (x (n,) float32, y (n,) float32)} of the run ``run_id``; a curve larger than
        the run's epochs allow is left unread."""
        checked = self._checked_runs("WHERE id = ?", (run_id,))
        if not checked or checked[0][1] is not None:
            return {}
        epochs = checked[0][0]["epochs"]
        with self._reading():
            rows = self._db.execute(
                "SELECT name, points FROM curves WHERE run_id = ? AND typeof(name) = 'text' "
                "AND typeof(points) = 'blob' AND length(points) <= ?",
                (run_id, max_curve_bytes(epochs))).fetchall()
        return {name: unpack_curve(points) for name, points in rows}

    def bad_rows(self):
        """[(table, row id, what is wrong)] of the rows the reading methods leave out."""
        bad, epochs = [], {}
        for values, problem in self._checked_runs():
            if problem is None:
                epochs[values["id"]] = values["epochs"]
            else:
                bad.append(("runs", values["id"], f"run {values['id']}: {problem}"))
        with self._reading():
            curves = self._db.execute("SELECT id, run_id, name, typeof(points), length(points) "
                                      "FROM curves ORDER BY id").fetchall()
        for curve_id, run_id, name, kind, size in curves:
            values = {"run_id": run_id, "name": name, "points_type": kind, "points_bytes": size}
            problem = ("its run is left out" if run_id not in epochs
                       else curve_problem(values, epochs[run_id]))
            if problem:
                bad.append(("curves", curve_id, f"curve {curve_id}: {problem}"))
        return bad

    def __len__(self):
        return len(self.runs())

    def _checked_runs(self, where="", parameters=()):
        """[({column: value}, problem or None)] of the rows of ``runs`` (those ``where``
        selects), oldest first."""
        with self._reading():
            rows = self._db.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs {where} "
                                    f"ORDER BY id", parameters).fetchall()
        return [(values, run_problem(values))
                for values in (dict(zip(RUN_COLUMNS, row)) for row in rows)]
