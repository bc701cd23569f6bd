"""My handwriting: labelling drawings on the Draw tab, the collection tab, the SQLite store."""

import sqlite3
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

import desktop.handwriting.tab as handwriting_tab_module
from desktop.handwriting.store import (DB_NAME, IMAGES_FILE, LABELS_FILE, MAX_IMPORT,
                                      HandwritingStore, to_uint8)
from desktop.handwriting.tab import MAX_TILES_PER_DIGIT, HandwritingTab
from nn.network.errors import DataError
from nn.data.idx import read_idx, write_idx
from tests.desktop.stand_ins import shown_text
from tests.desktop.drawing import LEFT, ONE, SEVEN, draw_on_pad, ink_position_model, shown
from tests.sigkill import ids_reported_until_killed

KILL_AFTER_IDS = 200    # the writer is killed once it has reported this many committed drawings


# --- helpers ------------------------------------------------------------------------------------

def random_images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


@pytest.fixture
def store(tmp_path):
    opened = HandwritingStore(tmp_path / "hw.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def draw_tab(draw_tab, store):
    """The Draw tab (tests/desktop/conftest.py), keeping labelled drawings in ``store``."""
    draw_tab.set_store(store)
    return draw_tab


# --- labelling on the Draw tab ------------------------------------------------------------------

def test_correct_it_buttons_and_keys_store_the_drawing(draw_tab, store, qtbot):
    buttons = [draw_tab.findChild(QPushButton, f"correctButton{d}") for d in range(10)]
    assert all(b is not None for b in buttons)
    assert not any(b.isEnabled() for b in buttons), "nothing to keep while the pad is empty"

    draw_on_pad(draw_tab.pad, ONE)
    assert all(b.isEnabled() for b in buttons)
    strokes_one, input_one = [list(s) for s in draw_tab.pad.strokes], draw_tab.last_input.copy()
    qtbot.mouseClick(buttons[3], LEFT)
    assert draw_tab.pad.is_empty()
    status = draw_tab.findChild(QLabel, "savedLabel").text()
    assert status == "Saved as a 3 (1 of your 3s)"

    draw_on_pad(draw_tab.pad, SEVEN)
    strokes_seven, input_seven = [list(s) for s in draw_tab.pad.strokes], draw_tab.last_input.copy()
    qtbot.keyClick(draw_tab.pad, Qt.Key.Key_7)
    assert draw_tab.pad.is_empty()
    assert draw_tab.findChild(QLabel, "savedLabel").text() == "Saved as a 7 (1 of your 7s)"

    records = store.records()
    assert [r["label"] for r in records] == [3, 7]
    for record, strokes in zip(records, (strokes_one, strokes_seven)):
        assert len(record["strokes"]) == len(strokes) == 1
        np.testing.assert_allclose(record["strokes"][0], strokes[0], atol=0.01)
    _, images, _ = store.arrays()
    np.testing.assert_array_equal(images[0], to_uint8(input_one))
    np.testing.assert_array_equal(images[1], to_uint8(input_seven))
    # Stored as bytes, the input loses at most half a grey level.
    np.testing.assert_allclose(images[0] / 255, input_one, atol=0.5 / 255 + 1e-6)
    assert records[0]["predicted"] == 1 and 0 < records[0]["confidence"] <= 1
    assert store.counts() == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]


def test_digit_keys_do_nothing_on_an_empty_pad(draw_tab, store, qtbot):
    qtbot.keyClick(draw_tab.pad, Qt.Key.Key_5)
    assert len(store) == 0


# --- the My handwriting tab ---------------------------------------------------------------------

@pytest.fixture
def hw_tab(qtbot, store):
    tab = shown(qtbot, HandwritingTab(), (900, 600))
    tab.set_store(store)
    return tab


def test_the_tab_shows_counts_tiles_and_a_note_for_the_rest(hw_tab, store):
    labels = [2] * (MAX_TILES_PER_DIGIT + 5) + [8] * 3
    store.add_many(labels, random_images(len(labels)))
    hw_tab.refresh()
    counts = hw_tab.findChild(QLabel, "handwritingCounts").text()
    assert "48 drawings" in counts and "2: 45" in counts and "8: 3" in counts
    assert len(hw_tab.tiles()) == MAX_TILES_PER_DIGIT + 3
    texts = [label.text() for label in hw_tab.findChildren(QLabel)]
    assert any("+5 more" in text for text in texts)


