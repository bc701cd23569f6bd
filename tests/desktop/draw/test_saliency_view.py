"""The Draw tab's saliency map, driven with real mouse and key events: it explains the
predicted class, a click on another bar explains that one with the same colour scale, and
occlusion is one key away.

The model reads ink in the middle columns as "1" and ink elsewhere as "0"
(``ink_position_model``), so where each map must be red and where blue is known.
"""

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from desktop.draw.probability_chart import ProbabilityChart
from desktop.widgets.colour_map import ColourBar
from tests.desktop.drawing import ONE, ZERO, draw_on_pad, ink_position_model


def label(draw_tab):
    """The saliency label's first line: which class the map explains."""
    return draw_tab.findChild(QLabel, "saliencyLabel").text().split("\n")[0]


def colour_bar(draw_tab):
    return draw_tab.findChild(ColourBar, "saliencyColourBar")


def wait_for_map(qtbot, draw_tab):
    """The map comes just after the answer: wait until its colour bar has a scale."""
    qtbot.waitUntil(lambda: colour_bar(draw_tab).scale is not None)


def map_colours(draw_tab):
    """The saliency view as shown on screen, cropped to its square: (side, side, 3) RGB."""
    view = draw_tab.findChild(QWidget, "saliencyView")
    image = view.grab().toImage().convertToFormat(view.grab().toImage().Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                              image.bytesPerLine())
    rgb = rows[:, :3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)
    side = min(image.width(), image.height()) // 28 * 28
    top, left = (image.height() - side) // 2, (image.width() - side) // 2
    return rgb[top:top + side, left:left + side]


def redness(draw_tab, rows, columns):
    """Mean red minus blue over a block of the 28x28 map (given in map pixels)."""
    rgb = map_colours(draw_tab)
    pixel = len(rgb) // 28
    block = rgb[rows.start * pixel:rows.stop * pixel, columns.start * pixel:columns.stop * pixel]
    return float(np.mean(block[..., 0] - block[..., 2]))


def ink_redness(draw_tab):
    """Mean red minus blue of the map over the pixels the network input has ink in."""
    rgb = map_colours(draw_tab)
    pixel = len(rgb) // 28
    centres = rgb[pixel // 2::pixel, pixel // 2::pixel][:28, :28]
    return float(np.mean((centres[..., 0] - centres[..., 2])[draw_tab.last_input > 0.3]))


def click_bar(qtbot, draw_tab, index):
    """A real left click on the chart, in the middle of class index's column."""
    chart = draw_tab.findChild(ProbabilityChart, "probabilityChart")
    view_box = chart.getPlotItem().getViewBox()
    pos = chart.mapFromScene(view_box.mapViewToScene(QPointF(index, 0.5)))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=pos)


MIDDLE, LEFT_SIDE = slice(11, 17), slice(2, 7)  # map columns: the "1" region, and away from it


def test_the_map_explains_the_predicted_class_and_a_clicked_bar_switches_it(qtbot, draw_tab):
    assert label(draw_tab) == "Why? (draw a digit)"
    draw_on_pad(draw_tab.pad, ONE)
    wait_for_map(qtbot, draw_tab)

    assert draw_tab.findChild(QLabel, "predictedDigit").text() == "1"
    assert label(draw_tab) == "Why 1? (the answer)"
    # The ink in the middle columns raised p(1) (red); the blank paper around it did nothing
    # (white): integrated gradients give only ink a share.
    assert ink_redness(draw_tab) > 8
    rgb = map_colours(draw_tab)
    pixel = len(rgb) // 28
    assert np.all(np.abs(rgb[4 * pixel:24 * pixel, LEFT_SIDE.start * pixel:LEFT_SIDE.stop * pixel]
                         - 247) <= 1)
    bar = colour_bar(draw_tab)
    scale = bar.scale
    assert bar.labels() == (f"-{scale:g}", "0", f"+{scale:g}")
    assert bar.units.startswith("Δ log p per pixel")
    caption = draw_tab.findChild(QLabel, "saliencyCaption").text()
    assert "log p(1)" in caption and "add up to +" in caption

    click_bar(qtbot, draw_tab, 0)
    qtbot.waitUntil(lambda: ink_redness(draw_tab) < -8)

    assert label(draw_tab).startswith("Why 0? (") and "not the answer" in label(draw_tab)
    # "Why not 0" is painted on the same scale as "why 1": the colours compare.
    assert bar.scale == scale
    draw_on_pad(draw_tab.pad, [(0.55, 0.2), (0.55, 0.8)])  # still drawing: still explaining 0
    assert label(draw_tab).startswith("Why 0?")


