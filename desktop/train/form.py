"""The Train tab's settings form: which network to train, from where, and how.

The form only turns widgets into `nn` objects (a TrainConfig, layer specs) and back; it
holds no maths. A preset fills every field; the user then edits what they like. Editing the
network (hidden layers, activation, dropout, preset) means a new model, so "Start from"
switches to "New model" with it; nothing else changes "Start from" but the user (a new active
model, after a run say, leaves it as it was), except that "Continue" falls back to "New
model" when there is nothing it could continue. The general-purpose widget helpers it is
built with (keyed combo boxes, the 1-2-5 spin box, safe setters) are in form_widgets, and what
it says (labels, tooltips) in form_labels.
"""

import contextlib
import dataclasses
import functools

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from desktop.train.continue_check import continue_problem
from desktop.train.form_labels import ACTIVATION_LABELS, OPTIMIZER_LABELS, SCHEDULE_LABELS, TOOLTIPS
from desktop.train.form_widgets import (
    LogSpinBox,
    add_row,
    keyed_combo,
    labels_for,
    ranged_spin,
    select_key,
    set_number,
)
from nn.ink.augment import Augmentation
from nn.network.layers import ACTIVATIONS
from nn.network.model import describe
from nn.network.optim import OPTIMIZER_CHOICES, optimizer_choice
from nn.training.presets import (
    PRESETS,
    dropout_rate,
    edited_network,
    mlp_fields,
    parse_hidden_layers,
    preset_name,
)
from nn.network.schedules import SCHEDULES
from nn.training.train import TrainConfig

CONTINUE, NEW = "continue", "new"
WITH_MOMENTUM = ("momentum", "nesterov")
# Absurd learning rates are allowed on purpose: watching a run diverge is instructive.
LEARNING_RATE_RANGE = (1e-5, 1e9)
WEIGHT_DECAY_RANGE = (0.0, 10.0)
SPIN_DECIMALS = 5
MAX_BATCH_SIZE = 60_000
BATCH_SIZE_STEP = 32
MAX_EPOCHS = 10_000
MAX_DROPOUT = 0.9
MAX_MOMENTUM = 0.999
MAX_PATIENCE = 1000
MAX_SEED = 2**31 - 1
HIDDEN_LAYERS_PATTERN = r"[0-9,\s]*"


