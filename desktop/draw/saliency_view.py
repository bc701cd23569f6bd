"""Why did it say that? The Draw tab's saliency map (``nn.network.saliency``) beside the
network input.

Two maps, each in its own units and with a colour bar that says them:

- Ink shares (integrated gradients): each pixel's share of the change in log p(class) from
  a blank pad to the drawing (the shares add up to that change, which the caption states).
  Empty paper is white: it did not change, so it changed nothing.
- Occlusion: how much erasing the part of the drawing around each pixel lowers p(class),
  in probability units.

A map and its "why not" partner share one scale, so their colours compare: the partner of the
predicted class is the runner-up, the partner of any other class is the predicted one (both
come from one batch through the network). The scale is a round number at least
``MIN_SCALE`` of the map's units, so a change of p by 0.0003 stays near-white instead of
being stretched to full red. The network input's ink darkens the colours so the strokes stay
visible.

Both maps are computed just after the prediction has been shown, in the next event-loop turn,
so they never delay the answer; neither is computed while the tab is hidden: the map catches
up when it is shown.
"""

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.widgets.colour_map import ColourBar, diverging_rgb, nice_ceiling
from desktop.widgets.network_input import CrispSquareView
from nn.network.model import DIGITS
from nn.network.saliency import integrated_gradients, occlusion

MAP_MIN_SIDE = 3 * 28  # logical px: room for it beside the input preview in a small window
SATURATED = 0.95  # the strongest 5% of the two maps' pixels that are not 0 get full colour
INK_SHADE = 0.25  # how much full ink darkens the map's colour: the strokes show through
IG_MODE, OCCLUSION_MODE = "Ink shares", "Occlusion"
UNITS = {IG_MODE: "Δ log p per pixel", OCCLUSION_MODE: "Δp when erased"}
MIN_SCALE = {IG_MODE: 0.01, OCCLUSION_MODE: 0.01}
TOOLTIPS = {
    IG_MODE: "Each pixel's share of the change in log p from a blank pad to your drawing: "
             "red pixels raised it, blue ones lowered it. The shares add up to the change.",
    OCCLUSION_MODE: "How much erasing the drawing around each pixel would lower (red) or "
                    "raise (blue) the class's probability."}


def shaded_rgb(values, ink, scale):
    """(h, w, 3) uint8: values (h, w) in the diverging map from -scale to +scale, darkened by
    ink (h, w) so the strokes stay visible."""
    rgb = diverging_rgb(values, scale).astype(float)
    rgb *= 1 - INK_SHADE * ink[..., None]
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def shared_scale(maps, floor):
    """One round scale for maps (k, h, w): the magnitude at the ``SATURATED`` quantile of all
    their pixels that are not 0 (so a few extreme pixels do not wash out the others), never
    below floor."""
    magnitude = np.abs(maps[maps != 0])
    top = float(np.quantile(magnitude, SATURATED)) if magnitude.size else 0.0
    return nice_ceiling(max(top, floor))


class SaliencyView(CrispSquareView):
    """A saliency map over the 28x28 input, drawn as large and crisp as the input preview."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("saliencyView")
        self.setMinimumSize(MAP_MIN_SIDE, MAP_MIN_SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def set_map(self, values, ink, scale):
        """Show the map values (h, w) over the input ink (h, w), or nothing for None."""
        self.show_pixels(None if values is None else shaded_rgb(values, ink, scale))


class SaliencyPanel(QWidget):
    """The map, which class it explains, its colour bar, the one line that says what it
    shows, and the choice between integrated gradients and occlusion.

    It explains the predicted class until ``show_class`` picks another; clearing the drawing
    goes back to the predicted class.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = self._input = self._probs = None
        self._names = DIGITS
        self._chosen = None       # a class picked by the user, or None: the predicted one
        self.shown_class = None   # the class the map on screen explains
        self.partner_class = None  # the class whose map shares the scale
        self.maps = None          # (2, h, w): the shown class's map and its partner's
        self._stale = False       # a drawing arrived while hidden
        self._label = QLabel(objectName="saliencyLabel")
        self._caption = QLabel(objectName="saliencyCaption")
        for label in (self._label, self._caption):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)  # a narrow column wraps it instead of widening
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._view = SaliencyView()
        self.colour_bar = ColourBar()
        self.colour_bar.setObjectName("saliencyColourBar")
        self._mode = QComboBox(objectName="saliencyModeCombo")
        self._mode.setToolTip("Ink shares (integrated gradients from a blank pad): what each "
                              "pixel of ink did to the answer. Occlusion: what erasing each "
                              "part would do.")
        self._mode.addItems([IG_MODE, OCCLUSION_MODE])
        self._mode.currentIndexChanged.connect(self._refresh)
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self._paint_map)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._label)
        layout.addWidget(self._view, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self._caption)
        layout.addWidget(self._mode, 0, Qt.AlignmentFlag.AlignHCenter)
        self._refresh()

    def explain(self, model, x, probs, class_names):
        """Explain model's probabilities probs (classes,) for the input x (28, 28); all None:
        nothing drawn (then the predicted class is explained again next time)."""
        self._model, self._input, self._probs, self._names = model, x, probs, class_names
        if x is None:
            self._chosen = None
        self._refresh()

    def show_class(self, index):
        """Explain class index from now on (until the drawing is cleared)."""
        self._chosen = index
        self._refresh()

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale:
            self._refresh()

    def _refresh(self):
        self._later.stop()
        self._stale = not self.isVisible()
        self.maps = None
        if self._probs is None or self._stale:
            self.shown_class = self.partner_class = None
            self._view.set_map(None, None, None)
            self.colour_bar.set_scale(None, "")
            self._caption.setText("")
            self._label.setText("Why? (draw a digit)\nred: for · blue: against")
            return
        # Highest first, ties in class order, as the answer (np.argmax) breaks them.
        ranked = np.argsort(-np.asarray(self._probs), kind="stable")
        predicted = int(ranked[0])
        if self._chosen is not None and self._chosen >= len(self._probs):
            self._chosen = None  # a model with fewer classes came in
        self.shown_class = predicted if self._chosen is None else self._chosen
        self.partner_class = int(ranked[1]) if self.shown_class == predicted else predicted
        name = self._names[self.shown_class]
        p = float(self._probs[self.shown_class])
        why = "the answer" if self.shown_class == predicted else f"{p:.0%}, not the answer"
        self._label.setText(f"Why {name}? ({why})\nred: for {name} · blue: against")
        self._view.setToolTip(f"Why {name}: {TOOLTIPS[self._mode.currentText()]}")
        self._later.start()  # after the answer is on screen

    def _paint_map(self):
        mode = self._mode.currentText()
        classes = [self.shown_class, self.partner_class]
        name, partner = (self._names[c] for c in classes)
        if mode == IG_MODE:
            self.maps, change = integrated_gradients(self._model, self._input, classes)
            caption = (f"Each pixel's share of the change in log p({name}) from a blank pad to "
                       f"this drawing; the shares add up to {change[0]:+.2f}.")
        else:
            self.maps = occlusion(self._model, self._input, classes)
            caption = f"How much erasing each part would lower p({name}) (red) or raise it."
        scale = shared_scale(self.maps, MIN_SCALE[mode])
        self._view.set_map(self.maps[0], self._input, scale)
        self.colour_bar.set_scale(scale, f"{UNITS[mode]} (scale shared with {partner})")
        self._caption.setText(caption)
