"""The hostile-input corpus (tests/quality/corpus/), each case held to its exact outcome.

Record-level cases go through ``read_source`` + ``parse_source``: every record gets the
reason codes its case.yaml lists (None: accepted) and every other record goes through.
File- and config-level cases must fail the ingest of their partition with one error,
of the listed type and with the listed text, leaving the partition's previous lake files
untouched. dbt's set-level rules (duplicate_record) are checked by
test_corpus_pipeline.py on a real materialization.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pytest

from prefinery.dataroot import FileResolver
from prefinery.ingest import PARSED_SCHEMA, RAW_SCHEMA, parse_source, read_source
from prefinery.parsers import PARSERS
from prefinery.reasons import Reason
from prefinery.registry import Registry, load_registry
from prefinery.settings import Settings
from prefinery.storage import PART_FILE, Lake
from tests.quality.corpus import CORPUS_DIR, Case, Corpus, Outcomes, build_corpus, column_values, load_cases

CASES = load_cases()
RECORD_CASES = [c for c in CASES if c.level == "record"]
FAILING_CASES = [c for c in CASES if c.level != "record"]
MAX_COMMITTED_BYTES = 1_000_000


def by_id(case: Case) -> str:
    return case.id


# The corpus itself ---------------------------------------------------------------


def test_the_corpus_is_large_small_and_covers_every_reason():
    assert len(CASES) >= 30
    assert all(p.stat().st_size < MAX_COMMITTED_BYTES for p in CORPUS_DIR.rglob("*") if p.is_file())
    used = {code for c in RECORD_CASES for o in (c.parsed, c.final) for rs in o.values() for r in rs for code in r}
    assert used - {None} <= {r.value for r in Reason}
    # unknown_license needs a row-level license, which no parser sets yet: its config-level
    # form is the undeclared_license case.
    assert {r.value for r in Reason} - used == {Reason.UNKNOWN_LICENSE.value}
    assert "undeclared_license" in {c.id for c in FAILING_CASES}


def test_every_record_level_case_states_the_outcome_of_every_file():
    for case in RECORD_CASES:
        names = {f["path"] for f in case.files}
        assert set(case.parsed) == names == set(case.final), case.id
        assert not {"error"} & set(case.expect), case.id
    for case in FAILING_CASES:
        assert set(case.expect) == {"error"} and len(case.files) == 1, case.id


# Record level ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def registry(corpus) -> Registry:
    return corpus.registry()


@pytest.fixture(scope="module")
def resolver(corpus, tmp_path_factory) -> FileResolver:
    return FileResolver(corpus.settings(tmp_path_factory.mktemp("state")))


def outcomes(case: Case, parsed: pa.Table) -> Outcomes:
    """Per file, per record, the reason code of each candidate in sub-index order."""
    found: dict[str, dict[int, list[str | None]]] = defaultdict(lambda: defaultdict(list))
    for row in sorted(parsed.to_pylist(), key=lambda r: (r["file"], r["record_index"], r["sub_index"])):
        found[case.file_name(row["file"])][row["record_index"]].append(row["reason_code"])
    return {name: [records[i] for i in range(len(records))] for name, records in found.items()}


@pytest.mark.parametrize("case", RECORD_CASES, ids=by_id)
def test_record_level_problems_are_quarantined_and_the_rest_goes_through(case, registry, resolver):
    source = registry.source(case.source_id)
    raw = read_source(source, resolver)
    parsed = parse_source(source, raw, PARSERS)

    assert outcomes(case, parsed) == case.parsed
    # Conservation at the parse step: every record read yields at least one candidate.
    read = set(zip(raw.column("file").to_pylist(), raw.column("record_index").to_pylist(), strict=True))
    candidates = set(zip(parsed.column("file").to_pylist(), parsed.column("record_index").to_pylist(), strict=True))
    assert read == candidates
    rows = {(case.file_name(r["file"]), r["record_index"], r["sub_index"]): r for r in parsed.to_pylist()}
    for key, expected in case.expect.get("examples", {}).items():
        name, record, sub = key.split(":")
        row = rows[(name, int(record), int(sub))]
        assert row["reason_code"] is None, key
        assert column_values(row, expected) == expected, key


# File and config level -------------------------------------------------------------

STAGES = ("registry", "read", "parse")
TABLES = {"read": "raw_records", "parse": "parsed_records"}


def ingest_partition(settings: Settings, lake: Lake, key: str, stage: list[str]) -> None:
    """What assets/ingest.py does for one partition, noting the stage it reached."""
    stage.append("registry")
    source = load_registry(settings.registry_path, known_parsers=set(PARSERS)).source(key)
    stage.append("read")
    lake.write("raw_records", read_source(source, FileResolver(settings)), partition=key)
    stage.append("parse")
    lake.write("parsed_records", parse_source(source, lake.read("raw_records", [key]), PARSERS), partition=key)
    stage.append("done")


def earlier_good_partition(lake: Lake, key: str) -> dict[str, bytes]:
    """A partition materialized by an earlier, successful run: its files' bytes by table."""
    raw = pa.Table.from_pylist(
        [{"source_id": key, "file": "old.jsonl", "record_index": 0, "locator": "line 1", "payload": "{}"}],
        schema=RAW_SCHEMA,
    )
    parsed = pa.Table.from_pylist(
        [{"source_id": key, "file": "old.jsonl", "record_index": 0, "sub_index": 0, "reason_code": "missing_field"}],
        schema=PARSED_SCHEMA,
    )
    return {
        "raw_records": lake.write("raw_records", raw, partition=key).path.read_bytes(),
        "parsed_records": lake.write("parsed_records", parsed, partition=key).path.read_bytes(),
    }


@pytest.mark.parametrize("case", FAILING_CASES, ids=by_id)
def test_file_and_config_problems_fail_with_one_clear_error_and_leave_the_lake_intact(case, tmp_path):
    corpus = build_corpus(tmp_path / "corpus", [case])
    settings = corpus.settings(tmp_path / "state")
    lake = Lake(settings.lake_root)
    before = earlier_good_partition(lake, case.source_id)
    expected = case.expect["error"]
    stage: list[str] = []

    with pytest.raises(Exception) as excinfo:
        ingest_partition(settings, lake, case.source_id, stage)

    error = excinfo.value
    assert (stage[-1], type(error).__name__) == (expected["stage"], expected["type"])
    assert str(error) == expected["message"].format(**corpus.placeholders(case))
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), "one error, no chain"
    # Atomic writes: the failing stage's table keeps the earlier run's file, byte for byte,
    # and no temporary file is left beside any partition.
    for table_stage, table in TABLES.items():
        unchanged = lake.partition_file(table, case.source_id).read_bytes() == before[table]
        assert unchanged == (STAGES.index(table_stage) >= STAGES.index(expected["stage"])), table
    assert sorted(p.name for p in Path(settings.lake_root).rglob("*") if p.is_file()) == [PART_FILE, PART_FILE]
