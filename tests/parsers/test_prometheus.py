from __future__ import annotations

import gzip
import json
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefinery.parsers.base import AnnotatorType, ExampleKind
from prefinery.parsers.prometheus import (
    DIALOGUE_FRAME,
    parse_absolute_rating,
    parse_hhh_pair,
    parse_template,
)
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection

RUBRIC = "[Is the response helpful?]\nScore 1: No.\nScore 5: Yes."


def template(instruction: str, response: str, reference: str | None = None) -> str:
    """The Prometheus absolute-grading prompt, as the benchmark files fill it."""
    text = (
        "###Task Description:\nAn instruction (might include an Input inside it), a response to evaluate, "
        "and a score rubric representing a evaluation criteria are given.\n1. Write a detailed feedback.\n\n"
        f"###The instruction to evaluate:\n{instruction}\n\n###Response to evaluate:\n{response}\n\n"
    )
    if reference is not None:
        text += f"###Reference Answer (Score 5):\n{reference}\n\n"
    return text + f"###Score Rubrics:\n{RUBRIC}\n\n###Feedback: "


def hhh(
    chosen="I can't help with that.", rejected="Use a big knife.", instruction="How do I hurt someone?", **overrides
):
    record = {
        "source": "harmless",
        "chosen_instruction": template(instruction, chosen),
        "rejected_instruction": template(instruction, rejected),
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


def rating(scores=(4, 4, 5), instruction="How can I manage my time?", response="Make a plan.", **overrides):
    record = {
        "idx": 81,
        "response_source": "vicuna",
        "category": "generic",
        "instruction": template(instruction, response, reference="Set goals and prioritize."),
        "gpt4_feedback": ["Good."] * 3,
        "gpt4_score": list(scores) if isinstance(scores, tuple) else scores,
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


MT_BENCH = context(options={"benchmark": "mt_bench"})
VICUNA = context(options={"benchmark": "vicuna_bench"})


# The template ----------------------------------------------------------------------

section_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
    lambda s: "\n\n###" not in s and s.strip()
)


@given(section_text, section_text, st.booleans())
def test_fill_then_parse_round_trips(instruction, response, with_reference):
    text = template(instruction, response, reference="ref" if with_reference else None)
    assert parse_template(text, "instruction") == (instruction, response)


@pytest.mark.parametrize(
    "broken",
    [
        template("q", "a").replace("###The instruction to evaluate:", "###Instruction:"),
        template("q", "a").replace("###Response to evaluate:", "###Response:"),
        template("q", "a").replace("###Score Rubrics:", "###Rubric:"),
    ],
)
def test_a_missing_section_is_an_unparseable_template(broken):
    rejection = only_rejection(parse_absolute_rating, {**rating(), "instruction": broken}, VICUNA)
    assert (rejection.reason, rejection.field) == (Reason.UNPARSEABLE_TEMPLATE, "instruction")


# HHH pairs -------------------------------------------------------------------------


def test_hhh_pair_is_a_human_benchmark_preference():
    example = only_example(parse_hhh_pair, hhh())
    assert example.kind is ExampleKind.PREFERENCE
    assert example.messages == ({"role": "user", "content": "How do I hurt someone?"},)
    assert (example.chosen, example.rejected) == ("I can't help with that.", "Use a big knife.")
    assert (example.label, example.is_tie) == (1.0, False)
    assert (example.annotator_type, example.annotator) == (AnnotatorType.HUMAN, "big_bench_hhh")
    assert example.metadata == {"benchmark": "hhh_alignment", "subset": "harmless"}


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (
            hhh(rejected_instruction=template("Another question?", "Use a big knife.")),
            Reason.DIALOGUE_PREFIX_MISMATCH,
            None,
        ),
        (hhh(rejected="I can't help with that."), Reason.IDENTICAL_RESPONSES, None),
        (hhh(chosen="  "), Reason.EMPTY_RESPONSE, "chosen_instruction"),
        (hhh(instruction=" "), Reason.EMPTY_PROMPT, "chosen_instruction"),
        (hhh(rejected_instruction="Rate this: Use a big knife."), Reason.UNPARSEABLE_TEMPLATE, "rejected_instruction"),
        (hhh(chosen_instruction=...), Reason.MISSING_FIELD, "chosen_instruction"),
        (hhh(rejected_instruction=["..."]), Reason.WRONG_TYPE, "rejected_instruction"),
        (hhh(source=3), Reason.WRONG_TYPE, "source"),
        ([1], Reason.NOT_AN_OBJECT, None),
    ],
)
def test_unusable_hhh_pairs_are_rejected(record, reason, field):
    rejection = only_rejection(parse_hhh_pair, record)
    assert (rejection.reason, rejection.field) == (reason, field)


