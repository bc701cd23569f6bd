"""The File menu's model files: Open, Open Recent, Import Notebook Weights, Save and Save As,
and the "save the unsaved model first?" prompt.

`ModelFiles` works for one main window (its parent): it asks for paths, reads and writes the
files, shows what fails in a dialog, and remembers the files used in the settings (last folder,
recent files, the model to reopen at the next launch). The window keeps the active model:
what is read becomes active through ``window.set_active_model``.
"""

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import settings
from nn.errors import DigitLabError
from nn.modelfile import import_notebook_weights, load_model, save_model

MODEL_FILTER = "DigitLab models (*.npz)"
NOTEBOOK_FILTER = "Notebook weights saved with np.savez (*.npz)"
MODEL_SUFFIX = ".npz"


class ModelFiles(QObject):
    """Opens and saves the active model of ``parent``, a MainWindow; ``bundled_model`` is the
    installation's model file, which Save never overwrites."""

    def __init__(self, parent, bundled_model):
        super().__init__(parent)
        self.window = parent
        self.bundled_model = Path(bundled_model)

    @Slot()
    def open_model(self, path=None):
        """Open ``path`` (asked for when None); on error the active model stays."""
        path = self._path_to_read("Open Model", MODEL_FILTER, path)
        if not path:
            return
        model = self._read(load_model, path, "Cannot open model")
        if model is None:
            return
        self._remember_file(path)
        self.window.set_active_model(model, path)
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
        self.window.set_active_model(model, None, modified=True)

    @Slot()
    def save(self):
        """Save to the model's file; asks for one when it has none or it is the bundled model
        (that one belongs to the installation). Returns True once the model is on disk."""
        window = self.window
        if window.active_model is None:
            return False
        if not window.active_path or self._is_bundled(window.active_path):
            return self.save_as()
        return self._write(window.active_path)

    @Slot()
    def save_as(self):
        window = self.window
        if window.active_model is None:
            return False
        folder = Path(settings.last_folder(window.settings))
        suggestion = str(folder / window.model_name()) + MODEL_SUFFIX
        path, _ = QFileDialog.getSaveFileName(window, "Save Model As", suggestion, MODEL_FILTER)
        if not path:
            return False
        if Path(path).suffix.lower() != MODEL_SUFFIX:
            path += MODEL_SUFFIX
        return self._write(path)

    def maybe_save(self):
        """Ask before an unsaved model is thrown away. True when it is fine to go on."""
        window = self.window
        if window.active_model is None or not window.is_modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            window, "Unsaved model",
            f"The model “{window.model_name()}” has not been saved. Save it first?",
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
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_model(p))
        self.enable_recent_menu(not self.window.train_tab.is_training)

    def enable_recent_menu(self, enabled):
        """Open Recent is on when ``enabled`` and it lists at least one file."""
        menu = self.window.recent_menu
        menu.setEnabled(enabled and bool(menu.actions()))

    def _is_bundled(self, path):
        return Path(path).resolve() == self.bundled_model.resolve()

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

    def _read(self, reader, path, failure_title):
        """The model ``reader`` makes of the file ``path``; None after a dialog says why not."""
        try:
            return reader(path)
        except DigitLabError as error:
            QMessageBox.critical(self.window, failure_title, str(error))
            return None

    def _write(self, path):
        try:
            save_model(path, self.window.active_model)
        except DigitLabError as error:
            QMessageBox.critical(self.window, "Cannot save model", str(error))
            return False
        self._remember_file(path)
        self.window.mark_saved(path)
        self.window.show_status(f"Saved {path}.")
        return True

    def _remember_file(self, path):
        qsettings = self.window.settings
        settings.set_last_folder(path, qsettings)
        settings.add_recent_file(path, qsettings)
        settings.set_last_model_path(path, qsettings)
        self.update_recent_menu()
