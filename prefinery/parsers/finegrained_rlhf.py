"""FineGrainedRLHF qa-feedback: four sampled answers to an ASQA question, compared
pairwise by a human.

A record holds ``question``, ``passages`` (a list of ``[title, sentence, ...]`` lists the
answers were written from), ``prediction 1`` .. ``prediction 4`` and ``preference``: six
ints in the fixed order 1v2, 1v3, 1v4, 2v3, 2v4, 3v4, where 1 = the first prediction is
better, 2 = the second, 0 = no preference. Each record gives six rows in that order; one
unusable comparison is quarantined on its own and the other five stay. A tie keeps the
lower-numbered prediction as chosen, at label 0.5.

The prompt is the question alone: the passages are retrieval context whose format is
specific to this task, so they are counted in metadata, not inlined. ``feedback`` holds
span-level errors (``errors``) and missing information (``missing-info``) for
``prediction 1`` only; rows that compare prediction 1 carry their counts by error type,
so a malformed ``feedback`` rejects the whole record rather than mislabel three rows.
"""

from __future__ import annotations

from collections import Counter
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
    json_type,
    pair,
    user_turn,
)
from prefinery.reasons import Reason

# (first, second) prediction numbers, in the order of the ``preference`` list.
COMPARISONS = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NO_PREFERENCE, FIRST, SECOND = 0, 1, 2
_FEEDBACK_LISTS = ("errors", "missing-info")


def parse_comparisons(record: Any, ctx: RecordContext) -> list[Example | ParseError]:
    record = as_object(record)
    question = get_field(record, "question", str)
    if not question.strip():
        raise ParseError(Reason.EMPTY_PROMPT, "field 'question' is empty or whitespace only", field="question")
    preference = get_field(record, "preference", list)
    if len(preference) != len(COMPARISONS):
        raise ParseError(
            Reason.LABEL_OUT_OF_DOMAIN,
            f"field 'preference' has {len(preference)} values; expected {len(COMPARISONS)}, "
            "one per comparison 1v2, 1v3, 1v4, 2v3, 2v4, 3v4",
            field="preference",
        )
    errors = _error_counts(get_optional(record, "feedback", dict, default={}))
    common = {"num_passages": len(get_optional(record, "passages", list, default=[]))}
    prediction_1 = {"prediction_1_errors": errors, "prediction_1_errors_total": sum(errors.values())}
    outcomes: list[Example | ParseError] = []
    for (first, second), value in zip(COMPARISONS, preference, strict=True):
        metadata = {**common, **(prediction_1 if first == 1 else {})}
        try:
            outcomes.append(_comparison(record, question, first, second, value, metadata))
        except ParseError as rejection:
            outcomes.append(rejection)
    return outcomes


def _comparison(
    record: Mapping[str, Any], question: str, first: int, second: int, value: Any, metadata: Mapping[str, Any]
) -> Example:
    name = f"preference[{COMPARISONS.index((first, second))}]"
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParseError(
            Reason.WRONG_TYPE,
            f"{name} ({first}v{second}) should be an integer, got {json_type(value)}",
            field="preference",
        )
    if value not in (NO_PREFERENCE, FIRST, SECOND):
        raise ParseError(
            Reason.LABEL_OUT_OF_DOMAIN,
            f"{name} ({first}v{second}) is {value}; expected 0 (no preference), 1 or 2",
            field="preference",
        )
    fields = (f"prediction {first}", f"prediction {second}")
    if value == SECOND:
        fields = fields[::-1]
    chosen, rejected = (get_field(record, f, str) for f in fields)
    return pair(
        user_turn(question),
        chosen,
        rejected,
        label=0.5 if value == NO_PREFERENCE else 1.0,
        label_raw=value,
        annotator_type=AnnotatorType.HUMAN,
        annotator="finegrained_rlhf_annotators",
        num_annotators=1,
        fields=fields,
        metadata={
            "pair": f"{first}v{second}",
            "preferred_prediction": {NO_PREFERENCE: "tie", FIRST: str(first), SECOND: str(second)}[value],
            **metadata,
        },
    )


def _error_counts(feedback: Mapping[str, Any]) -> dict[str, int]:
    """Prediction 1's error spans and missing-info notes, counted by type: {"Irrelevant": 3, ...}."""
    counts: Counter[str] = Counter()
    for list_name in _FEEDBACK_LISTS:
        for position, span in enumerate(get_optional(feedback, list_name, list, default=[])):
            if not isinstance(span, dict):
                raise ParseError(
                    Reason.WRONG_TYPE,
                    f"feedback.{list_name}[{position}] should be an object, got {json_type(span)}",
                    field="feedback",
                )
            counts[get_field(span, "error type", str)] += 1
    return dict(sorted(counts.items()))


PARSERS = {"finegrained_rlhf.comparisons": parse_comparisons}
