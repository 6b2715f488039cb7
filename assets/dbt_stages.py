"""The dbt project as assets, in two stages: normalize (staging, intermediate and marts:
parsed candidates to examples and quarantine) and scores (SQL heuristics and the
example_scores mart, which joins the Python score tables and so runs after them).

dbt runs against an in-memory DuckDB and writes each model as Parquet under its own
target folder. Only after dbt finishes are the models that built committed into the
lake, one atomic file per source partition; then their events are reported, with row
counts, to Dagster. A failed run commits nothing it did not build, and no two runs ever
share a DuckDB file. dbt tests become asset checks; those with severity error block
everything downstream.
"""

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt import DBT_PROJECT_DIR, dbt_project, ensure_manifest
from orchestration.partitions import source_partitions
from orchestration.resources import PrefineryResource
from prefinery.storage import Lake, WrittenPartition


class LayerTranslator(DagsterDbtTranslator):
    """Group dbt models by stage (scores/ is its own group) and tag them with their layer."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith("model."):
            layer = manifest["nodes"][unique_id]["fqn"][1]
            spec = spec.replace_attributes(group_name="scores" if layer == "scores" else "normalize").merge_attributes(
                kinds={"parquet"}, tags={"layer": layer}
            )
        return spec


def dbt_stage(name: str, select: str) -> dg.AssetsDefinition:
    @dbt_assets(
        name=name,
        manifest=ensure_manifest(),
        project=dbt_project,
        select=select,
        partitions_def=source_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=LayerTranslator(),
    )
    def _stage(context: dg.AssetExecutionContext, dbt: DbtCliResource, prefinery: PrefineryResource) -> Iterator[Any]:
        yield from _build(context, dbt, prefinery)

    return _stage


normalize = dbt_stage("normalize", select="path:models/staging path:models/intermediate path:models/marts")
score_models = dbt_stage("score_models", select="path:models/scores")


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, prefinery: PrefineryResource) -> Iterator[Any]:
    keys = list(context.partition_keys)
    lake = prefinery.lake()
    target = DBT_PROJECT_DIR / "target" / "runs" / f"{context.run.run_id[:8]}-{uuid.uuid4().hex[:8]}"
    (target / "external").mkdir(parents=True)
    context.log.info(f"dbt build for partitions {keys}, outputs staged in {target}")
    # dagster-dbt hands dbt a copy of this process's environment when it starts the
    # subprocess: set the run's partitions and lake for that moment only, so nothing leaks
    # into later runs of a long-lived process.
    with _environment(PREFINERY_PARTITIONS=",".join(keys), PREFINERY_LAKE=str(lake.root)):
        invocation = dbt.cli(["build"], context=context, target_path=target, raise_on_error=False)
    events = list(invocation.stream())
    committed = _commit(lake, target, keys, context)
    for event in events:
        if isinstance(event, dg.Output):
            model = str(event.metadata["unique_id"].value).rsplit(".", 1)[-1]
            if model in committed:
                extra = _reason_metadata(lake, keys) if model == "quarantine" else {}
                event = event.with_metadata({**event.metadata, **_row_metadata(committed[model]), **extra})
        yield event

    if not invocation.is_successful():
        raise dg.Failure(
            description=f"dbt build failed; staged outputs and logs kept in {target}",
            metadata={"failed nodes": _failures(target)},
        )
    shutil.rmtree(target, ignore_errors=True)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _commit(
    lake: Lake, target: Path, keys: list[str], context: dg.AssetExecutionContext
) -> dict[str, dict[str, WrittenPartition]]:
    """Move every model that built successfully from the staging folder into the lake."""
    committed = {}
    for result in _run_results(target):
        if not result["unique_id"].startswith("model.") or result["status"] != "success":
            continue
        model = result["unique_id"].rsplit(".", 1)[-1]
        staged = target / "external" / f"{model}.parquet"
        # Split by source: rows of other partitions, and the all-null placeholder row
        # dbt-duckdb writes for a model with no rows, belong to no partition of this run.
        committed[model] = lake.write_partitions(model, pq.read_table(staged), keys)
        context.log.info(f"committed {model}: " + ", ".join(f"{k}={w.rows:,}" for k, w in committed[model].items()))
    return committed


def _run_results(target: Path) -> list[dict[str, Any]]:
    path = target / "run_results.json"
    return json.loads(path.read_text())["results"] if path.is_file() else []


def _failures(target: Path) -> str:
    failed = [
        f"{r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:300]}"
        for r in _run_results(target)
        if r["status"] not in ("success", "pass")
    ]
    return "\n".join(failed) or "dbt exited with an error before running any node (see the step log)"


def _reason_metadata(lake: Lake, keys: list[str]) -> dict[str, Any]:
    """Quarantined rows by source and reason, as a table in the UI."""
    counts = (
        pq.ParquetDataset(lake.files("quarantine", keys))
        .read(columns=["source_id", "reason_code"])
        .to_pandas()
        .value_counts()
        .rename("rows")
        .reset_index()
    )
    lines = ["| partition | reason | rows |", "|---|---|---:|"] + [
        f"| {r.source_id} | {r.reason_code} | {r.rows:,} |"
        for r in counts.sort_values(["source_id", "rows"], ascending=[True, False]).itertuples()
    ]
    return {"quarantined by reason": dg.MetadataValue.md("\n".join(lines))}


def _row_metadata(partitions: dict[str, WrittenPartition]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"dagster/row_count": sum(w.rows for w in partitions.values())}
    if len(partitions) == 1:
        (only,) = partitions.values()
        metadata["path"] = dg.MetadataValue.path(str(only.path))
    else:
        metadata["rows by partition"] = dg.MetadataValue.json({k: w.rows for k, w in partitions.items()})
    return metadata
