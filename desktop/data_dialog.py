"""Data menu work: download a dataset with progress and Cancel, or adopt a folder of files;
and, when Start finds no dataset, one dialog that offers both.

The download runs `nn.data.download.download_dataset` in a worker QObject moved to a QThread; the
worker only relays progress (throttled) and the outcome as signals, and the controller, on
the GUI thread, owns the progress dialog and shows errors.
"""

import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressBar, QProgressDialog

from desktop import settings
from desktop.widgets.plain import plain
from nn.data.datasets import find_data_dir
from nn.data.folders import user_dataset_dir
from nn.data.download import DownloadCancelled, download_dataset
from nn.network.errors import DigitLabError

PROGRESS_INTERVAL_S = 0.05   # at most ~20 progress updates a second reach the GUI
PROGRESS_STEPS = 1000        # QProgressDialog takes an int: bytes overflow it, permille do not
MEGABYTE = 1e6
STATUS_TIMEOUT_MS = 10000

log = logging.getLogger(__name__)


class DownloadWorker(QObject):
    """Downloads one dataset on its own thread; never touches a widget."""

    progress = Signal(str, int, object, object)  # file, its index (from 1), bytes done, total
    succeeded = Signal(str)                   # folder holding the files
    failed = Signal(str)                      # one-sentence reason
    cancelled = Signal()
    done = Signal()                           # after any of the three above

    def __init__(self, info, dest, mirrors=None):
        super().__init__()
        self.info, self.dest, self.mirrors = info, Path(dest), mirrors
        self.stop_requested = threading.Event()
        self._files = list(info.files.values())
        self._last_emit = 0.0

    @Slot()
    def run(self):
        try:
            download_dataset(self.info, self.dest, on_progress=self._on_progress,
                             should_stop=self.stop_requested.is_set, mirrors=self.mirrors)
        except DownloadCancelled:
            self.cancelled.emit()
        except DigitLabError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug, not the network: keep the traceback in the log
            log.exception("download of %s failed", self.info.name)
            self.failed.emit(f"The download failed unexpectedly: {error}.")
        else:
            self.succeeded.emit(str(self.dest))
        self.done.emit()

    def _on_progress(self, p):
        now = time.monotonic()
        finished_file = p.bytes_total is not None and p.bytes_done >= p.bytes_total
        if finished_file or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            index = self._files.index(p.file) + 1 if p.file in self._files else 0
            self.progress.emit(p.file, index, p.bytes_done, p.bytes_total)


