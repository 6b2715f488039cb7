from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from prefinery.parsers.base import AnnotatorType, ExampleKind
from prefinery.parsers.hh_rlhf import parse_dialogue, parse_pair, render_dialogue
from prefinery.reasons import Reason
from tests.support import only_example, only_rejection


def dialogue(*turns: str) -> str:
    return "".join(f"\n\n{t}" for t in turns)


def test_pair_splits_the_shared_prefix_from_the_final_turns():
    record = {
        "chosen": dialogue("Human: hi", "Assistant: hello", "Human: help me?", "Assistant: Sure."),
        "rejected": dialogue("Human: hi", "Assistant: hello", "Human: help me?", "Assistant: No."),
    }
    example = only_example(parse_pair, record)
    assert example.kind is ExampleKind.PREFERENCE
    assert example.messages == (
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "help me?"},
    )
    assert (example.prompt, example.chosen, example.rejected) == ("help me?", "Sure.", "No.")
    assert (example.label, example.is_tie, example.label_strength) == (1.0, False, 1.0)
    assert example.annotator_type is AnnotatorType.HUMAN


def test_structural_problems_have_their_own_reasons():
    base = dialogue("Human: q", "Assistant: a")
    cases = {
        Reason.DIALOGUE_PREFIX_MISMATCH: {"chosen": base, "rejected": dialogue("Human: other", "Assistant: b")},
        Reason.NO_ASSISTANT_TURN: {"chosen": dialogue("Human: q"), "rejected": base},
        Reason.ENDS_ON_USER_TURN: {"chosen": base, "rejected": dialogue("Human: q", "Assistant: a", "Human: more")},
        Reason.MALFORMED_DIALOGUE: {"chosen": "Human: q Assistant: a", "rejected": base},
        Reason.EMPTY_RESPONSE: {"chosen": base, "rejected": dialogue("Human: q", "Assistant:")},
        Reason.IDENTICAL_RESPONSES: {"chosen": base, "rejected": base},
        Reason.MISSING_FIELD: {"chosen": base},
        Reason.WRONG_TYPE: {"chosen": base, "rejected": ["Human: q"]},
        Reason.NOT_AN_OBJECT: [base, base],
    }
    for reason, record in cases.items():
        assert only_rejection(parse_pair, record).reason is reason, reason


def test_rejection_names_the_field():
    rejection = only_rejection(parse_pair, {"chosen": dialogue("Human: q", "Assistant: a"), "rejected": 3})
    assert rejection.field == "rejected"
    assert "rejected" in rejection.message and "number" in rejection.message


turn_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda s: "\n\nHuman:" not in s and "\n\nAssistant:" not in s and not s.endswith("\n")
)


@given(st.lists(turn_text, min_size=1, max_size=8))
def test_render_then_parse_round_trips(contents):
    messages = [{"role": ("user", "assistant")[i % 2], "content": c} for i, c in enumerate(contents)]
    assert parse_dialogue(render_dialogue(messages)) == messages


def test_real_harmless_base_test_split(shipped):
    data = shipped("hh_rlhf")
    assert data.raw.num_rows == 2312  # SOURCE.md
    # SOURCE.md: 2,307 rows share the prefix before the last Assistant turn; 4 have an
    # empty final Assistant turn (none of them among the 5 that do not share it). Four more
    # have two Assistant turns in a row inside the prompt (a model turn split upstream).
    assert data.reasons() == {None: 2299, "dialogue_prefix_mismatch": 5, "empty_response": 4, "malformed_dialogue": 4}
    examples = data.rows(reason_code=None)
    assert len({r["example_id"] for r in examples}) == 2299
    for row in examples:
        messages = json.loads(row["messages"])
        assert messages[-1]["role"] == "user" and row["prompt"] == messages[-1]["content"]
        assert row["chosen"].strip() and row["rejected"].strip() and row["chosen"] != row["rejected"]
    # The prompt is the dialogue before the final turn, so chosen == prompt + final turn.
    first = json.loads(data.raw.column("payload")[0].as_py())
    row = examples[0]
    assert (
        render_dialogue([*json.loads(row["messages"]), {"role": "assistant", "content": row["chosen"]}])
        == first["chosen"]
    )


def test_turns_that_do_not_alternate_are_malformed():
    record = {
        "chosen": dialogue("Human: q", "Assistant: a", "Assistant: b", "Human: r", "Assistant: c"),
        "rejected": dialogue("Human: q", "Assistant: a", "Assistant: b", "Human: r", "Assistant: d"),
    }
    rejection = only_rejection(parse_pair, record)
    assert rejection.reason is Reason.MALFORMED_DIALOGUE
    assert "turn 3 of the prompt is 'assistant' where 'user' was due" in rejection.message
