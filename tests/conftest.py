"""Shared fixtures. Tests read the real shipped data through the configured data root
(../shared/data beside the checkout, or PREFINERY_DATA_ROOT); without it they fail with
the resolver's message rather than skip."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Tests never touch the developer's var/: every run of the suite gets its own state
# folder (lake, Dagster instance, cache), removed at exit. Set before any project import.
_STATE = tempfile.mkdtemp(prefix="prefinery-tests-")
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
for _name in ("PREFINERY_LAKE", "PREFINERY_CACHE", "PREFINERY_WAREHOUSE", "PREFINERY_REGISTRY", "PREFINERY_OFFLINE"):
    os.environ.pop(_name, None)
os.environ["PREFINERY_HOME"] = _STATE
os.environ["DAGSTER_HOME"] = os.path.join(_STATE, "dagster_home")

from collections import Counter
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pytest

from prefinery.dataroot import FileResolver
from prefinery.ingest import parse_source, read_source
from prefinery.parsers import PARSERS
from prefinery.registry import Registry, Source, load_registry
from prefinery.settings import SHIPPED_REGISTRY, Settings


@dataclass(frozen=True)
class ShippedSource:
    source: Source
    raw: pa.Table
    parsed: pa.Table

    def reasons(self) -> Counter[str | None]:
        return Counter(self.parsed.column("reason_code").to_pylist())

    def rows(self, **where) -> list[dict]:
        return [r for r in self.parsed.to_pylist() if all(r[k] == v for k, v in where.items())]


@cache
def _shipped(source_id: str) -> ShippedSource:
    settings = Settings.from_env()
    source = load_registry(SHIPPED_REGISTRY).source(source_id)
    raw = read_source(source, FileResolver(settings))
    return ShippedSource(source, raw, parse_source(source, raw, PARSERS))


@pytest.fixture(scope="session")
def shipped_registry() -> Registry:
    return load_registry(SHIPPED_REGISTRY, known_parsers=set(PARSERS))


@pytest.fixture(scope="session")
def shipped():
    """shipped(source_id) -> the source's raw records and parsed candidates (cached)."""
    return _shipped
