"""The main window: Draw, Number, Train, Inspect and My Handwriting tabs, the menus, and the
active model (`desktop.active_model.ActiveModel`) they all follow.

When actions are enabled (``_update_actions``):
- Save / Save As / Export as ONNX: a model is active (also while training: the run trains a
  copy of it);
- Open, Open Recent, Import, New Model, the dataset choice, Download, Use Folder: no training
  runs, since the run's result would replace whatever they changed;
- Start: no training runs; Pause/Resume and Stop: only while training.
"""

import logging

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget

from desktop import resources, settings, startup
from desktop.about import about_html
from desktop.active_model import ActiveModel, ModelStatusLabel
from desktop.data_dialog import DataController
from desktop.dataset_choice import DatasetChoice
from desktop.draw.tab import DrawTab
from desktop.handwriting.store import HandwritingStore
from desktop.handwriting.tab import HandwritingTab
from desktop.inspect.tab import InspectTab
from desktop.maths.view import MathsView
from desktop.menus import IDLE_ONLY, create_actions, fill_menu_bar
from desktop.model_files import ModelFiles
from desktop.number.tab import NumberTab
from desktop.shortcuts_dialog import ShortcutsDialog
from desktop.storage.recovery import open_database
from desktop.storage.runs import RunStore
from desktop.train.tab import TrainTab
from desktop.widgets.plain import plain
from nn.network.errors import DigitLabError

