"""Serving: a DuckDB file of views over the lake, for SQL from any client."""

import dagster as dg

from orchestration.resources import PrefineryResource
from prefinery.warehouse import build_warehouse


@dg.asset(
    group_name="serve",
    deps=["examples", "quarantine", "license_records", "example_scores"],
    kinds={"duckdb"},
    code_version="1",
    description="Views over every lake table in one DuckDB file; open it with `duckdb -readonly`.",
)
def warehouse(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    settings = prefinery.settings()
    built = build_warehouse(prefinery.lake(), settings.warehouse_path)
    context.log.info(
        f"{len(built.views)} views in {built.path} ({'rebuilt' if built.rebuilt else 'already up to date'})"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(built.path)),
            "views": dg.MetadataValue.json(sorted(built.views)),
            "rebuilt": built.rebuilt,
            "query with": f"duckdb -readonly {built.path}",
        }
    )
