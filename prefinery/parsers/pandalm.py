"""PandaLM test set: 999 pairs of 7B-model responses, labelled by three humans and by two
LLM judges (gpt-3.5-turbo, PandaLM-7B) in separate files joined on ``idx``.

The pairs file holds ``instruction`` + ``input`` (Alpaca style), ``response1`` /
``response2`` and ``annotator1..3``: 1 = response1 better, 2 = response2 better, 0 = tie.
The three votes become one soft label: each annotator counts 1 for the side they chose,
0.5 for a tie, 0 for the other side, and ``label`` is the mean for the side with more
votes (equal votes: a tie, response1 stays chosen). So 3-0 gives 1.0, 2-1 gives 2/3 and
one vote against two ties gives 2/3.

Judge files hold ``idx`` and a result field named in the registry options: ints 0/1/2
for PandaLM-7B, strings "1"/"2"/"Tie" for gpt-3.5-turbo, whose failed calls are marked
"garbage" (with an empty reason): a missing label. Judge rows take their texts from the pairs file, so a
pair and its judgments share ``content_hash``.

Quirks: 29 empty response1 and 25 empty response2; six responses are JSON ``true``
rather than the string "True" a model wrote (quarantined as wrong_type, not guessed
back); one instruction is a single space with the input "Truthfulness".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    Example,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    instruction_text,
    join_instruction,
    pair,
    user_turn,
)
from prefinery.reasons import Reason

ANNOTATORS = ("annotator1", "annotator2", "annotator3")
TIE, RESPONSE_1, RESPONSE_2 = 0, 1, 2
# Judge results as written in the judge files, lower-cased.
_JUDGE_RESULTS = {"0": TIE, "1": RESPONSE_1, "2": RESPONSE_2, "tie": TIE}
_FAILED_JUDGE_RESULT = "garbage"


def parse_human_labels(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    votes = [_vote(record, name) for name in ANNOTATORS]
    for_1, for_2 = votes.count(RESPONSE_1), votes.count(RESPONSE_2)
    winner = RESPONSE_1 if for_1 > for_2 else RESPONSE_2 if for_2 > for_1 else TIE
    chosen_side = RESPONSE_2 if winner == RESPONSE_2 else RESPONSE_1
    label = sum(1.0 if v == chosen_side else 0.5 if v == TIE else 0.0 for v in votes) / len(votes)
    return [
        _pair_example(
            record,
            winner,
            label=label,
            label_raw=votes,
            annotator_type=AnnotatorType.HUMAN,
            annotator="pandalm_annotators",
            agreement=votes.count(winner) / len(votes),
            num_annotators=len(votes),
            extra_metadata={"annotator_labels": votes},
        )
    ]


def parse_judge_labels(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    result_field = ctx.option("result_field")
    pairs_file = ctx.option("pairs_file")
    idx = get_field(record, "idx", int)
    raw_result = _label_field(record, result_field, (int, str))
    verdict = _judge_verdict(raw_result, result_field)
    pairs = ctx.lookup(pairs_file, "idx")
    if idx not in pairs:
        raise ParseError(Reason.JOIN_KEY_NOT_FOUND, f"idx {idx} is not in the pairs file {pairs_file!r}", field="idx")
    try:
        example = _pair_example(
            pairs[idx],
            verdict,
            label=0.5 if verdict == TIE else 1.0,
            label_raw=raw_result,
            annotator_type=AnnotatorType.MODEL,
            annotator=ctx.option("judge"),
            agreement=None,
            num_annotators=1,
            extra_metadata={},
        )
    except ParseError as problem:  # say which joined record is at fault
        raise ParseError(
            problem.reason, f"pairs file {pairs_file!r}, idx {idx}: {problem.message}", problem.field
        ) from None
    return [example]


def _label_field(record: Mapping[str, Any], name: str, expected: type | tuple[type, ...]) -> Any:
    """A label field; absent or null is a missing label rather than a missing field."""
    if record.get(name) is None:
        raise ParseError(Reason.MISSING_LABEL, f"field {name!r} is missing or null", field=name)
    return get_field(record, name, expected)


def _vote(record: Mapping[str, Any], name: str) -> int:
    vote = _label_field(record, name, int)
    if vote not in (TIE, RESPONSE_1, RESPONSE_2):
        raise ParseError(Reason.LABEL_OUT_OF_DOMAIN, f"field {name!r} is {vote}; expected 0 (tie), 1 or 2", field=name)
    return vote


def _judge_verdict(raw: int | str, field: str) -> int:
    key = str(raw).strip().lower()
    if key == _FAILED_JUDGE_RESULT:
        raise ParseError(
            Reason.MISSING_LABEL, f"field {field!r} is {raw!r}: the judge's output could not be read", field=field
        )
    if key not in _JUDGE_RESULTS:
        raise ParseError(
            Reason.LABEL_OUT_OF_DOMAIN, f"field {field!r} is {raw!r}; expected 0/'Tie', 1 or 2", field=field
        )
    return _JUDGE_RESULTS[key]


def _pair_example(
    pair_record: Mapping[str, Any],
    winner: int,
    *,
    label: float,
    label_raw: Any,
    annotator_type: AnnotatorType,
    annotator: str | None,
    agreement: float | None,
    num_annotators: int,
    extra_metadata: Mapping[str, Any],
) -> Example:
    """The pair of ``pair_record`` with ``winner`` chosen (a tie keeps response1 first)."""
    prompt = join_instruction(instruction_text(pair_record), get_field(pair_record, "input", str))
    response_1 = get_field(pair_record, "response1", str)
    response_2 = get_field(pair_record, "response2", str)
    if winner == RESPONSE_2:
        chosen, rejected, fields = response_2, response_1, ("response2", "response1")
    else:
        chosen, rejected, fields = response_1, response_2, ("response1", "response2")
    cmp_key = get_optional(pair_record, "cmp_key", str)
    generators = cmp_key.split("_") if cmp_key else []
    generator_1, generator_2 = generators if len(generators) == 2 else (None, None)
    return pair(
        user_turn(prompt),
        chosen,
        rejected,
        label=label,
        label_raw=label_raw,
        annotator_type=annotator_type,
        annotator=annotator,
        agreement=agreement,
        num_annotators=num_annotators,
        fields=fields,
        metadata={
            "idx": get_optional(pair_record, "idx", int),
            "cmp_key": cmp_key,
            "generator_1": generator_1,
            "generator_2": generator_2,
            "motivation_app": get_optional(pair_record, "motivation_app", str),
            "preferred_response": {RESPONSE_1: "1", RESPONSE_2: "2", TIE: "tie"}[winner],
            **extra_metadata,
        },
    )


PARSERS = {"pandalm.human_labels": parse_human_labels, "pandalm.judge_labels": parse_judge_labels}
