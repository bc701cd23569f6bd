"""A layout for tiles of one size that wraps: rows of at most `columns` tiles, fewer when the
room is narrower, so a grid of pictures gets taller in a small window instead of running
off its right edge under a sideways scroll bar.

Every cell is as large as the largest tile's size hint, so the tiles line up in columns as in
a grid. The layout has a height for each width (`heightForWidth`), which the layouts and
scroll areas around it ask for when they are resized.
"""

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout


class TileFlow(QLayout):
    """Tiles left to right in rows of at most ``columns``, as many as fit the width."""

    def __init__(self, columns, spacing, parent=None):
        super().__init__(parent)
        self._items = []
        self._columns = max(1, columns)
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def __del__(self):
        # A layout deletes the items it made for its widgets; a Python one must let them go.
        while self.takeAt(0) is not None:
            pass

    def addItem(self, item):
        self._items.append(item)

    def count(self):
        return len(self._items)

    def itemAt(self, index):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self):
        return True

    def heightForWidth(self, width):
        return self._height(self.columns_for(width))

    def sizeHint(self):
        columns = min(self._columns, len(self._items)) or 1
        cell = self._cell()
        return QSize(columns * cell.width() + (columns - 1) * self.spacing(),
                     self._height(columns))

    def minimumSize(self):
        return self._cell()   # one column: the height follows from heightForWidth

    def setGeometry(self, rect):
        super().setGeometry(rect)
        cell, step = self._cell(), self.spacing()
        columns = self.columns_for(rect.width())
        for i, item in enumerate(self._items):
            row, column = divmod(i, columns)
            corner = QPoint(rect.x() + column * (cell.width() + step),
                            rect.y() + row * (cell.height() + step))
            item.setGeometry(QRect(corner, cell))

    def columns_for(self, width):
        """How many tiles a row of this width holds: at least one, at most ``columns``."""
        cell = self._cell()
        fit = (width + self.spacing()) // max(1, cell.width() + self.spacing())
        return max(1, min(self._columns, fit))

    def _cell(self):
        cell = QSize(0, 0)
        for item in self._items:
            cell = cell.expandedTo(item.sizeHint())
        return cell

    def _height(self, columns):
        rows = -(-len(self._items) // columns)
        return rows * self._cell().height() + max(0, rows - 1) * self.spacing()
