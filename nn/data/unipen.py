"""Real pen handwriting: digits recorded on a tablet, read from UNIPEN text files.

The UCI "Pen-Based Recognition of Handwritten Digits" data set (Alimoglu and Alpaydin, 1998;
licence CC BY 4.0) keeps the pen trajectories of people who each wrote about 250 digits on a
WACOM tablet, in the UNIPEN text format. Its training file, ``pendigits-orig.tra``, holds
7,494 digits by 30 writers; a file looks like this::

    .SEGMENT DIGIT    0 ? "8"        a digit starts; its label is the quoted text
    .COMMENT 8 12  224               label, writer, index: the second field names the writer
    .PEN_DOWN                        a stroke: one "x y" point per line, sampled every
     267  333                        100 ms, tablet units (about 0-500), y pointing UP
     ...
    .PEN_UP
    .DT 100                          time between two strokes

`read_unipen` turns such a file into `PenDigits`: each digit's strokes as point arrays with y
pointing down, as on a screen and on the drawing pad, so that `nn.ink.strokes.strokes_to_mnist`
draws them for the network exactly as it draws what the user writes. Any line it does not
understand stops it with one `DataError` naming the file and the line.

The same data set's second file (another 14 writers) is the project's held-out acceptance set
and is never read for training or tuning.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn.data.datasets import NUM_CLASSES
from nn.data.folders import data_roots, user_data_dir, user_folder
from nn.files.paths import file_at, folder_at
from nn.network.errors import DataError

FILE_NAME = "pendigits-orig.tra"
FOLDER_NAME = "pendigits"
SHA256 = "a66225d68d7d68591e62944df1ad33b3f5aa608e2df2505844b41f5568a80da4"
MAX_FILE_BYTES = 16 << 20   # the real file is 3.6 MB; a larger one is not this data set
MAX_DIGITS = 20_000         # the real file holds 7,494: more is another data set, or a bomb
MAX_STROKE_POINTS = 10_000  # a real stroke has tens to a few hundred
MAX_COORDINATE = 1e6        # tablet units; the real ones stay within about 0-600
WRITER_ID = "[0-9]{1,9}"    # a writer number (the real ones are 0-43); longer is damage

_SEGMENT = re.compile(r'\.SEGMENT\s+DIGIT\s+\S+(?:\s+\S+)*?\s+"([^"]*)"\s*$')
_POINT = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*$")
_IGNORED = (".INCLUDE", ".LEXICON", ".HIERARCHY", ".DT", ".X_DIM", ".Y_DIM", ".X_POINTS_PER_INCH",
            ".Y_POINTS_PER_INCH", ".POINTS_PER_SECOND", ".COORD", ".VERSION", ".DATA_SOURCE")


@dataclass(frozen=True)
class PenDigits:
    """Digits written with a pen, one entry per digit.

    strokes: tuple of digits, each a tuple of strokes, each an (k, 2) float64 array of (x, y)
        points with y pointing down; labels: (n,) int64 in 0-9; writers: (n,) int64 writer ids.
    """

    strokes: tuple
    labels: np.ndarray
    writers: np.ndarray

    def __len__(self):
        return len(self.labels)

    def select(self, mask):
        """The digits where the boolean ``mask`` ((n,) array) is true, in order."""
        mask = np.asarray(mask, dtype=bool)
        return PenDigits(tuple(s for s, keep in zip(self.strokes, mask) if keep),
                         self.labels[mask], self.writers[mask])


def read_unipen(path):
    """Read a UNIPEN file of digits; return `PenDigits`.

    Raises DataError, naming the file and the line, if the file is not UNIPEN digits: text
    outside a stroke that is no known keyword, a point that is not two numbers, a stroke that
    never ends, a digit without strokes or without a writer, a label that is not 0-9.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(f"{path} is {size / 1e6:.0f} MB, far larger than a pen digits file "
                            f"({MAX_FILE_BYTES >> 20} MB at most); choose {FILE_NAME}.")
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text file, so not UNIPEN pen data; "
                        f"choose {FILE_NAME}.") from None
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror or error}.") from None
    return _parse(text, path)


