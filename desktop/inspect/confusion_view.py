"""The Inspect tab's confusion-matrix section: the 10x10 matrix (rows the true class, columns
the answer), each class's share right, and the test images of the cell last clicked.

It draws a ConfusionJob's result (a dict with "matrix" (10, 10) counts, "x" (N, 784), "y" (N,),
"pred" (N,) and "confidence" (N,)); the Inspect tab decides which result to show.
"""

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.inspect.views import gallery_tile, take_all
from nn.network.model import DIGITS

MAX_GALLERY = 24          # test images shown for one confusion cell
GALLERY_COLUMNS = 6
CELL_SIDE = 40            # logical px of a confusion-matrix cell
CELL_RGB = (0, 114, 178)  # Okabe-Ito blue: a cell's tint grows with its share of the row


class ConfusionView(QWidget):
    """Confusion matrix, per-class accuracy and the gallery of a clicked cell."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._result = None
        self._names = list(DIGITS)
        self._matrix = QTableWidget(10, 10, objectName="confusionMatrix")
        self._matrix.setToolTip("Rows: the true class; columns: what the model answered. "
                                "Click a cell to see those test images.")
        self._accuracy = QTableWidget(10, 1, objectName="perClassAccuracy")
        self._accuracy.setToolTip("Share of each class's test images the model gets right.")
        self._accuracy.setHorizontalHeaderLabels(["Correct"])
        for table in (self._matrix, self._accuracy):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            table.verticalHeader().setDefaultSectionSize(CELL_SIDE * 3 // 4)
            table.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)
            table.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._matrix.horizontalHeader().setDefaultSectionSize(CELL_SIDE)
        self._matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._matrix.cellClicked.connect(self._show_gallery)
        matrices = QHBoxLayout()
        matrices.addWidget(self._matrix)
        matrices.addWidget(self._accuracy)
        matrices.addStretch(1)

        self._gallery_title = QLabel(objectName="confusionGalleryTitle")
        self._gallery = QWidget(objectName="confusionGallery")
        self._gallery_grid = QGridLayout(self._gallery)
        # Spare room goes to an empty last row and column: the tiles stay packed top-left.
        self._gallery_grid.setRowStretch(MAX_GALLERY, 1)
        self._gallery_grid.setColumnStretch(GALLERY_COLUMNS, 1)
        self.gallery_items = []         # (test index, true, predicted, confidence) shown
        gallery_scroll = QScrollArea(widgetResizable=True)
        gallery_scroll.setWidget(self._gallery)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Confusion matrix</b> (rows: true, columns: predicted)"))
        layout.addLayout(matrices)
        layout.addWidget(self._gallery_title)
        layout.addWidget(gallery_scroll, 1)

    def show_result(self, result, names):
        """Draw a ConfusionJob's result (None: empty tables) with these 10 class names."""
        self._result, self._names = result, names
        self._matrix.setHorizontalHeaderLabels(names)
        self._matrix.setVerticalHeaderLabels(names)
        self._accuracy.setVerticalHeaderLabels(names)
        self._clear_gallery()
        if result is None:
            self._matrix.clearContents()
            self._accuracy.clearContents()
            return
        matrix = result["matrix"]
        totals = matrix.sum(axis=1)
        for row in range(len(matrix)):
            for col in range(len(matrix)):
                count = int(matrix[row, col])
                share = count / totals[row] if totals[row] else 0.0
                item = QTableWidgetItem(str(count) if count else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                # Tint by the share of the true class, so rare and common classes compare.
                item.setBackground(QBrush(QColor(*CELL_RGB, round(255 * share ** 0.5))))
                if share > 0.4:
                    item.setForeground(QBrush(QColor("white")))
                self._matrix.setItem(row, col, item)
            accuracy = matrix[row, row] / totals[row] if totals[row] else float("nan")
            self._accuracy.setItem(row, 0, QTableWidgetItem(f"{accuracy:.1%} of {totals[row]}"))
        self._accuracy.resizeColumnsToContents()

    def _clear_gallery(self):
        take_all(self._gallery_grid)
        self.gallery_items = []
        self._gallery_title.setText("")

    @Slot(int, int)
    def _show_gallery(self, true, predicted):
        result, names = self._result, self._names
        self._clear_gallery()
        if result is None:
            return
        indices = np.flatnonzero((result["y"] == true) & (result["pred"] == predicted))
        self._gallery_title.setText(
            f"True {names[true]}, predicted {names[predicted]}: {len(indices)} "
            + ("image" if len(indices) == 1 else "images")
            + (f", the first {MAX_GALLERY} shown" if len(indices) > MAX_GALLERY else ""))
        for n, i in enumerate(indices[:MAX_GALLERY]):
            confidence = float(result["confidence"][i])
            tile = gallery_tile(result["x"][i].reshape(28, 28),
                                f"{names[true]}→{names[predicted]} {confidence:.0%}")
            self._gallery_grid.addWidget(tile, n // GALLERY_COLUMNS, n % GALLERY_COLUMNS)
            self.gallery_items.append((int(i), int(result["y"][i]), int(result["pred"][i]),
                                       confidence))

