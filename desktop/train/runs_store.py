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
from datetime import datetime
from typing import ClassVar

import numpy as np

from desktop.storage.database import Database
from desktop.storage.errors import Kind
from nn.network.model import describe

DB_NAME = "runs.sqlite3"
KINDS = ("new", "continue", "fine-tune")
STATUSES = ("finished", "stopped")

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
# Rows the reading methods use: a file written by another program may break the CHECKs.
VALID_RUN = (f"kind IN {KINDS} AND status IN {STATUSES} AND typeof(epochs) = 'integer' "
             f"AND typeof(parameters) = 'integer'")


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


def run_of_training(job, model, result, form, seconds):
    """The Run of a finished or stopped training: ``job`` the TrainingJob it ran, ``model`` the
    trained Model (info filled), ``result`` nn.training.train's TrainResult, ``form`` the Train form's
    state when it started, ``seconds`` of training."""
    kind = "continue" if job.base_model is not None else "new"
    return Run(
        created=datetime.now().astimezone().isoformat(timespec="seconds"), kind=kind,
        status="stopped" if result.stopped else "finished", name=str(model.info.get("name", "")),
        network=describe(model.architecture()), dataset=job.dataset,
        epochs=len(result.history), accuracy=model.info.get("test_accuracy"),
        seconds=float(seconds), parameters=int(model.n_params),
        settings={"config": job.config.to_dict(), "architecture": model.architecture(),
                  "form": form})


def pack_curve(x, y):
    """(n,) x and (n,) y as 8n bytes: float32 little-endian x0, y0, x1, y1..."""
    return np.column_stack([x, y]).astype("<f4").tobytes()


def unpack_curve(blob):
    """The (x, y) float32 (n,) arrays `pack_curve` made; empty ones for a blob of another length."""
    if len(blob) % 8:
        blob = b""
    points = np.frombuffer(blob, "<f4").reshape(-1, 2)
    return points[:, 0].copy(), points[:, 1].copy()


def _settings_of(text):
    try:
        settings = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


class RunStore(Database):
    """The recorded training runs in one SQLite file (created on first use)."""

    KIND = Kind("your run history", "runs")
    FILE_NAME = DB_NAME
    SCHEMA = SCHEMA
    TABLES: ClassVar[dict] = {"runs": RUN_COLUMNS, "curves": CURVE_COLUMNS}
    RECOVERY_SCANS: ClassVar[dict] = {"curves": (
        "SELECT id FROM curves INDEXED BY sqlite_autoindex_curves_1 ORDER BY run_id, name",)}

    @staticmethod
    def sensible(table, row):
        """Whether a row read from a damaged file is a run (or curve) the app can use."""
        if table == "curves":
            _, run_id, name, points = row
            return isinstance(run_id, int) and isinstance(name, str) and isinstance(points, bytes)
        (_, created, kind, status, name, network, dataset, epochs, accuracy, seconds,
         parameters, settings, model_path) = row
        return (kind in KINDS and status in STATUSES
                and isinstance(epochs, int) and isinstance(parameters, int)
                and isinstance(seconds, (int, float))
                and (accuracy is None or isinstance(accuracy, (int, float)))
                and all(isinstance(t, str) for t in (created, name, network, dataset, settings))
                and (model_path is None or isinstance(model_path, str)))

    def restore(self, rows):
        """As Database.restore, leaving out curves whose run was not recovered."""
        runs = {row[0] for row in rows.get("runs", ())}
        curves = [row for row in rows.get("curves", ()) if row[1] in runs]
        return super().restore({"runs": rows.get("runs", []), "curves": curves})

    # --- writing --------------------------------------------------------------------------------

    def add(self, run, curves):
        """Store ``run`` (a Run) and its ``curves`` ({name: (x (n,), y (n,))}) in one
        transaction; returns the run with its id once committed."""
        values = (run.created, run.kind, run.status, run.name, run.network, run.dataset,
                  int(run.epochs), None if run.accuracy is None else float(run.accuracy),
                  float(run.seconds), int(run.parameters), json.dumps(run.settings),
                  run.model_path)
        with self._transaction("record the training run in"):
            cursor = self._db.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS[1:])}) "
                                      f"VALUES ({', '.join('?' * len(values))})", values)
            run_id = cursor.lastrowid
            self._db.executemany("INSERT INTO curves (run_id, name, points) VALUES (?, ?, ?)",
                                 [(run_id, name, pack_curve(x, y))
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
        """Every run as a Run (no curves), oldest first."""
        with self._reading():
            rows = self._db.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs "
                                    f"WHERE {VALID_RUN} ORDER BY id").fetchall()
        return [Run(**dict(zip(RUN_COLUMNS, row), settings=_settings_of(row[11])))
                for row in rows]

    def curves(self, run_id):
        """{name: (x (n,) float32, y (n,) float32)} of the run ``run_id``."""
        with self._reading():
            rows = self._db.execute("SELECT name, points FROM curves WHERE run_id = ? "
                                    "AND typeof(points) = 'blob'", (run_id,)).fetchall()
        return {name: unpack_curve(points) for name, points in rows}

    def __len__(self):
        with self._reading():
            return self._db.execute(f"SELECT COUNT(*) FROM runs WHERE {VALID_RUN}").fetchone()[0]
