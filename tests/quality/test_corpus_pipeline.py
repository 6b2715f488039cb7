"""The hostile-input corpus through a real materialization, beside a shipped source.

One registry holds hh_rlhf and every record-level corpus case; one run of the refinery
job (Dagster, dbt-duckdb, the lake) must take each case to its final outcome, dbt's
set-level rules (duplicate_record) included, keep conservation for every source, and
carry hostile texts (20 MB, NUL, U+2028) into the examples mart intact.

orchestration.partitions reads the registry when it is imported, so the run happens in
a fresh interpreter whose environment points at the corpus; this process, which may
have imported the shipped Definitions already, only reads the lake afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from prefinery.conservation import ledger
from prefinery.settings import PROJECT_ROOT
from prefinery.storage import Lake
from tests.quality.corpus import Case, Corpus, Outcomes, build_corpus, column_values

pytestmark = pytest.mark.slow

SHIPPED = ("hh_rlhf",)
RUN = """
import json
from orchestration.launch import materialize

# Ingest, normalize and their checks: what decides each record's fate.
(result,) = materialize(
    executor="in_process", log_level="WARNING", selection="group:sources or group:ingest or group:normalize"
)
failed_checks = [
    e.asset_check_evaluation_data for e in result.all_events
    if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
]
print(json.dumps({
    "success": result.success,
    "failed_steps": sorted({e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}),
    "failed_checks": {
        severity: sorted(f"{c.asset_key.to_user_string()}:{c.check_name}" for c in failed_checks if c.severity.value == severity)
        for severity in ("ERROR", "WARN")
    },
}))
"""


@dataclass(frozen=True)
class CorpusRun:
    corpus: Corpus
    lake: Lake
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> CorpusRun:
    dest = tmp_path_factory.mktemp("corpus-run")
    corpus = build_corpus(dest / "input", shipped=SHIPPED)
    state = dest / "state"
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        env={**os.environ, **corpus.environ(state)},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    return CorpusRun(corpus, Lake(state / "lake"), json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_run_succeeds_and_no_blocking_check_fails(corpus_run):
    """Hostile records are quarantined, not let through: no ERROR check fails. WARN checks
    may (a file with 5 undecodable lines of 8 is worth a human's look)."""
    summary = corpus_run.summary
    assert (summary["success"], summary["failed_steps"], summary["failed_checks"]["ERROR"]) == (True, [], [])


def final_outcomes(lake: Lake, case: Case) -> Outcomes:
    """Per file, per record, each candidate's fate: None in examples or license records,
    else its quarantine reason."""
    positions = {
        r["example_id"]: (case.file_name(r["file"]), r["record_index"], r["sub_index"])
        for r in lake.read("parsed_records", [case.source_id]).to_pylist()
    }
    fates: dict[tuple[str, int, int], str | None] = {}
    for table in ("examples", "license_records", "quarantine"):
        for row in lake.read(table, [case.source_id]).to_pylist():
            key = positions[row["example_id"]]
            assert key not in fates, f"{key} reached two outputs"
            fates[key] = row.get("reason_code")
    found: dict[str, list[list[str | None]]] = {}
    for name, record, sub in sorted(fates):
        records = found.setdefault(name, [])
        if record == len(records):
            records.append([])
        assert (record, sub) == (len(records) - 1, len(records[-1])), f"{name} record {record} has a gap"
        records[-1].append(fates[(name, record, sub)])
    return found


def test_every_case_reaches_its_final_outcome_and_conservation_holds(corpus_run):
    wrong = {}
    for case in corpus_run.corpus.cases:
        book = ledger(corpus_run.lake, case.source_id)
        assert book.balanced, book
        outcome = final_outcomes(corpus_run.lake, case)
        if outcome != case.final:
            wrong[case.id] = {"expected": case.final, "found": outcome}
    assert not wrong, json.dumps(wrong, indent=1)


def test_hostile_texts_reach_the_examples_mart_intact(corpus_run):
    for case in corpus_run.corpus.cases:
        expected_examples = case.expect.get("examples", {})
        if not expected_examples:
            continue
        rows = {
            (case.file_name(r["file"]), r["record_index"], r["sub_index"]): r
            for r in corpus_run.lake.read("examples", [case.source_id]).to_pylist()
        }
        for key, expected in expected_examples.items():
            name, record, sub = key.split(":")
            row = rows[(name, int(record), int(sub))]
            assert column_values(row, expected) == expected, (case.id, key)


def test_the_shipped_source_beside_the_corpus_is_whole(corpus_run):
    for source_id in SHIPPED:
        book = ledger(corpus_run.lake, source_id)
        source = corpus_run.corpus.registry().source(source_id)
        assert book.balanced and book.records_read == sum(f.rows for f in source.files), book
