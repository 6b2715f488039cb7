"""Serving: a DuckDB file of views over the lake, for SQL from any client."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import PrefineryResource
from prefinery.warehouse import build_warehouse


@dg.asset(
    group_name="serve",
    deps=["examples", "quarantine", "license_records"],
    kinds={"duckdb"},
    code_version="1",
    description="Views over every lake table in one DuckDB file; open it with `duckdb -readonly`.",
)
def warehouse(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    settings = prefinery.settings()
    views = build_warehouse(prefinery.lake(), settings.warehouse_path)
    context.log.info(f"{len(views)} views in {settings.warehouse_path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse_path)),
            "views": dg.MetadataValue.json(views),
            "query with": f"duckdb -readonly {settings.warehouse_path}",
        }
    )
