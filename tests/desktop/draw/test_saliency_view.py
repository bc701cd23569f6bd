"""The Draw tab's saliency map, driven with real mouse and key events: it explains the
predicted class, a click on another bar explains that one, and occlusion is one key away.

The model reads ink in the middle columns as "1" and ink elsewhere as "0"
(``ink_position_model``), so where each map must be red and where blue is known.
"""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from desktop.draw.probability_chart import ProbabilityChart
from desktop.draw.tab import DrawTab
from tests.desktop.drawing import ONE, ZERO, draw_on_pad, ink_position_model, shown


@pytest.fixture
def tab(qtbot):
    widget = shown(qtbot, DrawTab(), (900, 560))
    widget.set_model(ink_position_model())
    return widget


def label(tab):
    """The saliency label's first line: which class the map explains."""
    return tab.findChild(QLabel, "saliencyLabel").text().split("\n")[0]


def map_colours(tab):
    """The saliency view as shown on screen, cropped to its square: (side, side, 3) RGB."""
    view = tab.findChild(QWidget, "saliencyView")
    image = view.grab().toImage().convertToFormat(view.grab().toImage().Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                              image.bytesPerLine())
    rgb = rows[:, :3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)
    side = min(image.width(), image.height()) // 28 * 28
    top, left = (image.height() - side) // 2, (image.width() - side) // 2
    return rgb[top:top + side, left:left + side]


def redness(tab, rows, columns):
    """Mean red minus blue over a block of the 28x28 map (given in map pixels)."""
    rgb = map_colours(tab)
    pixel = len(rgb) // 28
    block = rgb[rows.start * pixel:rows.stop * pixel, columns.start * pixel:columns.stop * pixel]
    return float(np.mean(block[..., 0] - block[..., 2]))


def click_bar(qtbot, tab, index):
    """A real left click on the chart, in the middle of class index's column."""
    chart = tab.findChild(ProbabilityChart, "probabilityChart")
    view_box = chart.getPlotItem().getViewBox()
    pos = chart.mapFromScene(view_box.mapViewToScene(QPointF(index, 0.5)))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=pos)


MIDDLE, LEFT_SIDE = slice(11, 17), slice(2, 7)  # map columns: the "1" region, and away from it


def test_the_map_explains_the_predicted_class_and_a_clicked_bar_switches_it(qtbot, tab):
    assert label(tab) == "Why? (draw a digit)"
    draw_on_pad(tab.pad, ONE)

    assert tab.findChild(QLabel, "predictedDigit").text() == "1"
    assert label(tab) == "Why 1? (the answer)"
    # More ink in the middle columns raises p(1) (red); ink elsewhere lowers it (blue, but
    # only through p(0), one of the nine other classes: a ninth as strong).
    assert redness(tab, slice(4, 24), MIDDLE) > 20
    assert redness(tab, slice(4, 24), LEFT_SIDE) < -5

    click_bar(qtbot, tab, 0)

    assert label(tab).startswith("Why 0? (") and "not the answer" in label(tab)
    assert redness(tab, slice(4, 24), MIDDLE) < -20
    assert redness(tab, slice(4, 24), LEFT_SIDE) > 20
    draw_on_pad(tab.pad, [(0.55, 0.2), (0.55, 0.8)])  # still drawing: still explaining 0
    assert label(tab).startswith("Why 0?")


def test_clearing_the_pad_goes_back_to_the_predicted_class(qtbot, tab):
    draw_on_pad(tab.pad, ONE)
    click_bar(qtbot, tab, 0)
    tab.pad.clear()
    assert label(tab) == "Why? (draw a digit)"

    draw_on_pad(tab.pad, ONE)

    assert label(tab) == "Why 1? (the answer)"


def test_occlusion_reds_the_ink_that_carried_the_answer_and_leaves_paper_white(qtbot, tab):
    draw_on_pad(tab.pad, ZERO)
    assert tab.findChild(QLabel, "predictedDigit").text() == "0"
    before = map_colours(tab)
    combo = tab.findChild(QComboBox, "saliencyModeCombo")
    combo.setFocus()

    qtbot.keyClick(combo, Qt.Key.Key_Down)  # Gradient -> Occlusion
    qtbot.waitUntil(lambda: not np.array_equal(map_colours(tab), before))

    assert combo.currentText() == "Occlusion"
    # The ring's left and right arcs are ink away from the middle: erasing them costs p(0).
    assert redness(tab, slice(10, 18), LEFT_SIDE) > 20
    pixel = len(before) // 28
    corner = map_colours(tab)[2:2 * pixel, 2:2 * pixel]  # paper far from ink, inside the frame
    assert np.all(np.abs(corner - 247) <= 1)


def test_a_hidden_tab_computes_no_map_and_catches_up_when_shown(qtbot, tab):
    tab.hide()
    draw_on_pad(tab.pad, ONE)
    assert label(tab) == "Why? (draw a digit)"

    tab.show()
    qtbot.waitExposed(tab)

    assert label(tab) == "Why 1? (the answer)"
    assert redness(tab, slice(4, 24), MIDDLE) > 20
    assert redness(tab, slice(4, 24), LEFT_SIDE) < -5
