"""Help > Keyboard Shortcuts: a table made from the window's own actions, so it never goes
out of date, plus the pad's keys (key handlers, not actions)."""

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem, QVBoxLayout

from desktop.widgets.drawing_pad import CLEAR_KEYS

DIALOG_SIZE = (420, 380)


def shortcut_rows(window):
    """(what, keys) for every action of ``window`` and its tabs that has a shortcut."""
    # The primary key only: the alternatives are keyboards' dedicated Open/Save/Help keys.
    native = QKeySequence.SequenceFormat.NativeText
    rows = [(action.iconText(), action.shortcut().toString(native))
            for action in window.findChildren(QAction) if not action.shortcut().isEmpty()]
    undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(native)
    clear = " / ".join(QKeySequence(key).toString(native) for key in CLEAR_KEYS)
    return rows + [("Undo the last stroke (on the pad)", undo),
                   ("Clear the pad (on the pad)", clear),
                   ("Keep the drawing as that digit (on the pad)", "0 … 9")]


class ShortcutsDialog(QDialog):
    def __init__(self, window):
        super().__init__(window, objectName="shortcutsDialog", windowTitle="Keyboard Shortcuts")
        rows = shortcut_rows(window)
        table = QTableWidget(len(rows), 2, self, objectName="shortcutsTable")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for row, (what, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(what))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        QVBoxLayout(self).addWidget(table)
        self.resize(*DIALOG_SIZE)
