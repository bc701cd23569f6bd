"""What every part of ``python -m desktop.bench`` shares: a private settings folder, the app's
main window shown in it, and a figure set against its target."""

import os
import shutil
import tempfile
from contextlib import contextmanager

TARGETS = {"launch_seconds": 1.5, "pen_up_to_prediction_p95_ms": 16.0,
           "training_max_event_loop_gap_ms": 33.0, "training_curve_updates_per_second": 5.0,
           "numbers_read_exactly": 0.97, "numbers_split_into_the_right_count": 0.99,
           "number_pen_up_p95_ms": 50.0}
AT_LEAST = {"training_curve_updates_per_second", "numbers_read_exactly",
            "numbers_split_into_the_right_count"}  # the others are "at most"


def figure(name, value, **extra):
    """``value`` beside its target, and whether it meets it."""
    target = TARGETS[name]
    ok = value >= target if name in AT_LEAST else value <= target
    return {"value": round(value, 4), "target": target,
            "comparison": ">=" if name in AT_LEAST else "<=", "ok": bool(ok), **extra}


@contextmanager
def private_home():
    """A fresh settings folder for the app, removed afterwards (settings and logs go there,
    never to the user's folder); offscreen Qt when there is no display."""
    home = tempfile.mkdtemp(prefix="digitlab-bench-")
    os.environ["DIGITLAB_HOME"] = home
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def shown_window(small=False):
    """The app's MainWindow, shown as the app shows it (``small``: at its minimum size, a pad
    of about 360 px, which takes fewer mouse events to draw on); closed afterwards without
    asking to save what the bench trained."""
    from PySide6.QtWidgets import QApplication

    from desktop.garbage import collect_on_gui_thread, set_aside_what_lives_on
    from desktop.main_window import MainWindow

    app = QApplication.instance()
    if app is None:
        app = QApplication(["digitlab-bench"])
        collect_on_gui_thread(app)  # a new one collects garbage on its own thread, as the app
    window = MainWindow()
    if small:
        window.resize(window.minimumSizeHint())
    window.show()
    set_aside_what_lives_on()  # as the app does
    app.processEvents()
    try:
        yield window
    finally:
        window.is_modified = False
        window.close()
