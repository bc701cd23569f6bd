"""The Train tab: the settings form, Start/Pause/Step/Stop and ready-made experiments on the
left (`desktop.train.settings_column`), live loss and accuracy curves, the gradient plot
(desktop.train.gradient_plot), and the history of past runs under them
(`desktop.train.runs_view`), recorded as each run ends.

The current run is a `TrainingRun` (desktop.train.training_run), which owns the worker and its
thread; its signals reach this tab's slots on the GUI thread, which hand the progress to the
`LiveView`, which only appends to NumPy buffers and redraws on a timer
(desktop.train.live_view).
"""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from desktop.train.experiments import QUICK_DEMO, fill_form
from desktop.train.live_view import LiveView
from desktop.train.run_record import run_of_training
from desktop.train.runs_view import RunHistory
from desktop.train.settings_column import SettingsColumn
from desktop.train.training_run import TrainingRun
from desktop.train.worker import TrainingJob
from nn.data.datasets import DATASETS, find_data_dir
from nn.network.errors import DataError

LIVE_STRETCH = 4   # the live plots take this many shares of the height, the runs one
PLOTS_MIN_WIDTH = 426   # px: narrower, the plots' axes and legends are cut off at the right


class TrainTab(QWidget):
    """Settings, Start/Pause/Stop and the curves of the current run.

    The tab never shows dialogs: it reports through its signals and the window decides.
    """

    state_changed = Signal()       # started, paused, resumed, stopped, finished, held or not
    model_trained = Signal(object)  # the new Model, with .info and .optimizer_state
    training_failed = Signal(str)  # a sentence for the user; the window shows the dialog
    status_message = Signal(str)
    dataset_missing = Signal(str)  # Start found no files for this dataset (a DATASETS key)
    weights_changed = Signal(object)  # a copy of the model being trained, a few times a second

    def __init__(self, parent=None):
        super().__init__(parent)
        self.train_limit = self.test_limit = None  # keep only the first N examples (tests)
        self._dataset, self._data_dir = "mnist", None
        self._active_model = None
        self._run_form = {}   # the form as the current run started, for its record
        self._held = False    # My Handwriting fine-tunes: no run may start (see `hold`)
        self.run = TrainingRun(self)
        self.run.status.connect(self._on_run_status)
        self.run.batch_progress.connect(self._on_batch)
        self.run.epoch_progress.connect(self._on_epoch)
        self.run.weights_changed.connect(self.weights_changed)
        self.run.paused_changed.connect(self._show_paused)
        self.run.finished.connect(self._on_finished)
        self.run.failed.connect(self._on_failed)
        self.run.cancelled.connect(self._on_cancelled)
        self._build()
        self._set_training_ui(False)

    def _build(self):
        column = SettingsColumn()
        self.form, self.experiments = column.form, column.experiments
        self.augmentPreview, self.statusLabel = column.augmentPreview, column.statusLabel
        self.startButton, self.pauseButton = column.startButton, column.pauseButton
        self.stepButton, self.stopButton = column.stepButton, column.stopButton
        self.startButton.clicked.connect(self.start)
        self.pauseButton.clicked.connect(self.toggle_pause)
        self.stepButton.clicked.connect(self.step)
        self.stopButton.clicked.connect(self.stop)
        self.experiments.chosen.connect(self.run_experiment)
        self.live = LiveView()
        curves = self.live.training_curves
        self.lossPlot, self.accuracyPlot = curves.loss_plot, curves.accuracy_plot
        self.curves = curves.curves  # name -> PlotDataItem
        self.gradientPlot, self.trainingProgress = self.live.gradient_plot, self.live.progress
        self.run_history = RunHistory(self.lossPlot.getPlotItem(), self.accuracyPlot.getPlotItem())
        self.run_history.rerun_requested.connect(self._rerun)
        self.run_history.problem.connect(self.status_message)
        self.live.smoothing_changed.connect(self.run_history.overlays.set_smoothing)
        self.weights_changed.connect(self.live.add_weights)
        # The user drags the line between the live plots and the runs to see more of either
        # (the window keeps where it was left).
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainSplitter",
                                  childrenCollapsible=False)
        self.splitter.addWidget(self.live)
        self.splitter.addWidget(self.run_history)
        self.splitter.setSizes([LIVE_STRETCH, 1])   # shares: the splitter scales them
        self.splitter.setMinimumWidth(PLOTS_MIN_WIDTH)
        self.splitter.setStretchFactor(0, LIVE_STRETCH)
        self.splitter.setStretchFactor(1, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(column)
        layout.addWidget(self.splitter, 1)

    # --- public API -----------------------------------------------------------------------------

    @property
    def is_training(self):
        return self.run.is_running

    @property
    def is_paused(self):
        return self.run.is_paused

    def set_active_model(self, model):
        """The model Start continues; a newly active model is what "Continue" means."""
        self._active_model = model
        self.form.set_active_model(model, self._dataset)

    def set_dataset(self, name, data_dir=None):
        """Which dataset (a key of nn.data.datasets.DATASETS) and folder the next run loads."""
        self._dataset, self._data_dir = name, None if data_dir is None else str(data_dir)
        self.form.update_continue(self._active_model, name)

    def form_state(self):
        return self.form.form_state()

    def set_form_state(self, state):
        self.form.set_form_state(state)

    def set_run_store(self, store):
        """Where runs are recorded and listed from (a RunStore; None records nothing)."""
        self.run_history.set_store(store)

    def model_saved(self, model, path):
        """The window saved ``model`` (one this tab trained, maybe) to the file ``path``."""
        self.run_history.model_saved(model, path)

    @Slot(object)
    def _rerun(self, form_state):
        """The run history's Re-run: the run's settings in the form, a new model, Start."""
        self.set_form_state(form_state)
        self.form.choose_new_model()
        self.start()

    @Slot()
    def new_model(self):
        self.form.choose_new_model()

    def hold(self, held):
        """While My Handwriting fine-tunes, no run starts: the one ending last would replace
        the other's model without a word."""
        self._held = held
        self._set_training_ui(self.is_training)
        self.state_changed.emit()

    @property
    def is_held(self):
        return self._held

    @Slot()
    def start(self):
        self._start_new()

    @Slot()
    def step(self):
        """Train one batch and pause: of the running run, or of a new one started paused."""
        if not self.is_training:
            self._start_new(paused=True)
            return
        self.run.step()

    def _start_new(self, paused=False):
        if self._held:
            self._set_status("My Handwriting is fine-tuning: start once it has finished.")
            return
        if self.is_training:
            return
        try:
            job = self._job()
        except ValueError as error:  # the form's own check, e.g. hidden layers "512,,x"
            self.training_failed.emit(str(error))
            return
        try:
            find_data_dir(DATASETS[self._dataset], self._data_dir)
        except DataError:  # a first run: the window offers to download it
            self.show_outcome(f"No {DATASETS[self._dataset].title}")
            self.dataset_missing.emit(self._dataset)
            return
        self._run(job, paused)

    def show_outcome(self, what):
        """Say in the progress bar why training did not start (``what``: "Download failed")."""
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat(f"{what}: training did not start")

    def offer_quick_demo(self):
        """A first launch: the form holds a run that shows learning in under a minute."""
        fill_form(self.form, QUICK_DEMO)
        self.statusLabel.setText(QUICK_DEMO.look_for)  # on the tab only: the launch stays quiet

    @Slot(object)
    def run_experiment(self, experiment):
        """Fill the form with a `desktop.train.experiments.Experiment` and start it."""
        if self.is_training:
            return
        fill_form(self.form, experiment)
        self.start()
        self.experiments.show_hint(experiment if self.is_training else None)

    @Slot()
    def toggle_pause(self):
        self.run.toggle_pause()

    @Slot()
    def stop(self):
        """Stop within one batch; the model learnt so far still arrives as model_trained."""
        if not self.is_training:
            return
        self.run.stop()
        self.pauseButton.setText("Pause")
        self._set_status("Stopping after this batch…")
        self.state_changed.emit()

    def shutdown(self):
        """Stop, quit and wait for the thread (the window is closing); delivers nothing."""
        if self.run.shutdown():
            self._run_ended()
            self.state_changed.emit()

    # --- the next run ---------------------------------------------------------------------------

    def _job(self):
        config, preset = self.form.config(), self.form.preset
        common = {"dataset": self._dataset, "data_dir": self._data_dir,
                  "train_limit": self.train_limit, "test_limit": self.test_limit}
        if self.form.continue_chosen() and self._active_model is not None:
            return TrainingJob(config, preset.name, base_model=self._active_model, **common)
        specs, input_shape = self.form.architecture()
        return TrainingJob(config, preset.name, architecture=specs, input_shape=input_shape,
                           **common)

    # --- the current run -----------------------------------------------------------------------

    def _run(self, job, paused=False):
        """Start ``job`` (after one batch paused, if ``paused``); its signals drive the curves."""
        self.experiments.show_hint(None)
        self.live.start(job.config.epochs)
        self.run_history.overlays.set_live_epochs(job.config.epochs)
        self._run_form = self.form_state()
        self._set_training_ui(True)
        self.run.start(job, paused)
        self.state_changed.emit()

    def _run_ended(self):
        self.live.finish()
        self._set_training_ui(False)

    @Slot(str)
    def _on_run_status(self, text):
        if not self.run.is_paused:
            self._set_status(text)

    @Slot(object)
    def _on_batch(self, record):
        self.live.add_batch(record)

    @Slot(object)
    def _on_epoch(self, record):
        self.live.add_epoch(record)

    @Slot(bool)
    def _show_paused(self, paused):
        self.pauseButton.setText("Resume" if paused else "Pause")
        self._set_status("Paused: Step trains one batch, Resume goes on." if paused
                         else self.run.last_status)
        self.state_changed.emit()

    @Slot(object, object, object, float)
    def _on_finished(self, job, model, result, seconds):
        info = model.info
        accuracy = info.get("test_accuracy")
        # The weights it ended with are the histograms' last column, however short the run
        # (the worker sends copies at most every half second while it trains).
        self.live.add_weights(model)
        self._run_ended()
        self.live.show_result(accuracy, completed=not result.stopped)
        how = "Stopped" if result.stopped else "Finished"
        epochs = len(result.history)
        score = "" if accuracy is None else f"; test accuracy {accuracy:.2%}"
        self._set_status(f"{how} {info['name']} after {epochs} epoch{'s' * (epochs != 1)}{score}.")
        self.state_changed.emit()
        self.model_trained.emit(model)
        # Recorded last: when the run history refuses the run (locked, disk full), its message
        # is the one left in the status bar, not the window's "Training finished".
        if not self.run_history.record(run_of_training(job, model, result, self._run_form,
                                                       seconds),
                                       self.live.training_curves.snapshot(), model):
            self.statusLabel.setText(f"{self.statusLabel.text()} This run could not be "
                                     "recorded in the run history (see the status bar).")

    @Slot(str)
    def _on_failed(self, message):
        self._run_ended()
        self.trainingProgress.setFormat("Training failed at %p%")
        self._set_status(f"Training failed: {message}")
        self.state_changed.emit()
        self.training_failed.emit(message)

    @Slot()
    def _on_cancelled(self):
        self._run_ended()
        self.trainingProgress.setFormat("Stopped before the first batch")
        self._set_status("Stopped before the first batch; the active model is unchanged.")
        self.state_changed.emit()

    # --- showing it -----------------------------------------------------------------------------

    def _set_training_ui(self, training):
        self.form.setEnabled(not training)
        self.startButton.setEnabled(not training and not self._held)
        self.stepButton.setEnabled(not self._held)
        self.experiments.setEnabled(not training and not self._held)
        self.pauseButton.setEnabled(training)
        self.stopButton.setEnabled(training)
        self.pauseButton.setText("Pause")
        self.run_history.set_training(training)

    def _set_status(self, text):
        self.statusLabel.setText(text)
        self.status_message.emit(text)