def test_select_and_delete_with_the_key_and_the_button(hw_tab, store, qtbot):
    store.add_many([4, 4, 6], random_images(3))
    hw_tab.refresh()
    first, second, third = sorted(hw_tab.tiles())
    delete = hw_tab.findChild(QPushButton, "deleteDrawingButton")
    assert not delete.isEnabled()
    qtbot.mouseClick(hw_tab.tiles()[second], LEFT)
    qtbot.keyClick(hw_tab, Qt.Key.Key_Delete)
    assert store.arrays()[0].tolist() == [first, third]
    qtbot.mouseClick(hw_tab.tiles()[third], LEFT)
    qtbot.mouseClick(delete, LEFT)
    assert store.arrays()[0].tolist() == [first]
    assert sorted(hw_tab.tiles()) == [first] and store.counts()[6] == 0


class CountingReads:
    """A model that notes how many drawings each of its reads was given."""

    def __init__(self, model):
        self.model, self.reads = model, []

    def predict(self, x):
        self.reads.append(len(x))
        return self.model.predict(x)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_keeping_a_drawing_reads_only_that_one_not_the_whole_collection(hw_tab, store):
    # A collection of 10,000 drawings froze the window for a second at every keep.
    rng = np.random.default_rng(0)
    images = (rng.random((200, 28, 28)) > 0.8).astype(np.uint8) * 255
    store.add_many(rng.integers(0, 10, 200).tolist(), images)
    model = CountingReads(ink_position_model())
    hw_tab.set_model(model)
    hw_tab.refresh()
    assert sum(model.reads) == 200

    store.add_many([1], np.zeros((1, 28, 28), np.uint8) + 255)
    hw_tab.refresh()

    assert model.reads[-1] == 1 and sum(model.reads) == 201
    _, all_images, labels = store.arrays()
    direct = np.mean(model.model.predict(all_images.astype(np.float32) / 255) == labels)
    assert hw_tab.accuracy[0] == pytest.approx(direct)
    hw_tab.set_model(model)   # another model (or the same one trained on): all read again
    assert sum(model.reads) == 402


def test_a_drawing_kept_in_place_of_one_deleted_is_read_anew(hw_tab, store):
    # SQLite gives a drawing kept after the newest was deleted that one's id: answers kept
    # by id showed the deleted drawing's.
    model = ink_position_model()
    blank, bar = np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.uint8)
    bar[5:23, 13:15] = 255                     # read as 1, a blank as 0
    hw_tab.set_model(model)
    store.add_many([1, 1], np.stack([blank, blank]))
    hw_tab.refresh()
    newest = int(store.arrays()[0].max())
    store.delete(newest)
    store.add_many([1], bar[None])
    assert int(store.arrays()[0].max()) == newest   # the same id, another drawing

    hw_tab.refresh()

    assert hw_tab.accuracy[0] == pytest.approx(0.5) and hw_tab.accuracy[1][1] == (1, 2)


def test_accuracy_on_my_drawings_equals_a_direct_computation(hw_tab, store):
    model = ink_position_model()
    images = np.zeros((6, 28, 28), np.uint8)
    images[:3, 5:23, 13:15] = 255     # a bar in the middle: read as 1
    images[3:, 5:23, 3:6] = 255       # ink at the left: read as 0
    labels = [1, 1, 0, 0, 0, 7]       # the 1s are read right, two of three 0s, not the 7
    store.add_many(labels, images)
    hw_tab.set_model(model)
    hw_tab.refresh()
    predicted = model.predict(images.astype(np.float32) / 255)
    expected = np.mean(predicted == np.array(labels))
    overall, per_digit = hw_tab.accuracy
    assert overall == pytest.approx(expected) and overall == pytest.approx(4 / 6)
    assert per_digit[1] == (2, 2) and per_digit[0] == (2, 3) and per_digit[7] == (0, 1)
    text = hw_tab.findChild(QLabel, "readsMeAccuracy").text()
    assert "67%" in text and "0: 2/3" in text and "7: 0/1" in text
    hw_tab.set_model(None)
    assert hw_tab.accuracy[0] is None


def test_import_errors_show_one_line_in_a_dialog(hw_tab, tmp_path, monkeypatch):
    bad = tmp_path / "bad-images-idx3-ubyte"
    bad.write_bytes(b"not an idx file at all")
    shown = []
    monkeypatch.setattr(handwriting_tab_module.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(bad), ""))
    monkeypatch.setattr(handwriting_tab_module.QMessageBox, "critical",
                        lambda parent, title, text: shown.append(shown_text(text)))
    hw_tab.import_idx()
    assert len(shown) == 1 and "is not an IDX file" in shown[0] and "\n" not in shown[0]


# --- the store ----------------------------------------------------------------------------------