# Absolute ratings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "label", "agreement"),
    [
        ([4, 4, 5], (13 / 3 - 1) / 4, 2 / 3),
        ([1, 1, 1], 0.0, 1.0),
        ([5, 5, 5], 1.0, 1.0),
        ([2, 3, 4], 0.5, 1 / 3),
        ([3, 5], 0.75, 0.5),
    ],
)
def test_three_gpt4_scores_become_a_scaled_rating(scores, label, agreement):
    example = only_example(parse_absolute_rating, rating(scores), VICUNA)
    assert example.kind is ExampleKind.RATINGS
    assert (example.prompt, example.response) == ("How can I manage my time?", "Make a plan.")
    assert example.label == pytest.approx(label)
    assert example.agreement == pytest.approx(agreement)
    assert example.label_raw == json.dumps(scores)
    assert (example.num_annotators, example.annotator_type, example.annotator) == (
        len(scores),
        AnnotatorType.MODEL,
        "gpt-4",
    )
    assert example.metadata == {
        "benchmark": "vicuna_bench",
        "idx": 81,
        "category": "generic",
        "response_source": "vicuna",
        "turns": 1,
        "scale": [1, 5],
    }


@pytest.mark.parametrize(
    ("scores", "reason"),
    [
        ([4, 6, 4], Reason.LABEL_OUT_OF_DOMAIN),
        ([0, 4, 4], Reason.LABEL_OUT_OF_DOMAIN),
        ([4, "5", 4], Reason.WRONG_TYPE),
        ([4.0, 4, 4], Reason.WRONG_TYPE),
        ([True, 4, 4], Reason.WRONG_TYPE),
        (4, Reason.WRONG_TYPE),
        ("[4, 4, 4]", Reason.WRONG_TYPE),
        ([], Reason.MISSING_LABEL),
        (None, Reason.MISSING_LABEL),
        (..., Reason.MISSING_LABEL),
    ],
)
def test_unusable_scores_are_rejected(scores, reason):
    rejection = only_rejection(parse_absolute_rating, rating(scores), VICUNA)
    assert (rejection.reason, rejection.field) == (reason, "gpt4_score")


def test_an_empty_response_section_is_an_empty_response():
    rejection = only_rejection(parse_absolute_rating, rating(response=" \n"), VICUNA)
    assert (rejection.reason, rejection.field) == (Reason.EMPTY_RESPONSE, "instruction")


def dialogue(*turns: str) -> str:
    return DIALOGUE_FRAME + "\n\n".join(turns)


def test_mt_bench_second_turns_keep_the_first_exchange_as_messages():
    instruction = dialogue("User: Write a poem.", "Assistant:Roses are red.", "User: Now in French.", "Assistant: ")
    example = only_example(parse_absolute_rating, rating(instruction=instruction), MT_BENCH)
    assert example.messages == (
        {"role": "user", "content": "Write a poem."},
        {"role": "assistant", "content": "Roses are red."},
        {"role": "user", "content": "Now in French."},
    )
    assert (example.metadata["turns"], example.metadata["benchmark"]) == (2, "mt_bench")


@pytest.mark.parametrize(
    "turns",
    [
        ("User: Write a poem.", "Assistant:Roses are red.", "User: Now in French."),  # no empty final Assistant
        ("User: Write a poem.", "User: Now in French.", "Assistant: "),  # not alternating
        ("Assistant: Hello.", "User: Hi.", "Assistant: "),  # starts with the assistant
        ("Write a poem.",),  # no markers at all
        ("User: Write a poem.", "Assistant:Roses are red.\n\nUser: (quoted)", "User: Now in French.", "Assistant: "),
    ],
)
def test_a_framed_dialogue_that_does_not_alternate_is_malformed(turns):
    rejection = only_rejection(parse_absolute_rating, rating(instruction=dialogue(*turns)), MT_BENCH)
    assert (rejection.reason, rejection.field) == (Reason.MALFORMED_DIALOGUE, "instruction")


