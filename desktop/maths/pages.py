"""The equation pages of one training step: the notebook's equations in its column form, a
sentence in plain words under each (with this step's own numbers), and the quantities the
equation reads and writes, taken from a StepTrace (`nn.training.one_step`).

Column form: the engine's arrays hold one example per row; the notebook's per column. Every
matrix here is the engine's array transposed (``.T``), the biases are columns (``[:, None]``).
"""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.maths.panels import (CLASSES, HIDDEN, BarsPanel, DigitsPanel, MatrixPanel,
                                  TextPanel, UnitPicturesPanel)

EQUATION_FONT_SCALE = 1.6   # of the application font
PANEL_SPACING = 24          # logical px between two quantities side by side


def columns(name):
    """The trace's ``name`` in column form: transposed, a 1-D bias as a column."""
    return lambda t: getattr(t, name).T if getattr(t, name).ndim == 2 else getattr(t, name)[:, None]


def one_hot(t):
    y = np.zeros((10, len(t.y)), dtype=np.int64)
    y[t.y, np.arange(len(t.y))] = 1
    return y


def mask(t):
    return t.relu_mask.T


def losses_text(t):
    parts = "".join(f"#{j + 1}: A2[{t.y[j]}, {j + 1}] = {t.a2[j, t.y[j]]:.4f}<br>"
                    for j in range(len(t.y)))
    return (f"The probability each example's true digit got:<br>{parts}"
            f"<b>L = {t.loss:.4f}</b> (the mean of their −log)")


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- the sentences: what each line does and why, with this step's numbers -------------------

def say_x(t):
    return (f"The batch is {plural(len(t.y), 'image')}. Each 28×28 image is read row by row "
            "into one column of 784 numbers in [0, 1] (ink = 1), so X is 784 × m. Y holds the "
            f"true digits: {', '.join(map(str, t.y))}.")


def say_z1(t):
    return ("Hidden unit i multiplies every pixel by its weight (row i of W1, drawn as a "
            "picture: a red pixel raises the sum where there is ink, a blue one lowers it), "
            "adds the 784 products and its bias b1[i]. One dot product per unit and example: "
            "(10 × 784)(784 × m) gives 10 × m.")


def say_a1(t):
    passed = int(t.relu_mask.sum())
    return (f"ReLU keeps a positive value and replaces a negative one by 0. {passed} of the "
            f"{t.relu_mask.size} hidden values are positive and pass; the grey, hatched ones "
            "are blocked, and will pass no gradient back either.")


def say_z2(t):
    return ("Each output score is a weighted sum of the ten hidden activations (row d of W2 "
            "for digit d) plus a bias: the evidence the network finds for each digit.")


def say_a2(t):
    best = int(np.argmax(t.a2[0]))
    return ("softmax raises e to each score and divides by the column's sum, so each column "
            "becomes ten probabilities adding up to 1 (the engine subtracts the column's "
            "largest score first, so e^z cannot overflow; the result is the same). Example #1 "
            f"is read as a {best} ({t.a2[0, best]:.0%}); it is a {t.y[0]}.")


def say_loss(t):
    return ("The loss is the mean over the batch of −log(the probability given to the true "
            "digit): 0 when every true digit gets probability 1, ln 10 = 2.30 for a uniform "
            "guess. Training lowers it.")


def say_dz2(t):
    return ("How the loss changes with each score: the probability minus 1 for the true "
            "digit, the probability itself for the others, divided by m because the loss is a "
            "mean. (The notebook divides by m later, in dW and db; the engine once, here: the "
            "same numbers in the end.) A negative entry means: raise this score.")


def say_dw2(t):
    return ("dW2[d, i] adds up over the batch how much score d should move times how active "
            "hidden unit i was: a weight moves only as much as the unit it reads was on. db2 "
            "is dZ2 summed over the batch.")


def say_da1(t):
    return ("The gradient flows back through the same weights: hidden unit i gets, from each "
            "digit d, its weight W2[d, i] times dZ2[d]. That is how much the loss would change "
            "if the unit's activation changed.")


