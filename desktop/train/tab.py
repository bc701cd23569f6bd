"""The Train tab: the settings form, Start/Pause/Stop, and live loss and accuracy curves.

Each run gets a fresh `TrainingWorker` in a fresh QThread. The worker's signals arrive
queued on the GUI thread, where the slots below only append to NumPy buffers; a timer
redraws the curves (created once, updated with `setData`) a few times a second, so even a run
of tiny epochs (the notebook's 500 full-batch steps) costs the event loop next to nothing.
"""

import dataclasses
import math

from PySide6.QtCore import QThread, QTimer, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.train.augment_preview import AugmentPreview
from desktop.train.curves import TrainingCurves
from desktop.train.form import TrainForm
from desktop.train.worker import TrainingJob, TrainingWorker
from nn.datasets import DATASETS, find_data_dir
from nn.errors import DataError
from nn.progress import format_seconds

FINE_TUNE_EPOCHS = 1          # a fine-tuning run goes once through MNIST plus the drawings
REFRESH_INTERVAL_MS = 100      # curves redraw at most 10 times a second while training
PROGRESS_STEPS = 1000          # progress bar resolution: 0.1%
FORM_WIDTH = 330


class TrainTab(QWidget):
    """Settings, Start/Pause/Stop and the curves of the current run.

    The tab never shows dialogs: it reports through its signals and the window decides.
    """

    state_changed = Signal()       # started, paused, resumed, stopped or finished
    model_trained = Signal(object)  # the new Model, with .info and .optimizer_state
    training_failed = Signal(str)  # a sentence for the user; the window shows the dialog
    status_message = Signal(str)
    dataset_missing = Signal(str)  # Start found no files for this dataset (a DATASETS key)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.train_limit = self.test_limit = None  # keep only the first N examples (tests)
        self._dataset, self._data_dir = "mnist", None
        self._active_model = None
        self._thread = self._worker = None
        self._paused, self._run_status = False, ""
        self._build()
        self._redraw_timer = QTimer(self, interval=REFRESH_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self._set_training_ui(False)

    def _build(self):
        self.form = TrainForm()
        self.form.setFixedWidth(FORM_WIDTH)
        self.startButton = _button("startButton", "Start", "Train with these settings.")
        self.pauseButton = _button("pauseButton", "Pause", "Pause or resume the running training.")
        self.stopButton = _button("stopButton", "Stop",
                                  "Stop after the current batch and keep what was learnt.")
        self.startButton.clicked.connect(self.start)
        self.pauseButton.clicked.connect(self.toggle_pause)
        self.stopButton.clicked.connect(self.stop)
        self.trainingProgress = QProgressBar(objectName="trainingProgress")
        self.trainingProgress.setRange(0, PROGRESS_STEPS)
        self.trainingProgress.setValue(0)
        self.statusLabel = QLabel(objectName="statusLabel", wordWrap=True)
        self.statusLabel.setFixedWidth(FORM_WIDTH)

        buttons = QHBoxLayout()
        for button in (self.startButton, self.pauseButton, self.stopButton):
            buttons.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.form)
        left.addLayout(buttons)
        left.addWidget(self.statusLabel)
        # Only while Augment is ticked: then it shows what the option does to the images.
        self.augmentPreview = AugmentPreview()
        self.augmentPreview.setFixedWidth(FORM_WIDTH)
        self.augmentPreview.setVisible(self.form.augmentCheck.isChecked())
        self.form.augmentCheck.toggled.connect(self.augmentPreview.setVisible)
        left.addWidget(self.augmentPreview)
        left.addStretch(1)
        self.training_curves = TrainingCurves(self.palette().color(QPalette.ColorRole.Text))
        self.lossPlot = self.training_curves.loss_plot
        self.accuracyPlot = self.training_curves.accuracy_plot
        self.curves = self.training_curves.curves  # name -> PlotDataItem
        plots = QVBoxLayout()  # the progress bar goes under the curves: its text needs room
        plots.addWidget(self.lossPlot)
        plots.addWidget(self.accuracyPlot)
        plots.addWidget(self.trainingProgress)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(plots, 1)

    # --- public API -----------------------------------------------------------------------------

    @property
    def is_training(self):
        return self._worker is not None

    @property
    def is_paused(self):
        return self._paused

    def set_active_model(self, model):
        """The model Start continues; a newly active model is what "Continue" means."""
        self._active_model = model
        self.form.set_active_model(model, self._dataset)

    def set_dataset(self, name, data_dir=None):
        """Which dataset (a key of nn.datasets.DATASETS) and folder the next run loads."""
        self._dataset, self._data_dir = name, None if data_dir is None else str(data_dir)
        self.form.update_continue(self._active_model, name)

    def form_state(self):
        return self.form.form_state()

    def set_form_state(self, state):
        self.form.set_form_state(state)

    @Slot()
    def new_model(self):
        self.form.choose_new_model()

    @Slot()
    def start(self):
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
        self._run(job)

    def show_outcome(self, what):
        """Say in the progress bar why training did not start (``what``: "Download failed")."""
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat(f"{what}: training did not start")

    def fine_tune(self, x, y, weight, epochs=FINE_TUNE_EPOCHS):
        """Continue the active model on the dataset plus the drawings ``x`` ((m, 784) float32
        in [0, 1]) labelled ``y``, each drawing counting ``weight`` times, with the form's
        settings but ``epochs``. The worker measures before/after accuracies into
        ``model.info["fine_tune"]``; the model arrives as model_trained. False when not started
        (already training, or no active model)."""
        if self.is_training or self._active_model is None:
            return False
        config = dataclasses.replace(self.form.config(), epochs=epochs)
        self._run(TrainingJob(
            config, self.form.preset.name, dataset=self._dataset, data_dir=self._data_dir,
            base_model=self._active_model, train_limit=self.train_limit,
            test_limit=self.test_limit, extra_x=x, extra_y=y, extra_weight=weight))
        return True

    def _run(self, job):
        """Start ``job`` in a fresh worker and thread; its signals drive the curves."""
        self._clear_curves(job.config.epochs)
        self._thread, self._worker = QThread(self), TrainingWorker(job)
        worker, thread = self._worker, self._thread
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.status.connect(self._on_status)
        worker.data_loaded.connect(self._on_status)
        worker.batch_progress.connect(self._on_batch)
        worker.epoch_progress.connect(self._on_epoch)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        # The documented QThread clean-up: both objects go when the thread's loop has ended.
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        self._set_training_ui(True)
        self._redraw_timer.start()
        thread.start()
        self.state_changed.emit()

    @Slot()
    def toggle_pause(self):
        if not self.is_training:
            return
        self._paused = not self._paused
        if self._paused:
            self._worker.pause()
        else:
            self._worker.resume()
        self.pauseButton.setText("Resume" if self._paused else "Pause")
        self._set_status("Paused." if self._paused else self._run_status)
        self.state_changed.emit()

    @Slot()
    def stop(self):
        """Stop within one batch; the model learnt so far still arrives as model_trained."""
        if not self.is_training:
            return
        self._worker.stop()
        self._paused = False
        self.pauseButton.setText("Pause")
        self._set_status("Stopping after this batch…")
        self.state_changed.emit()

    def shutdown(self):
        """Stop, quit and wait for the thread (the window is closing); delivers nothing."""
        if not self.is_training:
            return
        self._worker.abandon()
        self._end_run()
        self.state_changed.emit()

    # --- the run --------------------------------------------------------------------------------

    def _job(self):
        config, preset = self.form.config(), self.form.preset
        common = {"dataset": self._dataset, "data_dir": self._data_dir,
                  "train_limit": self.train_limit, "test_limit": self.test_limit}
        if self.form.continue_chosen() and self._active_model is not None:
            return TrainingJob(config, preset.name, base_model=self._active_model, **common)
        specs, input_shape = self.form.architecture()
        return TrainingJob(config, preset.name, architecture=specs, input_shape=input_shape,
                           **common)

    def _end_run(self):
        """Wait for the thread to end (it is ending: run() has returned or is returning)."""
        self._redraw_timer.stop()
        self.training_curves.redraw()
        thread = self._thread
        thread.quit()
        thread.wait()
        # Only now drop the references: the worker must not be deleted while it runs.
        self._thread = self._worker = None
        self._paused = False
        self._set_training_ui(False)

    def _from_current_run(self):
        """Guard for the worker slots: ignore what an ended (abandoned) run still had queued."""
        return self._worker is not None and self.sender() is self._worker

    @Slot(str)
    def _on_status(self, text):
        if self._from_current_run():
            self._run_status = text  # shown again on Resume
            self._set_status(text)

    @Slot(object, float)
    def _on_batch(self, record, smoothed_loss):
        if self._from_current_run():
            self.training_curves.add_batch(record.epoch, smoothed_loss)
            self._show_progress(record)

    @Slot(object)
    def _on_epoch(self, record):
        if self._from_current_run():
            self.training_curves.add_epoch(record)
            self._show_progress(record)

    @Slot(object, object)
    def _on_finished(self, model, result):
        if not self._from_current_run():
            return
        info = model.info
        accuracy = info.get("test_accuracy")
        if accuracy is not None:
            self.training_curves.show_test_accuracy(accuracy)
        if not result.stopped:
            self.trainingProgress.setValue(PROGRESS_STEPS)
        self._end_run()
        how = "Stopped" if result.stopped else "Finished"
        epochs = len(result.history)
        score = "" if accuracy is None else f"; test accuracy {accuracy:.2%}"
        self._set_status(f"{how} {info['name']} after {epochs} epoch{'s' * (epochs != 1)}{score}.")
        self.state_changed.emit()
        self.model_trained.emit(model)

    @Slot(str)
    def _on_failed(self, message):
        if self._from_current_run():
            self._end_run()
            self.trainingProgress.setFormat("Training failed at %p%")
            self._set_status(f"Training failed: {message}")
            self.state_changed.emit()
            self.training_failed.emit(message)

    @Slot()
    def _on_cancelled(self):
        if self._from_current_run():
            self._end_run()
            self.trainingProgress.setFormat("Stopped before the first batch")
            self._set_status("Stopped before the first batch; the active model is unchanged.")
            self.state_changed.emit()

    # --- showing it -----------------------------------------------------------------------------

    def _set_training_ui(self, training):
        self.form.setEnabled(not training)
        self.startButton.setEnabled(not training)
        self.pauseButton.setEnabled(training)
        self.stopButton.setEnabled(training)
        self.pauseButton.setText("Pause")

    def _set_status(self, text):
        self.statusLabel.setText(text)
        self.status_message.emit(text)

    def _show_progress(self, record):
        epoch = min(max(math.ceil(record.epoch), 1), record.epochs)
        self.trainingProgress.setValue(round(PROGRESS_STEPS * record.epoch / record.epochs))
        # %p is QProgressBar's own percentage placeholder.
        self.trainingProgress.setFormat(
            f"Epoch {epoch}/{record.epochs} · %p% · ETA {format_seconds(record.eta)} · "
            f"{record.samples_per_second:,.0f} samples/s")

    @Slot()
    def _redraw(self):
        self.training_curves.redraw()

    def _clear_curves(self, epochs):
        self.training_curves.clear(epochs)
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat("Loading the data…")


def _button(name, text, tooltip):
    button = QPushButton(text, objectName=name)
    button.setToolTip(tooltip)
    return button
