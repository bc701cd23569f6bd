"""The Maths tab, driven with real clicks: it walks through the notebook's equations, every
matrix it shows is what nn's own forward and backward compute on the same batch (and dW what
finite differences say), and its steps lower the batch loss."""

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.maths.matrix_view import NumberGrid
from desktop.maths.view import MathsView
from nn.data.datasets import load_dataset
from nn.network.losses import softmax, softmax_cross_entropy
from nn.network.model import Model
from nn.training.presets import PRESETS
from tests.nn.gradcheck import numerical_grad

M = 3
PAGE_KEYS = ["X", "Z1", "A1", "Z2", "A2", "L", "dZ2", "dW2", "dA1", "dZ1", "dW1", "update",
             "after"]
FRESH_SEED = 2   # the seed of the weights the tab starts from, as the notebook preset's


def click(qtbot, view, name):
    qtbot.mouseClick(view.findChild(object, name), Qt.MouseButton.LeftButton)


@pytest.fixture
def view(qtbot, mnist_dir, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(mnist_dir))
    widget = MathsView()
    qtbot.addWidget(widget)
    widget.resize(1150, 820)
    widget.show()
    qtbot.waitExposed(widget)
    widget.wait_for_examples()
    qtbot.waitUntil(lambda: widget.controls.image.maximum() > 100)   # MNIST has arrived
    widget.controls.source.setCurrentIndex(1)        # an MNIST training image...
    widget.controls.batch_size.setValue(M)          # ...and the next ones: a batch of three
    return widget


def grid(view, name):
    return view.findChild(NumberGrid, name).values


def go_to(qtbot, view, key):
    """Click Next or Previous until the page of ``key`` shows (Next never passes the last
    page, which would take the step)."""
    target = PAGE_KEYS.index(key)
    while view.page.key != key:
        click(qtbot, view, "mathsNext" if PAGE_KEYS.index(view.page.key) < target
              else "mathsPrevious")


def mnist_batch(mnist_dir):
    split = load_dataset("mnist", mnist_dir, limit=M)
    return split.x_train, split.y_train


def fresh_model():
    return Model.from_architecture(PRESETS["notebook"].architecture,
                                   rng=np.random.default_rng(FRESH_SEED))


def test_next_and_previous_walk_through_every_equation(qtbot, view):
    keys = [view.page.key]
    assert not view.previous_button.isEnabled()
    for _ in PAGE_KEYS[1:]:
        click(qtbot, view, "mathsNext")
        keys.append(view.page.key)
        assert view.page.findChild(QLabel, "mathsSentence").text()   # words under each
    assert keys == PAGE_KEYS
    assert "Update" in view.position.text() and "13 of 13" in view.position.text()
    click(qtbot, view, "mathsPrevious")
    assert view.page.key == "update"
    click(qtbot, view, "mathsNext")
    click(qtbot, view, "mathsNext")   # past the last equation: the step is taken
    assert view.page.key == "X" and "step 2" in view.position.text()
    assert view.session.steps_taken == 1


