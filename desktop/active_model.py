"""The active model: the one model every part of the window uses.

The Draw tab reads digits with it, Start continues training it, Save writes it. It comes from
the bundled default, a file, or a training run (then it is "unsaved" until written). Opening
and saving files is `desktop.model_files`; this object only holds which model is active, its
file, whether it is saved, and tells whoever follows it when that changes. `ModelStatusLabel`
shows it in the status bar.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel

from desktop.widgets.plain import plain
from nn.network.errors import DigitLabError
from nn.network.model import describe

NO_MODEL_TEXT = "No model: open one (File > Open Model…) or train one (Train > Start)"

log = logging.getLogger(__name__)


class ActiveModel(QObject):
    """The model (an nn Model, or None), its ``path`` (None when no file holds it), whether it
    is ``modified`` (holds something no file has) and whether it ``is_bundled`` (the
    installation's model file ``bundled_path``, which Save never overwrites).

    ``changed`` carries the new model each time another model becomes active; ``state_changed``
    follows every change, of the model, its file or its saved state (the title, the status bar,
    the actions). Parts of the window that must use the model `follow` it.
    """

    changed = Signal(object)   # the newly active Model, or None
    state_changed = Signal()   # the model, its path or its saved state changed
    saved = Signal(object, str)  # the active Model is now in this file

    def __init__(self, bundled_path, parent=None):
        super().__init__(parent)
        self.bundled_path = Path(bundled_path)
        self.model, self.path, self.modified = None, None, False
        self._failures = []   # what followers raised while taking the model being set

    def follow(self, use_model):
        """Call ``use_model(model)`` with every model made active. When it raises, `set` puts
        the previous model back: a model one part cannot use is used by none."""
        self.changed.connect(lambda model: self._call(use_model, model))

    def set(self, model, path=None, modified=False):
        """Make ``model`` active; ``path`` is its file (None if it has none yet), ``modified``
        whether it holds something no file has. When a follower cannot use it, the previous
        model is made active again and DigitLabError raised."""
        previous = self.model, self.path, self.modified
        self._failures = []
        self._assign(model, path, modified)
        if self._failures:
            error = self._failures[0]
            self._assign(*previous)
            raise DigitLabError(f"DigitLab cannot use this model ({type(error).__name__}: "
                                f"{error}); open or train another one.") from error

    def mark_saved(self, path):
        """The active model, unchanged, is now in the file ``path``."""
        self.path, self.modified = str(path), False
        self.saved.emit(self.model, self.path)
        self.state_changed.emit()

    def set_modified(self, modified):
        self.modified = bool(modified and self.model is not None)
        self.state_changed.emit()

    @property
    def is_bundled(self):
        return self.path is not None and Path(self.path).resolve() == self.bundled_path.resolve()

    @property
    def name(self):
        """What the title bar and dialogs call the model: its file's name, else its own."""
        if self.model is None:
            return "no model"
        if self.path:
            return Path(self.path).stem
        return self.model.info.get("name") or "untitled model"

    @property
    def shown_name(self):
        """What the title and status bar call the model: "bundled model" for the one that comes
        with DigitLab, else its `name` (which file-name suggestions keep)."""
        return "bundled model" if self.is_bundled else self.name

    def _assign(self, model, path, modified):
        self.model = model
        self.path = str(path) if path else None
        self.modified = bool(modified and model is not None)
        self.changed.emit(model)
        self.state_changed.emit()

    def _call(self, use_model, model):
        try:
            use_model(model)
        except Exception as error:  # noqa: BLE001 - a strange model must not take the app down
            log.exception("a part of the window cannot use the model")
            self._failures.append(error)


class ModelStatusLabel(QLabel):
    """The status bar's line about the weights the Draw tab reads with: the active model's
    name, layers, test accuracy, and "unsaved" when no file has it (the tooltip is its file),
    or, while a run trains, that run's name (`show_training`)."""

    def __init__(self, active, parent=None):
        super().__init__(NO_MODEL_TEXT, parent, objectName="modelStatus",
                         textFormat=Qt.TextFormat.PlainText)   # names and paths, not HTML
        self._active = active
        active.state_changed.connect(self.refresh)

    def show_training(self, model):
        """The Draw tab reads with the weights of the run training ``model``; `refresh` goes
        back to the active model."""
        self.setText(f"The Draw tab reads with: training run {model.info.get('name', '')} (live)")

    @Slot()
    def refresh(self):
        model = self._active.model
        if model is None:
            self.setText(NO_MODEL_TEXT)
            return
        accuracy = model.info.get("test_accuracy")
        parts = [self._active.shown_name, describe(model.architecture()),
                 f"test accuracy {accuracy:.1%}" if isinstance(accuracy, (int, float))
                 else "test accuracy unknown"]
        if self._active.modified:
            parts.append("unsaved")
        self.setText(" · ".join(parts))
        self.setToolTip(plain(self._active.path or "Not saved to a file yet"))
