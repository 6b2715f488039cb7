from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.base import AnnotatorType, Example, ExampleKind, ParseError
from prefinery.parsers.gsm8k import SOLUTION_MODELS, parse_graded_solutions, parse_qa
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import only_example, only_rejection, outcomes

QUESTION = "Natalia sold clips to 48 friends in April and half as many in May. How many altogether?"
ANSWER = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether 48+24 = <<48+24=72>>72.\n#### 72"


def graded(**overrides):
    record = {
        "question": QUESTION,
        "ground_truth": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nA: 72",
        "6b_finetuning": {"is_correct": False, "solution": "48 + 48 = <<48+48=96>>96\nA: 96"},
        "6b_verification": {"is_correct": True, "solution": "48 / 2 = 24\n48 + 24 = 72\nA: 72"},
        "175b_finetuning": {"is_correct": True, "solution": "She sold 72 clips.\nA: 72.0"},
        "175b_verification": {"is_correct": False, "solution": "1.5 * 48 = 7272727272727272"},
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


# Worked solutions --------------------------------------------------------------------


def test_a_worked_solution_is_kept_as_written():
    example = only_example(parse_qa, {"question": QUESTION, "answer": ANSWER})
    assert example.kind is ExampleKind.SFT
    assert example.messages == ({"role": "user", "content": QUESTION},)
    assert example.response == ANSWER  # calculator annotations and the "####" line stay
    assert example.metadata == {"final_answer": "72"}
    assert (example.label, example.annotator_type) == (None, AnnotatorType.NONE)


@pytest.mark.parametrize(
    ("last_line", "final"), [("#### 1,080", "1,080"), ("#### -3.5", "-3.5"), ("####72", "72"), ("#### 8 \n", "8")]
)
def test_the_final_answer_is_taken_as_written(last_line, final):
    example = only_example(parse_qa, {"question": QUESTION, "answer": f"Some steps.\n{last_line}"})
    assert example.metadata["final_answer"] == final


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        ({"question": QUESTION, "answer": "It is 72."}, Reason.MISSING_LABEL, "answer"),
        ({"question": QUESTION, "answer": "Steps.\n#### "}, Reason.MISSING_LABEL, "answer"),
        ({"question": QUESTION, "answer": "#### 72 is wrong\nno, 73"}, Reason.MISSING_LABEL, "answer"),
        ({"question": QUESTION, "answer": "  "}, Reason.EMPTY_RESPONSE, "answer"),
        ({"question": "", "answer": ANSWER}, Reason.EMPTY_PROMPT, None),
        ({"question": QUESTION}, Reason.MISSING_FIELD, "answer"),
        ({"question": QUESTION, "answer": 72}, Reason.WRONG_TYPE, "answer"),
        ([QUESTION, ANSWER], Reason.NOT_AN_OBJECT, None),
    ],
)
def test_unusable_worked_solutions_are_rejected(record, reason, field):
    rejection = only_rejection(parse_qa, record)
    assert (rejection.reason, rejection.field) == (reason, field)


# Graded model solutions ---------------------------------------------------------------


def test_four_graded_solutions_in_a_fixed_order():
    record = graded()
    results = outcomes(parse_graded_solutions, record)
    assert [r.metadata["model"] for r in results] == list(SOLUTION_MODELS)
    for model, example in zip(SOLUTION_MODELS, results, strict=True):
        assert example.kind is ExampleKind.RATINGS
        assert example.prompt == QUESTION
        assert example.response == record[model]["solution"]
        assert example.label == (1.0 if record[model]["is_correct"] else 0.0)
        assert example.label_raw == json.dumps(record[model]["is_correct"])
        assert (example.annotator_type, example.annotator) == (AnnotatorType.RULE, "gsm8k_final_answer_match")
        assert example.metadata["scale"] == [0, 1] and example.metadata["reference_answer"] == "72"
    # The solution's own final answer, when it has an "A:" line (upstream graded numerically).
    assert [r.metadata["final_answer"] for r in results] == ["96", "72", "72.0", None]


