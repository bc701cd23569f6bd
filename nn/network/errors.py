"""The exceptions `nn` raises for things a user can fix.

Every message is one sentence a person can act on: it names the file or setting at fault
and says what to do. The CLI prints it on one line and exits with status 2; the desktop app
shows it in a dialog.
"""


class DigitLabError(Exception):
    """Base class of every error caused by user input (files, data, settings).

    Its message is one line whatever it quotes: a file name with a line break or a terminal
    escape in it shows them as escapes ("\\n"), so no name can add a line to what the CLI
    prints or the log keeps."""

    def __init__(self, message="", *args):
        super().__init__(printable(str(message)), *args)


class DataError(DigitLabError):
    """A dataset is missing, truncated, corrupt or could not be downloaded."""


class ModelFileError(DigitLabError):
    """A model file cannot be read or written (not ours, damaged, too new, ...)."""


class TrainingError(DigitLabError):
    """Training cannot go on, for example because the loss became NaN or infinite."""


class SettingError(DigitLabError, ValueError):
    """A training setting cannot be used as given (hidden layers "512,,x", say)."""


def shorten(text, limit=60):
    """``text`` on one line and cut to at most ``limit`` characters, "..." marking the cut: a
    value quoted in a one-line message. A hostile file can hold names thousands of characters
    long, with line breaks in them: those, and every other character that does not print, are
    written as escapes ("\\n"), as repr writes them."""
    text = printable(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def printable(text):
    """``text`` with every character that does not print written as an escape, as repr
    writes it ("\\n", "\\x1b")."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
