"""The run history under the Train tab's curves: a table of past runs to compare and reuse.

Every finished or stopped run is recorded (`desktop.storage.runs`) and listed in the
``runHistory`` table (a QTableView over `desktop.train.runs_model.RunsModel`), sortable by
clicking a column's header. Ticking runs overlays their curves on the plots
(`desktop.train.runs_overlay`), reading them from the database only then. Under the table,
and in its context menu: Re-run (the run's settings back in the form, and Start), Open Model
(the file its model was saved to) and Delete (also the Delete key).

The panel never shows dialogs: what goes wrong reaches the window as one line (``problem``).
"""

import dataclasses
import weakref

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.train.runs_model import (DIFFERS, WHEN, RunsModel, all_settings,
                                      completed_epochs, describe_settings)
from desktop.train.runs_overlay import RunOverlays
from nn.network.errors import DigitLabError

SIZED_ROWS = 50
ACTIONS = (  # (objectName of the button, text, tooltip, method)
    ("rerunButton", "Re-run",
     "Put this run's settings in the form and train a new model with them.", "rerun"),
    ("openRunModelButton", "Open Model", "Open the model file this run's model was saved to.",
     "open_model"),
    ("deleteRunButton", "Delete", "Forget this run (Delete); a saved model file stays.",
     "delete_selected"),
)


class RunHistory(QWidget):
    """The table of recorded runs, its buttons, and the ticked runs' curves on the plots
    ``loss_item`` and ``accuracy_item`` (pyqtgraph PlotItems with a legend)."""

    rerun_requested = Signal(object)     # the Train form's state (a dict) to train again with
    open_model_requested = Signal(str)   # the model file to open
    problem = Signal(str)                # one line for the status bar

    def __init__(self, loss_item, accuracy_item, parent=None):
        super().__init__(parent)
        self.model = RunsModel(self)
        self.overlays = RunOverlays(loss_item, accuracy_item)
        self._store = None
        self._training = False
        self._runs_of_models = weakref.WeakKeyDictionary()   # trained Model -> its run's id

        self.table = QTableView(objectName="runHistory")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)   # one line a run; a long "Differs" is elided
        self.table.horizontalHeader().setSortIndicator(WHEN, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Sized by the first rows only: measuring all of a thousand runs' texts takes seconds.
        header.setResizeContentsPrecision(SIZED_ROWS)
        header.setSectionResizeMode(DIFFERS, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        buttons = QHBoxLayout()
        self.actions_by_name = {}
        for name, text, tooltip, method in ACTIONS:
            action = QAction(text, self.table, toolTip=tooltip)
            action.triggered.connect(getattr(self, method))
            self.table.addAction(action)
            button = QPushButton(text, objectName=name, toolTip=tooltip)
            button.clicked.connect(action.trigger)
            buttons.addWidget(button)
            self.actions_by_name[name] = (action, button)
        delete_action = self.actions_by_name["deleteRunButton"][0]
        delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

        self.model.checked_changed.connect(self._show_checked)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.rowsRemoved.connect(self._update_actions)
        # A header sizes its columns to their contents when the model is reset, not when a run
        # is added: without this, a run recorded now shows "07 Dec..." in a column sized empty.
        self.model.rowsInserted.connect(lambda *_: header.resizeSections())
        self._update_actions()

    # --- public API -----------------------------------------------------------------------------

    def set_store(self, store):
        """List the runs of ``store`` (a RunStore, or None: nothing is recorded)."""
        self._store = store
        self.model.set_runs(self._ask(store.runs, []) if store is not None else [])
        self.setEnabled(store is not None)

    def record(self, run, curves, model):
        """Keep ``run`` (a Run without id) with its ``curves`` ({name: (x, y)}); ``model`` is
        the Model it trained, whose file is noted when it is saved (`model_saved`). False
        once ``problem`` has said why the store refused it; True when recorded, or when there
        is no store (the launch said why)."""
        if self._store is None:
            return True
        stored = self._ask(lambda: self._store.add(run, curves), None)
        if stored is None:
            return False
        self.model.add_run(stored)
        self._runs_of_models[model] = stored.id
        return True

    def model_saved(self, model, path):
        """``model`` is now in the file ``path``: note it in the run that trained it."""
        run = self.model.run_by_id(self._runs_of_models.get(model))
        if run is not None and self._done(lambda: self._store.set_model_path(run.id, path)):
            self.model.replace_run(dataclasses.replace(run, model_path=str(path)))
            self._update_actions()

    def set_training(self, training):
        """While a run trains, Re-run waits."""
        self._training = training
        self._update_actions()

    def selected_run(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.run_at(rows[0].row()) if rows else None

    # --- actions --------------------------------------------------------------------------------

    @Slot()
    def rerun(self):
        run = self.selected_run()
        if run is not None and not self._training:
            self.rerun_requested.emit(run.settings.get("form", {}))

    @Slot()
    def open_model(self):
        run = self.selected_run()
        if run is not None and run.model_path:
            self.open_model_requested.emit(run.model_path)

    @Slot()
    def delete_selected(self):
        run = self.selected_run()
        if run is None or not self._done(lambda: self._store.delete(run.id)):
            return
        row = self.model.row_of(run.id)
        self.model.remove_run(run.id)
        if self.model.rowCount():   # the next run is selected, so Delete can go on
            self.table.selectRow(min(row, self.model.rowCount() - 1))

    # --- inside ---------------------------------------------------------------------------------

    def _ask(self, call, failed):
        """call()'s answer, or ``failed`` once ``problem`` has said what went wrong."""
        try:
            return call()
        except DigitLabError as error:
            self.problem.emit(str(error))
            return failed

    def _done(self, call):
        """Whether call() (a write) succeeded; when not, ``problem`` has said why."""
        return self._ask(lambda: call() or True, False)

    @Slot()
    def _update_actions(self, *_):
        run = self.selected_run()
        enabled = {"rerunButton": run is not None and not self._training
                   and bool(run.settings.get("form")),
                   "openRunModelButton": run is not None and bool(run.model_path),
                   "deleteRunButton": run is not None}
        for name, (action, button) in self.actions_by_name.items():
            action.setEnabled(enabled[name])
            button.setEnabled(enabled[name])

    @Slot()
    def _show_checked(self):
        """Overlay the ticked runs (reading their curves now), drop the unticked ones, and
        name each by what differs between them."""
        checked = self.model.checked_ids()
        for run_id in self.overlays.run_ids():
            if run_id not in checked:
                self.overlays.hide(run_id)
        for run_id in checked:
            if run_id not in self.overlays.run_ids():
                curves = self._ask(lambda run_id=run_id: self._store.curves(run_id), None)
                if curves is None:
                    self.model.set_checked(run_id, False)
                    return
                self.overlays.show(run_id, curves, self.legend_text(run_id),
                                   all_settings(self.model.run_by_id(run_id)))
            else:
                self.overlays.relabel(run_id, self.legend_text(run_id),
                                      all_settings(self.model.run_by_id(run_id)))

    def legend_text(self, run_id):
        """"lr=0.1, batch=64 · run 3": what differs between the ticked runs and the run's
        short name (unique: its number), or its number and network when nothing differs; a
        stopped run says how far it got."""
        run, differing = self.model.run_by_id(run_id), self.model.differing()
        text = (f"{describe_settings(run, differing)} · run {run.id}" if differing
                else f"run {run.id}: {run.network}")
        return text + (f" ({completed_epochs(run)})" if run.status == "stopped" else "")