def test_on_a_tie_the_map_explains_the_digit_the_answer_shows(qtbot, draw_tab):
    # A model that reads everything 10% each: the answer said 0 and the map "Why 9?".
    draw_tab.set_model(ink_position_model(strength=0.0))
    draw_on_pad(draw_tab.pad, ONE)
    wait_for_map(qtbot, draw_tab)
    assert draw_tab.findChild(QLabel, "predictedDigit").text() == "0"
    assert label(draw_tab) == "Why 0? (the answer)"


def test_occlusion_that_barely_moves_the_probability_stays_pale(qtbot, draw_tab):
    # A model that hardly cares about the ink: erasing any of it changes p by less than 0.001.
    draw_tab.set_model(ink_position_model(strength=0.0005))
    draw_on_pad(draw_tab.pad, ZERO)
    combo = draw_tab.findChild(QComboBox, "saliencyModeCombo")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # Ink shares -> Occlusion
    qtbot.waitUntil(lambda: colour_bar(draw_tab).scale is not None
                    and colour_bar(draw_tab).units.startswith("Δp"))

    assert colour_bar(draw_tab).scale >= 0.01
    # No pixel strays far from the paper's white (the ink only darkens it).
    assert np.abs(redness(draw_tab, slice(0, 28), slice(0, 28))) < 3


def test_clearing_the_pad_goes_back_to_the_predicted_class(qtbot, draw_tab):
    draw_on_pad(draw_tab.pad, ONE)
    click_bar(qtbot, draw_tab, 0)
    draw_tab.pad.clear()
    assert label(draw_tab) == "Why? (draw a digit)"

    draw_on_pad(draw_tab.pad, ONE)

    assert label(draw_tab) == "Why 1? (the answer)"


def test_occlusion_reds_the_ink_that_carried_the_answer_and_leaves_paper_white(qtbot, draw_tab):
    draw_on_pad(draw_tab.pad, ZERO)
    wait_for_map(qtbot, draw_tab)
    assert draw_tab.findChild(QLabel, "predictedDigit").text() == "0"
    before = map_colours(draw_tab)
    combo = draw_tab.findChild(QComboBox, "saliencyModeCombo")
    combo.setFocus()

    qtbot.keyClick(combo, Qt.Key.Key_Down)  # Ink shares -> Occlusion
    qtbot.waitUntil(lambda: not np.array_equal(map_colours(draw_tab), before))

    assert combo.currentText() == "Occlusion"
    # The ring's left and right arcs are ink away from the middle: erasing them costs p(0).
    assert redness(draw_tab, slice(10, 18), LEFT_SIDE) > 5
    pixel = len(before) // 28
    corner = map_colours(draw_tab)[2:2 * pixel, 2:2 * pixel]  # paper far from ink, inside the frame
    assert np.all(np.abs(corner - 247) <= 1)


def test_a_hidden_tab_computes_no_map_and_catches_up_when_shown(qtbot, draw_tab):
    draw_tab.hide()
    draw_on_pad(draw_tab.pad, ONE)
    assert label(draw_tab) == "Why? (draw a digit)"

    draw_tab.show()
    qtbot.waitExposed(draw_tab)

    assert label(draw_tab) == "Why 1? (the answer)"
    wait_for_map(qtbot, draw_tab)
    assert ink_redness(draw_tab) > 8
