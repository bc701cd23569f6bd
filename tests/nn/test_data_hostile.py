"""Hostile data files: a gzip bomb, an empty test set, and one dataset's files passed off as
another's (recognised by the SHA-256 of their content)."""

import gzip
import hashlib
import shutil
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from nn.data import folders
from nn.data.datasets import DATASETS, load_dataset
from nn.network.errors import DataError
from nn.data.idx import read_idx, write_idx
from tests.nn.makers import write_tiny_dataset
from tests.real_data import FILE_NAMES, real_dataset_dir


@pytest.fixture(autouse=True)
def isolated_places(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    monkeypatch.setattr(folders, "_CHECKOUT_DATA_DIR", tmp_path / "checkout" / "data")


def gzip_bomb(path, declared_images, zero_megabytes):
    """A gzip file whose IDX header announces ``declared_images`` 28x28 images but which
    unpacks to ``zero_megabytes`` MiB of zeros after it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", declared_images, 28, 28))]
    block = bytes(2**20)
    parts += [packer.compress(block) for _ in range(zero_megabytes)]
    path.write_bytes(b"".join(parts) + packer.flush())
    return path


def test_a_gzip_bomb_is_refused_after_unpacking_only_what_its_header_announces(tmp_path):
    path = gzip_bomb(tmp_path / "t10k-images-idx3-ubyte.gz", 10_000, 40)
    assert path.stat().st_size < 100_000

    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(DataError, match="bytes after the end of its data"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 3 * 7_840_000  # the announced data, not 40 MB


def test_a_header_announcing_an_absurd_size_is_refused_before_reading(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**32 - 1, 28, 28)))

    with pytest.raises(DataError, match="more than any dataset"):
        read_idx(path)


def test_a_small_file_announcing_ten_times_mnist_is_refused_before_unpacking(tmp_path):
    # 684,784 blank images, under the old 512 MiB cap: 1 MB of gzip that loading turned
    # into 5 GB of memory and minutes of work.
    path = gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", 684_784, 1)
    assert path.stat().st_size < 2_000_000

    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="more than any dataset"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_an_empty_test_set_is_refused(tmp_path):
    folder = write_tiny_dataset(tmp_path / "data")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(0, np.uint8))

    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz holds no images"):
        load_dataset("mnist", folder)


def test_synthetic_files_load_as_unverified(tmp_path):
    split = load_dataset("fashion-mnist", write_tiny_dataset(tmp_path / "mine"))
    assert not split.verified and split.name == "fashion-mnist"


def linked_copy(source, folder, names=FILE_NAMES):
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).symlink_to(source / name)
    return folder


def test_mnist_files_are_not_taken_for_fashion_mnist(tmp_path):
    mnist = real_dataset_dir("mnist")
    folder = linked_copy(mnist, tmp_path / "fashion-mnist")

    with pytest.raises(DataError, match="holds the MNIST .* not the Fashion-MNIST"):
        load_dataset("fashion-mnist", folder)
    assert load_dataset("mnist", folder, limit=10).verified


def test_one_file_of_another_role_is_refused(tmp_path):
    mnist = real_dataset_dir("mnist")
    folder = linked_copy(mnist, tmp_path / "mixed", FILE_NAMES[1:])
    # the test images posing as the training images: counts that even agree with nothing
    (folder / FILE_NAMES[0]).symlink_to(mnist / "t10k-images-idx3-ubyte.gz")

    with pytest.raises(DataError, match="test images, not the MNIST .* training images"):
        load_dataset("mnist", folder)


def test_unpacked_files_are_recognised_by_their_content(tmp_path):
    fashion = real_dataset_dir("fashion-mnist")
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in FILE_NAMES:
        with gzip.open(fashion / name) as packed, open(folder / name[:-3], "wb") as raw:
            shutil.copyfileobj(packed, raw)

    with pytest.raises(DataError, match="holds the Fashion-MNIST"):
        load_dataset("mnist", folder)


@pytest.mark.parametrize("name", list(DATASETS))
def test_content_sums_match_the_real_files(name):
    folder = real_dataset_dir(name)
    info = DATASETS[name]
    for role, filename in info.files.items():
        assert hashlib.sha256(read_idx(folder / filename)).hexdigest() == \
            info.content_sha256[role]
