"""Check that an installation works: ``python -m desktop.smoke`` (exit status 0 when it does).

It opens the main window as a first launch does (run it with an empty ``DIGITLAB_HOME``),
checks that the bundled model is the active one and that the icon loads, then draws a "1" on
the Draw tab's pad with real mouse events and checks that the model reads it. CI runs it
with a wheel installed in a fresh virtual environment, outside the checkout, offscreen.
"""

import os
import sys

# isort: off
from desktop.app import app_icon  # first: it sets NumPy's threads as the app does
from desktop.widgets.mouse import send_mouse
from desktop import resources
# isort: on

ONE = ((0.5, 0.18), (0.5, 0.83))  # a vertical bar, as fractions of the pad's square
STEPS = 40                        # mouse moves along the stroke


def draw_stroke(pad, fractions):
    """Press, move with the button held, release, along a polyline of pad fractions."""
    from PySide6.QtCore import QEvent, Qt

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    side = min(pad.width(), pad.height())
    origin = ((pad.width() - side) / 2, (pad.height() - side) / 2)
    points = [(origin[0] + fx * side, origin[1] + fy * side) for fx, fy in fractions]
    send_mouse(pad, QEvent.Type.MouseButtonPress, points[0], left, left)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for i in range(1, STEPS + 1):
            t = i / STEPS
            send_mouse(pad, QEvent.Type.MouseMove, (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t), none,
                       left)
    send_mouse(pad, QEvent.Type.MouseButtonRelease, points[-1], left, none)


def check():
    """The problems found, as sentences (an empty list: the installation works)."""
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    problems = []
    if app_icon().isNull():
        problems.append(f"the icon did not load from {resources.FOLDER}")
    window = MainWindow()
    window.show()
    app.processEvents()
    if window.active_model is None or window.active_path != str(resources.BUNDLED_MODEL):
        problems.append(f"the bundled model {resources.BUNDLED_MODEL} is not the active model "
                        f"(active: {window.active_path})")
    else:
        read = []
        window.draw_tab.prediction_changed.connect(read.append)
        draw_stroke(window.draw_tab.pad, ONE)
        app.processEvents()
        digit = None if not read or read[-1] is None else int(read[-1].argmax())
        if digit != 1:
            problems.append(f"a drawn 1 was read as {digit}")
    window.close()
    return problems


def main():
    print(f"DigitLab's files: {resources.FOLDER}")
    print(f"settings and data: {os.environ.get('DIGITLAB_HOME', 'the per-user folder')}")
    problems = check()
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if not problems:
        print("OK: the bundled model is active and reads a drawn 1")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
