from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.base import AnnotatorType, Example, ExampleKind, ParseError
from prefinery.parsers.finegrained_rlhf import COMPARISONS, parse_comparisons
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import only_rejection, outcomes

FILE = "finegrained_rlhf_qa_feedback/dev_feedback.json.gz"
PAIRS = ["1v2", "1v3", "1v4", "2v3", "2v4", "3v4"]


def feedback_record(**overrides):
    record = {
        "question": "When does Bloom by Troye Sivan come out?",
        "passages": [["Bloom (album)", "Bloom is an album.", "It came out in 2018."], ["Troye Sivan", "A singer."]],
        "gold": "31 August 2018.",
        "prediction 1": "It came out on 31 August 2018.",
        "prediction 2": "August 2018.",
        "prediction 3": "Bloom was released in 2018 by EMI.",
        "prediction 4": "It is a song about desire.",
        "feedback": {
            "errors": [
                {"error type": "Irrelevant", "explanation": "", "start": 0, "end": 5},
                {"error type": "Irrelevant", "explanation": "", "start": 6, "end": 9},
                {"error type": "Redundant", "explanation": "", "start": 10, "end": 12},
            ],
            "missing-info": [{"error type": "Missing-Answer", "passage_id": 1, "sentence_id": [2]}],
            "corrected-prediction": "It came out on 31 August 2018.",
        },
        "preference": [1, 2, 0, 1, 2, 0],
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


def test_six_comparisons_in_the_upstream_order():
    record = feedback_record()
    results = outcomes(parse_comparisons, record)
    assert all(isinstance(r, Example) for r in results)
    assert [r.metadata["pair"] for r in results] == PAIRS
    assert [r.metadata["preferred_prediction"] for r in results] == ["1", "3", "tie", "2", "4", "tie"]
    for (first, second), value, example in zip(COMPARISONS, record["preference"], results, strict=True):
        chosen, rejected = (second, first) if value == 2 else (first, second)
        assert (example.chosen, example.rejected) == (record[f"prediction {chosen}"], record[f"prediction {rejected}"])
        assert example.label == (0.5 if value == 0 else 1.0)
        assert example.is_tie is (value == 0)
        assert example.label_raw == str(value)
        assert example.kind is ExampleKind.PREFERENCE
        assert (example.annotator_type, example.num_annotators) == (AnnotatorType.HUMAN, 1)
        assert example.messages == ({"role": "user", "content": record["question"]},)  # passages not inlined
        assert example.metadata["num_passages"] == 2


def test_only_comparisons_of_prediction_1_carry_its_error_counts():
    results = outcomes(parse_comparisons, feedback_record())
    for example in results[:3]:
        assert example.metadata["prediction_1_errors"] == {"Irrelevant": 2, "Missing-Answer": 1, "Redundant": 1}
        assert example.metadata["prediction_1_errors_total"] == 4
    assert all("prediction_1_errors" not in e.metadata for e in results[3:])
    bare = outcomes(parse_comparisons, feedback_record(feedback=..., passages=...))
    assert bare[0].metadata["prediction_1_errors"] == {} and bare[0].metadata["num_passages"] == 0


@pytest.mark.parametrize(
    ("overrides", "rejected", "reason", "field"),
    [
        ({"preference": [1, 2, 3, 1, 1, 1]}, {"1v4"}, Reason.LABEL_OUT_OF_DOMAIN, "preference"),
        ({"preference": [1, "2", 1, 1, 1, 1]}, {"1v3"}, Reason.WRONG_TYPE, "preference"),
        ({"preference": [1, 1, 1, True, 1, 1]}, {"2v3"}, Reason.WRONG_TYPE, "preference"),
        ({"preference": [1, 1, 1, 1, 1.0, 1]}, {"2v4"}, Reason.WRONG_TYPE, "preference"),
        ({"prediction 4": ...}, {"1v4", "2v4", "3v4"}, Reason.MISSING_FIELD, "prediction 4"),
        ({"prediction 3": " "}, {"1v3", "2v3", "3v4"}, Reason.EMPTY_RESPONSE, "prediction 3"),
        ({"prediction 2": 42}, {"1v2", "2v3", "2v4"}, Reason.WRONG_TYPE, "prediction 2"),
        ({"prediction 3": "August 2018."}, {"2v3"}, Reason.IDENTICAL_RESPONSES, None),
    ],
)
def test_an_unusable_comparison_is_rejected_alone(overrides, rejected, reason, field):
    results = outcomes(parse_comparisons, feedback_record(**overrides))
    assert len(results) == 6
    failed = {pair for pair, r in zip(PAIRS, results, strict=True) if isinstance(r, ParseError)}
    assert failed == rejected
    for pair, result in zip(PAIRS, results, strict=True):
        if pair in rejected:
            assert (result.reason, result.field) == (reason, field)


def test_the_failing_comparison_is_named():
    results = outcomes(parse_comparisons, feedback_record(preference=[1, 2, 3, 1, 1, 1]))
    assert "preference[2]" in results[2].message and "1v4" in results[2].message


@pytest.mark.parametrize(
    ("overrides", "reason", "field"),
    [
        ({"preference": [1, 2, 0, 1, 2]}, Reason.LABEL_OUT_OF_DOMAIN, "preference"),
        ({"preference": [1, 2, 0, 1, 2, 0, 1]}, Reason.LABEL_OUT_OF_DOMAIN, "preference"),
        ({"preference": "120120"}, Reason.WRONG_TYPE, "preference"),
        ({"preference": ...}, Reason.MISSING_FIELD, "preference"),
        ({"question": "  "}, Reason.EMPTY_PROMPT, "question"),
        ({"question": ...}, Reason.MISSING_FIELD, "question"),
        ({"passages": "Bloom"}, Reason.WRONG_TYPE, "passages"),
        ({"feedback": {"errors": ["Irrelevant"]}}, Reason.WRONG_TYPE, "feedback"),
        ({"feedback": {"errors": [{"start": 0}]}}, Reason.MISSING_FIELD, "error type"),
    ],
)
def test_a_record_level_problem_rejects_the_whole_record(overrides, reason, field):
    rejection = only_rejection(parse_comparisons, feedback_record(**overrides))
    assert (rejection.reason, rejection.field) == (reason, field)


def test_a_non_object_record_is_rejected():
    assert only_rejection(parse_comparisons, "question").reason is Reason.NOT_AN_OBJECT


def test_real_dev_feedback_matches_an_independent_oracle(shipped):
    data = shipped("finegrained_rlhf_qa_feedback")
    assert data.raw.num_rows == 500  # SOURCE.md
    records = json.loads(gzip.decompress((Settings.from_env().data_root / FILE).read_bytes()))
    # SOURCE.md: every preference list has 6 values (0: 384, 1: 1577, 2: 1039) and no
    # two predictions of a record are equal, so all 3,000 comparisons are usable.
    assert Counter(v for r in records for v in r["preference"]) == {0: 384, 1: 1577, 2: 1039}
    assert data.parsed.num_rows == 3000
    assert data.reasons() == {None: 3000}
    rows = data.parsed.to_pylist()
    assert sum(r["is_tie"] for r in rows) == 384
    for record_index, record in enumerate(records):
        group = rows[6 * record_index : 6 * record_index + 6]
        assert [r["sub_index"] for r in group] == list(range(6))
        for (first, second), value, row in zip(COMPARISONS, record["preference"], group, strict=True):
            chosen, rejected = (second, first) if value == 2 else (first, second)
            assert (row["chosen"], row["rejected"]) == (
                record[f"prediction {chosen}"],
                record[f"prediction {rejected}"],
            )
            assert row["prompt"] == record["question"]
    # SOURCE.md's length-bias table: the longer answer wins 0.512 of the 2,616 decided comparisons.
    decided = [r for r in rows if not r["is_tie"]]
    longer = sum(
        1 if len(r["chosen"]) > len(r["rejected"]) else 0.5 if len(r["chosen"]) == len(r["rejected"]) else 0
        for r in decided
    )
    assert (len(decided), round(longer / len(decided), 3)) == (2616, 0.512)


def test_real_error_counts_add_up_to_source_md(shipped):
    rows = shipped("finegrained_rlhf_qa_feedback").rows(sub_index=0)
    totals: Counter[str] = Counter()
    for row in rows:
        totals.update(json.loads(row["metadata"])["prediction_1_errors"])
    span_types = {"Irrelevant": 909, "Redundant": 133, "Unverifiable": 152, "Wrong-Grounding": 163, "Incoherent": 16}
    assert {k: totals[k] for k in span_types} == span_types  # SOURCE.md error_type_counts
    # SOURCE.md: two records have no passages.
    assert sum(json.loads(r["metadata"])["num_passages"] == 0 for r in rows) == 2
