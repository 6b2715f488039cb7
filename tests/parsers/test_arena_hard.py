from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.arena_hard import parse_answer, parse_question
from prefinery.parsers.base import AnnotatorType, ExampleKind
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection

V01 = context(options={"version": "v0.1"})
V2 = context(options={"version": "v2.0"})


def question(**overrides):
    return {
        "uid": "328c149e",
        "category": "arena-hard-v0.1",
        "cluster": "ABC Sequence Puzzles",
        "prompt": "Write a folk tune.",
        **overrides,
    }


def answer(messages=None, **overrides):
    if messages is None:
        messages = [
            {"role": "user", "content": "Write a folk tune."},
            {"role": "assistant", "content": {"answer": "X:1\nT:Tune"}},
        ]
    return {
        "uid": "328c149e",
        "ans_id": "ndKLaF",
        "model": "gpt-4-0314",
        "tstamp": 1711397284.1,
        "messages": messages,
        **overrides,
    }


def test_a_question_is_a_prompt_without_response():
    example = only_example(parse_question, question(), V01)
    assert example.kind is ExampleKind.PROMPT
    assert example.messages == ({"role": "user", "content": "Write a folk tune."},)
    assert (example.response, example.chosen, example.annotator_type) == (None, None, AnnotatorType.NONE)
    assert example.metadata == {
        "version": "v0.1",
        "uid": "328c149e",
        "category": "arena-hard-v0.1",
        "cluster": "ABC Sequence Puzzles",
        "subcategory": None,
    }


def test_a_v2_question_has_a_subcategory_instead_of_a_cluster():
    record = {"uid": "2edbb5f3", "category": "hard_prompt", "subcategory": "coding", "prompt": "Write zig."}
    metadata = only_example(parse_question, record, V2).metadata
    assert (metadata["version"], metadata["cluster"], metadata["subcategory"]) == ("v2.0", None, "coding")


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        ("prompt", Reason.NOT_AN_OBJECT, None),
        (question(uid=None), Reason.MISSING_FIELD, "uid"),
        (question(prompt=["a"]), Reason.WRONG_TYPE, "prompt"),
        (question(cluster=3), Reason.WRONG_TYPE, "cluster"),
        (question(prompt=" \u2028 "), Reason.EMPTY_PROMPT, None),
    ],
)
def test_unusable_questions_name_their_reason(record, reason, field):
    rejection = only_rejection(parse_question, record, V01)
    assert (rejection.reason, rejection.field) == (reason, field)


def test_an_answer_unwraps_the_assistant_answer_object():
    example = only_example(parse_answer, answer(), V01)
    assert example.kind is ExampleKind.SFT
    assert example.messages == ({"role": "user", "content": "Write a folk tune."},)
    assert example.response == "X:1\nT:Tune"
    assert (example.annotator_type, example.annotator) == (AnnotatorType.NONE, None)
    assert example.metadata == {
        "version": "v0.1",
        "generator": "gpt-4-0314",
        "uid": "328c149e",
        "ans_id": "ndKLaF",
        "tstamp": 1711397284.1,
    }


def test_plain_string_content_and_earlier_turns_are_kept():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": {"answer": "Hello"}},
        {"role": "user", "content": "Tune?"},
        {"role": "assistant", "content": "X:1"},
    ]
    example = only_example(parse_answer, answer(messages), V01)
    assert [m["role"] for m in example.messages] == ["system", "user", "assistant", "user"]
    assert example.messages[2]["content"] == "Hello" and example.response == "X:1"


