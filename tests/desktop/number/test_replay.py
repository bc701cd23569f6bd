"""The bench's replay writes nn.ink.written_numbers' numbers on the real numberPad,
where it says."""

import json

import numpy as np
import pytest

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


def test_the_numbers_bench_reads_each_writer_fold_with_its_own_model(qtbot, tmp_path, capsys):
    from desktop.bench import main
    from nn.data.unipen import load_pendigits
    from nn.files.modelfile import save_model
    from nn.network.errors import DataError

    try:
        load_pendigits()
    except DataError as error:
        pytest.skip(str(error))
    model = ink_position_model()
    for k in range(5):
        save_model(tmp_path / f"fold{k}.npz", model)
    main(["--numbers", "--limit", "3", "--json", "--fold-models", str(tmp_path)])
    results = json.loads(capsys.readouterr().out)
    traced, writers = results["traced_mnist"], results["real_writers"]
    assert traced["numbers"] == writers["numbers"] == 3
    assert "Dense(10)" in traced["model"] and "Conv" in traced["model"]   # the bundled model
    assert writers["model"] == model.summary() and str(tmp_path) in writers["read_by"]
    for part in (traced, writers):
        assert 0 <= part["numbers_read_exactly"]["value"] <= 1
        assert 0 <= part["numbers_split_into_the_right_count"]["value"] <= 1


@pytest.mark.parametrize("argv, words", [
    (["--numbers", "--limit", "-3"], "--limit: -3 is out of range"),
    (["--handwriting", "--limit", "10" + "0" * 30], "out of range"),
    (["--writers", "--model", "no-such-model.npz"], "no-such-model.npz does not exist"),
    (["--handwriting", "--data", "no-such-folder", "--limit", "5"], "does not hold the MNIST"),
])
def test_the_bench_says_what_is_wrong_in_one_line(capsys, argv, words):
    # Before: tracebacks (negative dimensions, a missing model file), or 5 lines of usage.
    from desktop.bench import main

    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and words in err[0], err