def _parse(text, path):
    digits, labels, writers = [], [], []
    strokes, points, label, writer = None, None, None, None

    def fail(number, what):
        raise DataError(f"{path}, line {number}: {what}; the file is damaged or not UNIPEN "
                        f"pen digits, get {FILE_NAME} again.")

    def close_digit(number):
        if strokes is None:
            return
        if not strokes:
            fail(number, "a digit has no strokes")
        if writer is None:
            fail(number, "a digit has no .COMMENT line naming its writer")
        digits.append(tuple(strokes))
        labels.append(label)
        writers.append(writer)

    for number, line in enumerate(text.splitlines(), start=1):
        if points is not None:                       # inside a stroke
            if line.startswith(".PEN_UP"):
                if not points:
                    fail(number, "a stroke has no points")
                xy = np.array(points, dtype=np.float64)
                xy[:, 1] *= -1.0                      # the tablet's y points up, a screen's down
                strokes.append(xy)
                points = None
                continue
            match = _POINT.match(line)
            if match is None:
                fail(number, f"expected a point 'x y' or .PEN_UP, found {line[:40]!r}")
            x, y = float(match.group(1)), float(match.group(2))
            if max(abs(x), abs(y)) > MAX_COORDINATE:
                fail(number, f"the point ({x:g}, {y:g}) lies far outside any tablet")
            if len(points) == MAX_STROKE_POINTS:
                fail(number, f"a stroke has more than {MAX_STROKE_POINTS:,} points")
            points.append((x, y))
            continue
        keyword = line.split(maxsplit=1)[0] if line.strip() else ""
        if not keyword or keyword.startswith(_IGNORED):
            continue
        if keyword == ".SEGMENT":
            close_digit(number)
            if len(digits) == MAX_DIGITS:
                fail(number, f"the file holds more than {MAX_DIGITS:,} digits")
            match = _SEGMENT.match(line)
            if match is None or not re.fullmatch(r"\d", match.group(1)):
                fail(number, "a .SEGMENT line does not name one digit 0-9 in quotes")
            label, writer, strokes = int(match.group(1)), None, []
        elif keyword == ".COMMENT":
            fields = line.split()
            if strokes is not None and writer is None:
                if len(fields) < 3 or not re.fullmatch(WRITER_ID, fields[2]):
                    fail(number, "a .COMMENT line does not give the writer as its second field")
                writer = int(fields[2])
        elif keyword == ".PEN_DOWN":
            if strokes is None:
                fail(number, ".PEN_DOWN before the first .SEGMENT")
            points = []
        else:
            fail(number, f"unexpected {line[:40]!r}")
    if points is not None:
        fail(number, "the file ends inside a stroke (no .PEN_UP)")
    close_digit(len(text.splitlines()))
    if not digits:
        raise DataError(f"{path} holds no digits; choose {FILE_NAME}.")
    labels = np.array(labels, dtype=np.int64)
    assert labels.max() < NUM_CLASSES  # _SEGMENT accepts one decimal digit only
    return PenDigits(tuple(digits), labels, np.array(writers, dtype=np.int64))


def find_pendigits(explicit=None):
    """The path of ``pendigits-orig.tra``, found like the MNIST files.

    Looked for, in order: ``explicit`` (the file or its folder), then in each of
    ``DIGITLAB_DATA``, ``data/`` of the checkout and ``user_data_dir()/datasets``: the folder
    itself, its ``pendigits`` folder and a ``pendigits`` folder beside it (so
    ``DIGITLAB_DATA=../shared/mnist`` finds ``../shared/pendigits``).
    """
    if explicit is not None:
        explicit = user_folder(explicit)
        candidate = explicit / FILE_NAME if folder_at(explicit) else explicit
        if not file_at(candidate):
            raise DataError(f"{explicit} is not {FILE_NAME} nor a folder holding it; "
                            f"choose the file or its folder.")
        return candidate
    roots = data_roots()
    for root in roots:
        for folder in (root, root / FOLDER_NAME, root.parent / FOLDER_NAME):
            if file_at(folder / FILE_NAME):
                return folder / FILE_NAME
    raise DataError(
        f"The pen digits file {FILE_NAME} was not found in {', '.join(map(str, roots))} (nor "
        f"in a {FOLDER_NAME} folder inside or beside them): put it in "
        f"{user_data_dir() / 'datasets' / FOLDER_NAME}, point DIGITLAB_DATA to its folder, or "
        f"fetch it with `python -m nn download --dataset pendigits`."
    )


def load_pendigits(explicit=None):
    """Find and read the pen digits of the 30 training writers; return (`PenDigits`, verified),
    ``verified`` being whether the file is byte for byte the published one (SHA-256)."""
    path = find_pendigits(explicit)
    digits = read_unipen(path)
    verified = hashlib.sha256(path.read_bytes()).hexdigest() == SHA256
    return digits, verified
