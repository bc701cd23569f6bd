"""Start DigitLab: logging to a file, a last-resort error dialog, Qt checks, then the window
(``--help`` and ``--version`` print and exit before any of that).

A double-click launch has no console (and under ``pythonw`` no ``sys.stdout`` at all), so
everything worth knowing goes to a rotating log file in the per-user folder, and an exception
nobody caught shows a dialog that says where that log is instead of the window vanishing.
"""

import argparse
import ctypes
import logging
import logging.handlers
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

# Leave one core to the GUI thread: with as many BLAS threads as cores, a training run's
# threads (which busy-wait between operations) starve the event loop. Must happen before
# NumPy is first imported; a value the user set wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QTimer,
    QtMsgType,
    Signal,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import resources
from desktop.about import log_path
from desktop.garbage import collect_on_gui_thread, set_aside_what_lives_on
from desktop.settings import APPLICATION as APP_NAME
from desktop.settings import ORGANIZATION
from desktop.widgets.plain import plain
from nn import __version__
from nn.files.paths import not_a_file

DESKTOP_FILE_NAME = "digitlab"  # the entry desktop.install writes; also the Wayland app id
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
XCB_CURSOR_LIBRARY = "libxcb-cursor.so.0"
XCB_CURSOR_HINT = (
    "Qt 6.5 and later need the system library libxcb-cursor0 to open windows on X11 "
    "(install it with: sudo apt install libxcb-cursor0)."
)
# `python -m desktop.bench` sets this to its launch time (time.time()); the app then prints
# how long after that its window was on screen, and quits.
BENCH_ENV = "DIGITLAB_BENCH_EXIT_AFTER_SHOW"
BENCH_PREFIX = "DIGITLAB_SHOWN_AFTER "

log = logging.getLogger("desktop")
_installed_handlers = []  # so a second setup_logging (tests) replaces rather than duplicates


def app_icon():
    icon = QIcon(str(resources.ICON_SVG))
    for png in resources.ICON_PNGS:
        icon.addFile(str(png))
    return icon


def ensure_stdio():
    """Give Python somewhere to write when it has no console (pythonw, gui-scripts on Windows):
    a stray print or warning must not raise AttributeError on None."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def setup_logging(path=None):
    """Log to a rotating file (and to stderr when there is one). Returns the log file's path,
    or None if the folder cannot be written (the app still runs, just without a log)."""
    path = Path(path) if path else log_path()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    while _installed_handlers:
        old = _installed_handlers.pop()
        root.removeHandler(old)
        old.close()
    formatter = logging.Formatter(LOG_FORMAT)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not_a_file(path):   # opening a pipe would wait for a reader
            raise OSError(f"{path} is not a file (a pipe, a device or a folder)")
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    except OSError as error:
        path = None
        print(f"DigitLab: cannot write its log file: {error}", file=sys.stderr)
    else:
        handler.setFormatter(formatter)
        _installed_handlers.append(handler)
    if sys.stderr is not None and getattr(sys.stderr, "name", "") != os.devnull:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(formatter)
        console.setLevel(logging.WARNING)
        _installed_handlers.append(console)
    for handler in _installed_handlers:
        root.addHandler(handler)
    return path


def _qt_message_handler(mode, context, message):
    """Send Qt's own messages to the log. Qt's fatal "no platform plugin" error gets a hint
    that says what to do, once, because Qt aborts the process right after this returns."""
    global _plugin_hint_given
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)
    if "platform plugin" in message and not _plugin_hint_given:
        _plugin_hint_given = True
        hint = platform_failure_hint()
        log.critical("%s", hint)
        _notify_desktop(f"DigitLab cannot open its window. {hint} Log: {log_path()}")


def _notify_desktop(text):
    """Without Qt there is no dialog, but a double-click launch has no console either: ask the
    desktop's own tools to show the message. The child outlives Qt's abort."""
    if not (sys.platform.startswith("linux") and _has_display()):
        return
    for command in (["notify-send", "--urgency=critical", APP_NAME, text],
                    ["zenity", "--error", "--no-markup", f"--text={text}"],
                    ["kdialog", "--error", text]):
        if shutil.which(command[0]):
            subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return


_plugin_hint_given = False


def _has_display():
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def xcb_cursor_missing():
    """True when libxcb-cursor0 cannot be loaded. It tries the exact lookup Qt's xcb plugin
    does (dlopen), which is faster and more faithful than ctypes.util.find_library."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL(XCB_CURSOR_LIBRARY)
        return False
    except OSError:
        return True


def platform_failure_hint():
    """What to do when Qt could not start its platform plugin, most likely cause first."""
    if xcb_cursor_missing():
        return f"{XCB_CURSOR_LIBRARY} was not found. {XCB_CURSOR_HINT}"
    if sys.platform.startswith("linux") and not _has_display():
        return ("There is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not "
                "set): start DigitLab from a desktop session.")
    return ("Qt could not start its platform plugin; run with QT_DEBUG_PLUGINS=1 to see why. "
            f"On Linux the usual cause is a missing system library: {XCB_CURSOR_HINT}")


