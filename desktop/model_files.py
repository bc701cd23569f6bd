"""The File menu's model files: Open, Open Recent, Import Notebook Weights, Save, Save As and
Export as ONNX, and the "save the unsaved model first?" prompt.

`ModelFiles` works for one main window (its parent): it asks for paths, reads and writes the
files, shows what fails in a dialog, and remembers the files used in the settings (last folder,
recent files, the model to reopen at the next launch). What is read becomes the window's
active model (``window.active``, a `desktop.active_model.ActiveModel`).
"""

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import settings
from desktop.widgets.plain import plain
from nn.network.errors import DigitLabError
from nn.files.modelfile import import_notebook_weights, load_model, save_model
from nn.files.onnx_export import import_onnx, save_onnx

MODEL_FILTER = "DigitLab models (*.npz)"
NOTEBOOK_FILTER = "Notebook weights saved with np.savez (*.npz)"
ONNX_FILTER = "ONNX models (*.onnx)"
MODEL_SUFFIX, ONNX_SUFFIX = ".npz", ".onnx"


class ModelFiles(QObject):
    """Opens and saves the active model of ``parent``, a MainWindow."""

    def __init__(self, parent):
        super().__init__(parent)
        self.window = parent
        self.active = parent.active

    @Slot()
    def open_model(self, path=None):
        """Open ``path`` (asked for when None); on error the active model stays."""
        path = self._path_to_read("Open Model", MODEL_FILTER, path)
        if not path:
            return
        model = self._read(load_model, path, "Cannot open model")
        # Remembered (and so reopened at the next launch) only once the window could use it.
        if model is None or not self._activate(model, path, False, "Cannot open model"):
            return
        self._remember_file(path)
        self.window.show_status(f"Opened {path}.")

    @Slot()
    def import_notebook(self):
        path = self._path_to_read("Import Notebook Weights", NOTEBOOK_FILTER)
        if not path:
            return
        model = self._read(import_notebook_weights, path, "Cannot import weights")
        if model is None:
            return
        settings.set_last_folder(path, self.window.settings)
        # Not a DigitLab model file yet: unsaved until the user saves it.
        self._activate(model, None, True, "Cannot import weights")

    @Slot()
    def save(self):
        """Save to the model's file; asks for one when it has none or it is the bundled model
        (that one belongs to the installation). Returns True once the model is on disk."""
        active = self.active
        if active.model is None:
            return False
        if not active.path or active.is_bundled:   # the bundled one belongs to the installation
            return self.save_as()
        return self._write(active.path)

    @Slot()
    def save_as(self):
        if self.active.model is None:
            return False
        path = self._path_to_write("Save Model As", MODEL_FILTER, MODEL_SUFFIX)
        return bool(path) and self._write(path)

    @Slot()
    def export_onnx(self):
        """Write the active model as an ONNX file the user names. Returns True once written."""
        window = self.window
        if self.active.model is None:
            return False
        try:
            import_onnx()  # a missing package is reported before any file is asked for
            path = self._path_to_write("Export as ONNX", ONNX_FILTER, ONNX_SUFFIX)
            if not path:
                return False
            save_onnx(path, self.active.model, source=self.active.path)
        except DigitLabError as error:  # what to install, or the file and what went wrong
            QMessageBox.critical(window, "Cannot export as ONNX", plain(error))
            return False
        window.show_status(f"Exported {path}.")
        return True

    def maybe_save(self):
        """Ask before an unsaved model is thrown away. True when it is fine to go on."""
        if self.active.model is None or not self.active.modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Unsaved model",
            f"The model “{self.active.name}” has not been saved. Save it first?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def update_recent_menu(self):
        """Fill the window's Open Recent menu from the settings."""
        menu = self.window.recent_menu
        menu.clear()
        for i, path in enumerate(settings.recent_files(self.window.settings)):
            action = menu.addAction(f"&{i + 1} {Path(path).name}")
            action.setToolTip(plain(path))
            action.triggered.connect(lambda _=False, p=path: self.open_model(p))
        self.enable_recent_menu(not self.window.train_tab.is_training)

    def enable_recent_menu(self, enabled):
        """Open Recent is on when ``enabled`` and it lists at least one file."""
        menu = self.window.recent_menu
        menu.setEnabled(enabled and bool(menu.actions()))

    @Slot()
    def use_bundled(self):
        """Make the bundled model active again (File > Use the Bundled Model), once an unsaved
        model is saved or given up, and never while a run trains (its result would replace it)."""
        if self.window.train_tab.is_training or not self.maybe_save():
            return
        path = str(self.active.bundled_path)
        model = self._read(load_model, path, "Cannot use the bundled model")
        if model is not None and self._activate(model, path, False,
                                                "Cannot use the bundled model"):
            self.window.show_status("The bundled model is the active model.")

    def _path_to_read(self, title, file_filter, path=None):
        """The file to make the next active model of: ``path``, else one the user picks in the
        last folder used. None while a run trains (its result would replace the model), and
        when the user keeps an unsaved model or cancels the dialog."""
        if self.window.train_tab.is_training or not self.maybe_save():
            return None
        if not path:
            folder = settings.last_folder(self.window.settings)
            path, _ = QFileDialog.getOpenFileName(self.window, title, folder, file_filter)
        return path or None

    def _path_to_write(self, title, file_filter, suffix):
        """A file the user picks, suggested as the model's name in the last folder used, with
        ``suffix`` added when it lacks it; None when the dialog is cancelled."""
        window = self.window
        suggestion = str(Path(settings.last_folder(window.settings)) / self.active.name)
        path, _ = QFileDialog.getSaveFileName(window, title, suggestion + suffix, file_filter)
        if path and Path(path).suffix.lower() != suffix:
            path += suffix
        return path or None

    def _read(self, reader, path, failure_title):
        """The model ``reader`` makes of the file ``path``; None after a dialog says why not."""
        try:
            return reader(path)
        except DigitLabError as error:
            QMessageBox.critical(self.window, failure_title, plain(error))
            return None

    def _activate(self, model, path, modified, failure_title):
        """Make ``model`` active; False after a dialog says why the window cannot use it."""
        try:
            self.active.set(model, path, modified)
        except DigitLabError as error:
            QMessageBox.critical(self.window, failure_title, plain(error))
            return False
        return True

    def _write(self, path):
        try:
            save_model(path, self.active.model)
        except DigitLabError as error:
            QMessageBox.critical(self.window, "Cannot save model", plain(error))
            return False
        self._remember_file(path)
        self.active.mark_saved(path)
        self.window.show_status(f"Saved {path}.")
        return True

    def _remember_file(self, path):
        qsettings = self.window.settings
        settings.set_last_folder(path, qsettings)
        settings.add_recent_file(path, qsettings)
        settings.set_last_model_path(path, qsettings)
        self.update_recent_menu()
