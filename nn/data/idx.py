"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
dimension sizes, then the values in C order. MNIST's images are ``00 00 08 03`` followed by
``n, 28, 28``; its labels are ``00 00 08 01`` followed by ``n``.

The published files are gzipped. Gzip is detected from its magic bytes, not from the file
name, because people unpack, rename and re-pack these files by hand.
"""

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from nn.files.paths import not_a_file
from nn.network.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"
# IDX also defines int8, int16, int32, float32 and float64 (codes 0x09-0x0E), but no dataset
# DigitLab reads uses them, so they are rejected rather than carried as untested code.
_UBYTE = 0x08
# MNIST's largest file holds 47 MB; loading makes float32 copies, four times larger.
MAX_DATA_BYTES = 2**26    # 64 MiB
MAX_DIMENSIONS = 4        # MNIST's files have 1 (labels) and 3 (images)
TRAILING_MARGIN = 2**16   # how far past the announced end a gzipped file is read
READ_CHUNK = 2**20


def read_idx(path):
    """Read an IDX file of unsigned bytes, gzipped or raw.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Gzip compression is recognised by content, whatever the name.

    Returns
    -------
    np.ndarray
        uint8 array with the shape of the header, e.g. ``(n, 28, 28)`` for images or
        ``(n,)`` for labels. It is read-only; copy it before modifying.

    Raises
    ------
    DataError
        If the file cannot be read, is corrupt gzip, is not IDX, uses another value type, or
        holds fewer or more bytes than its header announces.

    A gzipped file is decompressed only as far as its header announces (plus a small margin
    to notice extra bytes), so a small file that would unpack to gigabytes is refused after
    reading the few megabytes its header claims.
    """
    path = Path(path)
    if not_a_file(path):   # a pipe would wait for a writer for ever
        raise DataError(f"{path} is not a file (a folder, a pipe or a device); choose the IDX "
                        f"file itself.")
    gzipped = False
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not gzipped:
                return _read_body(raw, path, os.fstat(raw.fileno()).st_size)
            with gzip.GzipFile(fileobj=raw) as f:
                return _read_body(f, path, None)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; check the folder or download the data.") from None
    except EOFError:  # the gzip stream ends before its end marker: a cut-off download
        raise DataError(
            f"{path} is truncated: its gzip data ends early; download it again."
        ) from None
    except (OSError, zlib.error) as error:
        if gzipped:  # bad header, bad CRC, bad deflate data
            raise DataError(
                f"{path} is not a valid gzip file ({error}); download it again."
            ) from None
        raise DataError(f"Cannot read {path}: {error.strerror}; check its permissions.") from None


def _read_body(f, path, size):
    """The IDX content of the open file ``f`` (decompressed already when gzipped); ``size`` is
    the raw file's size on disk, or None when it is not known before reading (gzip)."""
    head = _read_at_most(f, 4)
    if len(head) < 4:
        raise DataError(
            f"{path} is truncated: {len(head)} bytes are too few for an IDX header; "
            f"download it again."
        )
    zero, dtype_code, ndim = head[:2], head[2], head[3]
    if zero != b"\x00\x00" or ndim == 0:
        raise DataError(
            f"{path} is not an IDX file: it starts with bytes {head.hex(' ')} instead of "
            f"00 00 08 <number of dimensions>; use the original MNIST-style files."
        )
    if ndim > MAX_DIMENSIONS:
        raise DataError(
            f"{path} announces {ndim} dimensions; an IDX file of digits has at most "
            f"{MAX_DIMENSIONS} (MNIST's images have 3): use the original MNIST-style files."
        )
    if dtype_code != _UBYTE:
        raise DataError(
            f"{path} holds IDX values of type 0x{dtype_code:02x}, but DigitLab reads only unsigned "
            f"bytes (type 0x08) as in MNIST; use a dataset stored as unsigned bytes."
        )
    dims = _read_at_most(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(
            f"{path} is truncated: its header announces {ndim} dimensions but the file ends "
            f"after {4 + len(dims)} bytes; download it again."
        )
    shape = struct.unpack(f">{ndim}I", dims)
    expected = math.prod(shape)
    if expected > MAX_DATA_BYTES:
        raise DataError(
            f"{path} announces {expected:,} bytes of data (shape {shape}), more than any dataset "
            f"DigitLab reads ({MAX_DATA_BYTES:,}); the file is damaged, download it again."
        )
    if size is not None:  # raw: the size on disk tells, before anything is read
        found = size - 4 - 4 * ndim
        if found == expected:
            data = _read_at_most(f, expected)
            found = len(data)  # shorter only if the file shrank meanwhile
    else:
        data = _read_at_most(f, expected + TRAILING_MARGIN)
        found = len(data)
    if found < expected:
        raise DataError(
            f"{path} is truncated: expected {expected} bytes of data, found {found}; "
            f"download it again."
        )
    if found > expected:
        at_least = "at least " if size is None and found == expected + TRAILING_MARGIN else ""
        raise DataError(
            f"{path} has {at_least}{found - expected} bytes after the end of its data (expected "
            f"{expected} bytes of data, found {at_least}{found}); the file is damaged, download "
            f"it again."
        )
    array = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    array.flags.writeable = False
    return array


def _read_at_most(f, n):
    """Up to ``n`` bytes of ``f``, fewer only at its end, read in chunks of at most 1 MiB so
    that memory grows with what really arrives, not with what a header claims."""
    data = bytearray()
    while len(data) < n:
        chunk = f.read(min(n - len(data), READ_CHUNK))
        if not chunk:
            break
        data += chunk
    return data


def write_idx(path, array):
    """Write a uint8 array as an IDX file; gzip it when ``path`` ends with ``.gz``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; overwritten if it exists.
    array : np.ndarray
        uint8 array of any shape with 1 to 255 dimensions, e.g. ``(n, 28, 28)`` images.

    The file is not written atomically: an interrupted write leaves a file that `read_idx`
    rejects as truncated. The app writes `idx_bytes` through ``nn.files.atomic`` instead.
    """
    Path(path).write_bytes(idx_bytes(array, gz=Path(path).name.endswith(".gz")))


def idx_bytes(array, gz=False):
    """The bytes of the IDX file of a uint8 ``array`` (see `write_idx`), gzipped when ``gz``.

    The gzip header's timestamp is fixed at 0, so the same array always gives the same bytes
    (and the same SHA-256).
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"write_idx needs a uint8 array, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, _UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.tobytes(order="C")
    return gzip.compress(content, mtime=0) if gz else content


def labels_path_for(images_path):
    """The label file MNIST's naming pairs with an image file ("...-images-idx3-ubyte" ->
    "...-labels-idx1-ubyte"), or None when the name does not follow it."""
    name = Path(images_path).name
    if "images-idx3" not in name:
        return None
    return Path(images_path).with_name(name.replace("images-idx3", "labels-idx1"))


def read_digit_images(images_path, labels_path, side=28, classes=10):
    """The (n, side, side) uint8 images of an IDX image file and their (n,) uint8 labels from
    its label file; DataError with one sentence when they are not digit images and labels."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (side, side):
        raise DataError(f"{images_path} holds images of shape {images.shape[1:]}, "
                        f"not {side}x{side}; choose an MNIST-style image file.")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{labels_path} holds {labels.shape} labels for {len(images)} "
                        f"images; choose the label file that goes with the images.")
    if len(labels) and labels.max() >= classes:
        raise DataError(f"{labels_path} has a label {int(labels.max())}, but digits are "
                        f"0-{classes - 1}; choose a digit label file.")
    return images, labels
