"""What each Step did, in numbers and as points: the Train tab's step-by-step view.

Every batch that Step lets through arrives with an ``nn.training.stepping.OneStep``: the
batch's loss and how many of it the network got right, measured before and after the step.
Each becomes one row of the table (with the learning rate and, per layer, how far the step
moved its weights, |Δw| / |w|) and two points on the loss plot: before (filled) and after
(hollow), at the batch's number. While the run is being stepped, the plots count batches
instead of epochs, so five steps are five points spread over the plot, not a sliver at 0.
"""

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from desktop.theme import SERIES_COLOURS

BEFORE_COLOUR, AFTER_COLOUR = 3, 2   # vermilion before the step, green after it
POINT_SIZE = 8
VISIBLE_ROWS = 5                     # the table's height; the newest row is scrolled to
ROW_PADDING = 4                      # logical px above and below a row's text
FIXED_COLUMNS = ("Step", "Loss before", "Loss after", "Right before", "Right after",
                 "Learning rate")
TOOLTIP = ("One row per Step: the loss on the batch it learnt from and how many of that batch "
           "the network got right, measured before and after the step (without dropout or "
           "augmentation), the learning rate, and how far the step moved each layer's weights "
           "relative to their size (|Δw| / |w|).")


class StepTable(QTableWidget):
    """One row per step of the current run; hidden until the run's first step."""

    def __init__(self, loss_plot_item, parent=None):
        super().__init__(0, len(FIXED_COLUMNS), parent)
        self.setObjectName("stepTable")
        self.setToolTip(TOOLTIP)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + ROW_PADDING)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height()
                              + VISIBLE_ROWS * self.verticalHeader().defaultSectionSize() + 4)
        self.points = {}
        for name, colour, filled in (("before", BEFORE_COLOUR, True),
                                     ("after", AFTER_COLOUR, False)):
            self.points[name] = loss_plot_item.plot(
                pen=None, symbol="o", symbolSize=POINT_SIZE, symbolPen=SERIES_COLOURS[colour],
                symbolBrush=SERIES_COLOURS[colour] if filled else None)
            self.points[name].opts["name"] = f"step: batch loss {name}"  # hovering names it
        self._legend = loss_plot_item.legend  # the points join it at the first step
        self._xs, self._before, self._after = [], [], []
        self.hide()

    def clear_steps(self):
        self.setRowCount(0)
        self._xs, self._before, self._after = [], [], []
        for item in self.points.values():
            item.setData([], [])
            self._legend.removeItem(item)
        self.hide()

    def add(self, record):
        """A BatchProgress whose ``step`` is set: one more row and two more points."""
        step, layers = record.step, record.layers
        if self.rowCount() == 0 and layers is not None:
            self.setColumnCount(len(FIXED_COLUMNS) + len(layers.names))
            self.setHorizontalHeaderLabels(
                list(FIXED_COLUMNS) + [f"|Δw|/|w| {name}" for name in layers.names])
        ratios = layers.update_ratios if layers is not None else ()
        cells = (f"{step.number}", f"{step.loss_before:.4f}", f"{step.loss_after:.4f}",
                 f"{step.right_before} of {step.size}", f"{step.right_after} of {step.size}",
                 f"{record.learning_rate:.3g}", *(f"{r:.2e}" for r in ratios))
        row = self.rowCount()
        if row == 0:
            for item in self.points.values():
                self._legend.addItem(item, item.name())
        self.insertRow(row)
        for column, text in enumerate(cells):
            self.setItem(row, column, QTableWidgetItem(text))
        self.scrollToBottom()
        self.show()
        # On the plots' x axis, in epochs (the axis labels it in batches while stepping).
        self._xs.append(step.number / step.batches_per_epoch)
        self._before.append(step.loss_before)
        self._after.append(step.loss_after)
        self.points["before"].setData(self._xs, self._before)
        self.points["after"].setData(self._xs, self._after)
