"""Held-out handwriting replayed through the real pad with mouse events (desktop.draw.replay)."""

import numpy as np
from PySide6.QtWidgets import QLabel

from desktop.draw.replay import draw_digit, replay
from desktop.draw.tab import DrawTab
from desktop.main_window import BUNDLED_MODEL
from desktop.widgets.drawing_pad import DEFAULT_PEN_WIDTH
from nn.data.datasets import load_dataset
from nn.files.modelfile import load_model
from nn.ink.ways import WAYS, held_out_digits, inputs_for
from nn.ink.written_numbers import PAIR_GAP, write_number
from tests.desktop.drawing import ink_position_model, shown

# In 28x28 pixel coordinates (x, y): a "1" in the middle columns, a "0" around them.
ONE = [np.array([[14.0, 4.0], [14.0, 24.0]])]
ZERO = [np.array([[14 + 7 * np.sin(t), 14 - 10 * np.cos(t)] for t in np.linspace(0, 6.3, 40)])]


def test_the_pad_gets_exactly_the_points_the_numpy_evaluation_uses(qtbot):
    tab = shown(qtbot, DrawTab(), (700, 480))
    tab.set_model(ink_position_model())
    side = min(tab.pad.width(), tab.pad.height())
    for way in WAYS:
        for strokes, name in ((ONE, "1"), (ZERO, "0")):
            assert draw_digit(tab, strokes, way) == name or way.name == "slanted"
            expected = inputs_for(way, [strokes], side)[0]
            np.testing.assert_allclose(tab.last_input, expected, atol=1e-4)
            assert len(tab.pad.strokes) == len(strokes)


def test_replay_reads_real_test_digits_in_every_way_and_restores_the_pen(qtbot, mnist_dir):
    data = load_dataset("mnist", mnist_dir, limit=200)
    digits, labels = held_out_digits(data.x_test, data.y_test, 3, seed=0)
    tab = shown(qtbot, DrawTab(), (700, 480))
    tab.set_model(load_model(BUNDLED_MODEL))
    tab.pad.pen_width = DEFAULT_PEN_WIDTH + 5
    accuracy = replay(tab, digits, labels)
    assert list(accuracy) == [way.name for way in WAYS]
    assert all(value == 1.0 for value in accuracy.values()), accuracy
    assert tab.pad.is_empty() and tab.pad.pen_width == DEFAULT_PEN_WIDTH + 5


def test_the_tab_reads_again_what_it_is_unsure_of(qtbot, mnist_dir):
    """Three held-out digits the network misreads at a first look at the pad's input, and
    reads right once it has looked at the strokes in every view (nn.ink.second_look)."""
    data = load_dataset("mnist", mnist_dir)
    digits, labels = held_out_digits(data.x_test, data.y_test, 1000, seed=0)
    tab = shown(qtbot, DrawTab(), (700, 480))
    model = load_model(BUNDLED_MODEL)
    tab.set_model(model)
    for i in (65, 259, 386):             # a 4, a 6 and a 7
        assert draw_digit(tab, digits[i], WAYS[0]) == str(labels[i])
        first = model.predict_proba(tab.last_input[None])[0]
        assert first.argmax() != labels[i] and model.is_unsure(first)


def test_two_digits_drawn_as_one_are_shown_unsure(qtbot, mnist_dir):
    """The bundled model learnt touching pairs as no digit: drawn on the Draw tab, two held-out
    digits side by side are "unsure", while each of them alone is mostly read surely."""
    data = load_dataset("mnist", mnist_dir)
    digits, labels = held_out_digits(data.x_test, data.y_test, 40, seed=3)
    tab = shown(qtbot, DrawTab(), (700, 480))
    tab.set_model(load_model(BUNDLED_MODEL))
    confidence = tab.findChild(QLabel, "confidenceLabel")
    rng = np.random.default_rng(0)
    pairs_unsure = alone_unsure = 0
    for a, b in zip(digits[::2], digits[1::2]):
        pair = write_number("00", [a, b], 3.0, rng, PAIR_GAP)
        draw_digit(tab, pair.strokes, WAYS[0])
        pairs_unsure += confidence.text().startswith("unsure")
        draw_digit(tab, a, WAYS[0])
        alone_unsure += confidence.text().startswith("unsure")
    assert pairs_unsure >= 17 and alone_unsure <= 2, (pairs_unsure, alone_unsure)
