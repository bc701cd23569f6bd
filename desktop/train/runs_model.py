"""The run history as a Qt table model, and what differs between the runs being compared.

`RunsModel` holds the stored runs (without curves) in a list and answers the view row by row,
so a thousand runs cost one query and the rows on screen. Its first column is a checkbox:
the checked runs are the ones overlaid on the plots, and the "Differs" column names, for
every row, its values of the settings that differ between the checked runs.
"""

import math
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from desktop.train.form_labels import OPTIMIZER_LABELS, SCHEDULE_LABELS
from nn.cli.progress import format_seconds
from nn.network.optim import OPTIMIZER_CHOICES

COLUMNS = ("", "When", "Network", "Dataset", "Epochs", "Accuracy", "Time", "Params", "Differs")
CHECK, WHEN, NETWORK, DATASET, EPOCHS, ACCURACY, TIME, PARAMETERS, DIFFERS = range(len(COLUMNS))
NUMBER_COLUMNS = (EPOCHS, ACCURACY, TIME, PARAMETERS)
TOOLTIPS = {CHECK: "Tick runs to draw their curves on the plots and compare their settings.",
            ACCURACY: "On the test set.", TIME: "Training time, pauses excluded.",
            PARAMETERS: "Parameters: the weights and biases the network learns.",
            DIFFERS: "The settings that differ between the ticked runs."}
# How the settings are named where space is short (legends, the Differs column); the others
# as the Train form names them (FORM_NAMES).
SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "weight_decay": "wd",
               "early_stopping_patience": "early stop", "warmup_epochs": "warm-up"}
# The Train form's names, for the full settings in tooltips.
FORM_NAMES = {"learning_rate": "Learning rate", "batch_size": "Batch size",
              "optimizer": "Optimizer", "momentum": "Momentum", "schedule": "Schedule",
              "weight_decay": "Weight decay", "warmup_epochs": "Warm-up", "epochs": "Epochs",
              "augmentation": "Augment", "redraw": "Redrawn digits",
              "early_stopping_patience": "Early stopping", "seed": "Seed",
              "step_every": "Step decay every", "step_gamma": "Step decay factor",
              "train_size": "Training examples", "validation_size": "Validation examples",
              "network": "Network", "dataset": "Dataset", "kind": "Kind"}
