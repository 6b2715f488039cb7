from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.base import AnnotatorType, ExampleKind
from prefinery.parsers.pandalm import parse_human_labels, parse_judge_labels
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection

PAIRS_FILE = "pandalm/testset-v1.json.gz"


def pair_record(**overrides):
    record = {
        "idx": 7,
        "motivation_app": "Grammarly",
        "cmp_key": "bloom-7b_llama-7b",
        "instruction": "Rewrite the sentence concisely.",
        "input": "If you have any questions, please let me know.",
        "response1": "Questions? Let me know.",
        "response2": "Ask me anything.",
        "annotator1": 1,
        "annotator2": 1,
        "annotator3": 1,
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


def judge_context(pairs=None, **options):
    return context(
        options={"pairs_file": PAIRS_FILE, "judge": "gpt-3.5-turbo", "result_field": "gpt_result", **options},
        lookup_tables={(PAIRS_FILE, "idx"): pairs if pairs is not None else {7: pair_record()}},
    )


def judgment(result, idx=7):
    return {"idx": idx, "gpt_result": result, "gpt_reason": "Response 1 is better.", "gpt_reference": "..."}


# Human labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes", "chosen", "label", "agreement", "preferred"),
    [
        ((1, 1, 1), "response1", 1.0, 1.0, "1"),
        ((2, 2, 2), "response2", 1.0, 1.0, "2"),
        ((2, 1, 2), "response2", 2 / 3, 2 / 3, "2"),
        ((1, 0, 1), "response1", 5 / 6, 2 / 3, "1"),
        ((2, 0, 0), "response2", 2 / 3, 1 / 3, "2"),  # one vote against two ties still decides
        ((0, 0, 0), "response1", 0.5, 1.0, "tie"),
        ((2, 1, 0), "response1", 0.5, 1 / 3, "tie"),  # equal votes: a tie, the given order kept
    ],
)
def test_three_votes_become_one_soft_label(votes, chosen, label, agreement, preferred):
    record = pair_record(annotator1=votes[0], annotator2=votes[1], annotator3=votes[2])
    example = only_example(parse_human_labels, record)
    other = "response2" if chosen == "response1" else "response1"
    assert example.kind is ExampleKind.PREFERENCE
    assert (example.chosen, example.rejected) == (record[chosen], record[other])
    assert example.label == pytest.approx(label)
    assert example.agreement == pytest.approx(agreement)
    assert example.is_tie is (preferred == "tie")
    assert example.label_raw == json.dumps(list(votes))
    assert example.metadata["preferred_response"] == preferred
    assert example.metadata["annotator_labels"] == list(votes)
    assert (example.num_annotators, example.annotator_type) == (3, AnnotatorType.HUMAN)


def test_instruction_and_input_form_the_user_turn():
    example = only_example(parse_human_labels, pair_record())
    assert example.messages == (
        {
            "role": "user",
            "content": "Rewrite the sentence concisely.\n\nIf you have any questions, please let me know.",
        },
    )
    assert only_example(parse_human_labels, pair_record(input="")).prompt == "Rewrite the sentence concisely."
    assert example.metadata == {
        "idx": 7,
        "cmp_key": "bloom-7b_llama-7b",
        "generator_1": "bloom-7b",
        "generator_2": "llama-7b",
        "motivation_app": "Grammarly",
        "preferred_response": "1",
        "annotator_labels": [1, 1, 1],
    }


@pytest.mark.parametrize(
    ("overrides", "reason", "field"),
    [
        ({"annotator2": 3}, Reason.LABEL_OUT_OF_DOMAIN, "annotator2"),
        ({"annotator1": "1"}, Reason.WRONG_TYPE, "annotator1"),
        ({"annotator1": True}, Reason.WRONG_TYPE, "annotator1"),
        ({"annotator3": None}, Reason.MISSING_LABEL, "annotator3"),
        ({"annotator3": ...}, Reason.MISSING_LABEL, "annotator3"),
        ({"response1": True}, Reason.WRONG_TYPE, "response1"),  # the real file's JSON true
        ({"instruction": " ", "input": "Truthfulness"}, Reason.EMPTY_PROMPT, "instruction"),
        ({"response2": ""}, Reason.EMPTY_RESPONSE, "response2"),
        ({"response2": "Questions? Let me know."}, Reason.IDENTICAL_RESPONSES, None),
        ({"input": ...}, Reason.MISSING_FIELD, "input"),
    ],
)
def test_unusable_pairs_are_rejected_naming_the_field(overrides, reason, field):
    rejection = only_rejection(parse_human_labels, pair_record(**overrides))
    assert (rejection.reason, rejection.field) == (reason, field)


