"""The UNIPEN reader: real pen digits in, strokes with y down out, one clear error for a
damaged file."""

import hashlib
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn.data import folders, unipen
from nn.data.unipen import (MAX_DIGITS, MAX_STROKE_POINTS, find_pendigits, load_pendigits,
                            read_unipen)
from nn.network.errors import DataError

TWO_DIGITS = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 12  224
.PEN_DOWN
 100  400
 200  400
 150  100
.PEN_UP
.DT 100
.PEN_DOWN
 120  250
 190  250
.PEN_UP
.DT 100

.SEGMENT DIGIT    2 ? "1"
.COMMENT 1 3  5
.PEN_DOWN
 300  450
 300  50
.PEN_UP
.DT 100
"""


def write(tmp_path, text, name="pendigits-orig.tra"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_reads_digits_labels_writers_and_strokes_with_y_pointing_down(tmp_path):
    digits = read_unipen(write(tmp_path, TWO_DIGITS))
    assert len(digits) == 2
    assert digits.labels.tolist() == [7, 1] and digits.labels.dtype == np.int64
    assert digits.writers.tolist() == [12, 3]
    seven, one = digits.strokes
    assert len(seven) == 2 and len(one) == 1
    # The 7's top bar was written at tablet y 400 (up): on a screen it must be above its foot.
    top, foot = seven[0][0], seven[0][2]
    assert top[1] < foot[1]
    np.testing.assert_array_equal(seven[1], [[120, -250], [190, -250]])


def test_select_keeps_the_digits_of_a_mask_in_order(tmp_path):
    digits = read_unipen(write(tmp_path, TWO_DIGITS))
    only = digits.select(digits.writers == 3)
    assert only.labels.tolist() == [1] and len(only.strokes) == 1


@pytest.mark.parametrize("damage, words", [
    (lambda t: t.replace(" 200  400", " 200  x"), "line 10"),
    (lambda t: t.replace('? "7"', '? "A"'), "one digit 0-9"),
    (lambda t: t.replace(".COMMENT 7 12  224\n", ""), "writer"),
    (lambda t: t.replace(".COMMENT 7 12 ", ".COMMENT 7 " + "9" * 30 + " "), "writer"),
    (lambda t: t.rsplit(".PEN_UP", 1)[0], "ends inside a stroke"),
    (lambda t: t.replace(".PEN_DOWN\n 300  450", "300  450"), "unexpected"),
    (lambda t: t.replace(" 100  400", " 1e99  400"), "expected a point"),
    (lambda t: t.replace(" 100  400", " 99999999  400"), "outside any tablet"),
    (lambda t: t.split(".SEGMENT")[0], "no digits"),
])
def test_a_damaged_file_gives_one_error_naming_the_file(tmp_path, damage, words):
    path = write(tmp_path, damage(TWO_DIGITS))
    with pytest.raises(DataError) as error:
        read_unipen(path)
    message = str(error.value)
    assert words in message and str(path) in message and "\n" not in message


def one_digit(points):
    return f'.SEGMENT DIGIT 0-0 ? "1"\n.COMMENT 1 12  224\n.PEN_DOWN\n{points}.PEN_UP\n'


@pytest.mark.parametrize("text, words", [
    (one_digit(" 100  400\n" * (MAX_STROKE_POINTS + 1)), "more than 10,000 points"),
    (one_digit(" 100  400\n") * (MAX_DIGITS + 1), "more than 20,000 digits"),
], ids=["a stroke", "digits"])
def test_files_under_the_size_limit_that_would_take_gigabytes_are_refused(tmp_path, text,
                                                                          words):
    # 64 MB of one stroke took 4 GB to parse; of one-point digits, 7.5 GB to draw.
    path = write(tmp_path, text)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=words):
            read_unipen(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000


def test_a_binary_file_is_refused_in_one_line(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(DataError, match="not a text file"):
        read_unipen(path)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(TWO_DIGITS)), junk=st.text(max_size=30))
def test_any_cut_or_junk_gives_digits_or_a_data_error(tmp_path, cut, junk):
    path = write(tmp_path, TWO_DIGITS[:cut] + junk + TWO_DIGITS[cut:], name="fuzzed.tra")
    try:
        digits = read_unipen(path)
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert len(digits.strokes) == len(digits.labels) == len(digits.writers) >= 1
    assert all(len(stroke) and np.isfinite(stroke).all() for d in digits.strokes for stroke in d)


def test_found_beside_the_mnist_folder_like_the_other_datasets(tmp_path, monkeypatch):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "pendigits").mkdir()
    path = write(tmp_path / "pendigits", TWO_DIGITS)
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path / "mnist"))
    assert find_pendigits() == path
    assert find_pendigits(tmp_path / "pendigits") == path
    with pytest.raises(DataError, match="nor a folder holding it"):
        find_pendigits(tmp_path / "mnist")


def test_missing_everywhere_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    monkeypatch.setenv("DIGITLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(folders, "_CHECKOUT_DATA_DIR", tmp_path / "nothing")
    with pytest.raises(DataError, match="pendigits-orig.tra was not found.*DIGITLAB_DATA"):
        find_pendigits()



def real_file():
    try:
        return find_pendigits()
    except DataError:
        pytest.skip("the real pen digits (pendigits-orig.tra) are not on this machine")


def test_the_real_file_holds_30_writers_and_7494_digits():
    path = real_file()
    digits, verified = load_pendigits(path)
    assert verified == (hashlib.sha256(path.read_bytes()).hexdigest() == unipen.SHA256)
    assert len(digits) == 7494 and len(np.unique(digits.writers)) == 30
    assert np.bincount(digits.labels).min() >= 700