def say_dz1(t):
    idle = int(np.count_nonzero(~t.relu_mask.any(axis=0)))
    return ("ReLU passes gradient only where it passed the value: dZ1 = dA1 where Z1 > 0 and "
            f"0 where it blocked (grey). {plural(idle, 'hidden unit')} blocked on every example "
            "of the batch, and so learn nothing from it.")


def say_dw1(t):
    return ("dW1 = dZ1 Xᵀ: for each unit, every example's image scaled by that unit's dZ1 "
            "for it, added up: each picture is a unit's 784 gradients. The update subtracts "
            "them, so a red pixel's weight goes down and a blue one's up; a unit ReLU blocked "
            "on every example has a blank picture. db1 is dZ1 summed over the batch.")


def say_update(t):
    d, i = np.unravel_index(np.argmax(np.abs(t.dw2.T)), t.dw2.T.shape)
    return (f"Gradient descent moves every weight a step of α = {t.learning_rate:g} against "
            f"its gradient. The largest move in W2, for example: W2[{d}, h{i}] = "
            f"{t.w2[i, d]:.4f} − {t.learning_rate:g} × ({t.dw2[i, d]:.4f}) = "
            f"{t.new_w2[i, d]:.4f}. W1's change is small beside W1 itself: it shows on its "
            "own, where the examples had ink.")


def say_after(t):
    j, y = 0, t.y[0]
    return (f"The same batch through the updated weights: the loss went from {t.loss:.4f} to "
            f"{t.loss_after:.4f} ({t.loss_after - t.loss:+.4f}). Example #1's probability of "
            f"its true digit {y}: {t.a2[j, y]:.1%} → {t.a2_after[j, y]:.1%}.")


# --- the pages ---------------------------------------------------------------------------------

def forward_pages():
    return [
        ("Forward", "X", "X = [ x<sup>(1)</sup> … x<sup>(m)</sup> ]", say_x,
         lambda: [[DigitsPanel("mathsX", "X: the batch")]]),
        ("Forward", "Z1", "Z1 = W1 X + b1", say_z1,
         lambda: [[UnitPicturesPanel("mathsW1", "W1: each row as a picture", columns("w1")),
                   MatrixPanel("mathsB1", "b1", columns("b1"), HIDDEN, [""]),
                   MatrixPanel("mathsZ1", "Z1", columns("z1"), HIDDEN)],
                  [DigitsPanel("mathsXAgain", "X")]]),
        ("Forward", "A1", "A1 = ReLU(Z1) = max(0, Z1)", say_a1,
         lambda: [[MatrixPanel("mathsZ1Masked", "Z1 (blocked values greyed)", columns("z1"),
                               HIDDEN, mask=mask),
                   MatrixPanel("mathsA1", "A1", columns("a1"), HIDDEN, mask=mask)]]),
        ("Forward", "Z2", "Z2 = W2 A1 + b2", say_z2,
         lambda: [[MatrixPanel("mathsW2", "W2", columns("w2"), CLASSES, HIDDEN),
                   MatrixPanel("mathsB2", "b2", columns("b2"), CLASSES, [""]),
                   MatrixPanel("mathsZ2", "Z2", columns("z2"), CLASSES)]]),
        ("Forward", "A2", "A2 = softmax(Z2) = e<sup>Z2</sup> / Σ e<sup>Z2</sup>", say_a2,
         lambda: [[BarsPanel("mathsBars", "A2 of example #1 (its true digit outlined)",
                             lambda t: t.a2[0]),
                   MatrixPanel("mathsA2", "A2", columns("a2"), CLASSES)]]),
        ("Forward", "L", "L = −1/m Σ<sub>j</sub> log A2[y<sub>j</sub>, j]", say_loss,
         lambda: [[TextPanel("mathsLoss", "the loss", losses_text)]]),
    ]