class TrainForm(QGroupBox):
    """The settings, in a QFormLayout; `config()` and `architecture()` read them."""

    def __init__(self, parent=None):
        super().__init__("Network and training", parent)
        self._filling = False  # set while the code (not the user) fills the fields
        self._active_model = None  # what "Continue" continues
        layout = QFormLayout(self)
        add = functools.partial(add_row, layout)
        self.presetCombo = add("Preset", "presetCombo",
                               keyed_combo({p.name: p.title for p in PRESETS.values()}))
        for i, preset in enumerate(PRESETS.values()):
            self.presetCombo.setItemData(i, preset.description, Qt.ItemDataRole.ToolTipRole)
        self.startFromCombo = add("Start from", "startFromCombo", keyed_combo({
            CONTINUE: "Continue the active model", NEW: "New model from these settings"}))
        self.hiddenLayersEdit = add("Hidden layers", "hiddenLayersEdit", QLineEdit())
        self.hiddenLayersEdit.setValidator(QRegularExpressionValidator(
            QRegularExpression(HIDDEN_LAYERS_PATTERN), self.hiddenLayersEdit))
        self.activationCombo = add("Activation", "activationCombo",
                                   keyed_combo(labels_for(ACTIVATIONS, ACTIVATION_LABELS)))
        self.dropoutSpin = add("Dropout", "dropoutSpin",
                               ranged_spin(QDoubleSpinBox(), (0.0, MAX_DROPOUT), 0.05, decimals=2))
        self.optimizerCombo = add("Optimizer", "optimizerCombo",
                                  keyed_combo(labels_for(OPTIMIZER_CHOICES, OPTIMIZER_LABELS)))
        self.momentumSpin = add("Momentum", "momentumSpin", ranged_spin(
            QDoubleSpinBox(), (0.0, MAX_MOMENTUM), 0.05, decimals=3))
        self.learningRateSpin = add("Learning rate", "learningRateSpin", ranged_spin(
            LogSpinBox(), LEARNING_RATE_RANGE, decimals=SPIN_DECIMALS))
        self.scheduleCombo = add("Schedule", "scheduleCombo",
                                 keyed_combo(labels_for(SCHEDULES, SCHEDULE_LABELS)))
        self.stepEverySpin = ranged_spin(QSpinBox(), (1, MAX_EPOCHS))
        self.stepEverySpin.setPrefix("every ")
        self.stepEverySpin.setSuffix(" epochs")
        self.stepFactorSpin = ranged_spin(QDoubleSpinBox(), (0.01, 1.0), 0.05, decimals=2)
        self.stepFactorSpin.setPrefix("× ")
        add("Step decay", "stepDecayRow", _row(stepEverySpin=self.stepEverySpin,
                                                 stepFactorSpin=self.stepFactorSpin))
        self.warmupSpin = add("Warm-up", "warmupSpin", ranged_spin(
            QDoubleSpinBox(), (0.0, MAX_EPOCHS), 0.5, decimals=1))
        self.warmupSpin.setSuffix(" epochs")
        self.batchSizeSpin = add("Batch size", "batchSizeSpin",
                                 ranged_spin(QSpinBox(), (0, MAX_BATCH_SIZE), BATCH_SIZE_STEP))
        self.batchSizeSpin.setSpecialValueText("full batch")
        self.epochsSpin = add("Epochs", "epochsSpin", ranged_spin(QSpinBox(), (1, MAX_EPOCHS)))
        self.weightDecaySpin = add("Weight decay", "weightDecaySpin", ranged_spin(
            LogSpinBox(), WEIGHT_DECAY_RANGE, decimals=SPIN_DECIMALS))
        self.augmentCheck = add("Augment", "augmentCheck",
                                QCheckBox("Distort the training images"))
        self.redrawSpin = add("Redrawn digits", "redrawSpin",
                              ranged_spin(QDoubleSpinBox(), (0.0, 1.0), 0.25, decimals=2))
        self.redrawSpin.setSpecialValueText("none")
        self.redrawSpin.setPrefix("add ")
        self.redrawSpin.setSuffix(" of the training set")
        self.earlyStoppingSpin = add("Early stopping", "earlyStoppingSpin",
                                     ranged_spin(QSpinBox(), (0, MAX_PATIENCE)))
        self.earlyStoppingSpin.setSpecialValueText("off")
        self.earlyStoppingSpin.setPrefix("after ")
        self.earlyStoppingSpin.setSuffix(" epochs without progress")
        self.seedSpin = add("Seed", "seedSpin", ranged_spin(QSpinBox(), (0, MAX_SEED)))
        for name, tip in TOOLTIPS.items():
            getattr(self, name).setToolTip(tip)

        # Changing the network means a new model; training settings may change either way.
        self.presetCombo.currentIndexChanged.connect(self._preset_chosen)
        self.hiddenLayersEdit.textChanged.connect(self._network_edited)
        self.activationCombo.currentIndexChanged.connect(self._network_edited)
        self.dropoutSpin.valueChanged.connect(self._network_edited)
        # Settings only one optimizer or schedule uses are greyed for the others.
        self.optimizerCombo.currentIndexChanged.connect(self._enable_dependent_fields)
        self.scheduleCombo.currentIndexChanged.connect(self._enable_dependent_fields)
        self.startFromCombo.activated.connect(self._start_from_chosen)
        self._fill_from_preset(self.preset)
        self._enable_dependent_fields()
        self.set_active_model(None, "mnist")

    # --- what the form says ---------------------------------------------------------------------

    @property
    def preset(self):
        return PRESETS[self.presetCombo.currentData()]

    def continue_chosen(self):
        return self.startFromCombo.currentData() == CONTINUE

    def architecture(self):
        """(layer specs, input shape) of the new model the form describes; ValueError (with a
        sentence for the user) when the hidden layers are not valid."""
        if mlp_fields(self.preset) is None:
            return edited_network(self.preset)
        return edited_network(self.preset, parse_hidden_layers(self.hiddenLayersEdit.text()),
                              self.activationCombo.currentData(), self.dropoutSpin.value())

    def config(self):
        """The preset's TrainConfig with the form's values (train_size, validation split and
        the other settings the form does not show come from the preset)."""
        optimizer, nesterov = OPTIMIZER_CHOICES[self.optimizerCombo.currentData()]
        return dataclasses.replace(
            self.preset.config, epochs=self.epochsSpin.value(),
            batch_size=self.batchSizeSpin.value(), optimizer=optimizer, nesterov=nesterov,
            momentum=self.momentumSpin.value(), learning_rate=self.learningRateSpin.value(),
            schedule=self.scheduleCombo.currentData(), warmup_epochs=self.warmupSpin.value(),
            step_every=self.stepEverySpin.value(), step_gamma=self.stepFactorSpin.value(),
            weight_decay=self.weightDecaySpin.value(), seed=self.seedSpin.value(),
            early_stopping_patience=self.earlyStoppingSpin.value(),
            augmentation=Augmentation() if self.augmentCheck.isChecked() else None,
            redraw=self.redrawSpin.value())

    # --- start from -----------------------------------------------------------------------------

    def set_active_model(self, model, dataset):
        """Offer to continue ``model`` when it can be trained on ``dataset``. The choice of
        "Start from" stays the user's; only an impossible "Continue" becomes "New model"."""
        self._active_model = model
        self.update_continue(model, dataset)

    def _start_from_chosen(self, _index):
        """The user chose "Continue": show the settings the active model was trained with."""
        if self.continue_chosen() and self._active_model is not None:
            self._show_settings_of(self._active_model)

    def _show_settings_of(self, model):
        """When ``model`` is one of the presets' networks, show that preset with the settings
        the model was trained with, so that Start continues it the way it was made (and never,
        say, the notebook's 500 full-batch steps on a CNN)."""
        preset = next((p for p in PRESETS.values() if p.architecture == model.architecture()),
                      None)
        if preset is None:
            return
        config = model.info.get("config")
        with self._filling_in():
            select_key(self.presetCombo, preset.name)
            self._fill_from_preset(preset, TrainConfig.from_dict(config) if config else None)

    def update_continue(self, model, dataset):
        """Enable "Continue" only when it is possible, and say why when it is not."""
        problem = continue_problem(model, dataset)
        index = self.startFromCombo.findData(CONTINUE)
        item = self.startFromCombo.model().item(index)
        item.setEnabled(problem is None)
        shown = problem or describe(model.architecture())
        self.startFromCombo.setItemText(index, f"Continue the active model ({shown})")
        if problem is not None:
            self.choose_new_model()

    def choose_new_model(self):
        self.startFromCombo.setCurrentIndex(self.startFromCombo.findData(NEW))

    def _network_edited(self, *_):
        if not self._filling:
            self.choose_new_model()

    def _preset_chosen(self, _index):
        if not self._filling:
            self._fill_from_preset(self.preset)
            self.choose_new_model()

    def _enable_dependent_fields(self, *_):
        self.momentumSpin.setEnabled(self.optimizerCombo.currentData() in WITH_MOMENTUM)
        step = self.scheduleCombo.currentData() == "step"
        self.stepEverySpin.setEnabled(step)
        self.stepFactorSpin.setEnabled(step)

    @contextlib.contextmanager
    def _filling_in(self):
        """While the code fills fields, their change signals are not the user editing."""
        previous, self._filling = self._filling, True
        try:
            yield
        finally:
            self._filling = previous

    def _fill_from_preset(self, preset, config=None):
        """The preset's network and training settings (``config`` instead, when given)."""
        fields = mlp_fields(preset)
        config = config or preset.config
        with self._filling_in():
            if fields is not None:
                hidden, activation, dropout, _init = fields
                self.hiddenLayersEdit.setText(", ".join(map(str, hidden)))
                select_key(self.activationCombo, activation)
                self.dropoutSpin.setValue(dropout)
            else:  # the preset's own network, shown from its first layer on
                self.hiddenLayersEdit.setText(describe(preset.architecture))
                self.hiddenLayersEdit.setCursorPosition(0)
                self.dropoutSpin.setValue(dropout_rate(preset.architecture))
            for widget in (self.hiddenLayersEdit, self.activationCombo, self.dropoutSpin):
                widget.setEnabled(fields is not None)
            select_key(self.optimizerCombo, optimizer_choice(config.optimizer, config.nesterov))
            select_key(self.scheduleCombo, config.schedule)
            self.learningRateSpin.setValue(config.learning_rate)
            self.momentumSpin.setValue(config.momentum)
            self.warmupSpin.setValue(config.warmup_epochs)
            self.stepEverySpin.setValue(config.step_every)
            self.stepFactorSpin.setValue(config.step_gamma)
            self.earlyStoppingSpin.setValue(config.early_stopping_patience)
            self.batchSizeSpin.setValue(config.batch_size)
            self.epochsSpin.setValue(config.epochs)
            self.weightDecaySpin.setValue(config.weight_decay)
            self.seedSpin.setValue(config.seed)
            self.augmentCheck.setChecked(config.augmentation is not None)
            self.redrawSpin.setValue(config.redraw)

    # --- settings -------------------------------------------------------------------------------

    def form_state(self):
        """The form as a JSON-able dict (for QSettings)."""
        return {
            "preset": self.preset.name, "hidden_layers": self.hiddenLayersEdit.text(),
            "activation": self.activationCombo.currentData(), "dropout": self.dropoutSpin.value(),
            "optimizer": self.optimizerCombo.currentData(),
            "learning_rate": self.learningRateSpin.value(),
            "schedule": self.scheduleCombo.currentData(), "batch_size": self.batchSizeSpin.value(),
            "epochs": self.epochsSpin.value(), "weight_decay": self.weightDecaySpin.value(),
            "seed": self.seedSpin.value(), "augment": self.augmentCheck.isChecked(),
            "momentum": self.momentumSpin.value(), "warmup_epochs": self.warmupSpin.value(),
            "step_every": self.stepEverySpin.value(), "step_gamma": self.stepFactorSpin.value(),
            "early_stopping_patience": self.earlyStoppingSpin.value(),
            "redraw": self.redrawSpin.value(), "start_from": self.startFromCombo.currentData(),
        }

    def set_form_state(self, state):
        """Restore what `form_state` returned; unknown keys and unusable values are ignored."""
        if not isinstance(state, dict):
            return
        with self._filling_in():
            preset = state.get("preset")
            if isinstance(preset, str) and preset_name(preset) in PRESETS:
                select_key(self.presetCombo, preset_name(preset))
                self._fill_from_preset(self.preset)
            editable = mlp_fields(self.preset) is not None  # else the preset's own network
            text = state.get("hidden_layers")
            if isinstance(text, str) and editable:
                try:
                    parse_hidden_layers(text)
                    self.hiddenLayersEdit.setText(text)
                except ValueError:
                    pass
            if editable:
                select_key(self.activationCombo, state.get("activation"))
                set_number(self.dropoutSpin, state.get("dropout"))
            select_key(self.optimizerCombo, state.get("optimizer"))
            select_key(self.scheduleCombo, state.get("schedule"))
            for key, spin in (("learning_rate", self.learningRateSpin),
                              ("batch_size", self.batchSizeSpin), ("epochs", self.epochsSpin),
                              ("weight_decay", self.weightDecaySpin), ("seed", self.seedSpin),
                              ("momentum", self.momentumSpin), ("warmup_epochs", self.warmupSpin),
                              ("step_every", self.stepEverySpin),
                              ("step_gamma", self.stepFactorSpin),
                              ("early_stopping_patience", self.earlyStoppingSpin),
                              ("redraw", self.redrawSpin)):
                set_number(spin, state.get(key))
            if isinstance(state.get("augment"), bool):
                self.augmentCheck.setChecked(state["augment"])
            # Last, as the user left it: filling the network above chose "New model".
            select_key(self.startFromCombo, state.get("start_from"))


def _row(**spins):
    """One form row holding several named widgets side by side."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for name, widget in spins.items():
        widget.setObjectName(name)
        layout.addWidget(widget)
    return row
