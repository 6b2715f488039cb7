"""Stage 3, quality gates: asset checks that block what comes after them.

- ``raw_records_expectations`` (on parsed_records): provenance complete, positions unique,
  every record read reached the parser's output.
- ``examples_expectations`` (on examples): the canonical schema and the rules every
  consumer relies on (Great Expectations suites in prefinery/quality/suites.py).
- ``conservation`` (on examples): records read = examples + license records + quarantined.
- ``dataset_expectations`` (on dataset_default): complete pairs, and no prompt both trained
  on and held out.
- ``quarantine_reasons`` (on quarantine): counts by reason per source; warns when a
  source quarantines an unusual share of its rows.
ERROR results block downstream assets; WARN results are for a human to look at.
"""

from collections import Counter
from collections.abc import Callable

import dagster as dg
import pandas as pd

from models.data import DATASET_COLUMNS, DEFAULT_DATASET
from orchestration.partitions import source_partitions
from orchestration.resources import PrefineryResource
from prefinery.conservation import ledger
from prefinery.quality.expectations import Severity, Suite, SuiteOutcome, validate
from prefinery.quality.frames import dataset_frame, examples_frame, raw_frame
from prefinery.quality.suites import dataset_suite, examples_suite, raw_records_suite, score_table_suite
from prefinery.registry import Role
from prefinery.scoring import SCORERS
from prefinery.storage import Lake

QUARANTINE_SHARE_WARNING = 0.10
_SEVERITY = {Severity.ERROR: dg.AssetCheckSeverity.ERROR, Severity.WARN: dg.AssetCheckSeverity.WARN}


def _expectations_result(outcomes: dict[str, SuiteOutcome]) -> dg.AssetCheckResult:
    """One check result for the run's partitions: the worst severity wins."""
    worst = {o.worst for o in outcomes.values()} - {None}
    severity = Severity.ERROR if Severity.ERROR in worst else Severity.WARN
    metadata: dict[str, object] = {
        "rows": sum(o.rows for o in outcomes.values()),
        "failed expectations": sum(len(o.failures) for o in outcomes.values()),
        "partitions": dg.MetadataValue.md(
            "| partition | rows | failed (error) | failed (warn) |\n|---|---:|---:|---:|\n"
            + "\n".join(
                f"| {key} | {o.rows:,} | {sum(f.severity is Severity.ERROR for f in o.failures)} "
                f"| {sum(f.severity is Severity.WARN for f in o.failures)} |"
                for key, o in outcomes.items()
            )
        ),
    }
    for key, outcome in outcomes.items():
        if len(outcomes) == 1 or outcome.failures:
            metadata[f"expectations: {key}"] = dg.MetadataValue.md(outcome.markdown())
    failing = [
        {"partition": key, **{k: v for k, v in vars(f).items() if k != "why"}, "severity": f.severity.value}
        for key, o in outcomes.items()
        for f in o.failures
    ]
    metadata["failures"] = dg.MetadataValue.json(failing)
    return dg.AssetCheckResult(passed=not worst, severity=_SEVERITY[severity], metadata=metadata)


def _suite_check(
    name: str,
    asset: str,
    deps: list[str],
    suite: Callable[[PrefineryResource, str], Suite],
    frame: Callable[[Lake, str], pd.DataFrame],
    description: str,
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        name=name,
        asset=asset,
        blocking=True,
        partitions_def=source_partitions,
        additional_deps=deps,
        description=description,
    )
    def _check(context: dg.AssetCheckExecutionContext, prefinery: PrefineryResource) -> dg.AssetCheckResult:
        lake = prefinery.lake()
        outcomes = {}
        for key in context.partition_keys:
            rules = suite(prefinery, key)
            outcomes[key] = validate(frame(lake, key), rules)
            context.log.info(f"[{key}] {rules.name}: {len(outcomes[key].failures)} failed of {len(rules.rules)}")
        return _expectations_result(outcomes)

    return _check


raw_records_expectations = _suite_check(
    "raw_records_expectations",
    asset="parsed_records",
    deps=["raw_records"],
    suite=lambda prefinery, key: raw_records_suite(),
    frame=lambda lake, key: raw_frame(lake.read("raw_records", [key]), lake.read("parsed_records", [key])),
    description="Raw records: provenance complete, positions unique, and every record read parsed or quarantined.",
)

