"""Ingest one source: read its files into raw records, then parse them into candidates.

Both steps are plain functions over Arrow tables, so Dagster, tests, benchmarks and a
future Ray job run the same code. Conservation starts here: every raw record yields at
least one parsed row, each either an example or a rejection with a reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from prefinery import identity
from prefinery.containers import read_records
from prefinery.dataroot import FileResolver
from prefinery.parsers.base import Example, ExampleKind, ParseError, Parser, RecordContext
from prefinery.reasons import Reason
from prefinery.registry import FileFormat, RegistryError, Source, SourceFile

RAW_SCHEMA = pa.schema(
    [
        ("source_id", pa.string()),
        ("file", pa.string()),
        ("file_sha256", pa.string()),
        ("record_index", pa.int64()),
        ("locator", pa.string()),
        ("payload", pa.string()),
        ("decode_error", pa.string()),
    ]
)

PARSED_SCHEMA = pa.schema(
    [
        ("source_id", pa.string()),
        ("file", pa.string()),
        ("record_index", pa.int64()),
        ("sub_index", pa.int32()),
        ("locator", pa.string()),
        ("parser", pa.string()),
        ("example_id", pa.string()),
        ("content_hash", pa.string()),
        ("kind", pa.string()),
        ("messages", pa.string()),  # JSON list of {role, content}: the prompt conversation
        ("prompt", pa.string()),
        ("chosen", pa.string()),
        ("rejected", pa.string()),
        ("response", pa.string()),
        ("label", pa.float64()),
        ("label_raw", pa.string()),
        ("is_tie", pa.bool_()),
        ("label_strength", pa.float64()),
        ("agreement", pa.float64()),
        ("num_annotators", pa.int32()),
        ("annotator_type", pa.string()),
        ("annotator", pa.string()),
        ("license", pa.string()),
        ("metadata", pa.string()),  # JSON object: format-specific fields
        ("reason_code", pa.string()),
        ("reason_message", pa.string()),
        ("reason_field", pa.string()),
    ]
)

Log = Callable[[str], None]
PROGRESS_EVERY_SECONDS = 5.0


def read_source(source: Source, resolver: FileResolver, log: Log | None = None) -> pa.Table:
    """All raw records of a source, file by file, each file checked against its pin."""
    log = log or (lambda message: None)
    # One in-memory DuckDB for all of the source's JSON arrays; none for sources without.
    needs_duckdb = any(f.format is FileFormat.JSON for f in source.files)
    with duckdb.connect(":memory:") if needs_duckdb else nullcontext() as con:
        tables = [_read_file(source, file, resolver, con, log, number) for number, file in enumerate(source.files, 1)]
    return pa.concat_tables(tables) if tables else RAW_SCHEMA.empty_table()


def _read_file(
    source: Source,
    file: SourceFile,
    resolver: FileResolver,
    con: duckdb.DuckDBPyConnection | None,
    log: Log,
    number: int,
) -> pa.Table:
    resolved = resolver.resolve(source, file)
    records = read_records(resolved.path, file.format, f"source {source.id!r}, file {file.path!r}", con)
    n = records.num_rows
    if file.rows is not None and n != file.rows:
        log(f"{file.path}: read {n:,} records where the registry expects {file.rows:,}; ingesting what is there")
    log(f"[{number}/{len(source.files)}] {file.path}: {n:,} records ({resolved.origin})")
    return pa.table(
        {
            "source_id": pa.array([source.id] * n, pa.string()),
            "file": pa.array([file.path] * n, pa.string()),
            "file_sha256": pa.array([resolved.sha256] * n, pa.string()),
            **{name: records.column(name) for name in records.column_names},
        },
        schema=RAW_SCHEMA,
    )


def parse_source(
    source: Source,
    raw: pa.Table,
    parsers: Mapping[str, Parser],
    log: Log | None = None,
) -> pa.Table:
    """Every raw record through its file's parser; one output row per candidate."""
    log = log or (lambda message: None)
    rows: dict[str, list[Any]] = {name: [] for name in PARSED_SCHEMA.names}
    lookups = _Lookups(source, raw)
    files = raw.column("file").to_pylist()
    indices = raw.column("record_index").to_pylist()
    locators = raw.column("locator").to_pylist()
    payloads = raw.column("payload").to_pylist()
    decode_errors = raw.column("decode_error").to_pylist()
    files_by_path = {f.path: f for f in source.files}
    started = last_report = time.monotonic()

    for i, (file_path, record_index, locator, payload, decode_error) in enumerate(
        zip(files, indices, locators, payloads, decode_errors, strict=True)
    ):
        file = files_by_path[file_path]
        parser_name = source.parser_for(file)
        context = RecordContext(source.id, file_path, record_index, file.options, lookups.get)
        outcomes = _parse_record(parsers[parser_name], payload, decode_error, context)
        for sub_index, outcome in enumerate(outcomes):
            _append(rows, source.id, file_path, record_index, sub_index, locator, parser_name, outcome)
        if time.monotonic() - last_report > PROGRESS_EVERY_SECONDS:
            last_report = time.monotonic()
            log(f"parsed {i + 1:,}/{len(payloads):,} records ({(i + 1) / (last_report - started):,.0f}/s)")
    return pa.table(rows, schema=PARSED_SCHEMA)


