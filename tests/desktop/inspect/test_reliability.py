"""The Inspect tab's reliability diagrams: on MNIST test with the confusion matrix, on real
writers' pen digits when "Test on real writers" is clicked, each the figures of nn's
calibration module for the model's own predictions; a model trained on the writers is said
to be flattered by them."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from desktop.inspect.reliability_diagram import ReliabilityDiagram
from desktop.inspect.tab import InspectTab
from nn.data.unipen import load_pendigits
from nn.network.model import Model
from nn.training.calibration import reliability
from nn.training.presets import mlp_architecture
from nn.training.writers import pen_images

# Two writers, 3 and 12, each writing a "1" and a "7".
STROKES = {"1": [[(300, 450), (300, 50)]],
           "7": [[(100, 400), (200, 400), (150, 100)], [(120, 250), (190, 250)]]}


def unipen_text(writers=(3, 12), copies=3):
    lines = ['.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"', ".HIERARCHY DIGIT", ""]
    index = 0
    for writer in writers:
        for _ in range(copies):
            for label, strokes in STROKES.items():
                lines += [f'.SEGMENT DIGIT {index} ? "{label}"',
                          f".COMMENT {label} {writer} {index}"]
                for stroke in strokes:
                    lines += [".PEN_DOWN"] + [f" {x + 7 * index} {y}" for x, y in stroke]
                    lines += [".PEN_UP", ".DT 100"]
                index += 1
    return "\n".join(lines) + "\n"


@pytest.fixture
def pen_folder(tmp_path, monkeypatch):
    """A data folder whose pendigits/ holds 12 digits of writers 3 and 12, found like MNIST."""
    folder = tmp_path / "data"
    (folder / "pendigits").mkdir(parents=True)
    (folder / "pendigits" / "pendigits-orig.tra").write_text(unipen_text())
    monkeypatch.setenv("DIGITLAB_DATA", str(folder))
    return folder


@pytest.fixture
def tab(qtbot, mnist_dir):
    widget = InspectTab()
    qtbot.addWidget(widget)
    widget.test_limit = 300
    widget.set_dataset("mnist", mnist_dir)
    widget.resize(1200, 1000)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


def tiny_model(seed=5):
    model = Model.from_architecture(mlp_architecture((16,)), rng=np.random.default_rng(seed))
    model.set_calibration(1.0, 0.3)
    return model


def note(tab, name):
    return tab.findChild(QLabel, name).text()


def test_the_mnist_diagram_comes_with_the_confusion_matrix(tab, qtbot):
    model = tiny_model()
    tab.set_model(model)
    diagram = tab.findChild(ReliabilityDiagram, "mnistReliability")
    qtbot.waitUntil(lambda: diagram.reliability is not None, timeout=15000)

    x, y = tab._test_set[1]
    probs = model.predict_proba(x)
    expected = reliability(probs.max(axis=1), probs.argmax(axis=1) == y)
    np.testing.assert_array_equal(diagram.reliability.count, expected.count)
    assert diagram.reliability.count.sum() == 300
    assert diagram.title() == f"MNIST test: ECE {expected.ece:.2%}"
    assert "300 digits" in note(tab, "mnistReliabilityNote")
    assert "Unsure below 30%" in note(tab, "mnistReliabilityNote")


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_clicking_test_on_real_writers_draws_their_diagram(tab, qtbot, pen_folder):
    model = tiny_model()
    tab.set_model(model)
    diagram = tab.findChild(ReliabilityDiagram, "penReliability")
    button = tab.findChild(QPushButton, "penReliabilityButton")
    assert diagram.reliability is None and "Press Test on real writers" in note(
        tab, "penReliabilityNote")

    click(qtbot, button)
    assert not button.isEnabled()
    qtbot.waitUntil(lambda: diagram.reliability is not None, timeout=15000)

    digits, _ = load_pendigits()
    probs = model.predict_proba(pen_images(digits))
    expected = reliability(probs.max(axis=1), probs.argmax(axis=1) == digits.labels)
    np.testing.assert_array_equal(diagram.reliability.count, expected.count)
    assert diagram.title() == f"Real writers: ECE {expected.ece:.2%}"
    text = note(tab, "penReliabilityNote")
    assert "12 digits" in text and "2 writers" in text and "each is new to it" in text
    assert button.isEnabled()

    # Another model clears it; the first one's figure comes back without another pass.
    tab.set_model(tiny_model(seed=6))
    assert diagram.reliability is None
    tab.set_model(model)
    assert diagram.reliability is not None and not tab.reliability.is_computing


def test_a_model_trained_on_the_writers_is_said_to_be_flattered(tab, qtbot, pen_folder):
    model = tiny_model()
    model.info = {"pen_digits": {"writers": [3, 5, 8], "copies": 2}}
    tab.set_model(model)
    click(qtbot, tab.findChild(QPushButton, "penReliabilityButton"))
    qtbot.waitUntil(lambda: not tab.reliability.is_computing, timeout=15000)
    text = note(tab, "penReliabilityNote")
    assert "trained on 1 of these 2 writers" in text and "optimistic" in text


def test_missing_pen_digits_are_one_line_in_the_panel(tab, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    monkeypatch.setattr("nn.data.folders._CHECKOUT_DATA_DIR", tmp_path / "none")
    tab.set_model(tiny_model())
    click(qtbot, tab.findChild(QPushButton, "penReliabilityButton"))
    qtbot.waitUntil(lambda: not tab.reliability.is_computing, timeout=15000)
    text = note(tab, "penReliabilityNote")
    assert "pendigits-orig.tra was not found" in text and "\n" not in text
    assert tab.findChild(ReliabilityDiagram, "penReliability").reliability is None
