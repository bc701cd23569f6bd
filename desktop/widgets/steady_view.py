"""A plot view for live curves: its automatic y range moves in steps, not with every point.

pyqtgraph fits a plot's automatic range to its curves each time they change. On a curve that
creeps (a loss that falls a little with every batch) the range then changes on every redraw,
and each change redraws the axis (its ticks, its labels, and the whole plot's layout when the
labels' width changes): most of a live plot's painting, on the GUI thread, while a run trains.

`SteadyViewBox` keeps its automatic y range while the curves stay inside it and fill at least
`LOOSEST` of it; otherwise it fits them again with `MARGIN` to spare on each side, so the next
refit comes only after they have moved by a good part of their own span. A range set by the
user (zoom, pan) or by the code is applied as it is, and turns the automatic range off, as in
any pyqtgraph view; the plot's "A" button turns it on again.
"""

import pyqtgraph as pg

MARGIN = 0.25    # of the curves' span, added below and above when the range is refitted
LOOSEST = 0.5    # the range is refitted when the curves fill less than this share of it


def steady_range(wanted, shown):
    """The y range to show, (low, high), for curves spanning ``wanted`` (low, high) when
    ``shown`` (low, high) is on screen: ``shown`` itself while it holds the curves and they
    fill at least `LOOSEST` of it, else ``wanted`` widened by `MARGIN` of its span."""
    low, high = wanted
    shown_low, shown_high = shown
    span = high - low
    if shown_low <= low and high <= shown_high and span >= LOOSEST * (shown_high - shown_low):
        return tuple(shown)
    return low - MARGIN * span, high + MARGIN * span


class SteadyViewBox(pg.ViewBox):
    """A pyqtgraph ViewBox whose automatic y range follows `steady_range` (see the module)."""

    def setRange(self, rect=None, xRange=None, yRange=None, padding=None, update=True,
                 disableAutoRange=True):
        # pyqtgraph's automatic range comes through here with disableAutoRange=False.
        if yRange is not None and not disableAutoRange:
            shown = tuple(self.viewRange()[1])
            yRange = steady_range(tuple(yRange), shown)
            if yRange == shown:
                yRange = None
                if rect is None and xRange is None:
                    return
        super().setRange(rect, xRange, yRange, padding, update, disableAutoRange)