def _parse_record(
    parser: Parser, payload: str, decode_error: str | None, ctx: RecordContext
) -> list[Example | ParseError]:
    if decode_error:
        return [ParseError(Reason(decode_error), "the record's bytes are not valid UTF-8 (bad bytes shown as U+FFFD)")]
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return [ParseError(Reason.INVALID_JSON, f"not valid JSON: {exc}")]
    try:
        outcomes = list(parser(record, ctx))
    except ParseError as rejection:
        return [rejection]
    except RegistryError:  # the entry misconfigures the parser; the message names source, file and fix
        raise
    except Exception as exc:  # a parser bug: fail loudly, naming the record
        raise RuntimeError(
            f"parser bug on source {ctx.source_id!r}, file {ctx.file!r}, record {ctx.record_index}: {exc!r}"
        ) from exc
    if not outcomes:
        raise RuntimeError(
            f"parser returned nothing for source {ctx.source_id!r}, file {ctx.file!r}, "
            f"record {ctx.record_index}; a record must yield an example or a rejection"
        )
    return outcomes


def _append(
    rows: dict[str, list[Any]],
    source_id: str,
    file: str,
    record_index: int,
    sub_index: int,
    locator: str,
    parser: str,
    outcome: Example | ParseError,
) -> None:
    base = {
        "source_id": source_id,
        "file": file,
        "record_index": record_index,
        "sub_index": sub_index,
        "locator": locator,
        "parser": parser,
        "example_id": identity.example_id(source_id, file, record_index, sub_index),
    }
    if isinstance(outcome, ParseError):
        values = {
            **base,
            "reason_code": outcome.reason.value,
            "reason_message": outcome.message,
            "reason_field": outcome.field,
        }
    else:
        values = {**base, **_example_columns(outcome)}
    for name in PARSED_SCHEMA.names:
        rows[name].append(values.get(name))


def _example_columns(example: Example) -> dict[str, Any]:
    if example.kind is ExampleKind.LICENSE_METADATA:
        digest = identity.record_hash(dict(example.metadata))
    elif example.kind is ExampleKind.PREFERENCE:
        digest = identity.content_hash(example.messages, [example.chosen, example.rejected], ordered=False)
    elif example.kind is ExampleKind.PROMPT:
        digest = identity.content_hash(example.messages, [], ordered=True)
    else:
        digest = identity.content_hash(example.messages, [example.response], ordered=True)
    return {
        "content_hash": digest,
        "kind": example.kind.value,
        "messages": orjson.dumps(list(example.messages)).decode(),
        "prompt": example.prompt,
        "chosen": example.chosen,
        "rejected": example.rejected,
        "response": example.response,
        "label": example.label,
        "label_raw": example.label_raw,
        "is_tie": example.is_tie,
        "label_strength": example.label_strength,
        "agreement": example.agreement,
        "num_annotators": example.num_annotators,
        "annotator_type": example.annotator_type.value,
        "annotator": example.annotator,
        "license": example.license,
        "metadata": orjson.dumps(dict(example.metadata), option=orjson.OPT_SORT_KEYS).decode(),
    }


class _Lookups:
    """Join support: another file of the same source, decoded and keyed by one field."""

    def __init__(self, source: Source, raw: pa.Table):
        self._source = source
        self._raw = raw
        self._cache: dict[tuple[str, str], dict[Any, Any]] = {}

    def get(self, file: str, key_field: str) -> Mapping[Any, Any]:
        cache_key = (file, key_field)
        if cache_key not in self._cache:
            paths = [f.path for f in self._source.files]
            if file not in paths:
                raise RegistryError(
                    f"source {self._source.id!r}: a parser option names join file {file!r}, which is not "
                    f"one of the source's files ({', '.join(paths)}). Correct the file name in the "
                    "registry entry's options."
                )
            mask = pc.equal(self._raw.column("file"), file)
            table: dict[Any, Any] = {}
            for payload in self._raw.filter(mask).column("payload").to_pylist():
                try:
                    record = orjson.loads(payload)
                except orjson.JSONDecodeError:
                    continue  # that record is quarantined on its own; it cannot be joined to
                # Only a JSON string or number can be a key: an array or object is unhashable,
                # and true would pose as 1. Such a record is rejected by its own parser.
                key = record.get(key_field) if isinstance(record, dict) else None
                if isinstance(key, (str, int, float)) and not isinstance(key, bool):
                    table.setdefault(key, record)
            self._cache[cache_key] = table
        return self._cache[cache_key]
