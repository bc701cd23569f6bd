"""The "My handwriting" tab: the drawings the user labelled with "Correct it", by digit.

It shows how many of each digit there are, the drawings themselves (the 28x28 inputs, as the
network sees them), lets the user delete one, exchange the collection as MNIST-style IDX
files, and answers "How well does it read me?": the active model's accuracy on them.
"Fine-tune on my drawings" (`desktop.handwriting.fine_tune_panel`) teaches the active model
these drawings and shows how well it learnt them; the new model arrives as ``fine_tuned``.

The accuracy is computed on the GUI thread: a few hundred 28x28 inputs take milliseconds.
"""

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.handwriting.fine_tune_panel import FineTunePanel
from desktop.handwriting.tile import DrawingTile
from desktop.widgets.plain import plain
from nn.data.idx import labels_path_for
from nn.network.errors import DigitLabError

log = logging.getLogger(__name__)

MAX_TILES_PER_DIGIT = 40   # more would make the page long and slow to build; a note says how many
TILES_PER_ROW = 10
IDX_FILTER = "IDX image files (*-idx3-ubyte *-idx3-ubyte.gz);;All files (*)"
EMPTY_TEXT = ("No drawings yet: draw a digit on the Draw tab and press its key (or a "
              "\"Correct it\" button) to keep it here.")
NO_MODEL_TEXT = "No model is active, so there is nothing to measure."


def accuracy_of(predicted, labels):
    """(overall accuracy or None, per-digit list of (correct, total)) of answers ``predicted``
    for drawings of ``labels``."""
    if len(labels) == 0:
        return None, [(0, 0)] * 10
    right = predicted == labels
    per_digit = [(int(right[labels == d].sum()), int((labels == d).sum())) for d in range(10)]
    return float(right.mean()), per_digit


