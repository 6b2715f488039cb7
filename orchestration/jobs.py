"""Jobs. ``refinery`` is the default graph the README's demo materializes."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import source_partitions

refinery_job = dg.define_asset_job(
    "refinery",
    selection=dg.AssetSelection.all(),
    partitions_def=source_partitions,
    description="Every asset: registry, ingest, normalize, checks and the warehouse.",
)
