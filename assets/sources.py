"""Stage 1, sources: the registry as a table, so every row can be joined to its license."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import PrefineryResource
from prefinery.registry_tables import license_table, source_table


@dg.asset(
    group_name="sources",
    kinds={"yaml", "parquet"},
    code_version="1",
    description="The source registry (kinds, roles, licenses and terms, citations) as lake tables.",
)
def source_registry(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    registry = prefinery.registry()
    lake = prefinery.lake()
    sources = lake.write("registry_sources", source_table(registry))
    licenses = lake.write("registry_licenses", license_table(registry))
    context.log.info(f"{sources.rows} sources and {licenses.rows} licenses from {prefinery.settings().registry_path}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sources.rows,
            "registry": dg.MetadataValue.path(str(prefinery.settings().registry_path)),
            "sources": dg.MetadataValue.md(
                "| source | kind | role | license | files |\n|---|---|---|---|---:|\n"
                + "\n".join(
                    f"| {s.id} | {s.kind} | {s.role} | {s.license.spdx} | {len(s.files)} |" for s in registry.sources
                )
            ),
        },
        data_version=dg.DataVersion(sources.sha256[:16] + licenses.sha256[:16]),
    )
