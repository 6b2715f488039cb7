from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.parsers.base import ExampleKind
from prefinery.parsers.data_provenance import parse_constant, parse_summary
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection

LICENSE_CLASSES = context(file="data_provenance/constants/license_classes.json.gz")
CUSTOM_CLASSES = context(file="data_provenance/constants/custom_license_classes.json.gz")
FORMATS = context(file="data_provenance/constants/data_formats.json.gz", record_index=2)
SUMMARIES = context(file="data_provenance/data_summaries/Alpaca.json.gz")


def test_a_constant_entry_becomes_license_metadata_named_after_its_file():
    example = only_example(parse_constant, {"key": "CC BY-NC 4.0", "value": ["NC", "1", "0"]}, LICENSE_CLASSES)
    assert example.kind is ExampleKind.LICENSE_METADATA
    assert example.messages == () and example.prompt is None
    assert example.metadata == {"record_type": "license_classes", "key": "CC BY-NC 4.0", "value": ["NC", "1", "0"]}


def test_an_array_element_is_keyed_by_its_index():
    example = only_example(parse_constant, "Chain-of-Thought", FORMATS)
    assert example.metadata == {"record_type": "data_formats", "key": "2", "value": "Chain-of-Thought"}


def test_other_constants_are_kept_as_found():
    ctx = context(file="data_provenance/constants/license_paraphrases.json.gz")
    assert only_example(parse_constant, {"key": "OpenAI", "value": []}, ctx).metadata["value"] == []
    ctx = context(file="data_provenance/constants/source_name_mapper.json.gz")
    assert only_example(parse_constant, {"key": "", "value": ["?", "No"]}, ctx).metadata["key"] == ""


@pytest.mark.parametrize("value", [["All", "1", "0"], ["Unspecified", "0", "0"], ["Acad", "?", "?"], ["?", "?", "?"]])
def test_license_classes_in_the_taxonomy_are_accepted(value):
    assert (
        only_example(parse_constant, {"key": "http://example.org/tos", "value": value}, CUSTOM_CLASSES).metadata[
            "value"
        ]
        == value
    )


@pytest.mark.parametrize(
    ("value", "reason", "field"),
    [
        ("All", Reason.WRONG_TYPE, "value"),
        (["All", "1"], Reason.WRONG_TYPE, "value"),
        (["All", 1, 0], Reason.WRONG_TYPE, "value"),
        (["Commercial", "1", "0"], Reason.LABEL_OUT_OF_DOMAIN, "value[0]"),
        (["All", "yes", "0"], Reason.LABEL_OUT_OF_DOMAIN, "value[1]"),
        (["NC", "1", ""], Reason.LABEL_OUT_OF_DOMAIN, "value[2]"),
    ],
)
def test_license_classes_outside_the_taxonomy_are_rejected(value, reason, field):
    for ctx in (LICENSE_CLASSES, CUSTOM_CLASSES):
        rejection = only_rejection(parse_constant, {"key": "Some License", "value": value}, ctx)
        assert (rejection.reason, rejection.field) == (reason, field)
        assert "'Some License'" in rejection.message


def summary(**overrides):
    record = {
        "Unique Dataset Identifier": "alpaca",
        "Dataset Name": "alpaca",
        "Collection": "Alpaca",
        "Dataset URL": "https://github.com/tatsu-lab/stanford_alpaca",
        "Paper Title": "",
        "Bibtex": "",
        "Text Metrics": {"Num Dialogs": 52002},
        "Languages": ["English"],
        "Model Generated": ["OpenAI GPT-3"],
        "Creators": ["Stanford University"],
        "Licenses": [
            {"License": "OpenAI", "License URL": "https://crfm.stanford.edu/2023/03/13/alpaca.html"},
            {"License": "CC BY-NC 4.0", "License URL": None},
        ],
        "License Notes": "License formerly Apache 2.0, switched",
        "License Verified By": "",
    }
    return {"key": "alpaca", "value": {**record, **overrides}}


def test_a_dataset_summary_keeps_only_what_a_license_policy_needs():
    example = only_example(parse_summary, summary(), SUMMARIES)
    assert example.kind is ExampleKind.LICENSE_METADATA
    assert example.metadata == {
        "record_type": "dataset_summary",
        "key": "alpaca",
        "value": {
            "Collection": "Alpaca",
            "Dataset Name": "alpaca",
            "Dataset URL": "https://github.com/tatsu-lab/stanford_alpaca",
            "Licenses": [
                {"License": "OpenAI", "License URL": "https://crfm.stanford.edu/2023/03/13/alpaca.html"},
                {"License": "CC BY-NC 4.0", "License URL": None},
            ],
            "License Notes": "License formerly Apache 2.0, switched",
            "License Verified By": "",
            "Model Generated": ["OpenAI GPT-3"],
            "Languages": ["English"],
            "Creators": ["Stanford University"],
        },
    }


