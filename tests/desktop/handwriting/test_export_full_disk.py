"""Exporting the drawings to IDX when the disk fills up: the previous export stays whole.

The full disk is real: a child process exports under a file-size limit (RLIMIT_FSIZE), so
the operating system refuses the write part-way, as a full disk does (EFBIG for ENOSPC).
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from desktop.handwriting.store import IMAGES_FILE, LABELS_FILE, HandwritingStore
from nn.data.idx import read_idx, write_idx
from nn.network.errors import DataError

resource = pytest.importorskip("resource")   # POSIX only

LIMIT_BYTES = 20_000    # room for the first export (5 drawings), not the second (100)
EXPORTER = textwrap.dedent("""
    import resource, signal, sys
    from desktop.handwriting.store import HandwritingStore
    from nn.network.errors import DataError
    store = HandwritingStore(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
    try:
        store.export_idx(sys.argv[2])
    except DataError as error:
        print(error)
""")


def test_a_full_disk_leaves_the_previous_export_whole(tmp_path):
    rng = np.random.default_rng(0)
    db, folder = tmp_path / "handwriting.sqlite3", tmp_path / "export"
    folder.mkdir()
    store = HandwritingStore(db)
    store.add_many(rng.integers(0, 10, 5), rng.integers(0, 256, (5, 28, 28), dtype=np.uint8))
    store.export_idx(folder)
    before = {name: (folder / name).read_bytes() for name in (IMAGES_FILE, LABELS_FILE)}
    store.add_many(rng.integers(0, 10, 100), rng.integers(0, 256, (100, 28, 28),
                                                           dtype=np.uint8))
    store.close()
    done = subprocess.run([sys.executable, "-c", EXPORTER, str(db), str(folder),
                           str(LIMIT_BYTES)], capture_output=True, text=True, timeout=60)
    message = done.stdout.strip()
    assert done.returncode == 0 and "Cannot write to" in message and "\n" not in message, \
        done.stderr
    assert {p.name for p in folder.iterdir()} == {IMAGES_FILE, LABELS_FILE}, "no partial file"
    for name, content in before.items():
        assert (folder / name).read_bytes() == content
    assert len(read_idx(folder / IMAGES_FILE)) == len(read_idx(folder / LABELS_FILE)) == 5


def test_when_the_labels_cannot_be_written_the_images_written_before_stay(tmp_path):
    # New images beside another export's labels import mislabelled when the counts agree;
    # the first fix removed the new images, and with them the earlier export's.
    rng = np.random.default_rng(0)
    folder = tmp_path / "export"
    folder.mkdir()
    earlier = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    write_idx(folder / IMAGES_FILE, earlier)
    (folder / LABELS_FILE).mkdir()   # in the way of the labels, not of the images
    store = HandwritingStore(tmp_path / "handwriting.sqlite3")
    store.add_many(rng.integers(0, 10, 6), rng.integers(0, 256, (6, 28, 28), dtype=np.uint8))
    try:
        with pytest.raises(DataError, match="nothing was exported"):
            store.export_idx(folder)
    finally:
        store.close()
    assert sorted(p.name for p in folder.iterdir()) == sorted([IMAGES_FILE, LABELS_FILE])
    np.testing.assert_array_equal(read_idx(folder / IMAGES_FILE), earlier)