USER = {"role": "user", "content": "q"}
ASSISTANT = {"role": "assistant", "content": {"answer": "a"}}


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        ([USER, ASSISTANT], Reason.NOT_AN_OBJECT, None),
        (answer(model=None), Reason.MISSING_FIELD, "model"),
        (answer(messages={"user": "q"}), Reason.WRONG_TYPE, "messages"),
        (answer(tstamp="yesterday"), Reason.WRONG_TYPE, "tstamp"),
        (answer([USER, "a"]), Reason.WRONG_TYPE, "messages[1]"),
        (answer([USER, {"role": "assistant"}]), Reason.MISSING_FIELD, "messages[1].content"),
        (answer([USER, {"role": "assistant", "content": 42}]), Reason.WRONG_TYPE, "messages[1].content"),
        (answer([{"role": "user", "content": {"answer": "q"}}, ASSISTANT]), Reason.WRONG_TYPE, "messages[0].content"),
        (
            answer([USER, {"role": "assistant", "content": {"text": "a"}}]),
            Reason.MISSING_FIELD,
            "messages[1].content.answer",
        ),
        (
            answer([USER, {"role": "assistant", "content": {"answer": ["a"]}}]),
            Reason.WRONG_TYPE,
            "messages[1].content.answer",
        ),
        (answer([USER, {"content": "a"}]), Reason.MISSING_FIELD, "messages[1].role"),
        (answer([USER, {"role": "gpt", "content": "a"}]), Reason.MALFORMED_DIALOGUE, "messages[1].role"),
        (answer([USER, ASSISTANT, ASSISTANT]), Reason.MALFORMED_DIALOGUE, None),
        (answer([]), Reason.NO_ASSISTANT_TURN, "messages"),
        (answer([USER]), Reason.NO_ASSISTANT_TURN, "messages"),
        (answer([USER, ASSISTANT, USER]), Reason.ENDS_ON_USER_TURN, "messages"),
        (answer([ASSISTANT]), Reason.EMPTY_PROMPT, None),
        (answer([{"role": "user", "content": "  "}, ASSISTANT]), Reason.EMPTY_PROMPT, None),
        (
            answer([USER, {"role": "assistant", "content": {"answer": " "}}]),
            Reason.EMPTY_RESPONSE,
            "messages[1].content",
        ),
    ],
)
def test_unusable_answers_name_their_reason_and_field(record, reason, field):
    rejection = only_rejection(parse_answer, record, V01)
    assert (rejection.reason, rejection.field) == (reason, field)
    if field:
        assert field in rejection.message


def test_real_arena_hard(shipped):
    data = shipped("arena_hard_auto")
    assert data.raw.num_rows == 2750  # SOURCE.md: 500 + 3 x 500 answers + 750
    assert data.reasons() == {None: 2750}  # SOURCE.md: no empty or null values
    # Oracle: plain json over the files, the assistant's {answer} unwrapped by hand.
    rows = {(r["file"], r["record_index"]): r for r in data.parsed.to_pylist()}
    kinds: Counter[str] = Counter()
    for file in data.source.files:
        records = _read_jsonl(file.path)
        assert len(records) == file.rows
        for index, source in enumerate(records):
            row = rows[(file.path, index)]
            kinds[row["kind"]] += 1
            metadata = json.loads(row["metadata"])
            assert (metadata["uid"], metadata["version"]) == (source["uid"], file.options["version"])
            if "messages" in source:
                assert row["prompt"] == source["messages"][0]["content"]
                assert row["response"] == source["messages"][1]["content"]["answer"]
                assert metadata["generator"] == source["model"]
            else:
                assert row["prompt"] == source["prompt"] and row["response"] is None
    assert kinds == {"prompt": 1250, "sft": 1500}


def test_every_real_answer_is_for_a_v01_question_and_repeats_its_prompt(shipped):
    data = shipped("arena_hard_auto")
    questions = {
        json.loads(r["metadata"])["uid"]: r["prompt"]
        for r in data.rows(file="arena_hard_auto/arena-hard-v0.1/question.jsonl.gz")
    }
    answers = data.rows(parser="arena_hard.answers")
    assert len(answers) == 1500
    assert all(questions[json.loads(r["metadata"])["uid"]] == r["prompt"] for r in answers)


def test_a_v2_prompt_with_u2028_stays_one_record_and_keeps_the_character(shipped):
    data = shipped("arena_hard_auto")
    v2 = data.rows(file="arena_hard_auto/arena-hard-v2.0/question.jsonl.gz")
    text = gzip.decompress(
        (Settings.from_env().data_root / "arena_hard_auto/arena-hard-v2.0/question.jsonl.gz").read_bytes()
    )
    assert len(text.decode().splitlines()) == 751  # the trap: splitlines() also breaks on U+2028
    assert len(v2) == 750
    (row,) = [r for r in v2 if "\u2028" in r["prompt"]]
    assert json.loads(row["metadata"])["uid"] == "67ce32127cf94a8a" and row["record_index"] == 102
    assert "\u2028" in json.loads(row["messages"])[0]["content"]


def _read_jsonl(path: str) -> list[dict]:
    data = gzip.decompress((Settings.from_env().data_root / path).read_bytes())
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]
