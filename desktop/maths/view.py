"""The Maths tab: one training step of the notebook's 784-10-10 network, equation by equation,
with the engine's own numbers.

The StepSession (session.py) holds the network and computes the step with
`nn.training.one_step.trace_step`; the pages (pages.py) show its arrays; the controls
(controls.py) choose the batch, the learning rate and the starting weights. The drawing comes
from the Draw tab through `set_drawing`; a hidden tab only keeps it, so drawing never waits for
this tab. MNIST is read once, on a pool thread, when the tab is first shown; until then (and
for good when MNIST is not on this computer) the examples are a few built-in digits.
"""

import numpy as np
from PySide6.QtCore import QThreadPool, Slot
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea, QStackedWidget,
                               QVBoxLayout, QWidget)

from desktop.maths.controls import ACTIVE, FRESH, StepControls
from desktop.maths.examples import MnistLoader, built_in_pool, mnist_folder
from desktop.maths.pages import all_pages, plural
from desktop.maths.session import StepSession, fits, fresh_notebook_model
from nn.network.model import describe

TEN_STEPS = 10
LAYOUT_NOTE = (
    "Written as in the notebook: one example per <b>column</b>, W1 is 10 × 784 and "
    "Z1 = W1 X + b1. The engine stores one example per <b>row</b> and computes "
    "Z1ᵀ = Xᵀ W1ᵀ + b1ᵀ (x @ W + b, its W is "
    "784 × 10): every matrix below is the engine's own array, transposed.")
NO_DRAWING_TEXT = ("Nothing drawn on the Draw tab yet: example #1 is an image of the pool. "
                   "Draw a digit there to take a step on it.")
PHASE_COLOURS = {"Forward": "#0072B2", "Backward": "#D55E00", "Update": "#009E73"}


