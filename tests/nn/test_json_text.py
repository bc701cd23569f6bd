"""The JSON DigitLab reads back (nn.files.json_text): JSON's values, and one ValueError that says
what is wrong for everything else."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.files.json_text import MAX_DEPTH, read_json

values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False,
                                                                         allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(values)
def test_json_values_read_back_as_written(value):
    assert read_json(json.dumps(value)) == value


@pytest.mark.parametrize("text, words", [
    ("NaN", "holds NaN, which is not a number"),
    ('{"a": [1, -Infinity]}', "holds -Infinity"),
    ('{"lr": 1e400}', "holds 1e400, a number too large for a float"),
    ("[-2.5E+999]", "holds -2.5E+999"),
    ('{"temperature": ' + "1" * 400 + "}", "holds a whole number of 400 digits, too large"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels"),
    ("[" * 100_000, f"nested more than {MAX_DEPTH} levels"),
    ("{'a': 1}", "is not JSON"),
    ("", "is not JSON"),
])
def test_what_is_not_plain_json_is_one_value_error(text, words):
    with pytest.raises(ValueError) as error:
        read_json(text)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_tiny_number_is_zero_not_an_error():
    assert read_json("[1e-400]") == [0.0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('[]{}",:0123456789.eE+-aNInfinity \\tnul'), max_size=60))
def test_any_text_is_a_finite_value_or_one_value_error(text):
    try:
        value = read_json(text)
    except ValueError as error:
        assert "\n" not in str(error)
        return
    leaves = [value]
    while leaves:
        leaf = leaves.pop()
        if isinstance(leaf, dict):
            leaves += leaf.values()
        elif isinstance(leaf, list):
            leaves += leaf
        elif isinstance(leaf, float):
            assert math.isfinite(leaf)
