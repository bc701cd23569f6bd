"""The Train tab's current run (a mixin of TrainTab, desktop/train/tab.py): a fresh
`TrainingWorker` in a fresh QThread per run, its queued signals handed to the `LiveView` on
the GUI thread, and the run recorded in the run history when it ends.
"""

from PySide6.QtCore import QThread, Slot

from desktop.train.runs_store import run_of_training
from desktop.train.worker import TrainingWorker


class CurrentRunMixin:
    """Starts, ends and follows one run; TrainTab provides the widgets, the signals and
    ``_set_training_ui``, ``_show_paused`` and ``_set_status``."""

    def _run(self, job, paused=False):
        """Start ``job`` in a fresh worker and thread (after one batch paused, if ``paused``);
        its signals drive the curves."""
        self.experiments.show_hint(None)
        self.live.start(job.config.epochs)
        self.run_history.overlays.set_live_epochs(job.config.epochs)
        self._run_form, self._run_seconds = self.form_state(), 0.0
        self._thread, self._worker = QThread(self), TrainingWorker(job)
        worker, thread = self._worker, self._thread
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.status.connect(self._on_status)
        worker.data_loaded.connect(self._on_status)
        worker.batch_progress.connect(self._on_batch)
        worker.epoch_progress.connect(self._on_epoch)
        worker.weights_changed.connect(self._on_weights)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        # The documented QThread clean-up: both objects go when the thread's loop has ended.
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        self._set_training_ui(True)
        if paused:
            worker.step()
            self._show_paused(True)
        thread.start()
        self.state_changed.emit()

    def _end_run(self):
        """Wait for the thread to end (it is ending: run() has returned or is returning)."""
        self.live.finish()
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
            if not self._paused:
                self._set_status(text)

    @Slot(object)
    def _on_batch(self, record):
        if self._from_current_run():
            self.live.add_batch(record)
            self._run_seconds = record.elapsed

    @Slot(object)
    def _on_weights(self, model):
        if self._from_current_run():
            self.weights_changed.emit(model)

    @Slot(object)
    def _on_epoch(self, record):
        if self._from_current_run():
            self.live.add_epoch(record)

    @Slot(object, object)
    def _on_finished(self, model, result):
        if not self._from_current_run():
            return
        info = model.info
        accuracy = info.get("test_accuracy")
        self.live.show_result(accuracy, completed=not result.stopped)
        job = self._worker.job
        self._end_run()
        self.run_history.record(run_of_training(job, model, result, self._run_form,
                                                self._run_seconds),
                                self.live.training_curves.snapshot(), model)
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
