"""The expectation suites on small hand-made tables: a clean table passes every rule, and
each broken row fails exactly the rule meant for it, with its severity and its id."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from prefinery.quality.expectations import Severity, validate
from prefinery.quality.frames import EXAMPLE_COLUMNS, examples_frame, raw_frame
from prefinery.quality.suites import examples_suite, raw_records_suite

LICENSES = ["MIT"]


def example(i: int, **overrides) -> dict:
    row = {
        "example_id": f"{i:032x}",
        "content_hash": f"{i:032x}",
        "source_id": "s",
        "file": "s/f.jsonl",
        "record_index": i,
        "sub_index": 0,
        "locator": f"line {i + 1}",
        "kind": "preference",
        "role": "train",
        "messages": json.dumps([{"role": "user", "content": "Say hi."}]),
        "prompt": "Say hi.",
        "chosen": "Hi there!",
        "rejected": "Go away.",
        "response": None,
        "label": 1.0,
        "label_raw": "1",
        "is_tie": False,
        "label_strength": 1.0,
        "agreement": None,
        "num_annotators": 1,
        "annotator_type": "human",
        "annotator": "crowd",
        "license": "MIT",
        "license_terms": "[]",
        "metadata": "{}",
        "parser": "fixture.pairs",
    }
    row.update(overrides)
    return row


def run(rows: list[dict]):
    table = pa.Table.from_pylist(rows)
    return validate(examples_frame(table), examples_suite(LICENSES))


def failed(outcome) -> dict[str, tuple[Severity, list[str]]]:
    return {f.expectation: (f.severity, f.failing_ids) for f in outcome.failures}


def test_clean_examples_pass_every_rule():
    sft = example(
        1, kind="sft", chosen=None, rejected=None, response="Hello!", label=None, is_tie=None, label_strength=None
    )
    outcome = run([example(0), sft])
    assert outcome.failures == [] and outcome.worst is None
    assert len(outcome.outcomes) == len(examples_suite(LICENSES).rules)


@pytest.mark.parametrize(
    ("bad", "expectation"),
    [
        (dict(label=1.2), 'expect_column_values_to_be_between(label where kind == "preference")'),
        (dict(chosen="Go away."), "expect_column_values_to_be_in_set(chosen_differs)"),
        (dict(license="GPL-3.0"), "expect_column_values_to_be_in_set(license)"),
        (dict(role="test"), "expect_column_values_to_be_in_set(role)"),
        (dict(rejected=None), 'expect_column_values_to_not_be_null(rejected where kind == "preference")'),
        (dict(chosen="   "), "expect_column_values_to_be_in_set(responses_blank)"),
        (
            dict(messages=json.dumps([{"role": "user", "content": " "}])),
            "expect_column_values_to_be_in_set(prompt_blank)",
        ),
        (
            dict(messages=json.dumps([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])),
            "expect_column_values_to_be_in_set(roles_alternate)",
        ),
        (dict(example_id="not-hex"), "expect_column_values_to_match_regex(example_id)"),
        (dict(agreement=1.5), "expect_column_values_to_be_between(agreement)"),
    ],
)
def test_each_error_rule_catches_its_row(bad, expectation):
    rows = [example(i) for i in range(4)]
    rows[2] = example(2, **bad)
    failures = failed(run(rows))
    assert expectation in failures, failures
    severity, ids = failures[expectation]
    assert severity is Severity.ERROR
    if expectation != "expect_column_values_to_match_regex(example_id)":
        assert ids == [f"{2:032x}"]


def test_a_duplicated_id_and_a_missing_column_are_errors():
    rows = [example(0), example(0), example(1)]
    outcome = run(rows)
    assert "expect_column_values_to_be_unique(example_id)" in failed(outcome)
    table = pa.Table.from_pylist([example(0)]).drop_columns(["license_terms"])
    assert "expect_table_columns_to_match_set(" in " ".join(
        failed(validate(examples_frame(table), examples_suite(LICENSES)))
    )


def test_warnings_do_not_raise_the_severity_to_error():
    rows = [example(i, chosen="!" if i < 3 else "Hi", annotator=None) for i in range(10)]  # 30% one-character
    outcome = run(rows)
    assert outcome.worst is Severity.WARN
    assert {f.expectation for f in outcome.failures} == {
        "expect_column_values_to_be_between(response_chars)",
        'expect_column_values_to_not_be_null(annotator where kind in ["preference", "ratings"])',
    }
    assert "| **FAIL** |" in outcome.markdown()


def test_every_raw_record_must_reach_the_parser_output():
    raw = pa.table(
        {
            "source_id": ["s"] * 3,
            "file": ["s/f"] * 3,
            "file_sha256": ["a" * 64] * 3,
            "record_index": [0, 1, 2],
            "locator": ["line 1", "line 2", "line 3"],
            "payload": ["{}"] * 3,
            "decode_error": [None, "invalid_utf8", None],
        }
    )
    parsed = pa.table({"file": ["s/f", "s/f", "s/f"], "record_index": [0, 0, 1]})
    outcome = validate(raw_frame(raw, parsed), raw_records_suite())
    failures = failed(outcome)
    assert failures["expect_column_values_to_be_between(parsed_rows)"] == (Severity.ERROR, ["s/f/2"])
    assert failures["expect_column_values_to_be_null(decode_error)"][0] is Severity.WARN


def test_the_frame_keeps_every_canonical_column():
    frame = examples_frame(pa.Table.from_pylist([example(0)]))
    assert set(EXAMPLE_COLUMNS) <= set(frame.columns)


def pair(i: int, split: str, group: str, source: str = "s", **overrides) -> dict:
    row = {
        "example_id": f"{i:032x}",
        "content_hash": f"{i:032x}",
        "split": split,
        "prompt_group": group,
        "source_id": source,
        "annotator_type": "human",
        "annotator": "crowd",
        "messages": json.dumps([{"role": "user", "content": f"Prompt {group}"}]),
        "chosen": "Hi there!",
        "rejected": "Go away.",
        "label": 1.0,
        "is_tie": False,
    }
    row.update(overrides)
    return row


def validate_dataset(rows: list[dict]):
    from models.data import DATASET_COLUMNS
    from prefinery.quality.frames import dataset_frame
    from prefinery.quality.suites import dataset_suite

    return validate(dataset_frame(pa.Table.from_pylist(rows), eval_sources=["held"]), dataset_suite(DATASET_COLUMNS))


def test_a_clean_dataset_version_passes():
    outcome = validate_dataset([pair(0, "train", "a"), pair(1, "hh_heldout", "b"), pair(2, "excluded", "b")])
    assert outcome.failures == []


def test_a_prompt_both_trained_on_and_held_out_is_an_error_naming_its_rows():
    outcome = validate_dataset([pair(0, "train", "a"), pair(1, "hh_heldout", "a"), pair(2, "train", "b")])
    assert failed(outcome) == {
        "expect_column_values_to_be_in_set(group_in_train_and_held_out)": (Severity.ERROR, [f"{0:032x}", f"{1:032x}"])
    }


def test_an_eval_source_in_train_and_a_version_without_train_are_errors():
    leaked = validate_dataset([pair(0, "train", "a", source="held"), pair(1, "train", "b")])
    assert failed(leaked) == {
        "expect_column_values_to_be_in_set(eval_source_in_train)": (Severity.ERROR, [f"{0:032x}"])
    }
    untrained = validate_dataset([pair(0, "held", "a", source="held")])
    assert list(failed(untrained)) == ["expect_column_distinct_values_to_contain_set(split)"]
