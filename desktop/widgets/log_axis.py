"""A log-scale axis a learner can read: ticks at round numbers, labelled as numbers.

pyqtgraph's own log axis labels 2, 3, ... 9 of every decade (a crowd on a small plot) or,
told not to, sometimes nothing at all when the data spans less than a decade. This one puts
its ticks at the powers of ten when the plot spans several decades, and at 1, 2 and 5 times
them when it spans fewer than ``FEW_DECADES``, and writes each as a plain number (0.01, 50)
or, far from 1, as 1e-5.
"""

import math

import pyqtgraph as pg

FEW_DECADES = 2
PLAIN_RANGE = (1e-3, 1e4)   # numbers written out in full between these; 1e-5 style outside


def tick_label(value):
    """0.001, 0.5, 20, 5000 or 1e-05 style for a round number ``value`` > 0."""
    if PLAIN_RANGE[0] <= value < PLAIN_RANGE[1]:
        return f"{value:g}"
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10 ** exponent)
    return f"{mantissa}e{exponent}"


class LogTicksAxis(pg.AxisItem):
    """A left axis for a plot in log-y mode (values arrive as log10 of the data)."""

    def __init__(self, orientation, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # the labels carry their own size: no "(x0.001)"

    def tickValues(self, minVal, maxVal, size):
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        low, high = math.floor(minVal), math.ceil(maxVal)
        if maxVal - minVal >= FEW_DECADES:
            step = max(1, math.ceil((high - low) / 6))  # at most ~6 labels
            return [(step, [float(d) for d in range(low, high + 1, step)
                            if minVal <= d <= maxVal])]
        ticks = [d + math.log10(m) for d in range(low, high + 1) for m in (1, 2, 5)]
        return [(1.0, [t for t in ticks if minVal <= t <= maxVal])]

    def tickStrings(self, values, scale, spacing):
        return [tick_label(10 ** v) for v in values]
