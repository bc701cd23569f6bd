"""Reading the entries of a NumPy ``.npz`` archive without trusting it.

A model file is a zip archive of ``.npy`` entries, and anyone can hand DigitLab one. These
functions read such an archive so that a hostile or damaged file can neither run code (nothing
is unpickled) nor make DigitLab unpack or allocate more than the shapes it expects: every
entry's declared size is checked against those shapes before it is opened, and its own header
before its data is read. Every problem raises ``ModelFileError`` with a sentence that names the
file.
"""

import math
import zipfile

import numpy as np

from nn.network.errors import ModelFileError, shorten

# The meta is stored as NumPy text, 4 bytes a character: a history of MAX_HISTORY epochs
# (nn.files.runinfo) takes about 4.5 MB; files of earlier versions, which kept every epoch,
# up to about 60,000 epochs.
MAX_META_BYTES = 64 * 2**20
NPY_HEADER_BYTES = 2**16     # the most a .npy header may take besides its array's data
ZIP_MAGIC = b"PK\x03\x04"


def entry_sizes(path):
    """{entry name: unpacked bytes the archive declares}, ".npy" dropped as np.load does."""
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist or is not a file.")
    try:
        if not zipfile.is_zipfile(path):
            with open(path, "rb") as f:
                if f.read(len(ZIP_MAGIC)) == ZIP_MAGIC:
                    raise ModelFileError(f"{path.name} is damaged or truncated: its archive is "
                                         "incomplete.")
            raise ModelFileError(f"{path.name} is not a model file: it is not a NumPy .npz "
                                 "archive.")
        with zipfile.ZipFile(path) as z:
            return {i.filename.removesuffix(".npy"): i.file_size for i in z.infolist()}
    except ModelFileError:
        raise
    except PermissionError as e:
        raise ModelFileError(f"Cannot read {path}: {e.strerror}; check its permissions.") from e
    except Exception as e:  # a damaged archive makes zipfile raise anything
        raise ModelFileError(f"{path.name} is damaged or truncated: {reason(e)}.") from e


def read_entries(path, shapes, sizes):
    """The arrays ``shapes`` names ({name: expected shape}), float32 or float64.

    Nothing is read before the archive's declared sizes fit the expected shapes, and nothing
    allocated before an entry's own header gives that shape: a small file makes DigitLab
    unpack and allocate no more than the network its meta declares needs, which the meta's
    checks bound by the largest network DigitLab builds (`nn.files.model_meta`).
    """
    arrays = {}
    for name, shape in shapes.items():
        if sizes[name] > 8 * math.prod(shape) + NPY_HEADER_BYTES:
            raise ModelFileError(f"{path.name} is damaged: its entry {shorten(name)} unpacks "
                                 f"to {sizes[name]:,} bytes, far more than {shape} numbers.")
    try:
        with zipfile.ZipFile(path) as z:
            for name, shape in shapes.items():
                try:
                    with z.open(name + ".npy") as f:
                        arrays[name] = _read_npy(path, f, name, shape)
                except KeyError:  # stored without ".npy": raw bytes, not an array
                    raise ModelFileError(f"{path.name} is not a model file: its entry "
                                         f"{shorten(name)} is not a NumPy array.") from None
                except ModelFileError:
                    raise
                except Exception as e:  # zipfile, zlib and numpy raise many types on damage
                    raise ModelFileError(f"{path.name} is damaged or truncated: its entry "
                                         f"{shorten(name)} cannot be read ({reason(e)}).") from e
    except ModelFileError:
        raise
    except Exception as e:  # see above
        raise ModelFileError(f"{path.name} is damaged or truncated: {reason(e)}.") from e
    return arrays


def read_meta(path, sizes):
    """The text of the 'meta' entry: a 0-d NumPy string array of at most MAX_META_BYTES."""
    if sizes["meta"] > MAX_META_BYTES:
        raise ModelFileError(f"{path.name} is damaged or not a DigitLab model: its 'meta' "
                             f"entry is larger than {MAX_META_BYTES // 2**20} MB.")
    try:
        with zipfile.ZipFile(path) as z, z.open("meta.npy") as f:
            a = _read_npy(path, f, "meta", (), kinds="U")
    except ModelFileError:
        raise
    except Exception as e:  # see read_entries
        raise ModelFileError(f"{path.name} is damaged or truncated: {reason(e)}.") from e
    return str(a[()])


def _read_npy(path, f, name, shape, kinds="f"):
    """One .npy entry from the open file ``f``: header first, then exactly its data."""
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ModelFileError(f"{path.name}: {shorten(name)} is stored in an unknown format "
                             f"version {version}; the file is damaged.")
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    found, fortran, dtype = read_header(f)
    if dtype.hasobject:
        raise ModelFileError(f"{path.name} contains pickled Python objects, which DigitLab "
                             "never loads because they could run code.")
    if dtype.kind not in kinds or (kinds == "f" and dtype.itemsize > 8):
        raise ModelFileError(f"{path.name}: {shorten(name)} has dtype {dtype}, expected "
                             + ("text" if kinds == "U" else "float32") + ".")
    if found != tuple(shape):
        raise ModelFileError(f"{path.name}: {shorten(name)} has shape {found}, expected "
                             f"{tuple(shape)}.")
    nbytes = math.prod(found) * dtype.itemsize
    if nbytes > MAX_META_BYTES and kinds == "U":
        raise ModelFileError(f"{path.name}: its 'meta' entry claims {nbytes:,} bytes; the "
                             "file is damaged.")
    data = f.read(nbytes)
    if len(data) != nbytes:
        raise ModelFileError(f"{path.name} is damaged or truncated: {shorten(name)} ends "
                             f"after {len(data):,} of its {nbytes:,} bytes.")
    return np.frombuffer(data, dtype).reshape(found, order="F" if fortran else "C")


def reason(error):
    """An exception as a short phrase on one line, for a message."""
    return shorten(" ".join(str(error).split()) or type(error).__name__, 150)

