"""Stage 4, score tables: one asset per scorer, partitioned by source like ``examples``,
one row per example_id. A scorer's version is its code version, so a change marks its
partitions stale and a backfill recomputes them and nothing else."""

import dagster as dg
import pyarrow.compute as pc

from orchestration.partitions import source_partitions
from orchestration.resources import PrefineryResource
from prefinery.scoring import SCORERS
from prefinery.scoring.base import Scorer, ScoringContext


def score_asset(scorer: Scorer) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            scorer.table,
            description=scorer.description,
            deps=["examples"],
            group_name="scores",
            kinds={"python", "parquet"},
            code_version=scorer.version,
            partitions_def=source_partitions,
        ),
        *[
            dg.AssetSpec(
                name,
                description=f"Written by the {scorer.name} scorer beside {scorer.table}.",
                deps=["examples"],
                group_name="scores",
                kinds={"python", "parquet"},
                code_version=scorer.version,
                partitions_def=source_partitions,
            )
            for name in scorer.side_tables
        ],
    ]

    @dg.multi_asset(
        name=scorer.table,
        specs=specs,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=False,
    )
    def _score(context: dg.AssetExecutionContext, prefinery: PrefineryResource):
        lake, registry = prefinery.lake(), prefinery.registry()
        rows: dict[str, int] = {}
        written = {}
        for key in context.partition_keys:
            examples = lake.read("examples", [key])
            log = lambda message, key=key: context.log.info(f"[{key}] {message}")  # noqa: E731
            output = scorer.score(examples, ScoringContext(key, lake, registry, log))
            written[key] = lake.write(scorer.table, output.scores, partition=key)
            for name, table in output.side_tables.items():
                lake.write(name, table, partition=key)
            rows[key] = output.scores.num_rows
            context.log.info(f"[{key}] {scorer.table}: {rows[key]:,} rows")
        yield dg.MaterializeResult(asset_key=scorer.table, metadata=_summary(scorer, lake, list(rows), rows))
        for name in scorer.side_tables:
            total = sum(lake.read(name, [k]).num_rows for k in rows)
            yield dg.MaterializeResult(asset_key=name, metadata={"dagster/row_count": total})

    return _score


def _summary(scorer: Scorer, lake, keys: list[str], rows: dict[str, int]) -> dict:
    """Row counts, and per score column its mean (numbers) or how many are true (flags)."""
    table = lake.read(scorer.table, keys)
    columns: dict[str, object] = {}
    for field in scorer.schema:
        column = table.column(field.name)
        if field.type == "bool":
            columns[field.name] = f"{pc.sum(column).as_py() or 0:,} true"
        elif field.type in ("int32", "int64", "float", "double"):
            mean = pc.mean(column).as_py()
            columns[field.name] = None if mean is None else round(mean, 4)
    metadata: dict[str, object] = {
        "dagster/row_count": sum(rows.values()),
        "scorer version": scorer.version,
        "columns": dg.MetadataValue.json(columns),
    }
    if len(rows) > 1:
        metadata["rows by partition"] = dg.MetadataValue.json(rows)
    return metadata


score_assets = [score_asset(scorer) for scorer in SCORERS.values()]
