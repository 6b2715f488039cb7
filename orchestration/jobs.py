"""Jobs. ``refinery`` is the default graph the README's demo materializes."""

from __future__ import annotations

import dagster as dg

refinery_job = dg.define_asset_job(
    "refinery",
    selection=dg.AssetSelection.all(),
    description="Every asset: registry, ingest, normalize, checks and the warehouse.",
)
