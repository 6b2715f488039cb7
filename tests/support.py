"""Helpers shared by tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefinery.parsers.base import Example, ParseError, RecordContext


def context(
    options: Mapping[str, Any] | None = None,
    lookup_tables: Mapping[tuple[str, str], Mapping[Any, Any]] | None = None,
    source_id: str = "fixture",
    file: str = "fixture/file.json",
    record_index: int = 0,
) -> RecordContext:
    """A RecordContext for calling a parser directly on a hand-written record."""
    tables = dict(lookup_tables or {})

    def lookup(path: str, key_field: str) -> Mapping[Any, Any]:
        return tables[(path, key_field)]

    return RecordContext(source_id, file, record_index, dict(options or {}), lookup)


def outcomes(parser, record: Any, ctx: RecordContext | None = None) -> list[Example | ParseError]:
    """Run a parser the way the ingest driver does: a raised ParseError rejects the record."""
    try:
        return list(parser(record, ctx or context()))
    except ParseError as rejection:
        return [rejection]


def only_example(parser, record: Any, ctx: RecordContext | None = None) -> Example:
    (result,) = outcomes(parser, record, ctx)
    assert isinstance(result, Example), f"expected an example, got {result!r}"
    return result


def only_rejection(parser, record: Any, ctx: RecordContext | None = None) -> ParseError:
    (result,) = outcomes(parser, record, ctx)
    assert isinstance(result, ParseError), f"expected a rejection, got {result!r}"
    return result
