"""The Inspect tab: learned weights, the activation path and the confusion matrix."""

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget

from desktop.inspect.confusion_job import ConfusionJob
from desktop.inspect.tab import InspectTab
from desktop.inspect.views import HeatImage
from nn.network.model import Model
from nn.files.modelfile import load_model
from nn.training.presets import PRESETS, mlp_architecture
from tests.desktop.drawing import ONE, draw, on_pad
from tests.desktop.stand_ins import use_as_bundled

DEFAULT_MODEL = Path(__file__).resolve().parents[3] / "resources" / "default-model.npz"
TEST_LIMIT = 1000  # the bundled model misreads 5 of the first 1,000 test digits, none of the
                   # first 500


def make_model(kind):
    rng = np.random.default_rng(1)
    if kind == "notebook":
        return Model.from_architecture(mlp_architecture((10,), init="uniform"), rng=rng)
    if kind == "mlp":
        return Model.from_architecture(mlp_architecture((100, 32)), rng=rng)
    preset = PRESETS["cnn"]
    return Model.from_architecture(preset.architecture, input_shape=preset.input_shape, rng=rng)


def a_digit():
    """A rough "1": a vertical bar of ink in the middle of the 28x28 input."""
    x = np.zeros((28, 28), np.float32)
    x[5:23, 13:16] = 1.0
    return x


def direct_forward(model, x):
    """Every layer's output, computed with plain NumPy from the weights (no layer code)."""
    out, a = [], x.reshape(model.input_shape).astype(np.float64)
    for layer in model.layers:
        name = type(layer).__name__
        if name == "Dense":
            a = a.reshape(-1) @ layer.W + layer.b
        elif name == "ReLU":
            a = np.maximum(a, 0)
        elif name == "Conv2D":
            o, _, k, _ = layer.W.shape
            h, w = a.shape[1] - k + 1, a.shape[2] - k + 1
            conv = np.zeros((o, h, w))
            for i in range(h):
                for j in range(w):
                    conv[:, i, j] = np.tensordot(layer.W, a[:, i:i + k, j:j + k], axes=3)
            a = conv + layer.b[:, None, None]
        elif name == "MaxPool2D":
            c, h, w = a.shape
            a = a[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))
        elif name == "Flatten":
            a = a.reshape(-1)
        elif name != "Dropout":
            raise AssertionError(f"no reference for {name}")
        out.append(a)
    return out


@pytest.fixture
def tab(qtbot):
    widget = InspectTab()
    qtbot.addWidget(widget)
    widget.show()   # as the user sees it: a hidden tab leaves its pictures for later
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()   # cancels a test pass still running, as closing the window does


@pytest.mark.parametrize("kind, grid, tiles", [("notebook", "unitWeights", 10),
                                               ("mlp", "unitWeights", 64),
                                               ("cnn", "convFilters", 16)])
def test_views_render_for_each_kind_of_network(tab, kind, grid, tiles):
    model = make_model(kind)
    tab.set_model(model)
    tab.set_input(a_digit())
    learned = tab.findChild(QWidget, "learnedWeights")
    shown = learned.findChildren(HeatImage, grid + "Tile")
    assert len(shown) == tiles
    # The tiles are the first layer's weights, unit i's or filter i's.
    first = model.layers[0].W
    expected = first[:, 3].reshape(28, 28) if kind != "cnn" else first[3, 0]
    np.testing.assert_array_equal(shown[3].values, expected)

    path = tab.findChild(QWidget, "activationPath")
    assert len(path.entries) == len(model.layers)
    for (name, got), want in zip(path.entries, direct_forward(model, a_digit())):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=name)
    if kind == "cnn":   # the feature maps are the first conv layer's output
        maps = learned.findChildren(HeatImage, "featureMapsTile")
        assert len(maps) == 16
        np.testing.assert_allclose(maps[5].values, path.entries[0][1][5])


def test_path_follows_the_drawing_and_clears(tab):
    model = make_model("notebook")
    tab.set_model(model)
    path = tab.findChild(QWidget, "activationPath")
    assert path.entries == []
    tab.set_input(a_digit())
    first = path.entries[-1][1].copy()
    assert first.shape == (10,)
    tab.set_input(a_digit().T)   # a different drawing gives different outputs
    assert not np.allclose(path.entries[-1][1], first)
    tab.set_input(None)
    assert path.entries == []


