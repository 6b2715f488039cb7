"""GSM8K grade-school math: worked solutions, and model solutions graded for correctness.

``train.jsonl`` / ``test.jsonl``: ``question`` and ``answer``, a worked solution with
calculator annotations ``<<48/2=24>>`` and a last line ``#### <final answer>``. The answer
is kept as written (annotations included) as the SFT response; the final answer, as
written (e.g. "1,080"), goes to ``metadata["final_answer"]``. An answer without its
``####`` line has no reference answer and is quarantined as a missing label.

``example_model_solutions.jsonl``: the 1,319 test questions with ``ground_truth`` (the
test answer, but ending ``A: <n>``) and four model solutions, ``6b_finetuning``,
``6b_verification``, ``175b_finetuning`` and ``175b_verification``, each
``{solution, is_correct}``. Each record gives four ratings rows in that order, labelled
1.0 when upstream judged the final answer correct. A few solutions run on without an
``A:`` line (repetition loops); they keep their label and have no ``final_answer``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    Example,
    ExampleKind,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    single_response,
    user_turn,
)
from prefinery.reasons import Reason

SOLUTION_MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
_ANSWER_LINE = re.compile(r"(?:\A|\n)#### ?([^\n]*?)\s*\Z")
_SOLUTION_ANSWER_LINE = re.compile(r"(?:\A|\n)A: ?([^\n]*?)\s*\Z")


def parse_qa(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    question = get_field(record, "question", str)
    answer = get_field(record, "answer", str)
    # Build first so an empty question or answer is rejected as such, not as a missing "####".
    example = single_response(ExampleKind.SFT, user_turn(question), answer, field_name="answer")
    final = _ANSWER_LINE.search(answer)
    if not final or not final.group(1):
        raise ParseError(
            Reason.MISSING_LABEL, "field 'answer' does not end with a '#### <final answer>' line", field="answer"
        )
    return [replace(example, metadata={"final_answer": final.group(1)})]


def parse_graded_solutions(record: Any, ctx: RecordContext) -> list[Example | ParseError]:
    record = as_object(record)
    question = get_field(record, "question", str)
    if not question.strip():
        raise ParseError(Reason.EMPTY_PROMPT, "field 'question' is empty or whitespace only", field="question")
    reference = _SOLUTION_ANSWER_LINE.search(get_optional(record, "ground_truth", str, default=""))
    outcomes: list[Example | ParseError] = []
    for model in SOLUTION_MODELS:
        try:
            outcomes.append(_graded_solution(record, question, model, reference.group(1) if reference else None))
        except ParseError as rejection:
            outcomes.append(rejection)
    return outcomes


def _graded_solution(record: Mapping[str, Any], question: str, model: str, reference_answer: str | None) -> Example:
    graded = get_field(record, model, dict)
    try:
        solution = get_field(graded, "solution", str)
        if graded.get("is_correct") is None:
            raise ParseError(Reason.MISSING_LABEL, "field 'is_correct' is missing or null", field="is_correct")
        is_correct = get_field(graded, "is_correct", bool)
    except ParseError as problem:  # name the solution the nested field belongs to
        raise ParseError(problem.reason, f"{model}: {problem.message}", f"{model}.{problem.field}") from None
    final = _SOLUTION_ANSWER_LINE.search(solution)
    return single_response(
        ExampleKind.RATINGS,
        user_turn(question),
        solution,
        label=1.0 if is_correct else 0.0,
        label_raw=is_correct,
        annotator_type=AnnotatorType.RULE,
        annotator="gsm8k_final_answer_match",
        num_annotators=1,
        field_name=f"{model}.solution",
        metadata={
            "model": model,
            "final_answer": final.group(1) if final else None,
            "reference_answer": reference_answer,
            "scale": [0, 1],
        },
    )


PARSERS = {"gsm8k.qa": parse_qa, "gsm8k.graded_solutions": parse_graded_solutions}
