"""Why did it say that? The Draw tab's saliency map (``nn.network.saliency``) beside the network input.

The map is painted in a diverging colour map, with the network input's ink darkening it so the
strokes stay visible: red where more ink would raise the class's probability (gradient) or
where the ink carried the class (occlusion), blue where it lowers it, white where it does not
matter. Each map has its own scale: colours compare pixels, not drawings.

The gradient map is computed at once, in the prediction's own path (one backward pass);
occlusion (a forward pass of a batch of erased copies, many times the cost) is computed just
after the prediction has been shown, in the next event-loop turn, so it never delays the
answer. Neither is computed while the tab is hidden: the map catches up when it is shown.
"""

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.widgets.network_input import CrispSquareView
from nn.network.saliency import input_gradient, occlusion

# Diverging colours (ColorBrewer's RdBu ends and its near-white middle): red and blue stay
# distinct for the common colour-vision deficiencies.
NEGATIVE, ZERO, POSITIVE = (np.array(c, dtype=float) for c in
                            ((33, 102, 172), (247, 247, 247), (178, 24, 43)))
MAP_MIN_SIDE = 3 * 28  # logical px: room for it beside the input preview in a small window
SATURATED = 0.99  # the strongest 1% of pixels get the full colour
INK_SHADE = 0.45  # how much full ink darkens the map's colour
MODES = {"Gradient": "More ink here would raise (red) or lower (blue) the class's probability.",
         "Occlusion": "Erasing this part of the drawing would lower (red) or raise (blue) the "
                      "class's probability."}


def colour_map(values, ink):
    """(h, w, 3) uint8 RGB: values (h, w) scaled to [-1, 1], then blue-white-red, darkened
    by ink (h, w). The scale is the magnitude at the ``SATURATED`` quantile, so that a few
    extreme pixels (gradient maps have them) do not wash out all the others."""
    magnitude = np.abs(values).ravel()
    k = int(SATURATED * (magnitude.size - 1))
    # The largest value when fewer pixels than that are not zero (occlusion of a dot).
    scale = float(np.partition(magnitude, k)[k]) or float(magnitude.max())
    v = np.clip(values / scale, -1, 1) if scale > 0 else np.zeros_like(values)
    end = np.where(v[..., None] < 0, NEGATIVE, POSITIVE)
    rgb = ZERO + (end - ZERO) * np.abs(v)[..., None]
    rgb *= 1 - INK_SHADE * ink[..., None]
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


class SaliencyView(CrispSquareView):
    """A saliency map over the 28x28 input, drawn as large and crisp as the input preview."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("saliencyView")
        self.setMinimumSize(MAP_MIN_SIDE, MAP_MIN_SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def set_map(self, values, ink):
        """Show the map values (h, w) over the input ink (h, w), or nothing for None."""
        self.show_pixels(None if values is None else colour_map(values, ink))


class SaliencyPanel(QWidget):
    """The map, which class it explains, and the choice between gradient and occlusion.

    It explains the predicted class until ``show_class`` picks another; clearing the drawing
    goes back to the predicted class.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = self._input = self._probs = None
        self._names = tuple("0123456789")
        self._chosen = None       # a class picked by the user, or None: the predicted one
        self.shown_class = None   # the class the map on screen explains
        self._stale = False       # a drawing arrived while hidden
        self._label = QLabel(objectName="saliencyLabel")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setWordWrap(True)  # a narrow column wraps it instead of widening
        self._label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._view = SaliencyView()
        self._mode = QComboBox(objectName="saliencyModeCombo")
        self._mode.setToolTip("Gradient: what more or less ink would change. Occlusion: which "
                              "parts of the drawing carried the answer.")
        self._mode.addItems(list(MODES))
        self._mode.currentIndexChanged.connect(self._refresh)
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self._paint_occlusion)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._label)
        layout.addWidget(self._view, 0, Qt.AlignmentFlag.AlignHCenter)
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
        if self._probs is None or self._stale:
            self.shown_class = None
            self._view.set_map(None, None)
            self._label.setText("Why? (draw a digit)\nred: for · blue: against")
            return
        predicted = int(np.argmax(self._probs))
        if self._chosen is not None and self._chosen >= len(self._probs):
            self._chosen = None  # a model with fewer classes came in
        self.shown_class = predicted if self._chosen is None else self._chosen
        name = self._names[self.shown_class]
        p = float(self._probs[self.shown_class])
        why = "the answer" if self.shown_class == predicted else f"{p:.0%}, not the answer"
        self._label.setText(f"Why {name}? ({why})\nred: for {name} · blue: against")
        self._view.setToolTip(f"Why {name}: {MODES[self._mode.currentText()]}")
        if self._mode.currentText() == "Gradient":
            values, _ = input_gradient(self._model, self._input, self.shown_class)
            self._view.set_map(values, self._input)
        else:
            self._later.start()  # after the answer is on screen

    def _paint_occlusion(self):
        self._view.set_map(occlusion(self._model, self._input, self.shown_class), self._input)