def test_notebook_network_fits_one_screen(tab, qtbot):
    tab.set_model(make_model("notebook"))
    tab.set_input(a_digit())
    tab.resize(1100, 700)
    tab.show()
    qtbot.waitExposed(tab)
    # Every unit image, every layer's strip and the matrix are wholly visible, unscrolled.
    shown = (tab.findChildren(HeatImage, "unitWeightsTile")
             + tab.findChildren(HeatImage, "activationRowTile")
             + [tab.findChild(QWidget, "confusionMatrix")])
    assert len(shown) == 10 + 3 + 1
    def all_visible():
        for widget in shown:
            assert widget.height() > 0, widget.objectName()
            assert widget.visibleRegion().boundingRect() == widget.rect(), widget.objectName()

    qtbot.waitUntil(all_visible, timeout=2000)   # once the layouts have settled


def test_missing_data_is_one_line_in_the_tab(tab, qtbot, tmp_path):
    tab.set_model(make_model("notebook"))
    tab.set_dataset("mnist", tmp_path)   # an empty folder
    tab.show()
    status = tab.findChild(QLabel, "inspectStatus")
    qtbot.waitUntil(lambda: not tab.is_computing and "Testing" not in status.text(), timeout=5000)
    assert status.text() and "\n" not in status.text()
    assert "Traceback" not in status.text()
    assert tab.findChild(QTableWidget, "confusionMatrix").item(0, 0) is None


def click_cell(qtbot, table, row, col):
    rect = table.visualItemRect(table.item(row, col))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_confusion_matrix_and_gallery_on_real_mnist(tab, qtbot, mnist_dir):
    model = load_model(DEFAULT_MODEL)
    tab.test_limit = TEST_LIMIT
    tab.set_dataset("mnist", mnist_dir)
    tab.set_model(model)
    tab.resize(1200, 800)
    tab.show()   # showing the tab starts the computation
    table = tab.findChild(QTableWidget, "confusionMatrix")
    qtbot.waitUntil(lambda: table.item(0, 0) is not None, timeout=15000)
    counts = np.array([[int(table.item(r, c).text() or 0) for c in range(10)]
                       for r in range(10)])
    assert counts.sum() == TEST_LIMIT
    assert np.trace(counts) > 0.9 * TEST_LIMIT   # the bundled model reads digits well
    accuracy = tab.findChild(QTableWidget, "perClassAccuracy")
    assert accuracy.item(3, 0).text().startswith(f"{counts[3, 3] / counts[3].sum():.1%}")

    # An off-diagonal cell: the model's mistakes of one kind.
    off = counts - np.diag(np.diag(counts))
    row, col = np.unravel_index(off.argmax(), off.shape)
    assert off[row, col] > 0
    for r, c in ((row, col), (7, 7)):
        click_cell(qtbot, table, r, c)
        gallery = tab.findChild(QWidget, "confusionGallery")
        images = gallery.findChildren(QWidget, "galleryImage")
        assert len(images) == min(counts[r, c], 24) == len(tab.gallery_items)
        x, y = tab._test_set[1]
        predicted = model.predict(x[[i for i, *_ in tab.gallery_items]])
        for (index, true, pred, confidence), p in zip(tab.gallery_items, predicted):
            assert (true, pred, p) == (r, c, c) and y[index] == r
            assert 0 < confidence <= 1

    # Cached per model: showing it again does not start another job.
    tab.hide()
    tab.show()
    assert not tab.is_computing


def shown_predictions(table):
    """How many test images the shown matrix has the model predict as each class."""
    return np.array([[int(table.item(r, c).text() or 0) for c in range(10)]
                     for r in range(10)]).sum(axis=0)


def test_results_are_cached_per_model_and_follow_a_change_meanwhile(tab, qtbot, mnist_dir):
    first, second = make_model("notebook"), make_model("mlp")
    tab.test_limit = 200
    tab.set_dataset("mnist", mnist_dir)
    tab.show()
    tab.set_model(first)
    assert tab.is_computing
    tab.set_model(second)   # while the first job runs: the second follows it
    table = tab.findChild(QTableWidget, "confusionMatrix")
    qtbot.waitUntil(lambda: not tab.is_computing and table.item(0, 0) is not None, timeout=15000)
    x, _ = tab._test_set[1]
    expected = {m: np.bincount(m.predict(x), minlength=10) for m in (first, second)}
    np.testing.assert_array_equal(shown_predictions(table), expected[second])
    tab.set_model(first)
    qtbot.waitUntil(lambda: not tab.is_computing, timeout=15000)
    np.testing.assert_array_equal(shown_predictions(table), expected[first])
    tab.set_model(second)    # computed before: shown at once, no new job
    assert not tab.is_computing
    np.testing.assert_array_equal(shown_predictions(table), expected[second])