def test_the_matrices_are_nn_forward_and_backward_on_the_same_batch(qtbot, view, mnist_dir):
    x, y = mnist_batch(mnist_dir)
    model = fresh_model()
    dense1, relu, dense2 = model.layers
    z1 = dense1.forward(x)
    z2 = model.forward(x)
    loss, probs, grad = softmax_cross_entropy(model.forward(x, training=True), y)
    model.backward(grad)
    shown = {}
    for key in PAGE_KEYS:
        go_to(qtbot, view, key)
        shown |= {g.objectName(): g.values for g in view.page.findChildren(NumberGrid)}
    # Column form: every matrix is the engine's row-major array transposed.
    expected = {"mathsZ1": z1.T, "mathsA1": relu.forward(z1).T, "mathsZ2": z2.T,
                "mathsA2": softmax(z2).T, "mathsB1": dense1.b[:, None],
                "mathsW2": dense2.W.T, "mathsDW2": dense2.dW.T, "mathsDB2": dense2.db[:, None],
                "mathsDB1": dense1.db[:, None], "mathsY": np.eye(10, dtype=int)[y].T}
    for name, values in expected.items():
        assert shown[name].shape == values.shape, name
        np.testing.assert_allclose(shown[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    assert shown["mathsZ1"].shape == (10, M)
    go_to(qtbot, view, "dW1")
    tiles = view.page.findChild(object, "mathsDW1").tiles
    np.testing.assert_allclose(np.stack([t.values for t in tiles]),
                               dense1.dW.T.reshape(10, 28, 28), rtol=1e-5, atol=1e-7)
    assert f"{loss:.4f}" in view.findChild(QLabel, "mathsLoss").text()


def test_the_relu_mask_shows_which_hidden_units_passed(qtbot, view, mnist_dir):
    x, _ = mnist_batch(mnist_dir)
    positive = (fresh_model().layers[0].forward(x) > 0).T
    go_to(qtbot, view, "dZ1")
    page = view.page
    for name in ("mathsMask", "mathsDZ1"):
        np.testing.assert_array_equal(page.findChild(NumberGrid, name).mask, positive)
    assert np.all(grid(view, "mathsDZ1")[~positive] == 0)
    assert 0 < positive.sum() < positive.size


def test_dw_shown_agrees_with_finite_differences(qtbot, view, mnist_dir):
    x, y = (a.astype(np.float64) if a.dtype.kind == "f" else a for a in mnist_batch(mnist_dir))
    model = fresh_model()
    for layer in (model.layers[0], model.layers[2]):
        layer.W, layer.b = layer.W.astype(np.float64), layer.b.astype(np.float64)

    def loss():
        return softmax_cross_entropy(model.forward(x), y)[0]

    go_to(qtbot, view, "dW2")
    np.testing.assert_allclose(grid(view, "mathsDW2"), numerical_grad(loss, model.layers[2].W).T,
                               atol=1e-4)
    go_to(qtbot, view, "dW1")
    tiles = np.stack([t.values for t in view.page.findChild(object, "mathsDW1").tiles])
    pixels = np.argsort(x.sum(axis=0))[-20:]   # the rows of dW1 where the batch has most ink
    w1 = model.layers[0].W
    rows = w1[pixels]

    def loss_of_rows():
        w1[pixels] = rows
        return loss()

    numeric = numerical_grad(loss_of_rows, rows)   # (20, 10): pixel, hidden unit
    np.testing.assert_allclose(tiles.reshape(10, 784)[:, pixels], numeric.T, atol=1e-4)


def losses_in_status(view):
    text = view.findChild(QLabel, "mathsStatus").text()
    found = re.search(r"(\d+) steps? taken .* from (\d+\.\d+) to (\d+\.\d+)", text)
    steps, first, last = found.groups()
    return int(steps), float(first), float(last)


def test_a_step_lowers_the_batch_loss_and_ten_more_keep_lowering_it(qtbot, view):
    go_to(qtbot, view, "after")
    before = view.session.trace.loss
    assert view.session.trace.loss_after < before
    assert "went from" in view.page.findChild(QLabel, "mathsSentence").text()
    click(qtbot, view, "mathsStepButton")
    steps, first, now = losses_in_status(view)
    assert steps == 1 and first == pytest.approx(before, abs=1e-4) and now < first
    click(qtbot, view, "mathsTenSteps")
    steps, first_again, later = losses_in_status(view)
    assert steps == 11 and first_again == first and later < now
    assert view.page.key == "after"   # the learner stays on the equation being watched


def test_the_learning_rate_is_the_alpha_of_the_update(qtbot, view):
    view.controls.learning_rate.setValue(0.5)
    go_to(qtbot, view, "update")
    t = view.session.trace
    assert "α = 0.5" in view.page.findChild(QLabel, "mathsSentence").text()
    np.testing.assert_allclose(grid(view, "mathsNewW2"), (t.w2 - 0.5 * t.dw2).T, atol=1e-6)


def test_starting_again_goes_back_to_the_same_fresh_weights(qtbot, view):
    first = view.session.trace.loss
    click(qtbot, view, "mathsTenSteps")
    assert view.session.trace.loss < first
    click(qtbot, view, "mathsRestartButton")
    assert view.session.trace.loss == first and view.session.steps_taken == 0