def test_optional_summary_fields_may_be_absent():
    record = summary()
    for name in ("Dataset URL", "License Notes", "License Verified By", "Model Generated", "Languages", "Creators"):
        del record["value"][name]
    value = only_example(parse_summary, record, SUMMARIES).metadata["value"]
    assert value["License Notes"] is None and value["Model Generated"] is None


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (["alpaca"], Reason.NOT_AN_OBJECT, None),
        ({"key": "alpaca", "value": "alpaca"}, Reason.WRONG_TYPE, "value"),
        (summary(Collection=None), Reason.MISSING_FIELD, "Collection"),
        (summary(**{"Dataset Name": 3}), Reason.WRONG_TYPE, "Dataset Name"),
        (summary(Licenses=None), Reason.MISSING_FIELD, "Licenses"),
        (summary(Licenses=[]), Reason.MISSING_FIELD, "Licenses"),
        (summary(Licenses="MIT"), Reason.WRONG_TYPE, "Licenses"),
        (summary(Licenses=["MIT"]), Reason.WRONG_TYPE, "Licenses[0]"),
        (summary(Licenses=[{"License URL": "x"}]), Reason.MISSING_FIELD, "Licenses[0].License"),
        (summary(Licenses=[{"License": "MIT"}, {"License": ""}]), Reason.MISSING_FIELD, "Licenses[1].License"),
        (summary(Licenses=[{"License": ["MIT"]}]), Reason.WRONG_TYPE, "Licenses[0].License"),
        (summary(Licenses=[{"License": "MIT", "License URL": 1}]), Reason.WRONG_TYPE, "Licenses[0].License URL"),
        (summary(**{"Model Generated": "OpenAI GPT-3"}), Reason.WRONG_TYPE, "Model Generated"),
        (summary(Languages=["English", None]), Reason.WRONG_TYPE, "Languages"),
    ],
)
def test_unusable_summaries_name_their_reason_and_field(record, reason, field):
    rejection = only_rejection(parse_summary, record, SUMMARIES)
    assert (rejection.reason, rejection.field) == (reason, field)


def test_real_data_provenance(shipped):
    data = shipped("data_provenance")
    assert data.raw.num_rows == 3253  # SOURCE.md: 2,311 dataset records + 942 constants entries
    assert data.reasons() == {None: 3253}
    metadata = [json.loads(r["metadata"]) for r in data.parsed.to_pylist()]
    record_types = Counter(m["record_type"] for m in metadata)
    assert record_types["dataset_summary"] == 2311
    assert sum(record_types.values()) - 2311 == 942
    # Oracle: every file read with plain json, keyed as the parser keys it.
    expected = []
    for file in data.source.files:
        document = json.loads(gzip.decompress((Settings.from_env().data_root / file.path).read_bytes()))
        assert len(document) == file.rows
        entries = document.items() if isinstance(document, dict) else ((str(i), v) for i, v in enumerate(document))
        record_type = (
            "dataset_summary" if file.parser == "data_provenance.summaries" else file.path.split("/")[-1].split(".")[0]
        )
        expected += [(record_type, key) for key, _ in entries]
    assert [(m["record_type"], m["key"]) for m in metadata] == expected


def test_real_constants_keep_their_values(shipped):
    data = shipped("data_provenance")
    constants = {
        (m["record_type"], m["key"]): m["value"]
        for m in (json.loads(r["metadata"]) for r in data.rows(parser="data_provenance.constants"))
    }
    assert constants[("license_classes", "CC BY-NC 4.0")] == ["NC", "1", "0"]
    assert constants[("license_classes", "OpenAI")] == ["NC", "?", "?"]
    assert constants[("custom_license_classes", "https://www.quora.com/about/tos")] == ["?", "?", "?"]
    assert constants[("data_formats", "0")] == "Zero-shot"
    # SOURCE.md: license_paraphrases has 8 empty lists, kept as found.
    assert sum(1 for (kind, _), value in constants.items() if kind == "license_paraphrases" and value == []) == 8


def test_real_summaries_carry_every_license_the_taxonomy_classifies(shipped):
    """SOURCE.md's license facts, recomputed from the parsed records."""
    data = shipped("data_provenance")
    metadata = [json.loads(r["metadata"]) for r in data.rows(reason_code=None)]
    classes = {m["key"] for m in metadata if m["record_type"] == "license_classes"}
    custom_urls = {m["key"] for m in metadata if m["record_type"] == "custom_license_classes"}
    licenses = [entry for m in metadata if m["record_type"] == "dataset_summary" for entry in m["value"]["Licenses"]]
    names = Counter(entry["License"] for entry in licenses)
    assert (len(licenses), len(names)) == (4300, 49)
    assert names.most_common(3) == [("Unspecified", 691), ("MIT License", 621), ("Apache License 2.0", 568)]
    custom = [entry for entry in licenses if entry["License"] == "Custom"]
    assert len(custom) == 68 and all(entry["License URL"] in custom_urls for entry in custom)
    assert set(names) - {"Custom"} <= classes
