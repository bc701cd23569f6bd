"""Written numbers replayed through the real Number tab, the way a user writes them.

Numbers of 3-6 MNIST test digits or of one real writer's pen digits, written by
`nn.ink.written_numbers` (at varying heights, baselines and gaps), are drawn on the tab's
numberPad with real mouse events (press, moves with the left button held, release, sent
through `QApplication.sendEvent`), at the positions a mouse reports
(`nn.ink.ways.Way.mouse_strokes`: a point every few pixels, rounded to whole pixels). The
answer is what numberReading then shows; the time from the last stroke's release to that
answer is the number's pen-up time.

A number is right when numberReading is exactly its digits. Digits are counted right by
aligning the reading with the truth (edit distance), so a number split into one digit too many
costs one digit, not all those after it.
"""

import numpy as np
from PySide6.QtWidgets import QApplication, QLabel

from desktop.widgets.mouse import draw_stroke
from nn.ink.ways import Way
from nn.ink.written_numbers import MAX_DIGITS

# Let queued events (repaints) run after this many numbers, so a long replay does not pile
# them up.
EVENTS_EVERY = 10



def mouse_positions(pad, number):
    """The widget positions a mouse reports writing `number` (a WrittenNumber) on `pad`:
    a list of (m, 2) float arrays, one per stroke."""
    area = pad._target_rect()
    points = np.concatenate(number.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    # Way places the ink's longest side at size * side around centre * side: side = the
    # pad's width, so the number lands where nn.ink.written_numbers put it (in units of the height).
    width = pad.aspect
    way = Way("number", size=float((high - low).max()) / width,
              centre=tuple((low + high) / 2 / width))
    origin = np.array([area.x(), area.y()])
    return [p + origin for p in way.mouse_strokes(number.strokes, area.width())]


def write(tab, number):
    """Clear the tab's pad, write `number` on it; returns what numberReading shows and the
    seconds from the last stroke's release to the answer (the tab reads at pen-up)."""
    pad = tab.pad
    pad.clear()
    for positions in mouse_positions(pad, number):
        pen_up = draw_stroke(pad, positions)
    return tab.findChild(QLabel, "numberReading").text(), pen_up


def edit_distance(a, b):
    """Fewest insertions, deletions and substitutions turning string a into string b."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def replay(tab, numbers):
    """Write each of numbers (WrittenNumber) on the tab; returns the figures as a dict.

    The tab must be shown, with a model. Its pad is left empty. The pen-up times (ms) of the
    numbers of MAX_DIGITS digits are given as a list.
    """
    right = digits_right = digits = found_all = 0
    by_length, pen_ups = {}, []
    try:
        for k, number in enumerate(numbers):
            reading, pen_up = write(tab, number)
            if len(number.text) == MAX_DIGITS:
                pen_ups.append(pen_up)
            exact = reading == number.text
            right += exact
            found_all += len(reading) == len(number.text)
            digits += len(number.text)
            digits_right += max(0, len(number.text) - edit_distance(reading, number.text))
            total, good = by_length.get(len(number.text), (0, 0))
            by_length[len(number.text)] = (total + 1, good + exact)
            if k % EVENTS_EVERY == 0:
                QApplication.processEvents()
    finally:
        tab.pad.clear()
    n = len(numbers)
    return {"numbers": n, "numbers_read_exactly": right / n, "digits": digits,
            "digits_read_right": digits_right / digits,
            "numbers_split_into_the_right_count": found_all / n,
            "exact_by_length": {str(length): round(good / total, 4)
                                for length, (total, good) in sorted(by_length.items())},
            "pen_up_ms_of_6_digits": [1000 * t for t in pen_ups]}

