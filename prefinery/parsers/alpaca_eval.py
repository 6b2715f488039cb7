"""AlpacaEval annotations: an LLM judge compares ``output_1`` (a fixed baseline) with
``output_2`` (the evaluated model) on one instruction.

``preference`` is 1 or 2 for the preferred output, 1.5 for a tie, and in the weighted
AlpacaEval 2 files any float in [1, 2] meaning 1 + P(output_2 is better). It is an int in
some files and a float in others. 0 means the two outputs are identical strings and no
judge was called; null means the judge call failed.
"""

from __future__ import annotations

from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    pair,
    user_turn,
)
from prefinery.reasons import Reason


def parse_annotation(record: Any, ctx: RecordContext) -> list:
    record = as_object(record)
    instruction = get_field(record, "instruction", str)
    output_1 = get_field(record, "output_1", str)
    output_2 = get_field(record, "output_2", str)
    if record.get("preference") is None:
        raise ParseError(Reason.MISSING_LABEL, "field 'preference' is null: the judge call failed", field="preference")
    preference = get_field(record, "preference", (int, float))
    if preference == 0:
        raise ParseError(
            Reason.IDENTICAL_RESPONSES,
            "preference 0: output_1 and output_2 are identical, so the judge was not asked",
            field="preference",
        )
    if not 1 <= preference <= 2:
        raise ParseError(
            Reason.LABEL_OUT_OF_DOMAIN,
            f"preference {preference!r} is outside 0 (identical) and [1, 2]",
            field="preference",
        )
    p_output_2 = float(preference) - 1.0
    if p_output_2 > 0.5:
        chosen, rejected, fields, side = output_2, output_1, ("output_2", "output_1"), "2"
    else:
        chosen, rejected, fields, side = (
            output_1,
            output_2,
            ("output_1", "output_2"),
            "1" if p_output_2 < 0.5 else "tie",
        )
    return [
        pair(
            user_turn(instruction),
            chosen,
            rejected,
            label=max(p_output_2, 1.0 - p_output_2),
            label_raw=preference,
            annotator_type=AnnotatorType.MODEL,
            annotator=get_optional(record, "annotator", str),
            num_annotators=1,
            fields=fields,
            metadata={
                "generator_1": get_optional(record, "generator_1", str),
                "generator_2": get_optional(record, "generator_2", str),
                "subset": get_optional(record, "dataset", str),
                "preferred_output": side,
            },
        )
    ]


PARSERS = {"alpaca_eval.annotations": parse_annotation}
