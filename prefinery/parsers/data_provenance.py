"""Data Provenance Collection: license taxonomy constants and per-dataset license records.

Nothing here is a training example: every row is LICENSE_METADATA whose ``metadata`` is
``{record_type, key, value}``, the shape ``license_records`` reads.

Constants (``constants/<name>.json``): a JSON object per file (``license_classes``,
``license_paraphrases``, creator/domain/task/topic/language groups, ...), one record per
top-level key, which the container hands over as ``{"key": k, "value": v}``;
``data_formats.json`` alone is a JSON array of strings, one record per element, keyed by
its index. ``record_type`` is the file's name without extensions. Entries are kept as
found (``license_paraphrases`` has 8 empty lists; ``source_name_mapper`` has the empty
key ``""``, upstream's spelling of "no source"), except the license classes, which the
license policy relies on: ``license_classes`` (by license name) and
``custom_license_classes`` (by license URL, for datasets whose license is "Custom") map
to ``[use, attribution, share_alike]`` with use in All / NC / Acad / Unspecified and the
flags "0", "1" or "?" (unknown). Upstream also uses "?" for the use itself, meaning
unknown (two custom URLs are ``["?", "?", "?"]``) and resolves it as academic-only, so
"?" is accepted there too.

Data summaries (``data_summaries/<Collection>.json``): one object per collection keyed by
Unique Dataset Identifier. Each record has some 25 fields (URLs, bibtex, text metrics,
inferred metadata); ``value`` keeps only what a license policy needs, under the source's
own field names: Collection, Dataset Name, Dataset URL, Licenses (``[{License, License
URL}]``, the URL may be null or empty), License Notes, License Verified By, Model
Generated (the generating models, whose terms also apply), Languages and Creators. Two
files (PII-Masking-200k, PII-masking-200k) are byte-identical, so one key appears twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from prefinery.parsers.base import (
    Example,
    ExampleKind,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    json_type,
)
from prefinery.reasons import Reason

LICENSE_CLASS_TYPES = ("license_classes", "custom_license_classes")
LICENSE_USES = ("All", "NC", "Acad", "Unspecified", "?")
LICENSE_FLAGS = ("0", "1", "?")
SUMMARY_RECORD_TYPE = "dataset_summary"
SUMMARY_LISTS = ("Model Generated", "Languages", "Creators")


def parse_constant(record: Any, ctx: RecordContext) -> list[Example]:
    record_type = PurePosixPath(ctx.file).name.split(".")[0]
    if isinstance(record, dict) and record.keys() == {"key", "value"}:
        key, value = record["key"], record["value"]
    else:  # an element of a JSON array file
        key, value = str(ctx.record_index), record
    if record_type in LICENSE_CLASS_TYPES:
        _check_license_class(key, value)
    return [_license_metadata(record_type, key, value)]


def _check_license_class(key: str, value: Any) -> None:
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise ParseError(
            Reason.WRONG_TYPE,
            f"license class of {key!r} should be an array of 3 strings [use, attribution, share_alike], "
            f"got {json_type(value)} {value!r}",
            field="value",
        )
    use, attribution, share_alike = value
    if use not in LICENSE_USES:
        raise ParseError(
            Reason.LABEL_OUT_OF_DOMAIN,
            f"license class of {key!r}: use {use!r} is not one of {LICENSE_USES}",
            field="value[0]",
        )
    for position, (name, flag) in enumerate((("attribution", attribution), ("share_alike", share_alike)), start=1):
        if flag not in LICENSE_FLAGS:
            raise ParseError(
                Reason.LABEL_OUT_OF_DOMAIN,
                f"license class of {key!r}: {name} flag {flag!r} is not one of {LICENSE_FLAGS}",
                field=f"value[{position}]",
            )


def parse_summary(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    key = get_field(record, "key", str)
    summary = get_field(record, "value", dict)
    compact = {
        "Collection": get_field(summary, "Collection", str),
        "Dataset Name": get_field(summary, "Dataset Name", str),
        "Dataset URL": get_optional(summary, "Dataset URL", str),
        "Licenses": _licenses(summary),
        "License Notes": get_optional(summary, "License Notes", str),
        "License Verified By": get_optional(summary, "License Verified By", str),
        **{name: _string_list(summary, name) for name in SUMMARY_LISTS},
    }
    return [_license_metadata(SUMMARY_RECORD_TYPE, key, compact)]


def _licenses(summary: Mapping[str, Any]) -> list[dict[str, str | None]]:
    """A dataset's licenses: at least one, each naming its license."""
    entries = get_field(summary, "Licenses", list)
    if not entries:
        raise ParseError(
            Reason.MISSING_FIELD, "field 'Licenses' is an empty array: the dataset names no license", field="Licenses"
        )
    licenses = []
    for position, entry in enumerate(entries):
        path = f"Licenses[{position}]"
        if not isinstance(entry, dict):
            raise ParseError(Reason.WRONG_TYPE, f"{path} should be an object, got {json_type(entry)}", field=path)
        name = entry.get("License")
        if name is None or name == "":
            raise ParseError(Reason.MISSING_FIELD, f"{path}.License is missing, null or empty", field=f"{path}.License")
        if not isinstance(name, str):
            raise ParseError(
                Reason.WRONG_TYPE, f"{path}.License should be a string, got {json_type(name)}", field=f"{path}.License"
            )
        url = entry.get("License URL")
        if url is not None and not isinstance(url, str):
            raise ParseError(
                Reason.WRONG_TYPE,
                f"{path}.License URL should be a string, got {json_type(url)}",
                field=f"{path}.License URL",
            )
        licenses.append({"License": name, "License URL": url})
    return licenses


def _string_list(summary: Mapping[str, Any], name: str) -> list[str] | None:
    values = get_optional(summary, name, list)
    if values is not None and not all(isinstance(v, str) for v in values):
        raise ParseError(Reason.WRONG_TYPE, f"field {name!r} should be an array of strings", field=name)
    return values


def _license_metadata(record_type: str, key: str, value: Any) -> Example:
    return Example(kind=ExampleKind.LICENSE_METADATA, metadata={"record_type": record_type, "key": key, "value": value})


PARSERS = {"data_provenance.constants": parse_constant, "data_provenance.summaries": parse_summary}