@pytest.mark.parametrize(
    ("overrides", "reason", "field"),
    [
        (
            {"6b_verification": {"is_correct": "true", "solution": "A: 72"}},
            Reason.WRONG_TYPE,
            "6b_verification.is_correct",
        ),
        ({"6b_verification": {"is_correct": 1, "solution": "A: 72"}}, Reason.WRONG_TYPE, "6b_verification.is_correct"),
        (
            {"6b_verification": {"is_correct": None, "solution": "A: 72"}},
            Reason.MISSING_LABEL,
            "6b_verification.is_correct",
        ),
        ({"6b_verification": {"is_correct": True}}, Reason.MISSING_FIELD, "6b_verification.solution"),
        ({"6b_verification": {"is_correct": True, "solution": ""}}, Reason.EMPTY_RESPONSE, "6b_verification.solution"),
        ({"6b_verification": "A: 72"}, Reason.WRONG_TYPE, "6b_verification"),
        ({"6b_verification": ...}, Reason.MISSING_FIELD, "6b_verification"),
    ],
)
def test_an_unusable_solution_is_rejected_alone(overrides, reason, field):
    results = outcomes(parse_graded_solutions, graded(**overrides))
    assert [isinstance(r, ParseError) for r in results] == [False, True, False, False]
    assert (results[1].reason, results[1].field) == (reason, field)
    assert "6b_verification" in results[1].message


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (graded(question=" "), Reason.EMPTY_PROMPT, "question"),
        (graded(question=...), Reason.MISSING_FIELD, "question"),
        (graded(ground_truth=["A: 72"]), Reason.WRONG_TYPE, "ground_truth"),
        ("A: 72", Reason.NOT_AN_OBJECT, None),
    ],
)
def test_a_record_level_problem_rejects_the_record(record, reason, field):
    rejection = only_rejection(parse_graded_solutions, record)
    assert (rejection.reason, rejection.field) == (reason, field)


def test_no_ground_truth_keeps_the_grades():
    results = outcomes(parse_graded_solutions, graded(ground_truth=...))
    assert all(isinstance(r, Example) and r.metadata["reference_answer"] is None for r in results)


# Real data ---------------------------------------------------------------------------


def _records(path):
    text = gzip.decompress((Settings.from_env().data_root / path).read_bytes()).decode()
    return [json.loads(line) for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize(
    ("source_id", "file", "count"),
    [("gsm8k_train", "gsm8k/train.jsonl.gz", 7473), ("gsm8k_test", "gsm8k/test.jsonl.gz", 1319)],
)
def test_real_worked_solutions_match_an_independent_oracle(shipped, source_id, file, count):
    rows = shipped(source_id).rows(file=file)
    records = _records(file)
    assert len(rows) == len(records) == count  # SOURCE.md
    assert Counter(r["reason_code"] for r in rows) == {None: count}  # SOURCE.md: no empty values
    for row, record in zip(rows, records, strict=True):
        assert (row["kind"], row["prompt"], row["response"]) == ("sft", record["question"], record["answer"])
        assert json.loads(row["metadata"])["final_answer"] == record["answer"].split("\n#### ")[-1].strip()


def test_real_graded_solutions_match_source_md(shipped):
    data = shipped("gsm8k_test")
    assert Counter(data.raw.column("file").to_pylist()) == {
        "gsm8k/test.jsonl.gz": 1319,
        "gsm8k/example_model_solutions.jsonl.gz": 1319,
    }
    rows = data.rows(file="gsm8k/example_model_solutions.jsonl.gz")
    assert len(rows) == 4 * 1319
    assert Counter(r["reason_code"] for r in rows) == {None: 4 * 1319}
    metadata = [json.loads(r["metadata"]) for r in rows]
    correct = Counter(
        (m["model"], "correct" if r["label"] == 1.0 else "wrong") for m, r in zip(metadata, rows, strict=True)
    )
    assert correct == {  # SOURCE.md is_correct_counts
        ("175b_finetuning", "correct"): 458, ("175b_finetuning", "wrong"): 861,
        ("175b_verification", "correct"): 742, ("175b_verification", "wrong"): 577,
        ("6b_finetuning", "correct"): 286, ("6b_finetuning", "wrong"): 1033,
        ("6b_verification", "correct"): 515, ("6b_verification", "wrong"): 804,
    }  # fmt: skip
    # SOURCE.md: the same 1,319 test questions in the same order as test.jsonl.
    questions = [r["prompt"] for r in data.rows(file="gsm8k/test.jsonl.gz")]
    assert [r["prompt"] for r in rows[::4]] == questions
    solutions = _records("gsm8k/example_model_solutions.jsonl.gz")
    responses = [record[model]["solution"] for record in solutions for model in SOLUTION_MODELS]
    assert [r["response"] for r in rows] == responses