def check_qt_platform():
    """Before Qt starts: warn (log and stderr) when the xcb platform plugin will fail for want
    of libxcb-cursor0, which Qt would report with a generic message and an abort. Returns the
    message, or None when nothing is wrong. It never stops the launch: the check could be
    wrong (an unusual library path) and Qt may still pick Wayland."""
    requested = os.environ.get("QT_QPA_PLATFORM", "")
    if (requested and not requested.startswith("xcb")) or not xcb_cursor_missing():
        return None
    message = f"{XCB_CURSOR_LIBRARY} was not found. {XCB_CURSOR_HINT}"
    if not _has_display():
        message += " There is no display either (DISPLAY is not set)."
    log.error("%s", message)
    print(f"DigitLab: {message}", file=sys.stderr)
    return message


class ErrorReporter(QObject):
    """The last-resort handler for exceptions no code caught, in any thread.

    It logs the traceback and shows one dialog at a time naming the log file. Dialogs are
    built on the GUI thread: exceptions from other threads travel there through the queued
    ``report`` signal (create the reporter on the GUI thread).
    """

    report = Signal(str)

    def __init__(self, log_file, interactive=True, parent=None):
        super().__init__(parent)
        self.log_file = log_file
        self.interactive = interactive  # False: a benchmark run, where a dialog would hang it
        self.report.connect(self.show_dialog)
        self._showing = False

    def install(self):
        sys.excepthook = self.excepthook
        threading.excepthook = lambda args: self.excepthook(
            args.exc_type, args.exc_value, args.exc_traceback)
        return self

    def excepthook(self, exc_type, exc_value, exc_traceback):
        if issubclass(exc_type, SystemExit):
            return  # a thread that calls sys.exit() ends quietly, as threading's own hook does
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc_value, exc_traceback)
            return
        log.critical("Unexpected error:\n%s", "".join(
            traceback.format_exception(exc_type, exc_value, exc_traceback)).rstrip())
        summary = "".join(traceback.format_exception_only(exc_type, exc_value)).strip()
        try:
            self.report.emit(summary)  # a direct call on the GUI thread, queued from others
        except RuntimeError:  # Qt is already gone (interpreter shutdown): the log has it
            pass

    @Slot(str)
    def show_dialog(self, summary):
        if self._showing or not self.interactive or QApplication.instance() is None:
            return  # one dialog at a time: an error in paintEvent would otherwise loop
        self._showing = True
        try:
            where = (f"The details were written to {self.log_file}." if self.log_file
                     else "No log file could be written.")
            QMessageBox.critical(None, f"{APP_NAME}: unexpected error",
                                 plain(f"Something went wrong: {summary}\n\n{where}\n"
                                       "Please include that file when you report the problem."))
        finally:
            self._showing = False


def _report_shown(launch_time, window):
    """Benchmark mode: print seconds from launch to the window being on screen (and which model
    is active), then quit."""
    print(f"{BENCH_PREFIX}{time.time() - launch_time:.3f} visible={window.isVisible()} "
          f"model={window.model_name()}", flush=True)
    QApplication.instance().quit()


def read_arguments(argv):
    """``--help`` and ``--version`` print and exit (status 0) before a window, a log file or
    the per-user folder is made; every other argument is left to Qt (``-platform offscreen``,
    ``-style fusion``…). ``argv[0]`` names the command in the help, as it was invoked."""
    program = Path(argv[0]).name if argv else DESKTOP_FILE_NAME
    parser = argparse.ArgumentParser(
        prog="python -m desktop" if program == "__main__.py" else program.split(".")[0],
        allow_abbrev=False,
        description="Open the DigitLab window: draw digits for a neural network trained in "
                    "NumPy, and train, inspect and fine-tune it.",
        epilog="Other options go to Qt, e.g. -platform offscreen. DIGITLAB_HOME sets the "
               "per-user folder (settings, log, drawings, datasets), DIGITLAB_DATA a folder "
               "with the datasets. The command line is digitlab-cli (python -m nn).")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.parse_known_args(argv[1:])


def main(argv=None):
    """The `digitlab` GUI entry point and `python -m desktop`."""
    bench_launch = os.environ.get(BENCH_ENV)
    ensure_stdio()
    argv = list(sys.argv if argv is None else argv)
    read_arguments(argv)
    log_file = setup_logging()
    log.info("DigitLab %s starting (Python %s, %s)", __version__, platform.python_version(),
             sys.platform)
    check_qt_platform()
    qInstallMessageHandler(_qt_message_handler)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    # argv[0] names the X11 window instance ("digitlab", not "python"); the class is APP_NAME,
    # which is what the .desktop file's StartupWMClass matches.
    app = QApplication([DESKTOP_FILE_NAME] + argv[1:])
    QGuiApplication.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())
    # The app's child, so it lives as long as the app.
    ErrorReporter(log_file, interactive=not bench_launch, parent=app).install()
    collect_on_gui_thread(app)

    from desktop.main_window import MainWindow  # after logging, so import errors are logged

    window = MainWindow()
    window.show()
    set_aside_what_lives_on()
    if bench_launch:
        QTimer.singleShot(0, lambda: _report_shown(float(bench_launch), window))
    status = app.exec()
    log.info("DigitLab exits with status %s", status)
    return status