class DataController(QObject):
    """Runs the Data menu's Download… and Use Folder… for a window (``parent``)."""

    dataset_ready = Signal(str, object)  # dataset name, folder (None: found automatically)
    not_provided = Signal(str)           # what happened instead, a short phrase ("Download failed")

    def __init__(self, parent):
        super().__init__(parent)
        self.window = parent
        self.mirrors = None  # tests point this at local copies (file:// URLs)
        self.thread = self.worker = self.dialog = self.bar = None

    @property
    def is_busy(self):
        return self.thread is not None

    def download(self, info):
        """Start downloading ``info`` into the per-user dataset folder (returns at once)."""
        if self.is_busy:
            return
        dest = user_dataset_dir(info)
        self.dialog = QProgressDialog(f"Connecting to download {info.title}…", "Cancel",
                                      0, PROGRESS_STEPS, self.window)
        self.dialog.setObjectName("downloadProgress")
        self.dialog.setWindowTitle(f"Download {info.title}")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setAutoReset(False)
        self.dialog.setAutoClose(False)
        self.dialog.setMinimumDuration(0)
        # A modal QProgressDialog's own setValue() runs a nested event loop, where the worker's
        # "done" could close and delete the dialog under that very call (a crash); the
        # download runs on its thread, so its progress goes to the bar directly.
        self.bar = QProgressBar(self.dialog)
        self.dialog.setBar(self.bar)
        self.bar.setRange(0, PROGRESS_STEPS)
        self.worker = DownloadWorker(info, dest, self.mirrors)
        self.thread = QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.done.connect(self._on_done)
        # Cancel only raises the flag: the worker notices it before its next chunk.
        self.dialog.canceled.connect(self.worker.stop_requested.set)
        self._info = info
        self.thread.start()
        self.dialog.show()

    @Slot(str, int, object, object)
    def _on_progress(self, filename, index, done, total):
        if self.dialog is None:
            return
        count = len(self._info.files)
        size = f"{done / MEGABYTE:.1f} of {total / MEGABYTE:.1f} MB" if total else \
            f"{done / MEGABYTE:.1f} MB"
        self.dialog.setLabelText(f"Downloading {filename} (file {index} of {count}): {size}")
        if total:
            self.bar.setMaximum(PROGRESS_STEPS)
            self.bar.setValue(int(PROGRESS_STEPS * done / total))
        else:
            self.bar.setMaximum(0)  # busy indicator: the server did not send a size

    @Slot(str)
    def _on_succeeded(self, folder):
        self.dataset_ready.emit(self._info.name, None)
        self.window.statusBar().showMessage(f"{self._info.title} downloaded to {folder}.",
                                            STATUS_TIMEOUT_MS)

    @Slot(str)
    def _on_failed(self, message):
        self._close_dialog()
        QMessageBox.critical(self.window, "Download failed", plain(message))
        self.not_provided.emit("Download failed")

    @Slot()
    def _on_cancelled(self):
        self.window.statusBar().showMessage("Download cancelled; no partial file was kept.",
                                            STATUS_TIMEOUT_MS)
        self.not_provided.emit("Download cancelled")

    @Slot()
    def _on_done(self):
        self._close_dialog()
        if self.thread is None:
            return  # shutdown() already waited for the thread
        self.thread.quit()
        self.thread.wait()
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.thread = self.worker = None

    def _close_dialog(self):
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.hide()
            self.dialog.deleteLater()
            self.dialog = None

    def shutdown(self):
        """Cancel a running download and wait for its thread (the window is closing): a
        QThread destroyed while running aborts the process."""
        if self.thread is not None:
            self.worker.stop_requested.set()
            self.thread.quit()
            self.thread.wait()
            self.thread = self.worker = None
        self._close_dialog()

    def choose_folder(self, info, start_dir):
        """Ask for a folder holding the dataset's files; returns it if it does, else None
        (after telling the user what is missing)."""
        folder = QFileDialog.getExistingDirectory(
            self.window, f"Folder with the {info.title} files", start_dir)
        if not folder:
            self.not_provided.emit("No folder chosen")
            return None
        try:
            found = find_data_dir(info, explicit=folder)
        except DigitLabError as error:
            QMessageBox.critical(self.window, "Not a dataset folder", plain(error))
            self.not_provided.emit("Not a dataset folder")
            return None
        self.dataset_ready.emit(info.name, str(found))
        return str(found)

    def offer(self, info):
        """Training needs ``info`` and it was not found: one dialog offers to download it now
        or to choose its folder (returns at once; the outcome arrives as dataset_ready or
        not_provided)."""
        if self.is_busy:
            return
        box = QMessageBox(QMessageBox.Icon.Question, f"{info.title} not found",
                          f"Training needs the {info.title} dataset, and it is not on this "
                          f"computer yet.", QMessageBox.StandardButton.Cancel, self.window)
        box.setObjectName("datasetMissingDialog")
        box.setInformativeText(
            f"Download its four files now into {user_dataset_dir(info)}, or choose a folder "
            f"that already holds them.")
        download = box.addButton("Download Now", QMessageBox.ButtonRole.AcceptRole)
        download.setObjectName("downloadNowButton")
        folder = box.addButton("Choose Folder…", QMessageBox.ButtonRole.ActionRole)
        folder.setObjectName("chooseFolderButton")
        box.setDefaultButton(download)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._offer_answered(info, box, button))
        box.open()

    def _offer_answered(self, info, box, button):
        if button is box.button(QMessageBox.StandardButton.Cancel):
            self.not_provided.emit(f"No {info.title}")
        elif button.objectName() == "downloadNowButton":
            self.download(info)
        else:
            self.choose_folder(info, settings.last_folder(self.window.settings))
