"""Stage 3, quality gates that block what comes after them."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import source_partitions
from orchestration.resources import PrefineryResource
from prefinery.conservation import ledger


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
    unbalanced = [l.source_id for l in ledgers if not l.balanced]
    return dg.AssetCheckResult(
        passed=not unbalanced,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "records read": sum(l.records_read for l in ledgers),
            "candidates": sum(l.candidates for l in ledgers),
            "examples": sum(l.examples for l in ledgers),
            "license records": sum(l.license_records for l in ledgers),
            "quarantined": sum(l.quarantined for l in ledgers),
            "unbalanced partitions": ", ".join(unbalanced) or "none",
            "ledger": dg.MetadataValue.json([l.as_dict() for l in ledgers]),
        },
    )
