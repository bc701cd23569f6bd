"""The Number tab: a number written on the numberPad with real mouse events is read digit by
digit by the bundled model; Ctrl+Z and Escape work on the pad; a digit read wrong is corrected
into My Handwriting."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from desktop.handwriting.store import HandwritingStore, to_uint8
from desktop.number.tab import NumberTab
from desktop.storage import database as database_module
from desktop.widgets.drawing_pad import MAX_STROKES
from desktop.widgets.drawing_pad import DrawingPad
from nn.files.modelfile import load_model
from nn.ink.strokes import strokes_to_mnist
from tests.desktop.drawing import ONE, SEVEN, ZERO, draw_on_pad, ink_position_model, shown

BUNDLED = Path(__file__).resolve().parents[3] / "resources" / "default-model.npz"
FOUR = [[(0.55, 0.18), (0.28, 0.6), (0.75, 0.6)], [(0.62, 0.35), (0.62, 0.85)]]


SLOT, SCALE = 0.45, 0.6   # of the pad's height: room per digit, and the digits' size


def in_slot(points, slot, aspect):
    """Points of a digit given in a unit square, shrunk and moved to the pad's slot `slot`
    (as fractions of the pad's width and height)."""
    return [((0.2 + slot * SLOT + x * SCALE) / aspect, 0.1 + y * SCALE) for x, y in points]


def write(pad, digits):
    """Write digits (each a list of strokes in a unit square) side by side on the pad."""
    for slot, strokes in enumerate(digits):
        for stroke in strokes:
            draw_on_pad(pad, in_slot(stroke, slot, pad.aspect))


@pytest.fixture
def tab(qtbot):
    tab = shown(qtbot, NumberTab(), (1000, 560))
    tab.set_model(load_model(BUNDLED))
    return tab


def test_a_written_number_is_read_left_to_right(tab, qtbot):
    pad, reading = tab.pad, tab.findChild(QLabel, "numberReading")
    assert pad.objectName() == "numberPad" and pad.width() > 2 * pad.height()
    assert reading.text() == ""
    write(pad, [[ONE], FOUR, [SEVEN]])
    assert reading.text() == "147"
    assert len(pad.strokes) == 4 and len(tab.inputs) == 3
    # Each digit went through the Draw tab's path: its own strokes, redrawn for the network.
    four = strokes_to_mnist(pad.strokes[1:3])
    np.testing.assert_array_equal(tab.inputs[1], four)
    confidences = [cell.label.text() for cell in tab._cells if cell.isVisible()]
    assert [text[0] for text in confidences] == ["1", "4", "7"]
    assert not any("?" in text for text in confidences)   # none of them unsure

    pad.setFocus()
    qtbot.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(pad.strokes) == 3 and reading.text() == "14"
    qtbot.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the 4's upright
    assert len(pad.strokes) == 2 and len(reading.text()) == 2
    qtbot.keyClick(pad, Qt.Key.Key_Escape)
    assert pad.strokes == [] and reading.text() == ""
    assert not any(cell.isVisible() for cell in tab._cells)


def test_a_model_whose_scores_overflow_says_so_instead_of_reading(tab):
    tab.set_model(ink_position_model(strength=3e38))   # finite weights, infinite scores
    write(tab.pad, [[ONE], [ZERO]])
    assert tab.findChild(QLabel, "numberReading").text() == ""
    assert "overflow" in tab.findChild(QLabel, "numberStatus").text()


def test_zeros_and_ones_in_a_longer_number(tab):
    write(tab.pad, [[ONE], [ZERO], [ZERO], [SEVEN]])
    assert tab.findChild(QLabel, "numberReading").text() == "1007"


def test_an_unsure_digit_is_marked_but_the_reading_holds_digits_only(tab):
    write(tab.pad, [[ONE], [ZERO]])
    tab.set_model(ink_position_model(strength=0.001))   # about 10% for every class: unsure
    reading = tab.findChild(QLabel, "numberReading").text()
    assert len(reading) == 2 and reading.isdigit()
    labels = [cell.label for cell in tab._cells[:2]]
    assert all("?" in label.text() and "Unsure" in label.toolTip() for label in labels)
    assert [sure for _, sure in tab.pad._boxes] == [False, False]
    tab.set_model(ink_position_model())                  # the same ink, read with conviction
    assert tab.findChild(QLabel, "numberReading").text() == "10"
    assert not any("?" in cell.label.text() for cell in tab._cells[:2])
    assert [sure for _, sure in tab.pad._boxes] == [True, True]


def test_the_wide_pad_keeps_strokes_in_its_own_image_coordinates(qtbot):
    pad = shown(qtbot, DrawingPad(aspect=3.0, placeholder="Write"), (900, 300))
    draw_on_pad(pad, [(0.0, 0.5), (1.0, 0.5)])
    xs = [x for x, _ in pad.strokes[0]]
    assert pad.to_array().shape == (280, 840)
    assert min(xs) == pytest.approx(0, abs=1) and max(xs) == pytest.approx(840, abs=3)
    assert pad.heightForWidth(900) == 300


def test_a_four_in_two_strokes_and_a_crossed_seven_stay_one_digit_each(tab):
    crossed_seven = [SEVEN, [(0.35, 0.5), (0.65, 0.5)]]
    write(tab.pad, [FOUR, crossed_seven, [ONE], [ONE]])
    assert tab.findChild(QLabel, "numberReading").text() == "4711"
    assert len(tab.pad._boxes) == 4


def test_writing_many_digits_never_widens_the_window(qtbot):
    tab = shown(qtbot, NumberTab(), (700, 560))
    tab.set_model(ink_position_model())
    wanted = tab.minimumSizeHint().width()
    for k in range(14):   # fourteen 1s, narrow, side by side
        x = 0.03 + k * 0.07
        draw_on_pad(tab.pad, [(x, 0.2), (x, 0.8)])
    assert tab.findChild(QLabel, "numberReading").text() == "1" * 14
    qtbot.wait(1)   # let the layout settle as the event loop would
    assert tab.size().width() == 700 and tab.minimumSizeHint().width() <= wanted
    tab.findChild(QPushButton, "numberClearButton").click()
    assert tab.size().width() == 700 and tab.minimumSizeHint().width() <= wanted


def test_a_full_pad_refuses_the_next_stroke_and_says_so(qtbot):
    tab = shown(qtbot, NumberTab(), (1000, 560))
    tab.set_model(ink_position_model())
    status = tab.findChild(QLabel, "numberStatus")
    for k in range(MAX_STROKES):   # short hatches, as a user scribbling would
        x = 0.02 + 0.96 * k / MAX_STROKES
        draw_on_pad(tab.pad, [(x, 0.3), (x + 0.01, 0.7)])
    assert len(tab.pad.strokes) == MAX_STROKES and "at most" not in status.text()
    draw_on_pad(tab.pad, [(0.5, 0.1), (0.6, 0.9)])
    assert len(tab.pad.strokes) == MAX_STROKES
    assert f"at most {MAX_STROKES} strokes" in status.text()
    tab.pad.undo()
    draw_on_pad(tab.pad, [(0.5, 0.1), (0.6, 0.9)])
    assert len(tab.pad.strokes) == MAX_STROKES and "at most" not in status.text()


# --- correcting a digit -----------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    opened = HandwritingStore(tmp_path / "hw.sqlite3")
    yield opened
    opened.close()


def choose(qtbot, cell, digit):
    """Click the cell's "Correct it" and pick "It is a <digit>" in its menu with the keyboard,
    as a user would (the menu runs its own event loop, so the keys come from a timer)."""
    def pick():
        menu = QApplication.activePopupWidget()
        for _ in range(digit + 1):
            qtbot.keyClick(menu, Qt.Key.Key_Down)
        qtbot.keyClick(menu, Qt.Key.Key_Return)
    QTimer.singleShot(50, pick)
    qtbot.mouseClick(cell.correct, Qt.MouseButton.LeftButton)


def test_a_digit_of_the_number_is_corrected_into_my_handwriting(tab, store, qtbot):
    tab.set_store(store)
    write(tab.pad, [[ONE], FOUR, [SEVEN]])
    strokes = [np.array(s) for s in tab.pad.strokes]
    four, reading = tab.inputs[1].copy(), tab.findChild(QLabel, "numberReading")
    with qtbot.waitSignal(tab.drawing_saved) as saved:
        choose(qtbot, tab._cells[1], 9)
    assert saved.args == [9]
    assert tab.findChild(QLabel, "numberStatus").text() == "Digit 2 saved as a 9 (1 of your 9s)"
    (record,) = store.records()
    assert record["label"] == 9 and record["predicted"] == 4 and 0 < record["confidence"] <= 1
    # The four's own two strokes and the very input the network read, not the whole number.
    assert len(record["strokes"]) == 2
    for kept, drawn in zip(record["strokes"], strokes[1:3]):
        np.testing.assert_allclose(kept, drawn, atol=0.01)
    np.testing.assert_array_equal(store.arrays()[1][0], to_uint8(four))
    assert reading.text() == "147" and len(tab.pad.strokes) == 4   # the number stays


def test_without_a_collection_no_digit_can_be_corrected(tab):
    write(tab.pad, [[ONE], [SEVEN]])
    cells = [cell for cell in tab._cells if cell.isVisible()]
    assert len(cells) == 2 and not any(cell.correct.isEnabled() for cell in cells)


def test_a_locked_collection_says_so_and_keeps_the_number(tab, store, qtbot, monkeypatch,
                                                           tmp_path):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_S", 0.2)
    tab.set_store(store)
    write(tab.pad, [[ONE], [SEVEN]])
    holder = sqlite3.connect(tmp_path / "hw.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")   # another program writing to the collection
    try:
        choose(qtbot, tab._cells[0], 1)
        status = tab.findChild(QLabel, "numberStatus").text()
        assert "locked" in status and "\n" not in status
    finally:
        holder.rollback()
        holder.close()
    assert len(store) == 0 and len(tab.pad.strokes) == 2
    choose(qtbot, tab._cells[0], 1)   # the lock is gone: it is kept now
    assert [r["label"] for r in store.records()] == [1]


def test_the_window_keeps_corrected_digits_with_the_draw_tabs_and_shows_them(window, qtbot):
    window.tabs.setCurrentWidget(window.number_tab)
    write(window.number_tab.pad, [[ONE], [SEVEN]])
    choose(qtbot, window.number_tab._cells[1], 7)
    assert window.handwriting.counts()[7] == 1
    counts = window.handwriting_tab.findChild(QLabel, "handwritingCounts").text()
    assert "1 drawing" in counts and "7: 1" in counts
