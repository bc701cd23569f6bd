"""The bench's replay writes nn.ink.written_numbers' numbers on the real numberPad, where it says."""

import numpy as np

from desktop.number.replay import edit_distance, mouse_positions, write
from desktop.number.tab import NumberTab
from nn.ink.written_numbers import held_out_numbers
from tests.desktop.drawing import ink_position_model, shown
from tests.nn.test_segment import bars_and_boxes


def test_numbers_are_written_where_they_were_placed_and_split_back(qtbot):
    tab = shown(qtbot, NumberTab(), (1000, 560))
    tab.set_model(ink_position_model())
    numbers = held_out_numbers(bars_and_boxes(24), np.arange(24) % 2, 4,
                               tab.pad.aspect, np.random.default_rng(3))
    area = tab.pad._target_rect()
    for number in numbers:
        positions = mouse_positions(tab.pad, number)
        points = np.concatenate(positions)
        assert points[:, 0].min() >= area.left() and points[:, 0].max() <= area.right()
        assert points[:, 1].min() >= area.top() and points[:, 1].max() <= area.bottom()
        reading, pen_up = write(tab, number)
        assert len(tab.pad.strokes) == len(number.strokes)
        groups = tab._reader.read(tab.pad.strokes).groups
        assert [sorted(set(number.owner[g].tolist())) for g in groups] == [
            [d] for d in range(len(number.text))]
        assert len(reading) == len(number.text) and 0 < pen_up < 1


def test_edit_distance_counts_each_digit_missed_added_or_misread():
    assert edit_distance("4072", "4072") == 0
    assert edit_distance("4072", "40772") == 1   # one digit split in two
    assert edit_distance("4072", "472") == 1     # two digits read as one
    assert edit_distance("4072", "4172") == 1
    assert edit_distance("", "123") == 3
