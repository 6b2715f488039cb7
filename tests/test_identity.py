from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from prefinery import identity

USER = [{"role": "user", "content": "What is 2+2?"}]


def test_example_id_is_pinned():
    # A change here silently re-keys every score and decision: never let it drift. The
    # recipe: sha256 of the compact JSON list [source, file, record, sub-record], 32 hex.
    assert (
        identity.example_id("hh_rlhf", "hh_rlhf/harmless-base/test.jsonl.gz", 0, 0)
        == "2c006fa12743443592c5ac5459443f9c"
    )


def test_example_id_distinguishes_every_coordinate():
    base = ("s", "f", 1, 0)
    variants = [("t", "f", 1, 0), ("s", "g", 1, 0), ("s", "f", 2, 0), ("s", "f", 1, 1)]
    assert len({identity.example_id(*v) for v in [base, *variants]}) == 5


def test_a_pair_hashes_the_same_whichever_side_was_chosen():
    a = identity.content_hash(USER, ["4", "5"], ordered=False)
    assert a == identity.content_hash(USER, ["5", "4"], ordered=False)
    assert a != identity.content_hash(USER, ["5", "4"], ordered=True)


def test_content_hash_ignores_whitespace_layout_and_unicode_composition():
    a = identity.content_hash(USER, ["Caf\u00e9  is\nopen"], ordered=True)
    b = identity.content_hash(
        [{"role": "user", "content": " What is 2+2? "}], ["Cafe\u0301 is open\u2028"], ordered=True
    )
    assert a == b


def test_content_hash_keeps_roles_and_case():
    assert identity.content_hash(USER, ["Yes"], ordered=True) != identity.content_hash(USER, ["yes"], ordered=True)
    system = [{"role": "system", "content": "What is 2+2?"}]
    assert identity.content_hash(USER, ["4"], ordered=True) != identity.content_hash(system, ["4"], ordered=True)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_the_canonical_form_is_plain_sorted_compact_json(value):
    # identity hashes orjson's output; it must equal the standard library's canonical JSON
    # so that the ids can be recomputed anywhere.
    import hashlib

    expected = hashlib.sha256(
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    ).hexdigest()[: identity.ID_HEX_CHARS]
    assert identity.record_hash(value) == expected