def test_a_non_object_record_is_rejected():
    assert only_rejection(parse_human_labels, [1, 2]).reason is Reason.NOT_AN_OBJECT


def test_an_unusual_cmp_key_keeps_the_pair_without_generators():
    example = only_example(parse_human_labels, pair_record(cmp_key="model-a"))
    assert (example.metadata["cmp_key"], example.metadata["generator_1"]) == ("model-a", None)


# Judge labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "chosen", "label", "preferred"),
    [
        (1, "response1", 1.0, "1"),
        (2, "response2", 1.0, "2"),
        (0, "response1", 0.5, "tie"),
        ("1", "response1", 1.0, "1"),
        ("2", "response2", 1.0, "2"),
        ("Tie", "response1", 0.5, "tie"),
        ("tie", "response1", 0.5, "tie"),
    ],
)
def test_judge_results_as_ints_or_strings(result, chosen, label, preferred):
    example = only_example(parse_judge_labels, judgment(result), judge_context())
    assert example.chosen == pair_record()[chosen]
    assert (example.label, example.metadata["preferred_response"]) == (label, preferred)
    assert example.label_raw == (result if isinstance(result, str) else json.dumps(result))
    assert (example.annotator_type, example.annotator, example.num_annotators) == (
        AnnotatorType.MODEL,
        "gpt-3.5-turbo",
        1,
    )
    assert example.prompt == only_example(parse_human_labels, pair_record()).prompt


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (judgment("garbage"), Reason.MISSING_LABEL, "gpt_result"),  # PandaLM's mark for an unreadable judge output
        (judgment(None), Reason.MISSING_LABEL, "gpt_result"),
        ({"idx": 7}, Reason.MISSING_LABEL, "gpt_result"),
        (judgment("3"), Reason.LABEL_OUT_OF_DOMAIN, "gpt_result"),
        (judgment(-1), Reason.LABEL_OUT_OF_DOMAIN, "gpt_result"),
        (judgment("Response 1"), Reason.LABEL_OUT_OF_DOMAIN, "gpt_result"),
        (judgment(1.0), Reason.WRONG_TYPE, "gpt_result"),
        (judgment(True), Reason.WRONG_TYPE, "gpt_result"),
        (judgment(1, idx=8), Reason.JOIN_KEY_NOT_FOUND, "idx"),
        (judgment(1, idx="7"), Reason.WRONG_TYPE, "idx"),
        ({"gpt_result": "1"}, Reason.MISSING_FIELD, "idx"),
        ("not a record", Reason.NOT_AN_OBJECT, None),
    ],
)
def test_unusable_judgments_are_rejected(record, reason, field):
    rejection = only_rejection(parse_judge_labels, record, judge_context())
    assert (rejection.reason, rejection.field) == (reason, field)


def test_a_judgment_of_a_broken_pair_says_which_pair():
    ctx = judge_context(pairs={7: pair_record(response2="  ")})
    rejection = only_rejection(parse_judge_labels, judgment("1"), ctx)
    assert (rejection.reason, rejection.field) == (Reason.EMPTY_RESPONSE, "response2")
    assert PAIRS_FILE in rejection.message and "idx 7" in rejection.message


def test_the_result_field_and_judge_come_from_the_options():
    ctx = judge_context(judge="pandalm-7b", result_field="pandalm_result")
    example = only_example(parse_judge_labels, {"idx": 7, "pandalm_result": 2}, ctx)
    assert (example.annotator, example.chosen) == ("pandalm-7b", "Ask me anything.")


# Real data -------------------------------------------------------------------------


def _records(path):
    return json.loads(gzip.decompress((Settings.from_env().data_root / path).read_bytes()))


def _pair_problem(record) -> str | None:
    """The first thing wrong with a pair, judged with plain Python."""
    if not record["instruction"].strip():
        return "empty_prompt"
    if not all(isinstance(record[f], str) for f in ("response1", "response2")):
        return "wrong_type"
    if "" in (record["response1"], record["response2"]):
        return "empty_response"
    return None


def _majority(votes) -> tuple[str, float]:
    """(preferred side, P(chosen)) with a tie vote counted as half a vote for each side."""
    ones, twos, ties = votes.count(1), votes.count(2), votes.count(0)
    if ones == twos:
        return "tie", 0.5
    return ("1" if ones > twos else "2"), (max(ones, twos) + ties / 2) / 3


