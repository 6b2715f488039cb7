from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.alpaca_eval import parse_annotation
from prefinery.parsers.base import AnnotatorType
from prefinery.reasons import Reason
from tests.support import only_example, only_rejection


def annotation(preference, output_1="baseline answer", output_2="model answer"):
    return {
        "instruction": "Name a color.",
        "output_1": output_1,
        "output_2": output_2,
        "preference": preference,
        "annotator": "alpaca_eval_gpt4",
        "generator_1": "text_davinci_003",
        "generator_2": "some-model",
        "dataset": "vicuna",
    }


@pytest.mark.parametrize(
    ("preference", "chosen", "label", "tie"),
    [
        (1, "baseline answer", 1.0, False),
        (2, "model answer", 1.0, False),
        (2.0, "model answer", 1.0, False),
        (1.5, "baseline answer", 0.5, True),
        (1.73, "model answer", 0.73, False),
        (1.1, "baseline answer", 0.9, False),
    ],
)
def test_preference_values_map_to_chosen_and_probability(preference, chosen, label, tie):
    example = only_example(parse_annotation, annotation(preference))
    assert example.chosen == chosen
    assert example.label == pytest.approx(label)
    assert example.is_tie is tie
    assert example.annotator_type is AnnotatorType.MODEL and example.annotator == "alpaca_eval_gpt4"
    assert example.metadata["generator_2"] == "some-model"


@pytest.mark.parametrize(
    ("preference", "reason"),
    [
        (None, Reason.MISSING_LABEL),
        (0, Reason.IDENTICAL_RESPONSES),
        (2.5, Reason.LABEL_OUT_OF_DOMAIN),
        (0.5, Reason.LABEL_OUT_OF_DOMAIN),
        ("2", Reason.WRONG_TYPE),
        (True, Reason.WRONG_TYPE),
    ],
)
def test_unusable_preferences_are_rejected_with_their_reason(preference, reason):
    assert only_rejection(parse_annotation, annotation(preference)).reason is reason


def test_a_tie_between_identical_outputs_is_not_a_pair():
    rejection = only_rejection(parse_annotation, annotation(1.5, "same", "same"))
    assert rejection.reason is Reason.IDENTICAL_RESPONSES


def test_real_annotations_match_an_independent_count(shipped):
    data = shipped("alpaca_eval")
    assert data.raw.num_rows == 50711  # SOURCE.md
    # Oracle: the rules of SOURCE.md applied to the files with plain json.
    expected: Counter[str | None] = Counter()
    for path in sorted({r["file"] for r in data.raw.select(["file"]).to_pylist()}):
        for record in json.loads(gzip.decompress((_data_root() / path).read_bytes())):
            p = record.get("preference")
            if p is None:
                expected["missing_label"] += 1
            elif p == 0 or record["output_1"] == record["output_2"]:
                expected["identical_responses"] += 1
            elif not record["output_1"].strip() or not record["output_2"].strip():
                expected["empty_response"] += 1
            else:
                expected[None] += 1
    assert data.reasons() == expected
    ties = [r for r in data.rows(reason_code=None) if r["is_tie"]]
    weighted = [r for r in data.rows(reason_code=None) if 0.5 < r["label"] < 1.0]
    assert not ties  # every 1.5 in these files is between identical outputs
    assert len(weighted) > 7000  # the AlpacaEval 2 files carry probabilities, not hard labels


def _data_root():
    from prefinery.settings import Settings

    return Settings.from_env().data_root