# Settings whose value names itself ("Momentum", "Cosine decay"): shown without "name=".
SELF_NAMED = ("optimizer", "schedule")
# The settings learners change most are named first when several differ.
FIRST_NAMES = ("network", "learning_rate", "batch_size", "optimizer", "epochs")
WHEN_FORMAT = "%d %b %H:%M"   # "29 Nov 11:12"; the year is in the row's tooltip
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _text(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def comparable_settings(run):
    """{setting: value as text} of everything that shapes a run: its network, dataset, kind
    and every TrainConfig field, keyed by TrainConfig's names, valued as the Train form shows
    them (the optimizer "Momentum", not "sgd"; augmentation on/off)."""
    values = {"network": run.network, "dataset": run.dataset, "kind": run.kind}
    config = run.settings.get("config")
    config = config if isinstance(config, dict) else {}
    for key, value in config.items():
        if key == "nesterov":
            continue  # part of the optimizer's name
        if key == "augmentation":
            value = value is not None
        elif key == "batch_size" and value == 0:
            value = "full"
        elif key == "optimizer":
            choice = next((name for name, (optimizer, nesterov) in OPTIMIZER_CHOICES.items()
                           if (optimizer, nesterov) == (value, value == "sgd"
                                                        and bool(config.get("nesterov")))), None)
            value = OPTIMIZER_LABELS.get(choice, value)
        elif key == "schedule":
            value = SCHEDULE_LABELS.get(value, value)
        values[key] = _text(value)
    return values


def differing_settings(runs):
    """The settings whose values are not the same in all ``runs`` (none for fewer than 2)."""
    settings = [comparable_settings(run) for run in runs]
    names = dict.fromkeys(name for s in settings for name in s)  # ordered, no repeats
    differing = [name for name in names if len({s.get(name) for s in settings}) > 1]
    return sorted(differing, key=lambda name: FIRST_NAMES.index(name)
                  if name in FIRST_NAMES else len(FIRST_NAMES))


def describe_settings(run, names):
    """"lr=0.1, batch=64, Momentum": the run's values of the settings ``names``, short."""
    values = comparable_settings(run)
    return ", ".join(values.get(name, "—") if name in SELF_NAMED else
                     f"{SHORT_NAMES.get(name, name.replace('_', ' '))}={values.get(name, '—')}"
                     for name in names)


def all_settings(run):
    """Every setting of the run, one "Name: value" line each, named as the Train form names
    them: the tooltip of the run's legend entries."""
    return "\n".join([f"{run.name}: {completed_epochs(run)}"] + [
        f"{FORM_NAMES.get(name, name.replace('_', ' ').capitalize())}: {value}"
        for name, value in comparable_settings(run).items()])


def completed_epochs(run):
    """"10 epochs", or for a stopped run "stopped after 3 of 10 epochs"."""
    config = run.settings.get("config")
    planned = config.get("epochs") if isinstance(config, dict) else None
    if run.status == "stopped":
        of = f" of {planned}" if planned else ""
        return f"stopped after {run.epochs}{of} epoch{'s' * ((planned or run.epochs) != 1)}"
    return f"{run.epochs} epoch{'s' * (run.epochs != 1)}"


def _when(run):
    try:
        return datetime.fromisoformat(run.created).strftime(WHEN_FORMAT)
    except ValueError:
        return run.created


def _network(run):
    return run.network if run.kind == "new" else f"{run.network} ({run.kind})"


def _epochs(run):
    return f"{run.epochs} (stopped)" if run.status == "stopped" else str(run.epochs)


def _sort_key(run, column):
    """What the column sorts by, then the run's id (the order runs were recorded); runs
    without a test accuracy sort below all others."""
    return ({WHEN: run.created, NETWORK: _network(run), DATASET: run.dataset, EPOCHS: run.epochs,
            ACCURACY: -math.inf if run.accuracy is None else run.accuracy, TIME: run.seconds,
            PARAMETERS: run.parameters}.get(column, 0), run.id)


class RunsModel(QAbstractTableModel):
    """Rows of `desktop.storage.runs.Run`, a checkbox in column 0."""

    checked_changed = Signal()   # a run was ticked or unticked (or a ticked one removed)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._runs = []
        self._checked = []          # ids of the ticked runs, in the order they were ticked
        self._differing = []        # short names of the settings that differ between them
        self._sort = (WHEN, Qt.SortOrder.DescendingOrder)   # newest first

    # --- the runs -------------------------------------------------------------------------------

    def set_runs(self, runs):
        self.beginResetModel()
        self._runs = self._sorted(runs)
        self._checked = []
        self._differing = []
        self.endResetModel()
        self.checked_changed.emit()

    def add_run(self, run):
        """A new run, at its place in the current sort order."""
        row = next(i for i, r in enumerate(self._sorted(self._runs + [run])) if r is run)
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.insert(row, run)
        self.endInsertRows()

    def remove_run(self, run_id):
        row = self.row_of(run_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._runs[row]
        self.endRemoveRows()
        if run_id in self._checked:
            self._checked.remove(run_id)
            self._update_differing()
            self.checked_changed.emit()

    def replace_run(self, run):
        """The same run with new values (e.g. its model file)."""
        row = self.row_of(run.id)
        if row is not None:
            self._runs[row] = run
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def run_at(self, row):
        return self._runs[row]

    def run_by_id(self, run_id):
        row = self.row_of(run_id)
        return None if row is None else self._runs[row]

    def row_of(self, run_id):
        return next((i for i, run in enumerate(self._runs) if run.id == run_id), None)

    def checked_ids(self):
        return list(self._checked)

    def differing(self):
        return list(self._differing)

    def set_checked(self, run_id, checked):
        row = self.row_of(run_id)
        if row is None or (run_id in self._checked) == checked:
            return
        if checked:
            self._checked.append(run_id)
        else:
            self._checked.remove(run_id)
        self._update_differing()
        self.dataChanged.emit(self.index(row, CHECK), self.index(row, CHECK))
        self.checked_changed.emit()

    def _update_differing(self):
        ticked = [self.run_by_id(run_id) for run_id in self._checked]
        self._differing = differing_settings(ticked)
        if self._runs:
            self.dataChanged.emit(self.index(0, DIFFERS), self.index(len(self._runs) - 1, DIFFERS))

    # --- QAbstractTableModel --------------------------------------------------------------------

    def rowCount(self, parent=None):
        return 0 if parent is not None and parent.isValid() else len(self._runs)

    def columnCount(self, parent=None):
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS.get(section)
        return None

    def flags(self, index):
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == CHECK else flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        run, column = self._runs[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == CHECK:
            return (Qt.CheckState.Checked if run.id in self._checked
                    else Qt.CheckState.Unchecked)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(run, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return NUMBER_ALIGNMENT
        if role == Qt.ItemDataRole.ToolTipRole:
            saved = f"saved as {run.model_path}" if run.model_path else "model not saved"
            return f"{run.name} ({run.created}): {run.status}, {saved}"
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != CHECK:
            return False
        self.set_checked(self._runs[index.row()].id,
                         Qt.CheckState(value) == Qt.CheckState.Checked)
        return True

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        """Sort the runs, keeping every persistent index (the selection) on its run."""
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        old = self.persistentIndexList()
        ids = [self._runs[index.row()].id for index in old]
        self._runs = self._sorted(self._runs)
        rows = {run.id: row for row, run in enumerate(self._runs)}
        self.changePersistentIndexList(old, [self.index(rows[i], index.column())
                                             for i, index in zip(ids, old)])
        self.layoutChanged.emit()

    def _sorted(self, runs):
        column, order = self._sort
        return sorted(runs, key=lambda run: _sort_key(run, column),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def _display(self, run, column):
        if column == CHECK:
            return None
        if column == DIFFERS:
            return describe_settings(run, self._differing) if self._differing else ""
        return {WHEN: _when, NETWORK: _network, DATASET: lambda r: r.dataset, EPOCHS: _epochs,
                ACCURACY: lambda r: "—" if r.accuracy is None else f"{r.accuracy:.2%}",
                TIME: lambda r: format_seconds(r.seconds),
                PARAMETERS: lambda r: f"{r.parameters:,}"}[column](run)