def test_a_cancelled_job_reports_cancelled_and_computes_nothing():
    x = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    y = np.arange(50) % 10
    reports = []
    for cancel in (False, True):
        job = ConfusionJob("key", make_model("notebook"), "mnist", None, None, (x, y))
        job.signals.finished.connect(lambda key, result: reports.append(("finished", result)))
        job.signals.cancelled.connect(lambda key: reports.append(("cancelled", None)))
        if cancel:
            job.cancel()
        job.run()   # on this thread: the signals arrive before run() returns
    assert [kind for kind, _ in reports] == ["finished", "cancelled"]
    assert reports[0][1]["matrix"].sum() == 50


def test_a_model_change_and_closing_do_not_wait_for_a_whole_test_pass(tab, qtbot, mnist_dir):
    # A CNN takes about 10 s over the 10,000 test images on 2 cores; cancelled, it stops
    # within one chunk of them.
    tab.set_dataset("mnist", mnist_dir)
    tab.show()
    tab.set_model(make_model("cnn"))
    assert tab.is_computing
    started = time.monotonic()
    notebook = make_model("notebook")
    tab.set_model(notebook)
    table = tab.findChild(QTableWidget, "confusionMatrix")
    qtbot.waitUntil(lambda: not tab.is_computing and table.item(0, 0) is not None, timeout=15000)
    assert time.monotonic() - started < 7, "the CNN's job was cancelled, not finished"
    assert shown_predictions(table).sum() == 10000
    tab.set_model(make_model("cnn"))
    assert tab.is_computing
    qtbot.wait(300)   # well inside the pass
    started = time.monotonic()
    tab.shutdown()
    assert time.monotonic() - started < 2 and not tab._runner.pool.activeThreadCount()


def test_window_inspect_tab_follows_the_drawing(open_window, monkeypatch, tmp_path):
    use_as_bundled(tmp_path / "notebook.npz", monkeypatch, make_model("notebook"))
    window = open_window()
    tabs = window.tabs
    assert ([tabs.tabText(i) for i in range(tabs.count())][:4]
            == ["Draw", "Number", "Train", "Inspect"])
    inspect = window.inspect_tab
    path = inspect.findChild(QWidget, "activationPath")
    assert path.entries == [] and not inspect.is_computing   # hidden: nothing computed yet
    pad = window.draw_tab.pad
    draw(pad, on_pad(pad, ONE))
    assert path.entries == []   # hidden: drawing does not wait for pictures nobody sees
    tabs.setCurrentWidget(inspect)   # shown: it catches up with the drawing
    assert len(path.entries) == 3
    expected = direct_forward(window.active_model, window.draw_tab.last_input)
    np.testing.assert_allclose(path.entries[-1][1], expected[-1], rtol=1e-4, atol=1e-4)
    tabs.setCurrentWidget(window.draw_tab)
    window.draw_tab.findChild(QWidget, "clearButton").click()
    assert len(path.entries) == 3   # hidden again: still the last drawing it showed
    tabs.setCurrentWidget(inspect)
    assert path.entries == []
    window.close()


def test_hidden_inspect_tab_draws_a_new_models_pictures_when_shown(open_window, monkeypatch,
                                                                    tmp_path):
    use_as_bundled(tmp_path / "notebook.npz", monkeypatch, make_model("notebook"))
    window = open_window()
    learned = window.inspect_tab.findChild(QWidget, "learnedWeights")
    window.tabs.setCurrentWidget(window.inspect_tab)
    assert len(learned.findChildren(HeatImage, "unitWeightsTile")) == 10
    window.tabs.setCurrentWidget(window.draw_tab)
    mlp = make_model("mlp")
    window.set_active_model(mlp)
    # A training run's end makes its model active: pictures of a tab nobody looks at would
    # hold up the event loop for nothing.
    assert len(learned.findChildren(HeatImage, "unitWeightsTile")) == 10
    window.tabs.setCurrentWidget(window.inspect_tab)
    shown = learned.findChildren(HeatImage, "unitWeightsTile")
    assert len(shown) == 64
    np.testing.assert_array_equal(shown[5].values, mlp.layers[0].W[:, 5].reshape(28, 28))
    window.close()
