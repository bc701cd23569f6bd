"""Building blocks for settings forms: rows with object names, combo boxes keyed by item data,
spin boxes set up in one call (and one that steps along 1, 2, 5, 10...), and setters that
take values from outside (saved settings, say) only when the widget can show them as they are.

Plain Qt, nothing about training: the Train tab's form (train_form) is built from these.
"""

import math

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

# --- building -----------------------------------------------------------------------------------

def add_row(layout, label, name, widget):
    """Add ``widget`` to the QFormLayout as the row ``label``, with the object name ``name``."""
    widget.setObjectName(name)
    layout.addRow(label, widget)
    return widget


def keyed_combo(items):
    """A combo box showing the labels of ``items`` ({key: label}) with the keys as item data."""
    combo = QComboBox()
    for key, text in items.items():
        combo.addItem(text, key)
    return combo


def labels_for(keys, labels):
    """{key: label} for every key nn offers, in nn's order (new keys show as themselves)."""
    return {key: labels.get(key, key) for key in keys}


def ranged_spin(spin, value_range, step=1, decimals=None):
    """``spin`` with its range, step and decimals set; whole numbers show group separators."""
    if decimals is not None:
        spin.setDecimals(decimals)  # before setRange, which rounds to the decimals
    spin.setRange(*value_range)
    spin.setSingleStep(step)
    if isinstance(spin, QSpinBox):
        spin.setGroupSeparatorShown(True)
    return spin


class LogSpinBox(QDoubleSpinBox):
    """A spin box for quantities that span decades (learning rates, weight decay): the arrows
    step along 1, 2, 5, 10, 20... instead of adding a constant, and trailing zeros are hidden."""

    def stepBy(self, steps):
        value = self.value()
        for _ in range(abs(steps)):
            value = _next_on_grid(value, steps > 0, 10.0 ** -self.decimals())
        self.setValue(value)

    def textFromValue(self, value):
        locale = self.locale()
        text = locale.toString(value, "f", self.decimals()).replace(locale.groupSeparator(), "")
        point = locale.decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


def _next_on_grid(value, up, smallest):
    """The next value of the 1-2-5 series above or below ``value``; 0 steps to ``smallest``."""
    if value <= 0:
        return smallest if up else 0.0
    exponent = math.floor(math.log10(value))
    grid = [m * 10.0 ** e for e in (exponent - 1, exponent, exponent + 1) for m in (1, 2, 5)]
    if up:
        return min(g for g in grid if g > value * (1 + 1e-9))
    lower = [g for g in grid if g < value * (1 - 1e-9)]
    return max(lower) if lower and max(lower) >= smallest else 0.0


# --- setting values from outside ----------------------------------------------------------------

def select_key(combo, key):
    """Select the item whose data is ``key``; anything else (unknown, not a str) is ignored."""
    if not isinstance(key, str):
        return
    index = combo.findData(key)
    if index >= 0:
        combo.setCurrentIndex(index)


def set_number(spin, value):
    """Set ``value`` if it is a number the spin box can hold exactly (no silent clamping)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return   # int() of an infinity raises
    if isinstance(spin, QSpinBox) and value != int(value):
        return
    if spin.minimum() <= value <= spin.maximum():
        spin.setValue(int(value) if isinstance(spin, QSpinBox) else float(value))
