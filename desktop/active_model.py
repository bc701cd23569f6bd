"""The main window's active model (a mixin of MainWindow, desktop/main_window.py).

One model is active at a time. The Draw tab reads digits with it, Start continues training
it, Save writes it. It comes from the bundled default, a file, or a training run (then it is
"unsaved" until written). Opening and saving files is `desktop.model_files`. While a run
trains, the Draw and Inspect tabs follow a copy of its weights.
"""

import logging
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox

from nn.network.errors import DigitLabError
from nn.network.model import describe

APP_TITLE = "DigitLab"
NO_MODEL_TEXT = "No model: open one (File > Open Model…) or train one (Train > Start)"

log = logging.getLogger(__name__)


class ActiveModelMixin:
    """set_active_model and what follows from it; the window provides the tabs, the
    named actions and ``model_status``, and calls ``_update_actions`` and ``show_status``."""

    def set_active_model(self, model, path=None, modified=False):
        """Make ``model`` the one every part of the window uses; ``path`` is its file (None if
        it has none yet), ``modified`` whether it holds something no file has. When a tab
        cannot use it, the previous model is made active again and DigitLabError raised."""
        previous = self.active_model, self.active_path, self.is_modified
        try:
            self._use_model(model, path, modified)
        except Exception as error:  # noqa: BLE001 - a strange model must not take the app down
            log.exception("a tab cannot use the model")
            self._use_model(*previous)
            raise DigitLabError(f"DigitLab cannot use this model ({type(error).__name__}: "
                                f"{error}); open or train another one.") from error

    def _use_model(self, model, path, modified):
        self.active_model, self._training_model = model, None
        self.active_path = str(path) if path else None
        self.is_modified = bool(modified and model is not None)
        self.draw_tab.set_model(model)
        self.number_tab.set_model(model)
        self.train_tab.set_active_model(model)
        self.inspect_tab.set_model(model)
        self.handwriting_tab.set_model(model)
        self._update_model_status()
        self._update_actions()

    def mark_saved(self, path):
        """The active model, unchanged, is now in the file ``path``."""
        self.active_path, self.is_modified = str(path), False
        self.train_tab.model_saved(self.active_model, path)
        self._update_model_status()

    def model_name(self):
        if self.active_model is None:
            return "no model"
        if self.active_path:
            return Path(self.active_path).stem
        return self.active_model.info.get("name") or "untitled model"

    def shown_name(self):
        """What the title and status bar call the active model: "bundled model" for the one
        that comes with DigitLab, else its name."""
        if self.active_path and self.files.is_bundled(self.active_path):
            return "bundled model"
        return self.model_name()

    def _update_model_status(self):
        model = self.active_model
        self.setWindowTitle(f"{APP_TITLE} — {self.shown_name()}[*]")
        self.setWindowModified(self.is_modified)
        if model is None:
            self.model_status.setText(NO_MODEL_TEXT)
            return
        accuracy = model.info.get("test_accuracy")
        parts = [self.shown_name(), describe(model.architecture()),
                 f"test accuracy {accuracy:.1%}" if isinstance(accuracy, (int, float))
                 else "test accuracy unknown"]
        if self.is_modified:
            parts.append("unsaved")
        self.model_status.setText(" · ".join(parts))
        self.model_status.setToolTip(self.active_path or "Not saved to a file yet")

    @Slot(object)
    def _on_model_trained(self, model):
        if self._closing:
            return  # the run was stopped because the window closes; the user agreed to lose it
        # No path: Save asks where, so a run never silently overwrites the file it started from.
        try:
            self.set_active_model(model, None, modified=True)
        except DigitLabError as error:
            QMessageBox.warning(self, "Training failed", str(error))
            return
        self.show_status(f"Training finished: {self.model_name()} is the active model, unsaved.")

    @Slot(object)
    def _show_training(self, model):
        """While a run trains, the Draw tab reads with its weights and Inspect shows them; a
        hidden Draw tab catches up when shown (reading with a CNN takes the event loop ms)."""
        self._training_model = model
        self.model_status.setText(f"The Draw tab reads with: training run "
                                  f"{model.info.get('name', '')} (live)")
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
        self._update_model_status()
        self.draw_tab.set_model(self.active_model)
        self.inspect_tab.set_model(self.active_model)
        QMessageBox.warning(self, "Training failed", message)
