"""Prometheus evaluator benchmarks: every text is wrapped in the Prometheus grading
prompt, so the instruction and the response are parsed back out of it.

The template is a run of ``###<Section>:`` headers, each after a blank line::

    ###Task Description: ...
    ###The instruction to evaluate:\\n<instruction>
    ###Response to evaluate:\\n<response>
    ###Reference Answer (Score 5):\\n...     (absolute ratings only)
    ###Score Rubrics:\\n...
    ###Feedback:

The instruction ends at the first ``\\n\\n###Response to evaluate:`` and the response at
the first following ``\\n\\n###Reference Answer`` or ``\\n\\n###Score Rubrics:``; the
texts are taken exactly as filled in.

- ``hhh_alignment_eval``: BIG-bench HHH alignment pairs. ``chosen_instruction`` and
  ``rejected_instruction`` are the template filled with one instruction and the preferred
  or dispreferred response; ``source`` is the subset (harmless/helpful/honest/other).
- ``mt_bench_eval`` / ``vicuna_eval``: 80 questions x 4 models, each response rated 1-5
  three times by GPT-4 (``gpt4_score``, a list of ints). MT-Bench rows grade the second
  turn: the instruction is "Here is a previous dialogue between an assistant and an
  user. Generate a human preferable response by the assistant." and then ``User: ...``,
  ``Assistant: ...`` turns ending on an empty ``Assistant:``. Those turns are split into
  messages (the framing sentence is Prometheus's, not the user's); a dialogue whose
  markers do not alternate User/Assistant that way is quarantined, not guessed at.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    Example,
    ExampleKind,
    Message,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    json_type,
    pair,
    single_response,
    user_turn,
)
from prefinery.reasons import Reason

INSTRUCTION_HEADER = "###The instruction to evaluate:\n"
RESPONSE_HEADER = "\n\n###Response to evaluate:\n"
AFTER_RESPONSE_HEADERS = ("\n\n###Reference Answer", "\n\n###Score Rubrics:")
DIALOGUE_FRAME = (
    "Here is a previous dialogue between an assistant and an user. "
    "Generate a human preferable response by the assistant.\n"
)
_TURN = re.compile(r"(?:\A|\n\n)(User|Assistant): ?")
_SPEAKERS = {"User": "user", "Assistant": "assistant"}
SCORE_RANGE = (1, 5)


def parse_template(text: str, field: str) -> tuple[str, str]:
    """(instruction, response) filled into a Prometheus grading prompt."""
    start = text.find(INSTRUCTION_HEADER)
    if start < 0:
        raise _missing_section(field, repr(INSTRUCTION_HEADER.strip()))
    start += len(INSTRUCTION_HEADER)
    middle = text.find(RESPONSE_HEADER, start)
    if middle < 0:
        raise _missing_section(field, repr(RESPONSE_HEADER.strip()))
    response_start = middle + len(RESPONSE_HEADER)
    ends = [i for i in (text.find(h, response_start) for h in AFTER_RESPONSE_HEADERS) if i >= 0]
    if not ends:
        raise _missing_section(field, " or ".join(repr(h.strip()) for h in AFTER_RESPONSE_HEADERS))
    instruction, response = text[start:middle], text[response_start : min(ends)]
    if not instruction.strip():
        raise ParseError(Reason.EMPTY_PROMPT, f"field {field!r}: the instruction section is empty", field=field)
    if not response.strip():
        raise ParseError(Reason.EMPTY_RESPONSE, f"field {field!r}: the response section is empty", field=field)
    return instruction, response


def instruction_messages(instruction: str, field: str) -> tuple[Message, ...]:
    """The prompt conversation: MT-Bench's framed dialogue as turns, else one user turn."""
    if not instruction.startswith(DIALOGUE_FRAME):
        return user_turn(instruction)
    body = instruction[len(DIALOGUE_FRAME) :]
    markers = list(_TURN.finditer(body))
    speakers = [m.group(1) for m in markers]
    expected = ["User", "Assistant"] * (len(markers) // 2)
    if not markers or markers[0].start() != 0 or speakers != expected or body[markers[-1].end() :].strip():
        raise ParseError(
            Reason.MALFORMED_DIALOGUE,
            f"field {field!r}: the dialogue after the framing sentence should alternate 'User: ' and "
            f"'\\n\\nAssistant: ' turns and end on an empty 'Assistant: ' (found {speakers})",
            field=field,
        )
    return tuple(
        {"role": _SPEAKERS[marker.group(1)], "content": body[marker.end() : following.start()]}
        for marker, following in pairwise(markers)
    )


def parse_hhh_pair(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    instruction, chosen = parse_template(get_field(record, "chosen_instruction", str), "chosen_instruction")
    rejected_instruction, rejected = parse_template(
        get_field(record, "rejected_instruction", str), "rejected_instruction"
    )
    if instruction != rejected_instruction:
        raise ParseError(
            Reason.DIALOGUE_PREFIX_MISMATCH,
            "chosen_instruction and rejected_instruction evaluate different instructions",
        )
    return [
        pair(
            instruction_messages(instruction, "chosen_instruction"),
            chosen,
            rejected,
            label=1.0,
            label_raw="chosen",
            annotator_type=AnnotatorType.HUMAN,
            annotator="big_bench_hhh",
            fields=("chosen_instruction", "rejected_instruction"),
            metadata={"benchmark": "hhh_alignment", "subset": get_optional(record, "source", str)},
        )
    ]


def parse_absolute_rating(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    instruction, response = parse_template(get_field(record, "instruction", str), "instruction")
    scores = _scores(record, "gpt4_score")
    low, high = SCORE_RANGE
    messages = instruction_messages(instruction, "instruction")
    return [
        single_response(
            ExampleKind.RATINGS,
            messages,
            response,
            label=(sum(scores) / len(scores) - low) / (high - low),
            label_raw=scores,
            annotator_type=AnnotatorType.MODEL,
            annotator="gpt-4",
            agreement=max(Counter(scores).values()) / len(scores),
            num_annotators=len(scores),
            field_name="instruction",
            metadata={
                "benchmark": ctx.option("benchmark"),
                "idx": get_optional(record, "idx", int),
                "category": get_optional(record, "category", str),
                "response_source": get_optional(record, "response_source", str),
                "turns": sum(m["role"] == "user" for m in messages),
                "scale": list(SCORE_RANGE),
            },
        )
    ]


def _scores(record: Mapping[str, Any], name: str) -> list[int]:
    """A non-empty list of integer scores within SCORE_RANGE."""
    if record.get(name) is None or record[name] == []:
        raise ParseError(Reason.MISSING_LABEL, f"field {name!r} is missing, null or empty", field=name)
    scores = get_field(record, name, list)
    low, high = SCORE_RANGE
    for position, score in enumerate(scores):
        if not isinstance(score, int) or isinstance(score, bool):
            raise ParseError(
                Reason.WRONG_TYPE, f"{name}[{position}] should be an integer, got {json_type(score)}", field=name
            )
        if not low <= score <= high:
            raise ParseError(
                Reason.LABEL_OUT_OF_DOMAIN, f"{name}[{position}] is {score}; expected {low} to {high}", field=name
            )
    return scores


def _missing_section(field: str, headers: str) -> ParseError:
    return ParseError(
        Reason.UNPARSEABLE_TEMPLATE,
        f"field {field!r} has no {headers} section of the Prometheus template",
        field=field,
    )


PARSERS = {"prometheus.hhh_pairs": parse_hhh_pair, "prometheus.absolute_ratings": parse_absolute_rating}
