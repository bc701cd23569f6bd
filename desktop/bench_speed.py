"""The GUI speed measurements of ``python -m desktop.bench`` (desktop/bench.py): the launch
time, pen-up to prediction on the Draw tab, the occlusion map, and the event loop while a
training run goes on.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

# isort: off
from desktop.app import BENCH_ENV, BENCH_PREFIX  # first: it sets NumPy's threads as the app does
import numpy as np  # noqa: E402
# isort: on

REPOSITORY = Path(__file__).resolve().parents[1]
LAUNCH_RUNS = 3
STROKES = 60
TRAIN_LIMIT = 30000           # training examples loaded (5,000 are held out for validation)
TEST_LIMIT = 2000
TRAIN_EPOCHS = 5
TRAIN_SECONDS = 10            # then Stop: the same window on a fast or a busy machine
TICK_MS = 2                   # a precise timer: a gap between ticks bounds a stall within 2 ms
TRAIN_TIMEOUT_S = 45
SETTLE_MS = 500               # the Train tab is on screen this long before Start, as for a user
OCCLUSION_RUNS = 10


def measure_launch(env):
    """Seconds from spawning ``python -m desktop`` to its window shown, one per run."""
    times = []
    for _ in range(LAUNCH_RUNS):
        run_env = dict(env, **{BENCH_ENV: repr(time.time())})
        result = subprocess.run([sys.executable, "-m", "desktop"], cwd=REPOSITORY, env=run_env,
                                capture_output=True, text=True, timeout=60)
        line = next((x for x in result.stdout.splitlines() if x.startswith(BENCH_PREFIX)), None)
        if result.returncode != 0 or line is None:
            raise RuntimeError(f"python -m desktop failed: {result.stderr.strip()[-500:]}")
        times.append(float(line[len(BENCH_PREFIX):].split()[0]))
    return times


def measure_pen_up(window, rng):
    """(release -> prediction_changed, release -> repainted) in ms, one pair per stroke, and
    how many of the predictions came with their saliency map."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from desktop.widgets.mouse import LEFT, NO_BUTTON, send_mouse

    pad, tab = window.draw_tab.pad, window.draw_tab
    window.tabs.setCurrentWidget(tab)
    QApplication.processEvents()
    got = []
    tab.prediction_changed.connect(
        lambda probs: got.append((time.perf_counter(), tab.explained_class)))
    to_signal, to_screen, explained = [], [], 0
    for stroke in range(STROKES):
        if stroke % 3 == 0:
            pad.clear()
        side = min(pad.width(), pad.height())
        points = rng.uniform(0.2, 0.8, size=(4, 2)) * side
        send_mouse(pad, QEvent.Type.MouseButtonPress, points[0], LEFT, LEFT)
        for a, b in zip(points, points[1:]):
            for t in np.linspace(0, 1, 20)[1:]:
                x, y = a + (b - a) * t
                send_mouse(pad, QEvent.Type.MouseMove, (x, y), NO_BUTTON, LEFT)
        QApplication.processEvents()  # let throttled in-stroke predictions happen first
        got.clear()
        start = time.perf_counter()
        send_mouse(pad, QEvent.Type.MouseButtonRelease, points[-1], LEFT, NO_BUTTON)
        while not got:
            QApplication.processEvents()
        to_signal.append((got[0][0] - start) * 1000)
        explained += got[0][1] is not None
        QApplication.processEvents()  # the label, bars and preview repaint
        to_screen.append((time.perf_counter() - start) * 1000)
    return to_signal, to_screen, explained


def occlusion_ms(window):
    """Median ms of nn.network.saliency.occlusion on the Draw tab's last drawing and
    explained class."""
    from nn.network.saliency import occlusion

    tab, times = window.draw_tab, []
    for _ in range(OCCLUSION_RUNS):
        start = time.perf_counter()
        occlusion(window.active_model, tab.last_input, [tab.explained_class])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure_training(window, data_dir, preset):
    """(largest tick gap in ms, curve changes per second, seconds of training, ended how,
    points of the first layer's gradient-norm curve)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QSpinBox

    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.train_limit, tab.test_limit = TRAIN_LIMIT, TEST_LIMIT
    window.choose_dataset("mnist", str(data_dir))
    presets = tab.findChild(QComboBox, "presetCombo")
    presets.setCurrentIndex(presets.findData(preset))
    tab.findChild(QSpinBox, "epochsSpin").setValue(TRAIN_EPOCHS)
    tab.findChild(QDoubleSpinBox, "redrawSpin").setValue(0)  # the bundled model's own is 1
    tab.new_model()
    outcome = []
    tab.model_trained.connect(lambda model: outcome.append("trained"))
    tab.training_failed.connect(lambda message: outcome.append(f"failed: {message}"))
    clock, gaps, changes = QElapsedTimer(), [], [0]
    last_tick, last_signature = [None], [None]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last_tick[0] is not None:
            gaps.append(now - last_tick[0])
        last_tick[0] = now
        signature = tuple(0 if item.xData is None else len(item.xData)
                          for item in tab.lossPlot.getPlotItem().listDataItems())
        if signature != last_signature[0]:
            changes[0] += last_signature[0] is not None
            last_signature[0] = signature

    loop = QEventLoop()
    tab.state_changed.connect(lambda: None if tab.is_training else loop.quit())
    QTimer.singleShot(TRAIN_TIMEOUT_S * 1000, loop.quit)
    QTimer.singleShot(TRAIN_SECONDS * 1000, tab.stop)  # Stop and its model's arrival count too
    timer = QTimer(interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    # The Train tab's first paint is set-up, not part of the run: a user sees the tab before
    # pressing Start. (One processEvents is not enough: some of it happens on timers.)
    settled = QEventLoop()
    QTimer.singleShot(SETTLE_MS, settled.quit)
    settled.exec()
    clock.start()
    timer.start()
    window.named_actions["startAction"].trigger()
    loop.exec()  # a real event loop, as in the app, until the run has ended
    seconds = clock.elapsed() / 1000
    timer.stop()
    if tab.is_training:
        tab.shutdown()
        outcome.append("timed out")
    QApplication.processEvents()
    gradient_x, _ = tab.gradientPlot.curves["gradient_norms"][0].getData()
    return (max(gaps, default=0.0), changes[0] / seconds, seconds, (outcome or ["?"])[0],
            0 if gradient_x is None else len(gradient_x))

