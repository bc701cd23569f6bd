"""Cycles that hold Qt objects are collected on the GUI thread, never on a training thread."""

import threading

from PySide6.QtCore import QObject, Qt

from desktop.garbage import collect_on_gui_thread


def test_a_cycle_dropped_while_another_thread_allocates_is_collected_on_the_gui_thread(
        qapp, qtbot):
    timer = collect_on_gui_thread(qapp)
    deleted_on = []
    menu = QObject()   # stands for a closed window's menu, kept alive only by a cycle
    menu.destroyed.connect(lambda: deleted_on.append(threading.current_thread().name),
                           Qt.ConnectionType.DirectConnection)
    cycle = [menu]
    cycle.append(cycle)
    del menu, cycle
    # A training thread allocates (and keeps) enough to pass automatic collection's thresholds.
    kept = []
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(100_000)),
                              name="training")
    worker.start()
    worker.join()
    assert deleted_on == []
    qtbot.waitUntil(lambda: deleted_on != [], timeout=5000)
    assert deleted_on == [threading.main_thread().name]
    timer.stop()
