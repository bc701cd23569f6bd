"""Python's cycle collector, run on the GUI thread only.

Python collects reference cycles in whichever thread happens to allocate when a threshold is
passed, and a training run allocates all the time. Collected there, a cycle that holds a closed
window's Qt objects has them deleted on the training thread, which Qt does not allow: the test
suite hung this way, the training thread deleting a menu and waiting for the interpreter lock
while the GUI thread held that lock and waited for the menu's own.

So automatic collection is turned off, and a timer on the GUI thread collects what the
collector's thresholds ask for, as the collector itself would have (the remedy of pyqtgraph's
``GarbageCollector``). Reference counting still frees everything that is not in a cycle at once.

Once the window is built, `set_aside_what_lives_on` puts everything alive where no collection
looks again (``gc.freeze``): the window lives as long as the app, and the collections on the
GUI thread then look only at what was made since. Without it, the first ones looked at the
whole window and held the event loop up for 30-60 ms.
"""

import gc

from PySide6.QtCore import QTimer

INTERVAL_MS = 100            # often enough that each collection has little to look at


def collect_on_gui_thread(parent):
    """Turn automatic collection off and collect from a timer owned by ``parent`` (the
    application, so it lives as long as the app); returns the timer."""
    timer = QTimer(parent, interval=INTERVAL_MS)
    timer.timeout.connect(collect_due)
    gc.disable()
    timer.start()
    return timer


def collect_due():
    """Collect the oldest generation whose count, and every younger one's, is past its
    threshold (the rule of Python's own automatic collection)."""
    due = -1
    for generation, (count, threshold) in enumerate(zip(gc.get_count(), gc.get_threshold())):
        if count <= threshold:
            break
        due = generation
    if due >= 0:
        gc.collect(due)


def set_aside_what_lives_on():
    """Collect everything now, then leave what is still alive (the window just built) out of
    every later collection."""
    gc.collect()
    gc.freeze()
