"""Stage 3, quality gates that block what comes after them."""

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
