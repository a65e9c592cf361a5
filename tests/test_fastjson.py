"""fastjson.decode_json: the same values json.loads gives, accepting and refusing exactly what it does."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_connector.fastjson import decode_json

documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(documents)
def test_any_document_decodes_to_exactly_what_json_loads_gives(document):
    body = json.dumps(document).encode("utf-8")
    decoded = decode_json(body)
    assert decoded == json.loads(body)
    assert repr(decoded) == repr(json.loads(body)), "same types and same float values"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12))
def test_amounts_become_the_same_floats_as_with_json_loads(amount):
    body = f'{{"grand_total": {amount}}}'.encode()
    assert repr(decode_json(body)) == repr(json.loads(body))


def test_what_only_the_standard_library_accepts_is_still_accepted():
    assert decode_json(b"\xef\xbb\xbf[1]") == [1], "a UTF-8 byte-order mark"
    assert decode_json(b'["\\ud800"]') == ["\ud800"], "a lone surrogate escape"
    assert math.isnan(decode_json(b"[NaN]")[0])


@pytest.mark.parametrize("body", [b'{"items": [1, 2', b"<html>Bad gateway</html>", b""])
def test_a_body_that_is_not_json_raises_value_error(body):
    with pytest.raises(ValueError):  # noqa: PT011 - the message comes from either parser
        decode_json(body)
