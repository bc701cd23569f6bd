"""Ready-made experiments on the Train tab: one click fills the form with a network and
settings that show a classic training problem, starts the run, and says what to watch in the
gradient plot.
"""

from dataclasses import dataclass

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from desktop.train.form_widgets import select_key


@dataclass(frozen=True)
class Experiment:
    name: str               # objectName of its button
    title: str
    look_for: str           # what to watch, one sentence
    hidden: str             # the form's fields: a dense network on the "mlp" preset
    activation: str
    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int = 128


EXPERIMENTS = (
    Experiment(
        "vanishingGradientsButton", "Vanishing gradients",
        "Eight sigmoid layers: watch the first layers' gradient norms stay thousands of times "
        "below the last's, so the first layers hardly move and the loss barely falls.",
        "64, 64, 64, 64, 64, 64, 64, 64", "sigmoid", "momentum", 0.1, 3),
    Experiment(
        "dyingReluButton", "Dying ReLUs",
        "Adam with a learning rate 50 times too high: watch the dead ReLU units jump from "
        "none to dozens within a few batches; they never come back, and accuracy stalls.",
        "128, 128", "relu", "adam", 0.1, 2),
)


# What a first launch offers on the Train tab: a run that shows learning in under a minute
# (the presets' own recipes take minutes; the bundled CNN's about six).
QUICK_DEMO = Experiment(
    "quickDemo", "Quick demo",
    "First time here? Press Start for a quick demo: a network with one hidden layer of 128 "
    "units learns MNIST in two epochs, in seconds, to about 96%.",
    "128", "relu", "adam", 0.001, 2)


class ExperimentButtons(QGroupBox):
    """A button per experiment and the sentence of the one last started."""

    chosen = Signal(object)   # the Experiment whose button was pressed

    def __init__(self, parent=None):
        super().__init__("Experiments", parent)
        buttons = QHBoxLayout()
        self.buttons = {}
        for experiment in EXPERIMENTS:
            button = QPushButton(experiment.title, objectName=experiment.name)
            button.setToolTip(f"Fill the form and start. {experiment.look_for}")
            button.clicked.connect(lambda _=False, e=experiment: self.chosen.emit(e))
            buttons.addWidget(button)
            self.buttons[experiment.name] = button
        self.hint = QLabel(objectName="experimentHint", wordWrap=True)
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)

    @Slot(object)
    def show_hint(self, experiment):
        self.hint.setText(experiment.look_for if experiment else "")
        self.hint.setVisible(experiment is not None)


def fill_form(form, experiment):
    """Set the Train form's fields to ``experiment`` as a user would, for a new model."""
    select_key(form.presetCombo, "mlp")
    form.hiddenLayersEdit.setText(experiment.hidden)
    select_key(form.activationCombo, experiment.activation)
    form.dropoutSpin.setValue(0.0)
    select_key(form.optimizerCombo, experiment.optimizer)
    form.learningRateSpin.setValue(experiment.learning_rate)
    select_key(form.scheduleCombo, "constant")
    form.batchSizeSpin.setValue(experiment.batch_size)
    form.epochsSpin.setValue(experiment.epochs)
    form.weightDecaySpin.setValue(0.0)
    form.augmentCheck.setChecked(False)
    form.choose_new_model()