class HandwritingTab(QWidget):
    """The user's collection; call set_store once, set_model when the active model changes."""

    collection_changed = Signal()
    fine_tuned = Signal(object)   # a new Model, fine-tuned on the collection

    def __init__(self, parent=None):
        super().__init__(parent)
        self._store = None
        self._model = None
        self._answers = {}   # a drawing's 784 bytes -> the model's answer, per model
        self._selected = None
        self._tiles = {}
        self.accuracy = (None, [(0, 0)] * 10)

        self._counts = QLabel(objectName="handwritingCounts", textFormat=Qt.TextFormat.PlainText)
        self._counts.setWordWrap(True)
        self._reads_me = QLabel(objectName="readsMeAccuracy", textFormat=Qt.TextFormat.PlainText)
        self._reads_me.setWordWrap(True)
        self._reads_me.setToolTip("How often the active model reads your own drawings right: "
                                  "overall, then per digit (right / drawn).")
        self._delete = QPushButton("&Delete Drawing", objectName="deleteDrawingButton")
        self._delete.setToolTip("Remove the selected drawing from your collection (Delete).")
        self._delete.clicked.connect(self.delete_selected)
        export = QPushButton("&Export to IDX…", objectName="exportIdxButton")
        export.setToolTip("Write your drawings as MNIST-style IDX files any MNIST tool reads.")
        export.clicked.connect(self.export_idx)
        import_ = QPushButton("&Import from IDX…", objectName="importIdxButton")
        import_.setToolTip("Add the drawings of an IDX image file and its label file.")
        import_.clicked.connect(self.import_idx)

        self.fine_tune = FineTunePanel()
        self.fine_tune.fine_tuned.connect(self.fine_tuned)

        buttons = QHBoxLayout()
        for button in (self._delete, export, import_):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self._scroll = QScrollArea(objectName="handwritingGrid")
        self._scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        heading = QLabel("<b>How well does it read me?</b>")
        for widget in (heading, self._reads_me, self._counts):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.fine_tune)  # a row of its own: the window stays narrow enough
        layout.addWidget(self._scroll, 1)
        self.refresh()

    def set_store(self, store):
        self._store = store
        self.refresh()

    def set_model(self, model):
        self._model = model
        self._answers = {}
        self._update_accuracy()
        self.fine_tune.set_model(model)

    def set_training(self, training):
        """While the Train tab runs, fine-tuning cannot start."""
        self.fine_tune.set_training(training)

    def set_dataset(self, name, folder):
        self.fine_tune.set_dataset(name, folder)

    def shutdown(self):
        """Stop a fine-tuning in flight and wait for it (the window is closing)."""
        self.fine_tune.shutdown()

    # --- showing the collection -----------------------------------------------------------------

    @Slot()
    def refresh(self):
        """Re-read the collection: counts, tiles and the model's accuracy on it."""
        self._ids, self._images = np.zeros(0, np.int64), np.zeros((0, 28, 28), np.uint8)
        self._labels = np.zeros(0, np.uint8)
        problem = ""
        if self._store is not None:
            try:
                self._ids, self._images, self._labels = self._store.arrays()
            except DigitLabError as error:  # damaged or locked meanwhile: shown, not raised
                problem = str(error)
        if self._selected not in set(self._ids.tolist()):
            self._selected = None
        counts = np.bincount(self._labels, minlength=10)
        summary = (f"{len(self._ids)} drawings: "
                   + ", ".join(f"{d}: {n}" for d, n in enumerate(counts)))
        self._counts.setText(problem or (summary if len(self._ids) else EMPTY_TEXT))
        self._build_grid(counts)
        self._update_accuracy()
        self.fine_tune.set_drawings(self._images.reshape(-1, 28 * 28).astype(np.float32) / 255,
                                    self._labels.astype(np.int64))
        self._delete.setEnabled(self._selected is not None)

    def _build_grid(self, counts):
        # Rebuilt whole: a few hundred small widgets at most, and only when the collection changes.
        content = QWidget()
        grid = QGridLayout(content)
        self._tiles = {}
        row = 0
        for digit in range(10):
            mask = self._labels == digit
            if not mask.any():
                continue
            shown = np.flatnonzero(mask)[-MAX_TILES_PER_DIGIT:]  # the newest ones
            more = int(counts[digit]) - len(shown)
            note = f" (the newest {len(shown)}; +{more} more)" if more else ""
            grid.addWidget(QLabel(f"<b>{digit}</b> — {counts[digit]}{note}"), row, 0, 1,
                           TILES_PER_ROW)
            row += 1
            for i, index in enumerate(shown):
                tile = DrawingTile(self._ids[index], self._images[index])
                tile.selected = tile.drawing_id == self._selected
                tile.clicked.connect(self._select)
                self._tiles[tile.drawing_id] = tile
                grid.addWidget(tile, row + i // TILES_PER_ROW, i % TILES_PER_ROW)
            row += (len(shown) + TILES_PER_ROW - 1) // TILES_PER_ROW
        grid.setRowStretch(row, 1)
        grid.setColumnStretch(TILES_PER_ROW, 1)
        self._scroll.setWidget(content)  # deletes the previous content widget

    def tiles(self):
        """The tiles shown, by drawing id (tests and the window use it)."""
        return dict(self._tiles)

    @Slot(int)
    def _select(self, drawing_id):
        self._selected = drawing_id
        for tile in self._tiles.values():
            tile.selected = tile.drawing_id == drawing_id
            tile.update()
        self._delete.setEnabled(True)
        self.setFocus()  # so the Delete key comes to keyPressEvent

    def _predicted(self):
        """The model's answer for each drawing. Each drawing is read once per model: keeping
        one more reads only that one (a collection of 10,000 took a second at every keep).
        Answers are kept by the drawing's pixels, not its id, which SQLite gives again to a
        drawing kept after the newest was deleted."""
        keys = [image.tobytes() for image in self._images]
        new = [i for i, key in enumerate(keys) if key not in self._answers]
        if new:
            answers = self._model.predict(self._images[new].astype(np.float32) / 255)
            self._answers.update(zip((keys[i] for i in new), answers.tolist()))
        self._answers = {key: self._answers[key] for key in keys}   # the deleted go
        return np.array([self._answers[key] for key in keys], dtype=np.int64)

    def _update_accuracy(self):
        try:
            self.accuracy = ((None, [(0, 0)] * 10) if self._model is None
                             else accuracy_of(self._predicted(), self._labels))
        except (DigitLabError, ValueError) as error:  # a model that takes other inputs
            log.warning("cannot measure the model on the drawings: %s", error)
            self.accuracy = (None, [(0, 0)] * 10)
            self._reads_me.setText(f"This model cannot read your drawings: {error}")
            return
        overall, per_digit = self.accuracy
        if self._model is None:
            self._reads_me.setText(NO_MODEL_TEXT)
        elif overall is None:
            self._reads_me.setText("Keep some drawings to find out.")
        else:
            right = sum(r for r, _ in per_digit)
            digits = " · ".join(f"{d}: {r}/{n}" for d, (r, n) in enumerate(per_digit) if n)
            learnt = (" It was fine-tuned on your drawings, so it has seen them: the figure "
                      "under the button reads each with a model that had not."
                      if self._model.info.get("fine_tune") else "")
            self._reads_me.setText(f"The active model reads {overall:.0%} of your drawings "
                                   f"right ({right} of {len(self._labels)}). Per digit: "
                                   f"{digits}.{learnt}")

    # --- actions --------------------------------------------------------------------------------

    @Slot()
    def delete_selected(self):
        if self._store is None or self._selected is None:
            return
        try:
            self._store.delete(self._selected)
        except DigitLabError as error:
            QMessageBox.critical(self, "Cannot delete", plain(error))
            return
        self._selected = None
        self.refresh()
        self.collection_changed.emit()

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected is not None:
            self.delete_selected()
        else:
            super().keyPressEvent(event)

    @Slot()
    def export_idx(self):
        if self._store is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Export Your Drawings to a Folder")
        if not folder:
            return
        try:
            images_path, _ = self._store.export_idx(folder)
        except DigitLabError as error:
            QMessageBox.critical(self, "Cannot export", plain(error))
            return
        self._counts.setToolTip(plain(f"Exported to {images_path.parent}"))

    @Slot()
    def import_idx(self):
        if self._store is None:
            return
        images_path, _ = QFileDialog.getOpenFileName(self, "Import Drawings: the Image File",
                                                     "", IDX_FILTER)
        if not images_path:
            return
        # MNIST-style names come in pairs: only ask for the labels when there is no partner.
        labels_path = labels_path_for(images_path)
        if labels_path is None or not labels_path.is_file():
            labels_path, _ = QFileDialog.getOpenFileName(
                self, "Import Drawings: the Label File", str(Path(images_path).parent),
                "All files (*)")
            if not labels_path:
                return
        try:
            self._store.import_idx(images_path, labels_path)
        except DigitLabError as error:
            QMessageBox.critical(self, "Cannot import", plain(error))
            return
        self.refresh()
        self.collection_changed.emit()