def backward_pages():
    return [
        ("Backward", "dZ2", "dZ2 = (A2 − Y) / m", say_dz2,
         lambda: [[MatrixPanel("mathsY", "Y (one-hot labels)", one_hot, CLASSES),
                   MatrixPanel("mathsDZ2", "dZ2", columns("dz2"), CLASSES)]]),
        ("Backward", "dW2", "dW2 = dZ2 A1ᵀ;&nbsp;&nbsp;&nbsp;db2 = Σ<sub>j</sub> dZ2", say_dw2,
         lambda: [[MatrixPanel("mathsDW2", "dW2", columns("dw2"), CLASSES, HIDDEN),
                   MatrixPanel("mathsDB2", "db2", columns("db2"), CLASSES, [""])]]),
        ("Backward", "dA1", "dA1 = W2ᵀ dZ2", say_da1,
         lambda: [[MatrixPanel("mathsDA1", "dA1", columns("da1"), HIDDEN)]]),
        ("Backward", "dZ1", "dZ1 = dA1 ⊙ [Z1 &gt; 0]", say_dz1,
         lambda: [[MatrixPanel("mathsDA1Again", "dA1", columns("da1"), HIDDEN),
                   MatrixPanel("mathsMask", "[Z1 &gt; 0]: the ReLU mask",
                               lambda t: t.relu_mask.T.astype(np.int64), HIDDEN, mask=mask),
                   MatrixPanel("mathsDZ1", "dZ1", columns("dz1"), HIDDEN, mask=mask)]]),
        ("Backward", "dW1", "dW1 = dZ1 Xᵀ;&nbsp;&nbsp;&nbsp;db1 = Σ<sub>j</sub> dZ1", say_dw1,
         lambda: [[MatrixPanel("mathsDZ1Again", "dZ1", columns("dz1"), HIDDEN, mask=mask),
                   UnitPicturesPanel("mathsDW1", "dW1: each row as a picture", columns("dw1")),
                   MatrixPanel("mathsDB1", "db1", columns("db1"), HIDDEN, [""])]]),
    ]


def update_pages():
    return [
        ("Update", "update", "W ← W − α dW;&nbsp;&nbsp;&nbsp;b ← b − α db", say_update,
         lambda: [[UnitPicturesPanel("mathsNewW1", "W1 after", columns("new_w1")),
                   UnitPicturesPanel("mathsW1Change", "W1 after − W1 before = −α dW1",
                                     lambda t: (t.new_w1 - t.w1).T),
                   MatrixPanel("mathsNewB1", "b1 after", columns("new_b1"), HIDDEN, [""])],
                  [MatrixPanel("mathsNewW2", "W2 after", columns("new_w2"), CLASSES, HIDDEN),
                   MatrixPanel("mathsNewB2", "b2 after", columns("new_b2"), CLASSES, [""])]]),
        ("Update", "after", "A2 again, with the new weights", say_after,
         lambda: [[BarsPanel("mathsBarsBefore", "A2 of example #1 before the step",
                             lambda t: t.a2[0]),
                   BarsPanel("mathsBarsAfter", "A2 of example #1 after the step",
                             lambda t: t.a2_after[0]),
                   MatrixPanel("mathsA2After", "A2 after", columns("a2_after"), CLASSES)]]),
    ]


class EquationPage(QWidget):
    """One equation: the formula, the sentence under it, and its quantities' panels."""

    def __init__(self, phase, key, equation, say, make_panels, parent=None):
        super().__init__(parent)
        self.phase, self.key, self._say = phase, key, say
        self.setObjectName(f"mathsPage{key}")
        self.equation = QLabel(equation, objectName="mathsEquation",
                               textFormat=Qt.TextFormat.RichText)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * EQUATION_FONT_SCALE)
        self.equation.setFont(font)
        self.sentence = QLabel(objectName="mathsSentence", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.equation)
        layout.addWidget(self.sentence)
        self.panels = []
        for row in make_panels():
            line = QHBoxLayout()
            line.setSpacing(PANEL_SPACING)
            for panel in row:
                line.addWidget(panel, 0, Qt.AlignmentFlag.AlignTop)
                self.panels.append(panel)
            line.addStretch(1)   # the panels keep to the left
            layout.addLayout(line)
        layout.addStretch(1)

    def show_trace(self, trace):
        self.sentence.setText(self._say(trace))
        for panel in self.panels:
            panel.show_trace(trace)


def all_pages():
    """The step's pages in order: forward, backward, update."""
    return [EquationPage(*spec) for spec in forward_pages() + backward_pages() + update_pages()]
