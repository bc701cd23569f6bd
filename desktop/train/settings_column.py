"""The Train tab's left column: the settings form, the ready-made experiments and Augment's
preview, which scroll, with Start/Pause/Step/Stop and the run's status pinned under them.

It only lays the widgets out; `desktop.train.tab.TrainTab` connects them to the run.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from desktop.train.augment_preview import AugmentPreview
from desktop.train.experiments import ExperimentButtons
from desktop.train.form import TrainForm

FORM_WIDTH = 330


class SettingsColumn(QWidget):
    """form, experiments, augmentPreview (shown while Augment is ticked), the four buttons
    and statusLabel, as attributes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.form = TrainForm()
        self.startButton = _button("startButton", "Start", "Train with these settings.")
        self.pauseButton = _button("pauseButton", "Pause", "Pause or resume the running training.")
        self.stepButton = _button("stepButton", "Step", "Train one batch, then pause; starts "
                                  "a paused run when none is running.")
        self.stopButton = _button("stopButton", "Stop",
                                  "Stop after the current batch and keep what was learnt.")
        self.statusLabel = QLabel(objectName="statusLabel", wordWrap=True)
        self.experiments = ExperimentButtons()
        # Only while Augment is ticked: then it shows what the option does to the images.
        self.augmentPreview = AugmentPreview()
        self.augmentPreview.setVisible(self.form.augmentCheck.isChecked())
        self.form.augmentCheck.toggled.connect(self.augmentPreview.setVisible)
        for widget in (self.form, self.statusLabel, self.experiments, self.augmentPreview):
            widget.setFixedWidth(FORM_WIDTH)

        settings = QVBoxLayout()
        settings.setContentsMargins(0, 0, 0, 0)
        for widget in (self.form, self.experiments, self.augmentPreview):
            settings.addWidget(widget)
        settings.addStretch(1)
        # The settings scroll when the window is low (a laptop's 768 pixels less the task bar
        # and title): else their height, over 800 pixels with the preview, would be the
        # window's least and push the status bar off the screen. The buttons and the run's
        # status stay under them, always in sight.
        column = QWidget()
        column.setLayout(settings)
        scroll = QScrollArea(objectName="trainSettings", widgetResizable=True,
                             frameShape=QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(column)
        scroll.setFixedWidth(column.sizeHint().width()
                             + scroll.verticalScrollBar().sizeHint().width())
        buttons = QHBoxLayout()
        for button in (self.startButton, self.pauseButton, self.stepButton, self.stopButton):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.statusLabel)


def _button(name, text, tooltip):
    button = QPushButton(text, objectName=name)
    button.setToolTip(tooltip)
    return button
