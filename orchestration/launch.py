"""Launching the refinery job from the command line (``prefinery demo``, ``prefinery run``).

A run covers a contiguous range of source partitions (the assets' single-run backfill
policy makes that one run); other selections become one run per source. Runs are
recorded in the project's SQLite instance, so the UI shows them.

The demo picks Dagster's in-process executor: the graph is a chain, so on two cores
separate step processes buy no parallelism and cost about 5 s of imports each. ``run``
and runs launched from the UI keep the default multiprocess executor.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

import dagster as dg

from models.tracking import UI_URL, default_tracking_uri
from prefinery.settings import PROJECT_ROOT, Settings
from prefinery.storage import Lake

DAGSTER_YAML = """\
# Written by Prefinery on first use; edit freely.
telemetry:
  enabled: false
nux:
  enabled: false
"""
EXECUTORS = ("in_process", "multiprocess")


def dagster_home() -> Path:
    """DAGSTER_HOME (default: the project's state folder) with a dagster.yaml and its SQLite
    storage created. Creation is serialized: two processes initializing a fresh SQLite
    instance at once stamp its schema twice and break it (dagster-io/dagster#27390)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Settings.from_env().state_dir / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".prefinery-init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config = home / "dagster.yaml"
        if not config.exists():
            config.write_text(DAGSTER_YAML)
        with dg.DagsterInstance.get():
            pass
    return home


def refinery_job() -> dg.JobDefinition:
    from orchestration.definitions import defs

    return defs.resolve_job_def("refinery")


def materialize(
    sources: list[str] | None = None,
    executor: str = "multiprocess",
    log_level: str = "DEBUG",
    selection: str | None = None,
) -> list[dg.ExecuteJobResult]:
    """Run the refinery job over ``sources`` (default: all), one run per contiguous range;
    ``selection`` (Dagster's selection syntax) narrows it to some assets and their checks."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    dagster_home()
    assets = _selected_assets(selection) if selection else None
    from orchestration.partitions import source_partitions

    keys = source_partitions.get_partition_keys()
    unknown = sorted(set(sources or []) - set(keys))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; registered: {keys}")
    results = []
    with dg.DagsterInstance.get() as instance:
        for first, last in _ranges(keys, sources or keys):
            results.append(
                dg.execute_job(
                    dg.reconstructable(refinery_job),
                    instance=instance,
                    run_config={
                        "execution": {"config": {executor: {}}},
                        "loggers": {"console": {"config": {"log_level": log_level}}},
                    },
                    tags={
                        "dagster/asset_partition_range_start": first,
                        "dagster/asset_partition_range_end": last,
                    },
                    raise_on_error=False,
                    asset_selection=assets,
                )
            )
    return results


def _selected_assets(selection: str) -> list[dg.AssetKey]:
    from orchestration.definitions import defs

    try:
        keys = dg.AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph())
    except Exception as error:  # the parser's own errors say little about where
        raise ValueError(f"cannot read the asset selection {selection!r}: {error}") from error
    if not keys:
        raise ValueError(f"the asset selection {selection!r} matches no asset")
    return sorted(keys)


def _ranges(keys: list[str], wanted: list[str]) -> list[tuple[str, str]]:
    """Group the wanted keys into runs of consecutive partition keys."""
    positions = sorted(keys.index(k) for k in set(wanted))
    ranges: list[list[int]] = []
    for p in positions:
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    return [(keys[a], keys[b]) for a, b in ranges]


def run_demo() -> int:
    home = dagster_home()
    print(f"Materializing every asset for every registered source (Dagster instance: {home})")
    started = time.monotonic()
    (result,) = materialize(executor="in_process", log_level="INFO")
    print(summary([result], time.monotonic() - started))
    return 0 if result.success else 1


def summary(results: list[dg.ExecuteJobResult], elapsed: float) -> str:
    settings = Settings.from_env()
    lines = [""]
    for result in results:
        lines.append(f"Run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
        failed = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
        ]
        lines += [
            f"  {'failed' if c.severity == dg.AssetCheckSeverity.ERROR else 'warning from'} check "
            f"{c.asset_key.to_user_string()}: {c.check_name}"
            for c in failed
        ]
    lines.append(f"Finished in {elapsed:.0f} s.")
    lake = Lake(settings.lake_root)
    if lake.partitions("examples"):
        con = lake.connect()
        counts = con.sql(f"select source_id, count(*) from {lake.scan('examples')} group by 1 order by 1").fetchall()
        quarantined = dict(con.sql(f"select source_id, count(*) from {lake.scan('quarantine')} group by 1").fetchall())
        licenses = dict(
            con.sql(f"select source_id, count(*) from {lake.scan('license_records')} group by 1").fetchall()
        )
        con.close()
        counts += [(s, 0) for s in sorted(licenses) if s not in dict(counts)]
        lines.append(f"\n  {'source':<30} {'examples':>9}  {'license records':>15}  {'quarantined':>11}")
        lines += [
            f"  {s:<30} {n:>9,}  {licenses.get(s, 0):>15,}  {quarantined.get(s, 0):>11,}" for s, n in sorted(counts)
        ]
    if lake.exists("reward_model_evaluation"):
        from models.evaluation import comparisons

        lines.append(f"\n  {'held-out split':<30} {'reward model':>12}  {'longer wins':>11}  {'bag of words':>12}")
        lines += [
            f"  {c.split:<30} {c.model:>12.3f}  {c.length:>11.3f}  {c.bag_of_words:>12.3f}"
            for c in comparisons(lake.read("reward_model_evaluation"))
        ]
    lines += [
        "",
        f"Outputs      {settings.lake_root}  (Parquet: one folder per asset, one file per source)",
        f"SQL          duckdb -readonly {settings.warehouse_path}",
        f"UI           make ui, then http://127.0.0.1:3000  (instance: {os.environ['DAGSTER_HOME']})",
        f"MLflow       make mlflow, then {UI_URL}  (store: {default_tracking_uri(settings)})",
        f"Project      {PROJECT_ROOT}",
    ]
    return "\n".join(lines)