BUNDLED_MODEL = resources.BUNDLED_MODEL  # a module attribute, so tests can swap it
STATUS_TIMEOUT_MS = 8000
APP_TITLE = "DigitLab"

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = settings.open_settings()
        self.active = ActiveModel(BUNDLED_MODEL, self)
        self._training_model = None   # a copy of the weights of the run in progress
        self._start_when_data_ready = False  # Start found no dataset and offered to get it
        self.draw_tab, self.train_tab = DrawTab(), TrainTab()
        self.tabs = QTabWidget(objectName="tabs")
        self.tabs.addTab(self.draw_tab, "Draw")
        self.number_tab = NumberTab()
        self.tabs.addTab(self.number_tab, "Number")
        self.tabs.addTab(self.train_tab, "Train")
        self.inspect_tab = InspectTab()
        self.tabs.addTab(self.inspect_tab, "Inspect")
        self.handwriting_tab = HandwritingTab()
        self.tabs.addTab(self.handwriting_tab, "My Handwriting")
        self._add_maths_tab()
        self.setCentralWidget(self.tabs)
        self.model_status = ModelStatusLabel(self.active)
        self.statusBar().addPermanentWidget(self.model_status, 1)
        self.data = DataController(self)
        self.files = ModelFiles(self)
        self.shortcuts_dialog = None
        self._create_actions()
        self._create_menus()
        self._connect_tabs()
        startup.restore_window(self)
        self.datasets.restore()
        startup.remove_stale_temp_files(self.settings)
        problems = [self._open_handwriting(), self._open_runs(),
                    startup.activate_initial_model(self, BUNDLED_MODEL),
                    settings.settings_problem()]
        startup.restore_train_form(self)
        if any(problems):  # kept until the next message: the user must get to read it
            # (both stores give the same line when their folder cannot be made: said once)
            self.statusBar().showMessage(" ".join(dict.fromkeys(filter(None, problems))))

    # --- actions and menus --------------------------------------------------------------------

    def _create_actions(self):
        self.named_actions = create_actions(self)
        slots = {"openAction": lambda: self.files.open_model(), "saveAction": self.files.save,
                 "useBundledAction": self.files.use_bundled,
                 "saveAsAction": self.files.save_as,
                 "importNotebookAction": self.files.import_notebook,
                 "exportOnnxAction": self.files.export_onnx,
                 "quitAction": self.close, "startAction": self._start,
                 "pauseAction": self.train_tab.toggle_pause, "stopAction": self.train_tab.stop,
                 "newModelAction": self._new_model,
                 "downloadAction": lambda: self.data.download(self.datasets.info()),
                 "useFolderAction": lambda: self.data.choose_folder(
                     self.datasets.info(), settings.last_folder(self.settings)),
                 "shortcutsAction": self.show_shortcuts,
                 "aboutAction": self.about}
        for name, slot in slots.items():
            self.named_actions[name].triggered.connect(slot)
        self.datasets = DatasetChoice(
            self.named_actions, (self.train_tab, self.inspect_tab, self.handwriting_tab),
            self.settings, self)

    def _create_menus(self):
        self.recent_menu = fill_menu_bar(self.menuBar(), self.named_actions)
        self.files.update_recent_menu()

    def _connect_tabs(self):
        for use_model in (self.draw_tab.set_model, self.number_tab.set_model,
                          self.train_tab.set_active_model, self.inspect_tab.set_model,
                          self.handwriting_tab.set_model):
            self.active.follow(use_model)
        self.active.changed.connect(self._forget_training_copy)
        self.active.state_changed.connect(self._show_model_state)
        self.active.state_changed.connect(self._update_actions)
        self.handwriting_tab.fine_tune.tuner.running_changed.connect(self.train_tab.hold)
        self.active.saved.connect(self.train_tab.model_saved)
        self.train_tab.state_changed.connect(self._update_actions)
        self.train_tab.model_trained.connect(self._on_model_trained)
        self.train_tab.weights_changed.connect(self._show_training)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.train_tab.training_failed.connect(self._on_training_failed)
        self.train_tab.status_message.connect(self.show_status)
        self.data.dataset_ready.connect(self._use_dataset)
        self.train_tab.dataset_missing.connect(self._offer_dataset)
        self.data.not_provided.connect(self._dataset_not_provided)
        self.draw_tab.prediction_changed.connect(
            lambda _probs: self.inspect_tab.set_input(self.draw_tab.last_input))
        self.handwriting_tab.fine_tuned.connect(self._fine_tuned)

    def _add_maths_tab(self):
        """One training step, equation by equation, on the current drawing. The tab steps its
        own network; it reads the active model only when asked to start from its weights."""
        self.maths_view = MathsView(active_model=lambda: self.active_model)
        self.tabs.addTab(self.maths_view, "Maths")
        self.draw_tab.prediction_changed.connect(
            lambda probs: self.maths_view.set_drawing(self.draw_tab.last_input, probs))

    def _open_handwriting(self):
        """The user's labelled drawings; without them "Correct it" is off, the rest works.
        Returns what went wrong for the status bar ("" when nothing did)."""
        self.handwriting, problem = open_database(HandwritingStore)
        for tab in (self.draw_tab, self.number_tab, self.handwriting_tab):
            tab.set_store(self.handwriting)
        self.draw_tab.drawing_saved.connect(self.handwriting_tab.refresh)
        self.number_tab.drawing_saved.connect(self.handwriting_tab.refresh)
        return problem

    def _open_runs(self):
        """The history of training runs; without it runs are not recorded, the rest works.
        Returns what went wrong for the status bar ("" when nothing did)."""
        self.runs, problem = open_database(RunStore)
        self.train_tab.set_run_store(self.runs)
        self.train_tab.run_history.open_model_requested.connect(
            lambda path: self.files.open_model(path))
        return problem

    @Slot()
    def _update_actions(self):
        training = self.train_tab.is_training
        for name in IDLE_ONLY:
            self.named_actions[name].setEnabled(not training)
        if self.train_tab.is_held:   # My Handwriting fine-tunes: its model and a run's, one wins
            self.named_actions["startAction"].setEnabled(False)
        for name in ("saveAction", "saveAsAction", "exportOnnxAction"):
            self.named_actions[name].setEnabled(self.active.model is not None)
        for name in ("pauseAction", "stopAction"):
            self.named_actions[name].setEnabled(training)
        self.handwriting_tab.set_training(training)
        paused = training and self.train_tab.is_paused
        self.named_actions["pauseAction"].setText("&Resume" if paused else "&Pause")
        self.files.enable_recent_menu(not training)

    @Slot(str)
    def show_status(self, message):
        self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)

    # --- the active model ---------------------------------------------------------------------
    # The window's own names for ``self.active``, which the benchmarks, the smoke check and
    # scripts driving the window use.

    @property
    def active_model(self):
        return self.active.model

    @property
    def active_path(self):
        return self.active.path

    @property
    def is_modified(self):
        return self.active.modified

    @is_modified.setter
    def is_modified(self, modified):
        self.active.set_modified(modified)

    def set_active_model(self, model, path=None, modified=False):
        """Make ``model`` active in every tab (see `ActiveModel.set`)."""
        self.active.set(model, path, modified)

    def model_name(self):
        return self.active.name

    @Slot()
    def _show_model_state(self):
        self.setWindowTitle(f"{APP_TITLE} — {self.active.shown_name}[*]")
        self.setWindowModified(self.active.modified)

    @Slot(object)
    def _on_model_trained(self, model):
        # No path: Save asks where, so a run never silently overwrites the file it started from.
        try:
            self.active.set(model, None, modified=True)
        except DigitLabError as error:
            QMessageBox.warning(self, "Training failed", plain(error))
            return
        self.show_status(f"Training finished: {self.active.name} is the active model, unsaved.")

    @Slot(object)
    def _forget_training_copy(self, _model):
        self._training_model = None

    @Slot(object)
    def _show_training(self, model):
        """While a run trains, the Draw tab reads with its weights and Inspect shows them; a
        hidden Draw tab catches up when shown (reading with a CNN takes the event loop ms)."""
        self._training_model = model
        self.model_status.show_training(model)
        self.inspect_tab.show_training(model)
        if self.tabs.currentWidget() is self.draw_tab:
            self.draw_tab.set_model(model)

    @Slot(int)
    def _tab_shown(self, _index):
        if self.tabs.currentWidget() is self.draw_tab and self._training_model is not None:
            self.draw_tab.set_model(self._training_model)

    @Slot(str)
    def _on_training_failed(self, message):
        self._training_model = None   # the Draw and Inspect tabs go back to the active model
        self.model_status.refresh()
        self.draw_tab.set_model(self.active.model)
        self.inspect_tab.set_model(self.active.model)
        QMessageBox.warning(self, "Training failed", plain(message))

    # --- training and data --------------------------------------------------------------------

    @Slot()
    def _start(self):
        self.tabs.setCurrentWidget(self.train_tab)
        self.train_tab.start()

    @Slot(object)
    def _fine_tuned(self, model):
        """My Handwriting's fine-tuning is done: its model becomes the active one, unsaved,
        and the window stays on the tab the user is on."""
        try:
            self.set_active_model(model, None, modified=True)
        except DigitLabError as error:
            self.show_status(str(error))
            return
        self.show_status(f"Fine-tuned on your drawings: {self.model_name()} is the active "
                         f"model, unsaved.")

    @Slot()
    def _new_model(self):
        self.tabs.setCurrentWidget(self.train_tab)
        self.train_tab.new_model()

    def choose_dataset(self, name, folder=None):
        """Train on dataset ``name``, from ``folder`` or (None) wherever it is found."""
        self.datasets.choose(name, folder)

    @Slot(str, object)
    def _use_dataset(self, name, folder):
        self.datasets.choose(name, folder)
        if self._start_when_data_ready:
            self._start_when_data_ready = False
            self._start()

    @Slot(str)
    def _offer_dataset(self, name):
        """Start found no dataset: download it or choose its folder, then start."""
        self._start_when_data_ready = True
        self.data.offer(self.datasets.info(name))

    @Slot(str)
    def _dataset_not_provided(self, what):
        if self._start_when_data_ready:
            self._start_when_data_ready = False
            self.train_tab.show_outcome(what)

    # --- help ---------------------------------------------------------------------------------

    @Slot()
    def about(self):
        QMessageBox.about(self, "About DigitLab", about_html())

    @Slot()
    def show_shortcuts(self):
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    # --- closing ----------------------------------------------------------------------------------

    def _write_settings(self):
        settings.save_window(self.saveGeometry(), self.saveState(),
                             self.train_tab.splitter.saveState(), self.settings)
        settings.set_train_form_state(self.train_tab.form_state(), self.settings)
        if self.active.path and not self.active.modified:
            settings.set_last_model_path(self.active.path, self.settings)
        self.settings.sync()

    def closeEvent(self, event):
        buttons = QMessageBox.StandardButton
        if self.train_tab.is_training and QMessageBox.question(
                self, "Training is running",
                "Stop training and quit? What this run has learnt will be lost.",
                buttons.Yes | buttons.Cancel, buttons.Cancel) != buttons.Yes:
            event.ignore()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self.train_tab.shutdown()   # stop, quit and wait: no "QThread: Destroyed" abort
        self.data.shutdown()
        self.inspect_tab.shutdown()    # cancels the confusion matrix job: no wait
        self.handwriting_tab.shutdown()  # stops a fine-tuning within one batch
        self.maths_view.shutdown()       # its examples' reader ends within a second
        for store in (self.handwriting, self.runs):
            if store is not None:
                store.close()
        self._write_settings()
        event.accept()
