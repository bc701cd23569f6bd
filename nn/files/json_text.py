"""JSON that DigitLab reads back: a model file's meta, its settings, its run history.

Python's ``json`` accepts more than JSON: ``NaN``, ``Infinity`` and ``-Infinity`` become
floats that no spin box, range check or ``int()`` expects, and so does a number too large for
a float (``1e400`` is read as infinity; a whole number of 400 digits stays an int that no
float comparison can take); text nested thousands of levels deep raises
RecursionError instead of ValueError. Every such text is read here, so
each of those is one ValueError that says what is wrong.
"""

import json
import sys

MAX_DEPTH = 32   # the deepest DigitLab writes is a model's meta, about 5 levels
FLOAT_MAX = sys.float_info.max


def read_json(text, max_depth=MAX_DEPTH):
    """The value of the JSON ``text`` (str); raises ValueError when it is not JSON, holds NaN,
    Infinity or a number too large for a float, or is nested more than ``max_depth`` levels.
    The error's text is a predicate ("is not JSON (...)") for the caller to put after what it
    read: "its 'meta' entry ..."."""
    if not isinstance(text, str):
        raise ValueError(f"is {type(text).__name__}, not text")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite,
                           parse_int=_whole)
    except _NotANumber as error:
        raise ValueError(str(error)) from None
    except RecursionError:
        raise ValueError(f"is nested more than {max_depth} levels deep") from None
    except ValueError as error:
        raise ValueError(f"is not JSON ({str(error)[:80]})") from None
    if _depth(value, max_depth) > max_depth:
        raise ValueError(f"is nested more than {max_depth} levels deep")
    return value


def is_flat_object(value):
    """Whether ``value`` is a JSON object of plain values (text, numbers, true/false, null),
    such as the Train form's state."""
    return isinstance(value, dict) and all(
        v is None or isinstance(v, (str, int, float, bool)) for v in value.values())


class _NotANumber(ValueError):
    """NaN, Infinity or -Infinity met while parsing."""


def _refuse_constant(name):
    raise _NotANumber(f"holds {name}, which is not a number")


def _finite(text):
    """A JSON number with a fraction or exponent, as a float; too large for one, refused."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotANumber(f"holds {text[:20]}, a number too large for a float")
    return value


def _whole(text):
    """A JSON number without fraction or exponent, as an int; too large for a float, refused."""
    value = int(text)
    if abs(value) > FLOAT_MAX:
        raise _NotANumber(f"holds a whole number of {len(text.lstrip('-'))} digits, too large "
                          "for a float")
    return value


def _depth(value, limit):
    """How deeply ``value`` nests lists and objects (1 for a scalar), counted up to limit + 1
    without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) \
            else ()
        todo.extend((child, depth + 1) for child in children)
    return deepest
