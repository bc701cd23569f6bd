"""IDX reading and writing: round trips and every kind of damaged file, with the exact error."""

import gzip
import struct

import numpy as np
import pytest

from nn.network.errors import DataError
from nn.data.idx import read_idx, write_idx

RNG_SEED = 1234


def idx_header(shape, dtype_code=0x08):
    return bytes([0, 0, dtype_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize("filename", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
@pytest.mark.parametrize("shape", [(7,), (5, 28, 28), (2, 3, 4, 5)])
def test_round_trip_raw_and_gzip(tmp_path, filename, shape):
    array = np.random.default_rng(RNG_SEED).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / filename
    write_idx(path, array)

    loaded = read_idx(path)

    assert loaded.dtype == np.uint8
    assert loaded.shape == shape
    np.testing.assert_array_equal(loaded, array)


def test_write_idx_gzips_only_for_gz_names_and_writes_canonical_header(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array)

    raw = (tmp_path / "a").read_bytes()
    assert raw == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5])
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == raw


def test_gzip_is_detected_by_content_not_by_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels.gz", array)
    (tmp_path / "labels.gz").rename(tmp_path / "gzipped-without-suffix")
    write_idx(tmp_path / "labels", array)
    (tmp_path / "labels").rename(tmp_path / "raw-with-suffix.gz")

    np.testing.assert_array_equal(read_idx(tmp_path / "gzipped-without-suffix"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "raw-with-suffix.gz"), array)


def test_write_idx_rejects_non_uint8(tmp_path):
    with pytest.raises(TypeError, match="uint8"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.float32))


def test_wrong_magic_is_not_an_idx_file(tmp_path):
    path = tmp_path / "notes-idx1-ubyte"
    path.write_bytes(b"\x12\x34\x56\x78" + bytes(100))

    with pytest.raises(DataError, match="is not an IDX file") as caught:
        read_idx(path)
    assert "notes-idx1-ubyte" in str(caught.value)
    assert "12 34 56 78" in str(caught.value)


def test_unsupported_value_type_is_named(tmp_path):
    path = tmp_path / "floats-idx1"
    path.write_bytes(idx_header((2,), dtype_code=0x0D) + bytes(8))

    with pytest.raises(DataError, match="type 0x0d") as caught:
        read_idx(path)
    assert "floats-idx1" in str(caught.value)


@pytest.mark.parametrize("gzipped", [False, True])
def test_truncated_payload_reports_expected_and_found_bytes(tmp_path, gzipped):
    # A real-sized MNIST test-images header whose pixels stop 100 bytes short.
    content = idx_header((10000, 28, 28)) + bytes(10000 * 28 * 28 - 100)
    path = tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gzipped else ""))
    path.write_bytes(gzip.compress(content, mtime=0) if gzipped else content)

    with pytest.raises(DataError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert "t10k-images-idx3-ubyte" in message
    assert "is truncated: expected 7840000 bytes of data, found 7839900" in message


def test_truncated_header_is_reported(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_header((60000, 28, 28))[:9])

    with pytest.raises(DataError, match="labels-idx1-ubyte is truncated"):
        read_idx(path)


def test_trailing_bytes_are_rejected(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(idx_header((100,)) + bytes(105))

    with pytest.raises(DataError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert "train-labels-idx1-ubyte" in message
    assert "5 bytes after the end of its data" in message
    assert "expected 100 bytes of data, found 105" in message


def test_corrupt_gzip_is_a_data_error(tmp_path):
    compressed = bytearray(gzip.compress(idx_header((4000,)) + bytes(range(250)) * 16, mtime=0))
    compressed[len(compressed) // 2] ^= 0xFF
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(bytes(compressed))

    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz is not a valid gzip file"):
        read_idx(path)


def test_cut_off_gzip_is_truncated(tmp_path):
    compressed = gzip.compress(idx_header((4000,)) + bytes(range(250)) * 16, mtime=0)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(compressed[: len(compressed) // 2])

    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz is truncated"):
        read_idx(path)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="absent-idx1-ubyte does not exist"):
        read_idx(tmp_path / "absent-idx1-ubyte")


def test_more_dimensions_than_digits_have_are_refused(tmp_path):
    # numpy cannot even shape past 64: 255 dimensions raised ValueError from reshape.
    path = tmp_path / "deep-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 255]) + (1).to_bytes(4, "big") * 255 + bytes(1))

    with pytest.raises(DataError, match="announces 255 dimensions") as caught:
        read_idx(path)
    assert "deep-idx3-ubyte" in str(caught.value)