class MathsView(QWidget):
    """``active_model()`` returns the window's active model (or None): the weights to start
    from when the user asks for them."""

    def __init__(self, active_model=lambda: None, parent=None):
        super().__init__(parent)
        self.setObjectName("mathsView")
        self._active_model = active_model
        self._drawing = None
        self._pool, self._pool_message = built_in_pool(), ""
        self._loader = None
        self._stale = True            # the batch changed while the tab was hidden
        self._message = ""            # what the status line says about the batch or weights
        self._pool_threads = QThreadPool(self)
        self._pool_threads.setMaxThreadCount(1)
        self.session = StepSession(self)
        self._build_ui()
        self.controls.set_pool(len(self._pool), self._pool.source)
        self.session.trace_changed.connect(self._show_trace)
        self.controls.batch_changed.connect(self._refresh_batch)
        self.controls.learning_rate_changed.connect(self.session.set_learning_rate)
        self.controls.restart_requested.connect(self._restart)
        self._update_labels()

    # --- public API -------------------------------------------------------------------------------

    def set_drawing(self, image, probs=None):
        """The Draw tab's input, a (28, 28) array in [0, 1] (None when the pad is empty), and
        the active model's probabilities for it: their best class starts as its label."""
        self._drawing = None if image is None else np.array(image, dtype=np.float32)
        if probs is not None:
            self.controls.set_drawing_label(int(np.argmax(probs)))
        self._refresh_batch()

    @property
    def page(self):
        return self.pages.currentWidget()

    def wait_for_examples(self, msecs=-1):
        """Block until MNIST is read (tests, and `shutdown`)."""
        return self._pool_threads.waitForDone(msecs)

    def shutdown(self):
        """Wait for the examples' reader (the window closes): reading 1,000 MNIST images takes
        well under a second, and a reader still running when Python exits would answer
        through an object already deleted (a traceback on the way out)."""
        self.wait_for_examples()

    # --- building -------------------------------------------------------------------------------

    def _build_ui(self):
        self.controls = StepControls()
        note = QLabel(LAYOUT_NOTE, objectName="mathsLayoutNote", wordWrap=True)
        self.pages = QStackedWidget(objectName="mathsPages")
        for page in all_pages():
            self.pages.addWidget(page)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.pages)
        self.position = QLabel(objectName="mathsPosition", wordWrap=True)
        self.previous_button = self._button("mathsPrevious", "◂ &Previous",
                                            "The equation before.", self._previous)
        self.next_button = self._button("mathsNext", "&Next equation ▸",
                                        "The next equation; after the last one, take the step "
                                        "and start the next.", self._next)
        self.step_button = self._button("mathsStepButton", "One whole &step",
                                        "Take the step shown, and show the next one.",
                                        lambda: self.session.take_steps(1))
        self.ten_button = self._button("mathsTenSteps", "Run &ten steps",
                                       "Take ten steps on the same batch.",
                                       lambda: self.session.take_steps(TEN_STEPS))
        nav = QHBoxLayout()
        nav.addWidget(self.position, 1)
        for button in (self.previous_button, self.next_button, self.step_button,
                       self.ten_button):
            nav.addWidget(button)
        self.status = QLabel(objectName="mathsStatus", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addWidget(note)
        layout.addLayout(nav)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)

    def _button(self, name, text, tip, slot):
        button = QPushButton(text, objectName=name, toolTip=tip)
        button.clicked.connect(slot)
        return button

    # --- the batch --------------------------------------------------------------------------------

    def showEvent(self, event):
        super().showEvent(event)
        if self._loader is None:
            self._loader = MnistLoader(mnist_folder())
            self._loader.signals.loaded.connect(self._pool_loaded)
            self._loader.signals.failed.connect(self._pool_failed)
            self._pool_threads.start(self._loader)
        if self._stale:
            self._refresh_batch()

    @Slot(object)
    def _pool_loaded(self, pool):
        self._pool, self._pool_message = pool, ""
        self.controls.set_pool(len(pool), pool.source)
        self._refresh_batch()

    @Slot(str)
    def _pool_failed(self, message):
        self._pool_message = (f"{message} Meanwhile the examples are {len(self._pool)} "
                              "digits written here as pen strokes.")
        self._refresh_batch()

    @Slot()
    def _refresh_batch(self):
        """Build the batch the controls describe and trace its step (now if shown, else when
        shown: drawing on the Draw tab never waits for this tab)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        c = self.controls
        drawing = self._drawing if c.uses_drawing() else None
        x, y = self._pool.batch(c.batch_size.value(), c.image.value(), drawing,
                                c.drawing_label.currentIndex())
        self._message = NO_DRAWING_TEXT if c.uses_drawing() and drawing is None else ""
        self.session.set_batch(x, y)

    @Slot(str)
    def _restart(self, choice):
        model = fresh_notebook_model()
        self._message = ""
        if choice == ACTIVE:
            active = self._active_model()
            if active is not None and fits(active):
                model = active
            else:
                what = "no model" if active is None else describe(active.architecture())
                self._message = (f"The active model is {what}, not the notebook's 784-10-10: "
                                 "starting from fresh weights. Train the Notebook preset to "
                                 "step its weights here.")
                self.controls.set_weights_choice(FRESH)
        self.session.reset(model)

    # --- pages ----------------------------------------------------------------------------------

    @Slot(object)
    def _show_trace(self, trace):
        if trace is not None:
            self.page.show_trace(trace)
        self._update_labels()

    def _go(self, index):
        self.pages.setCurrentIndex(index)
        if self.session.trace is not None:
            self.page.show_trace(self.session.trace)
        self._update_labels()

    @Slot()
    def _previous(self):
        self._go(max(0, self.pages.currentIndex() - 1))

    @Slot()
    def _next(self):
        if self.pages.currentIndex() < self.pages.count() - 1:
            self._go(self.pages.currentIndex() + 1)
        else:
            self.session.take_steps(1)
            self._go(0)

    def _update_labels(self):
        page, s = self.page, self.session
        colour = PHASE_COLOURS[page.phase]
        self.position.setText(f"<b style='color:{colour}'>{page.phase}</b> · equation "
                              f"{self.pages.currentIndex() + 1} of {self.pages.count()} · "
                              f"step {s.steps_taken + 1}")
        self.previous_button.setEnabled(self.pages.currentIndex() > 0)
        has_trace = s.trace is not None
        for button in (self.next_button, self.step_button, self.ten_button):
            button.setEnabled(has_trace)
        parts = [self._message, self._pool_message]
        if has_trace and s.first_loss is not None:
            parts.append(f"{plural(s.batch_steps, 'step')} taken on this batch: its loss went "
                         f"from {s.first_loss:.4f} to {s.trace.loss:.4f}.")
        self.status.setText(" ".join(p for p in parts if p))
