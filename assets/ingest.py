"""Stage 1, ingest: each source's files into raw records, then parsed candidates.

Partitioned by source. A backfill over many sources runs as one run (single-run
backfill policy) and handles each partition in turn; every partition is its own Parquet
file, written atomically, so runs over different or even the same sources never clash.
"""

from collections import Counter
from collections.abc import Callable

import dagster as dg

from orchestration.partitions import source_partitions
from orchestration.resources import PrefineryResource
from prefinery.ingest import parse_source, read_source
from prefinery.parsers import PARSERS
from prefinery.storage import WrittenPartition

INGEST = dict(
    group_name="ingest",
    partitions_def=source_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)


@dg.asset(
    **INGEST,
    deps=["registry_sources"],
    kinds={"python", "duckdb", "parquet"},
    code_version="1",
    description="Every record of a source's files, pinned by sha256, with file, position and payload as found.",
)
def raw_records(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    registry, lake = prefinery.registry(), prefinery.lake()
    resolver = prefinery.resolver(context.log.info)
    written: dict[str, WrittenPartition] = {}
    decode_errors: dict[str, int] = {}
    for key in _partition_keys(context):
        context.log.info(f"reading source {key!r}")
        table = read_source(registry.source(key), resolver, log=_prefixed(context, key))
        written[key] = lake.write("raw_records", table, partition=key)
        decode_errors[key] = table.num_rows - table.column("decode_error").null_count
    return _result(written, {"records with undecodable bytes": decode_errors})


@dg.asset(
    **INGEST,
    deps=["raw_records"],
    kinds={"python", "parquet"},
    code_version="1",
    description="Each raw record through its format's parser: canonical candidates, or a rejection with a reason.",
)
def parsed_records(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    registry, lake = prefinery.registry(), prefinery.lake()
    written: dict[str, WrittenPartition] = {}
    rejected: dict[str, int] = {}
    reasons: Counter[str] = Counter()
    for key in _partition_keys(context):
        raw = lake.read("raw_records", [key])
        context.log.info(f"parsing source {key!r}: {raw.num_rows:,} records")
        parsed = parse_source(registry.source(key), raw, PARSERS, log=_prefixed(context, key))
        written[key] = lake.write("parsed_records", parsed, partition=key)
        codes = parsed.column("reason_code")
        rejected[key] = parsed.num_rows - codes.null_count
        reasons.update(c for c in codes.to_pylist() if c)
    return _result(
        written,
        {"rejected by the parser": rejected},
        extra={"rejections by reason": dg.MetadataValue.json(dict(reasons.most_common()))},
    )


def _partition_keys(context: dg.AssetExecutionContext) -> list[str]:
    return list(context.partition_keys)


def _prefixed(context: dg.AssetExecutionContext, key: str) -> Callable[[str], None]:
    return lambda message: context.log.info(f"[{key}] {message}")


def _result(
    written: dict[str, WrittenPartition],
    per_partition: dict[str, dict[str, int]],
    extra: dict[str, dg.MetadataValue] | None = None,
) -> dg.MaterializeResult:
    """Row counts; with several partitions in one run, a per-partition table as well
    (Dagster records one metadata set for the whole range)."""
    total = sum(w.rows for w in written.values())
    metadata: dict[str, object] = {"dagster/row_count": total, **(extra or {})}
    if len(written) == 1:
        ((key, only),) = written.items()
        metadata["path"] = dg.MetadataValue.path(str(only.path))
        metadata["file sha256"] = only.sha256
        metadata.update({name: values[key] for name, values in per_partition.items()})
    else:
        header = "| partition | rows | " + " | ".join(per_partition) + " |"
        rule = "|---|---:|" + "---:|" * len(per_partition)
        lines = [
            f"| {key} | {w.rows:,} | " + " | ".join(f"{values[key]:,}" for values in per_partition.values()) + " |"
            for key, w in written.items()
        ]
        metadata["partitions"] = dg.MetadataValue.md("\n".join([header, rule, *lines]))
    return dg.MaterializeResult(metadata=metadata)
