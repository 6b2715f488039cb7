from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.base import AnnotatorType, ExampleKind, join_instruction
from prefinery.parsers.gpteacher import parse_instruction
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection

SUBSET = context(options={"subset": "toolformer"})


def record(**overrides):
    return {"instruction": "Translate to French.", "input": "Good morning", "response": "Bonjour", **overrides}


def test_an_instruction_is_an_sft_example_generated_by_gpt4():
    example = only_example(parse_instruction, record(), SUBSET)
    assert example.kind is ExampleKind.SFT
    assert example.messages == ({"role": "user", "content": "Translate to French.\n\nGood morning"},)
    assert example.response == "Bonjour"
    assert (example.annotator_type, example.annotator, example.label) == (AnnotatorType.NONE, None, None)
    assert example.metadata == {
        "subset": "toolformer",
        "generator": "gpt-4",
        "has_example_input": False,
        "example_input": None,
    }


@pytest.mark.parametrize("empty_input", ["", "  ", None])
def test_an_empty_or_absent_input_leaves_the_instruction_alone(empty_input):
    assert only_example(parse_instruction, record(input=empty_input), SUBSET).prompt == "Translate to French."


def test_example_input_is_noted_and_kept_only_when_short():
    short = only_example(parse_instruction, record(input="", example_input="The quick brown fox"), SUBSET)
    assert short.prompt == "Translate to French."  # not folded into the prompt
    assert (short.metadata["has_example_input"], short.metadata["example_input"]) == (True, "The quick brown fox")
    long = only_example(parse_instruction, record(example_input="x" * 201), SUBSET)
    assert (long.metadata["has_example_input"], long.metadata["example_input"]) == (True, None)


@pytest.mark.parametrize(
    ("bad", "reason", "field"),
    [
        (["instruction", "response"], Reason.NOT_AN_OBJECT, None),
        (record(response=None), Reason.MISSING_FIELD, "response"),
        ({"input": "", "response": "r"}, Reason.MISSING_FIELD, "instruction"),
        (record(input=5), Reason.WRONG_TYPE, "input"),
        (record(example_input=["x"]), Reason.WRONG_TYPE, "example_input"),
        (record(instruction="  "), Reason.EMPTY_PROMPT, "instruction"),
        (record(response="\n"), Reason.EMPTY_RESPONSE, "response"),
    ],
)
def test_unusable_records_name_their_reason_and_field(bad, reason, field):
    rejection = only_rejection(parse_instruction, bad, SUBSET)
    assert (rejection.reason, rejection.field) == (reason, field)


def test_real_gpteacher_subsets(shipped):
    data = shipped("gpteacher")
    assert data.raw.num_rows == 16527  # SOURCE.md: 1,923 + 4,535 + 7,673 + 2,396
    assert data.reasons() == {None: 16527}  # SOURCE.md: no empty instruction or response
    parsed = {(r["file"], r["record_index"]): r for r in data.parsed.to_pylist()}
    example_inputs = Counter()
    for file in data.source.files:
        # Oracle: plain json over the file, the Alpaca convention applied by hand.
        records = json.loads(gzip.decompress((Settings.from_env().data_root / file.path).read_bytes()))
        assert len(records) == file.rows
        for index, source in enumerate(records):
            row = parsed[(file.path, index)]
            assert row["prompt"] == join_instruction(source["instruction"], source["input"])
            assert row["response"] == source["response"]
            metadata = json.loads(row["metadata"])
            assert metadata["subset"] == file.options["subset"]
            example_inputs[file.path] += metadata["has_example_input"]
    # One record in each toolformer file has example_input, none elsewhere.
    assert +example_inputs == {
        "gpteacher/toolformer-dedupe-only-dataset.json.gz": 1,
        "gpteacher/toolformer-similarity-0.6-dataset.json.gz": 1,
    }
