"""Text from outside (a file's name, a message that quotes one) for the Qt widgets that guess
whether text is HTML, as QMessageBox does: a name holding "<img src=...>" would be read as a
tag and the file it names loaded. QLabels that show such text are set to plain text instead."""

from PySide6.QtGui import Qt


def plain(text):
    """``text`` as HTML that shows it as it is (its <, > and & escaped, its line breaks
    kept, its spaces free to wrap)."""
    return Qt.convertFromPlainText(str(text), Qt.WhiteSpaceMode.WhiteSpaceNormal)
