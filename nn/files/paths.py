"""File names given by a user, checked before any file is opened or written.

The operating system refuses some names with an OSError that says little ("File name too
long", "Is a directory" for an empty name), and it happily lets a program write its output
over its own input. Both are caught here, in words: every reader and writer of DigitLab's
files calls `name_problem` first, and every command that writes one file from another calls
`same_file`.
"""

import os
from pathlib import Path

NAME_MAX = 255     # bytes in one file or folder name on Linux, macOS and Windows' NTFS
PATH_MAX = 4096    # bytes in a whole path on Linux


def name_problem(path):
    """Why ``path`` cannot name a file (a phrase: "its name is empty"), or None."""
    text = os.fspath(path)
    if not text.strip():
        return "the name is empty; give a file name"
    if "\0" in text:
        return "the name holds a NUL character, which no file name can"
    if text.endswith(tuple(filter(None, (os.sep, os.altsep)))):
        # Path() would drop the slash and write the file it names; the system says "a folder"
        return "the name ends with a slash, so it names a folder; give a file name"
    if os.path.basename(text) in (".", ".."):
        # "out/.." is the folder above out/: the system would write the file as that folder
        return "the name ends with . or .., so it names a folder; give a file name"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "the name holds a control character (a line break, a tab...); choose another"
    return _length_problem(text)


def folder_problem(path):
    """Why ``path`` cannot name a folder to look in (a phrase), or None. The system raises
    for a NUL or a name too long even when only asked whether such a folder exists."""
    text = os.fspath(path)
    if "\0" in text:
        return "the name holds a NUL character, which no folder name can"
    return _length_problem(text)


def _length_problem(text):
    longest = max((len(os.fsencode(part)) for part in Path(text).parts), default=0)
    if longest > NAME_MAX:
        return (f"the name is {longest:,} bytes long, more than the {NAME_MAX} a file or "
                f"folder name may have; choose a shorter one")
    if len(os.fsencode(text)) > PATH_MAX:
        return f"the path is longer than the {PATH_MAX:,} bytes a path may have"
    return None


def file_at(path):
    """Whether a file is at ``path``; False when it cannot be looked at (a folder on the way
    the user may not search, a name too long), where Path.is_file raises."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def folder_at(path):
    """Whether a folder is at ``path``; False when it cannot be looked at (see `file_at`)."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def not_a_file(path):
    """Whether something other than a file is at ``path``: a folder, a pipe or a device, which
    DigitLab must neither read as a file (a pipe waits for a writer for ever) nor replace.
    False when nothing is there or it cannot be looked at."""
    try:
        path = Path(path)
        return path.exists() and not path.is_file()
    except (OSError, ValueError):   # a name too long to look at, a NUL
        return False


def same_file(first, second):
    """Whether the names ``first`` and ``second`` lead to one file (the same inode, through
    links of any kind); False when either does not exist or cannot be looked at."""
    try:
        return os.path.samefile(Path(first), Path(second))   # Path drops a trailing slash
    except (OSError, ValueError):
        return False