def test_export_then_import_round_trips_bit_exactly(store, tmp_path):
    images, labels = random_images(25, seed=1), np.arange(25) % 10
    store.add_many(labels, images)
    images_path, labels_path = store.export_idx(tmp_path)
    assert (images_path.name, labels_path.name) == (IMAGES_FILE, LABELS_FILE)
    np.testing.assert_array_equal(read_idx(images_path), images)
    fresh = HandwritingStore(tmp_path / "fresh.sqlite3")
    assert fresh.import_idx(images_path, labels_path) == 25
    _, got_images, got_labels = fresh.arrays()
    fresh.close()
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("case", ["shape", "label", "count", "garbage"])
def test_importing_a_bad_file_raises_a_data_error(store, tmp_path, case):
    images_path, labels_path = tmp_path / "i-idx3-ubyte", tmp_path / "l-idx1-ubyte"
    write_idx(images_path, random_images(4) if case != "shape" else np.zeros((4, 20, 20), np.uint8))
    write_idx(labels_path, np.array([1, 2, 3, 12 if case == "label" else 4], np.uint8)
              if case != "count" else np.array([1, 2], np.uint8))
    if case == "garbage":
        labels_path.write_bytes(b"\x00\x01junk")
    with pytest.raises(DataError) as error:
        store.import_idx(images_path, labels_path)
    assert "\n" not in str(error.value)
    assert len(store) == 0, "nothing is added from a bad pair of files"


def test_a_data_set_is_not_imported_as_someone_s_drawings(store, tmp_path):
    # MNIST's 60,000 training digits froze the window for 40 s and filled the collection.
    n = MAX_IMPORT + 1
    images_path, labels_path = tmp_path / "i-idx3-ubyte", tmp_path / "l-idx1-ubyte"
    write_idx(images_path, np.zeros((n, 28, 28), np.uint8))
    write_idx(labels_path, np.zeros(n, np.uint8))
    with pytest.raises(DataError, match=f"holds {n:,} images, more than the {MAX_IMPORT:,}"):
        store.import_idx(images_path, labels_path)
    assert len(store) == 0


def test_a_corrupt_database_is_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / DB_NAME
    path.write_bytes(b"this is not SQLite" * 300)
    with pytest.raises(DataError, match=str(path)):
        HandwritingStore(path)


def test_the_database_is_in_wal_mode_in_the_user_folder(private_home):
    store = HandwritingStore()
    try:
        assert store.path == private_home / DB_NAME
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == 1
        with pytest.raises(ValueError):
            store.add(10, np.zeros((28, 28), np.float32))
    finally:
        store.close()


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from desktop.handwriting.store import HandwritingStore
    store = HandwritingStore(sys.argv[1])
    rng = np.random.default_rng(0)
    n = 0
    while True:
        drawing_id = store.add(n % 10, rng.random((28, 28)), [[(1.0, 2.0), (3.0, 4.0)]],
                               np.eye(10)[1])
        print(drawing_id, flush=True)  # only after add() returned: the drawing is committed
        n += 1
""")


def test_killing_the_writer_loses_no_committed_drawing(tmp_path):
    path = tmp_path / DB_NAME
    printed = ids_reported_until_killed(WRITER, path, KILL_AFTER_IDS)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM drawings")}
    finally:
        db.close()
    assert len(printed) >= 2
    assert set(printed) <= stored
    reopened = HandwritingStore(path)  # and the app opens it as usual
    assert len(reopened) == len(stored)
    reopened.close()


# --- in the window ------------------------------------------------------------------------------

def test_the_window_keeps_labelled_drawings_in_the_user_folder(window, qtbot, private_home):
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs.index("My Handwriting") == tabs.index("Inspect") + 1
    window.set_active_model(ink_position_model())
    draw_on_pad(window.draw_tab.pad, ONE)
    qtbot.keyClick(window.draw_tab.pad, Qt.Key.Key_1)
    assert window.handwriting.path == private_home / DB_NAME
    assert window.handwriting.counts()[1] == 1
    assert len(window.handwriting_tab.tiles()) == 1, "the tab shows the new drawing at once"
    assert window.handwriting_tab.accuracy[0] == 1.0
    window.set_active_model(None)
    assert window.handwriting_tab.accuracy[0] is None


def test_a_newer_collection_is_left_alone_and_the_window_runs_without_it(
        open_window, no_bundled_model, private_home):
    store = HandwritingStore(private_home / DB_NAME)
    store.add_many([3], random_images(1))
    store.close()
    db = sqlite3.connect(private_home / DB_NAME)
    db.execute("PRAGMA user_version=7")
    db.close()
    before = (private_home / DB_NAME).read_bytes()
    win = open_window(show=False)
    assert win.handwriting is None
    message = win.statusBar().currentMessage()
    assert "newer DigitLab" in message and "update DigitLab" in message and "\n" not in message
    assert not win.draw_tab.findChild(QPushButton, "correctButton0").isEnabled()
    assert (private_home / DB_NAME).read_bytes() == before, "the newer DigitLab's file is intact"
