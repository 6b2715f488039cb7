"""Stage 1, sources: the registry as lake tables, so every row can be joined to its
license, role and citation."""

import dagster as dg

from orchestration.resources import PrefineryResource
from prefinery.registry_tables import license_table, source_table

SOURCES = dict(group_name="sources", kinds={"yaml", "parquet"}, code_version="1")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "registry_sources",
            description="One row per registered source: kind, role, license and terms, citation.",
            **SOURCES,
        ),
        dg.AssetSpec("registry_licenses", description="The licenses the registry declares, by SPDX id.", **SOURCES),
    ]
)
def source_registry(context: dg.AssetExecutionContext, prefinery: PrefineryResource):
    registry, lake = prefinery.registry(), prefinery.lake()
    path = prefinery.settings().registry_path
    sources = lake.write("registry_sources", source_table(registry))
    licenses = lake.write("registry_licenses", license_table(registry))
    context.log.info(f"{sources.rows} sources and {licenses.rows} licenses from {path}")
    yield dg.MaterializeResult(
        asset_key="registry_sources",
        metadata={
            "dagster/row_count": sources.rows,
            "registry": dg.MetadataValue.path(str(path)),
            "sources": dg.MetadataValue.md(
                "| source | kind | role | license | files |\n|---|---|---|---|---:|\n"
                + "\n".join(
                    f"| {s.id} | {s.kind} | {s.role} | {s.license.spdx} | {len(s.files)} |" for s in registry.sources
                )
            ),
        },
        data_version=dg.DataVersion(sources.sha256),
    )
    yield dg.MaterializeResult(
        asset_key="registry_licenses",
        metadata={"dagster/row_count": licenses.rows},
        data_version=dg.DataVersion(licenses.sha256),
    )