examples_expectations = _suite_check(
    "examples_expectations",
    asset="examples",
    deps=["registry_licenses"],
    suite=lambda prefinery, key: examples_suite(prefinery.lake().read("registry_licenses").column("spdx").to_pylist()),
    frame=lambda lake, key: examples_frame(lake.read("examples", [key])),
    description="Examples: schema and types, unique ids, labels in their domain, known licenses, non-empty "
    "prompts and responses, chosen differs from rejected, roles taking turns.",
)


@dg.asset_check(
    asset="examples",
    blocking=True,
    partitions_def=source_partitions,
    additional_deps=["raw_records", "parsed_records", "quarantine", "license_records"],
    description="Rows in = rows out + rows quarantined: every record read reaches the examples, "
    "the license records or the quarantine, and every candidate reaches exactly one of them.",
)
def conservation(context: dg.AssetCheckExecutionContext, prefinery: PrefineryResource) -> dg.AssetCheckResult:
    lake = prefinery.lake()
    ledgers = [ledger(lake, key) for key in context.partition_keys]
    unbalanced = [book.source_id for book in ledgers if not book.balanced]
    return dg.AssetCheckResult(
        passed=not unbalanced,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "records read": sum(book.records_read for book in ledgers),
            "candidates": sum(book.candidates for book in ledgers),
            "examples": sum(book.examples for book in ledgers),
            "license records": sum(book.license_records for book in ledgers),
            "quarantined": sum(book.quarantined for book in ledgers),
            "unbalanced partitions": ", ".join(unbalanced) or "none",
            "ledger": dg.MetadataValue.json([book.as_dict() for book in ledgers]),
        },
    )


@dg.asset_check(
    asset="quarantine",
    partitions_def=source_partitions,
    additional_deps=["parsed_records"],
    description=f"Quarantined rows by reason, per source; warns when a source quarantines more than "
    f"{QUARANTINE_SHARE_WARNING:.0%} of its candidates.",
)
def quarantine_reasons(context: dg.AssetCheckExecutionContext, prefinery: PrefineryResource) -> dg.AssetCheckResult:
    lake = prefinery.lake()
    lines = ["| partition | candidates | quarantined | share | by reason |", "|---|---:|---:|---:|---|"]
    high: list[str] = []
    totals: Counter[str] = Counter()
    for key in context.partition_keys:
        reasons = Counter(lake.read("quarantine", [key], columns=["reason_code"]).column("reason_code").to_pylist())
        candidates = lake.read("parsed_records", [key], columns=["example_id"]).num_rows
        quarantined = sum(reasons.values())
        share = quarantined / candidates if candidates else 0.0
        if share > QUARANTINE_SHARE_WARNING:
            high.append(key)
        totals.update(reasons)
        by_reason = ", ".join(f"{code} {n:,}" for code, n in reasons.most_common()) or "-"
        lines.append(f"| {key} | {candidates:,} | {quarantined:,} | {share:.1%} | {by_reason} |")
    return dg.AssetCheckResult(
        passed=not high,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "by partition": dg.MetadataValue.md("\n".join(lines)),
            "by reason": dg.MetadataValue.json(dict(totals.most_common())),
            "sources over the warning share": ", ".join(high) or "none",
        },
    )


@dg.asset_check(
    asset="dataset_default",
    blocking=True,
    description="The default dataset version: complete, unique pairs with a train split; no prompt group both "
    "trained on and held out; no eval-role source in train.",
)
def dataset_expectations(prefinery: PrefineryResource) -> dg.AssetCheckResult:
    eval_sources = [s.id for s in prefinery.registry().sources if s.role is Role.EVAL]
    frame = dataset_frame(prefinery.lake().read(DEFAULT_DATASET), eval_sources)
    return _expectations_result({DEFAULT_DATASET: validate(frame, dataset_suite(DATASET_COLUMNS))})


def _score_check(scorer) -> dg.AssetChecksDefinition:
    return _suite_check(
        f"{scorer.table}_expectations",
        asset=scorer.table,
        deps=["examples"],
        suite=lambda prefinery, key: score_table_suite(
            scorer, prefinery.lake().read("examples", [key], columns=["example_id"]).num_rows
        ),
        frame=lambda lake, key: lake.read(scorer.table, [key]).to_pandas(),
        description=f"{scorer.table}: one row per example of the partition, its declared columns, scores in range.",
    )


score_checks = [_score_check(scorer) for scorer in SCORERS.values()]