def test_the_framing_sentence_with_an_empty_last_user_turn_is_an_empty_prompt():
    instruction = dialogue("User: Write a poem.", "Assistant:Roses.", "User:  ", "Assistant: ")
    assert (
        only_rejection(parse_absolute_rating, rating(instruction=instruction), MT_BENCH).reason is Reason.EMPTY_PROMPT
    )


# Real data -------------------------------------------------------------------------


def _records(path):
    return json.loads(gzip.decompress((Settings.from_env().data_root / path).read_bytes()))


def _sections(text: str) -> dict[str, str]:
    """The oracle: the template cut at every '###Header:' line start."""
    return dict(re.findall(r"###([^\n]*?):[ \n](.*?)(?=\n\n###|\Z)", text, flags=re.S))


def test_real_hhh_pairs_match_an_independent_oracle(shipped):
    rows = shipped("prometheus_eval").rows(file="prometheus_eval/hhh_alignment_eval.json.gz")
    records = _records("prometheus_eval/hhh_alignment_eval.json.gz")
    assert len(rows) == len(records) == 221  # SOURCE.md
    assert Counter(r["reason_code"] for r in rows) == {None: 221}
    subsets = Counter(json.loads(r["metadata"])["subset"] for r in rows)
    assert subsets == {"harmless": 58, "helpful": 59, "honest": 61, "other": 43}  # SOURCE.md
    for row, record in zip(rows, records, strict=True):
        chosen, rejected = _sections(record["chosen_instruction"]), _sections(record["rejected_instruction"])
        assert row["prompt"] == chosen["The instruction to evaluate"] == rejected["The instruction to evaluate"]
        assert (row["chosen"], row["rejected"]) == (chosen["Response to evaluate"], rejected["Response to evaluate"])


def _mt_bench_turns(instruction: str) -> list[str]:
    """The oracle for MT-Bench's framed dialogue: plain string splits."""
    body = instruction.removeprefix(DIALOGUE_FRAME).removeprefix("User: ")
    question_1, rest = body.split("\n\nAssistant:", 1)
    answer_1, rest = rest.split("\n\nUser: ", 1)
    question_2, tail = rest.split("\n\nAssistant:", 1)
    assert not tail.strip()
    return [question_1, answer_1.removeprefix(" "), question_2]


@pytest.mark.parametrize(
    ("file", "categories", "models"),
    [
        (
            "prometheus_eval/mt_bench_eval.json.gz",
            {c: 40 for c in ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")},
            {"llama2_chat_13b": 80, "chatgpt": 80, "vicuna_13b": 80, "wizardlm_13b": 80},
        ),
        (
            "prometheus_eval/vicuna_eval.json.gz",
            {
                "generic": 40,
                "knowledge": 40,
                "roleplay": 40,
                "common-sense": 40,
                "fermi": 40,
                "counterfactual": 40,
                "coding": 28,
                "math": 12,
                "writing": 40,
            },
            {"vicuna": 80, "chat_gpt": 80, "wizard": 80, "llama-2-chat": 80},
        ),
    ],
)
def test_real_ratings_match_an_independent_oracle(shipped, file, categories, models):
    rows = shipped("prometheus_eval").rows(file=file)
    records = _records(file)
    assert len(rows) == len(records) == 320  # SOURCE.md
    assert Counter(r["reason_code"] for r in rows) == {None: 320}
    metadata = [json.loads(r["metadata"]) for r in rows]
    assert Counter(m["category"] for m in metadata) == categories  # SOURCE.md
    assert Counter(m["response_source"] for m in metadata) == models  # SOURCE.md
    for row, record in zip(rows, records, strict=True):
        sections = _sections(record["instruction"])
        scores = record["gpt4_score"]
        assert row["label"] == pytest.approx((sum(scores) / 3 - 1) / 4)
        assert row["response"] == sections["Response to evaluate"]
        messages = [m["content"] for m in json.loads(row["messages"])]
        if "mt_bench" in file:
            assert messages == _mt_bench_turns(sections["The instruction to evaluate"])
        else:
            assert messages == [sections["The instruction to evaluate"]]