def test_real_human_labels_match_an_independent_oracle(shipped):
    data = shipped("pandalm")
    assert Counter(data.raw.column("file").to_pylist()) == {  # SOURCE.md: 999 rows each
        PAIRS_FILE: 999,
        "pandalm/gpt-3.5-turbo-testset-v1.json.gz": 999,
        "pandalm/pandalm-7b-testset-v1.json.gz": 999,
    }
    pairs = {r["idx"]: r for r in _records(PAIRS_FILE)}
    votes = {idx: [r["annotator1"], r["annotator2"], r["annotator3"]] for idx, r in pairs.items()}
    # The oracle agrees with SOURCE.md's facts before it judges the parser.
    assert Counter(v for vs in votes.values() for v in vs) == {2: 1416, 1: 1255, 0: 326}
    assert sum(len(set(vs)) == 1 for vs in votes.values()) == 879
    strict = [idx for idx, vs in votes.items() if max(vs.count(1), vs.count(2)) >= 2]
    assert len(strict) == 894  # SOURCE.md's "human majority (894 non-tie)": two or three votes for one side
    # SOURCE.md: 29 empty response1, 25 empty response2, one blank instruction; not in
    # SOURCE.md: six responses are JSON true (a model's "True" turned into a boolean).
    assert Counter(_pair_problem(r) for r in pairs.values()) == {
        None: 938,
        "empty_response": 29 + 25,
        "wrong_type": 6,
        "empty_prompt": 1,
    }

    human = data.rows(file=PAIRS_FILE)
    assert Counter(r["reason_code"] for r in human) == Counter(_pair_problem(r) for r in pairs.values())
    for row, pair in zip(human, pairs.values(), strict=True):
        if row["reason_code"] is not None:
            continue
        side, label = _majority(votes[pair["idx"]])
        chosen_field = "response2" if side == "2" else "response1"
        assert row["chosen"] == pair[chosen_field]
        assert row["label"] == pytest.approx(label)
        assert json.loads(row["metadata"])["preferred_response"] == side
        assert row["prompt"] == (f"{pair['instruction']}\n\n{pair['input']}" if pair["input"] else pair["instruction"])


@pytest.mark.parametrize(
    ("file", "field", "verdicts"),
    [
        ("pandalm/gpt-3.5-turbo-testset-v1.json.gz", "gpt_result", {"1": "1", "2": "2", "Tie": "tie"}),
        ("pandalm/pandalm-7b-testset-v1.json.gz", "pandalm_result", {1: "1", 2: "2", 0: "tie"}),
    ],
)
def test_real_judge_labels_match_an_independent_oracle(shipped, file, field, verdicts):
    data = shipped("pandalm")
    pairs = {r["idx"]: r for r in _records(PAIRS_FILE)}
    judged = _records(file)
    assert Counter(r[field] for r in judged).keys() <= {*verdicts, "garbage"}
    expected = Counter("missing_label" if r[field] == "garbage" else _pair_problem(pairs[r["idx"]]) for r in judged)
    rows = data.rows(file=file)
    assert Counter(r["reason_code"] for r in rows) == expected
    for row, record in zip(rows, judged, strict=True):
        if row["reason_code"] is None:
            side = verdicts[record[field]]
            assert json.loads(row["metadata"])["preferred_response"] == side
            assert row["chosen"] == pairs[record["idx"]]["response2" if side == "2" else "response1"]


def test_real_judge_file_counts(shipped):
    data = shipped("pandalm")
    gpt = Counter(r["reason_code"] for r in data.rows(file="pandalm/gpt-3.5-turbo-testset-v1.json.gz"))
    assert gpt == {None: 914, "empty_response": 54, "missing_label": 25, "wrong_type": 5, "empty_prompt": 1}
    # One of the 25 failed gpt calls is on a pair with a JSON-true response (idx 161).
    panda = Counter(r["reason_code"] for r in data.rows(file="pandalm/pandalm-7b-testset-v1.json.gz"))
    assert panda == {None: 938, "empty_response": 54, "wrong_type": 6, "empty_prompt": 1}


def test_a_pair_keeps_its_content_hash_across_humans_and_judges(shipped):
    data = shipped("pandalm")
    hashes: dict[int, set[str]] = {}
    counts: Counter[int] = Counter()
    for row in data.rows(reason_code=None):
        idx = json.loads(row["metadata"])["idx"]
        hashes.setdefault(idx, set()).add(row["content_hash"])
        counts[idx] += 1
    judged_three_times = [idx for idx, n in counts.items() if n == 3]
    assert len(judged_three_times) == 914
    assert all(len(hashes[idx]) == 1 for idx in hashes)
    # Judges disagree with the humans on some of them: the hash ignores which side won.
    sides = Counter(
        (json.loads(r["metadata"])["idx"], json.loads(r["metadata"])["preferred_response"])
        for r in data.rows(reason_code=None)
    )
    assert any(sides[(idx, "1")] and sides[(idx, "2")] for idx in judged_three_times)
