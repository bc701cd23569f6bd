"""The Train tab's current run: a fresh `TrainingWorker` in a fresh QThread per run.

`TrainingRun` owns the thread and the worker. The worker's signals cross to the GUI thread
queued, into this object's slots, which pass on only what the current run sends (an abandoned
run may still have signals queued) and end the thread when the run is over. Pause, Step and
Stop go straight to the worker, whose controls are safe to call from any thread.
"""

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop.train.worker import TrainingWorker


class TrainingRun(QObject):
    """At most one run at a time; `start` it with a `TrainingJob`, follow it by its signals.

    When ``finished``, ``failed`` or ``cancelled`` arrives the thread has ended and
    ``is_running`` is False again.
    """

    status = Signal(str)                     # what the run is doing, for the status line
    batch_progress = Signal(object)          # BatchProgress
    epoch_progress = Signal(object)          # EpochProgress
    weights_changed = Signal(object)         # a copy of the model being trained
    paused_changed = Signal(bool)            # paused (by Pause or Step), or going on
    finished = Signal(object, object, object, float)  # job, trained Model, TrainResult, seconds
    failed = Signal(str)                     # one sentence for the user
    cancelled = Signal()                     # stopped before a single batch was learnt

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread = self._worker = None
        self.is_paused = False
        self.last_status = ""    # what the run said last: shown again on Resume
        self._seconds = 0.0      # of training so far (pauses excluded)

    @property
    def is_running(self):
        return self._worker is not None

    def start(self, job, paused=False):
        """Run ``job`` in a fresh worker and thread; with ``paused``, pause after one batch."""
        if self.is_running:
            raise RuntimeError("a run is already going on")
        self._thread, self._worker = QThread(self), TrainingWorker(job)
        self._seconds, self.last_status = 0.0, ""
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
        if paused:
            self.step()
        thread.start()

    def step(self):
        """Train one batch, then pause."""
        if self.is_running:
            self._worker.step()
            self._set_paused(True)

    def toggle_pause(self):
        if not self.is_running:
            return
        if self.is_paused:
            self._worker.resume()
        else:
            self._worker.pause()
        self._set_paused(not self.is_paused)

    def stop(self):
        """Stop within one batch; what was learnt so far still arrives as ``finished``."""
        if self.is_running:
            self._worker.stop()
            self.is_paused = False

    def shutdown(self):
        """Stop, quit and wait for the thread, and deliver nothing (the window is closing).
        True when a run was going on."""
        if not self.is_running:
            return False
        self._worker.abandon()
        self._end()
        return True

    def _set_paused(self, paused):
        self.is_paused = paused
        self.paused_changed.emit(paused)

    def _end(self):
        """Wait for the thread to end (it is ending: run() has returned or is returning)."""
        thread = self._thread
        thread.quit()
        thread.wait()
        # Only now drop the references: the worker must not be deleted while it runs.
        self._thread = self._worker = None
        self.is_paused = False

    def _from_current_run(self):
        """Guard for the worker slots: ignore what an ended (abandoned) run still had queued."""
        return self._worker is not None and self.sender() is self._worker

    @Slot(str)
    def _on_status(self, text):
        if self._from_current_run():
            self.last_status = text
            self.status.emit(text)

    @Slot(object)
    def _on_batch(self, record):
        if self._from_current_run():
            self._seconds = record.elapsed
            self.batch_progress.emit(record)

    @Slot(object)
    def _on_epoch(self, record):
        if self._from_current_run():
            self.epoch_progress.emit(record)

    @Slot(object)
    def _on_weights(self, model):
        if self._from_current_run():
            self.weights_changed.emit(model)

    @Slot(object, object)
    def _on_finished(self, model, result):
        if self._from_current_run():
            job = self._worker.job
            self._end()
            self.finished.emit(job, model, result, self._seconds)

    @Slot(str)
    def _on_failed(self, message):
        if self._from_current_run():
            self._end()
            self.failed.emit(message)

    @Slot()
    def _on_cancelled(self):
        if self._from_current_run():
            self._end()
            self.cancelled.emit()
