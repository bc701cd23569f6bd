"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
dimension sizes, then the values in C order. MNIST's images are ``00 00 08 03`` followed by
``n, 28, 28``; its labels are ``00 00 08 01`` followed by ``n``.

The published files are gzipped. Gzip is detected from its magic bytes, not from the file
name, because people unpack, rename and re-pack these files by hand.
"""

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from nn.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"
# IDX also defines int8, int16, int32, float32 and float64 (codes 0x09-0x0E), but no dataset
# DigitLab reads uses them, so they are rejected rather than carried as untested code.
_UBYTE = 0x08


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
        ``(n,)`` for labels. It is a read-only view of the decoded bytes (no extra copy of a
        47 MB file); copy it before modifying.

    Raises
    ------
    DataError
        If the file cannot be read, is corrupt gzip, is not IDX, uses another value type, or
        holds fewer or more bytes than its header announces.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; check the folder or download the data.") from None
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror}; check its permissions.") from None
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, path)

    if len(data) < 4:
        raise DataError(
            f"{path} is truncated: {len(data)} bytes are too few for an IDX header; "
            f"download it again."
        )
    zero, dtype_code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or ndim == 0:
        raise DataError(
            f"{path} is not an IDX file: it starts with bytes {data[:4].hex(' ')} instead of "
            f"00 00 08 <number of dimensions>; use the original MNIST-style files."
        )
    if dtype_code != _UBYTE:
        raise DataError(
            f"{path} holds IDX values of type 0x{dtype_code:02x}, but DigitLab reads only unsigned "
            f"bytes (type 0x08) as in MNIST; use a dataset stored as unsigned bytes."
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(
            f"{path} is truncated: its header announces {ndim} dimensions but the file ends "
            f"after {len(data)} bytes; download it again."
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = math.prod(shape)
    found = len(data) - header_size
    if found < expected:
        raise DataError(
            f"{path} is truncated: expected {expected} bytes of data, found {found}; "
            f"download it again."
        )
    if found > expected:
        raise DataError(
            f"{path} has {found - expected} bytes after the end of its data (expected {expected} "
            f"bytes of data, found {found}); the file is damaged, download it again."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def _gunzip(data, path):
    """Decompress a whole gzip file, turning every kind of damage into a DataError."""
    try:
        return gzip.decompress(data)
    except EOFError:  # the gzip stream ends before its end marker: a cut-off download
        raise DataError(
            f"{path} is truncated: its gzip data ends early; download it again."
        ) from None
    except (OSError, zlib.error) as error:  # bad header, bad CRC, bad deflate data
        raise DataError(f"{path} is not a valid gzip file ({error}); download it again.") from None


def write_idx(path, array):
    """Write a uint8 array as an IDX file; gzip it when ``path`` ends with ``.gz``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; overwritten if it exists.
    array : np.ndarray
        uint8 array of any shape with 1 to 255 dimensions, e.g. ``(n, 28, 28)`` images.

    The gzip header's timestamp is fixed at 0, so the same array always gives the same bytes
    (and the same SHA-256). The file is not written atomically: an interrupted write leaves a
    file that `read_idx` rejects as truncated.
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"write_idx needs a uint8 array, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, _UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.tobytes(order="C")
    path = Path(path)
    if path.name.endswith(".gz"):
        content = gzip.compress(content, mtime=0)
    path.write_bytes(content)
