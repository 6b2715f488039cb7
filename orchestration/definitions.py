"""The code location: every asset, check, resource and job of Prefinery."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from assets import dbt_stages, ingest, quality, scores, sources, training, warehouse
from orchestration.dbt import DBT_EXECUTABLE, dbt_project
from orchestration.jobs import refinery_job
from orchestration.resources import MlflowResource, PrefineryResource

defs = dg.Definitions(
    assets=[*dg.load_assets_from_modules([sources, ingest, dbt_stages, warehouse, training]), *scores.score_assets],
    asset_checks=dg.load_asset_checks_from_modules([quality, training]),
    jobs=[refinery_job],
    resources={
        "prefinery": PrefineryResource(),
        "mlflow": MlflowResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)
