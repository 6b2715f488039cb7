"""Two runs at once on the multiprocess executor, while a user holds the warehouse open
read-write: none of them may fail on DuckDB's single-writer lock."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from prefinery.conservation import ledger
from prefinery.settings import Settings
from prefinery.storage import Lake

pytestmark = pytest.mark.slow
# Every stage that reads or writes DuckDB; scores and training add minutes, not contention.
STAGES = "group:sources or group:ingest or group:normalize or key:warehouse"


def test_two_concurrent_multiprocess_runs_and_an_open_warehouse(tmp_path):
    env = {
        **os.environ,
        "PREFINERY_HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "PYTHONUNBUFFERED": "1",
    }
    settings = Settings.from_env(env)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    user_session = duckdb.connect(str(settings.warehouse_path))  # read-write, as the DuckDB CLI opens it
    user_session.execute("create table notes as select 1 as x")

    runs = {
        source: subprocess.Popen(
            [sys.executable, "-m", "prefinery.cli", "run", source, "--executor", "multiprocess", "--select", STAGES],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for source in ("hh_rlhf", "pandalm")
    }
    outputs = {source: proc.communicate(timeout=900)[0] for source, proc in runs.items()}
    user_session.close()

    for source, proc in runs.items():
        assert proc.returncode == 0, outputs[source][-4000:]
        assert "Conflicting lock" not in outputs[source] and "Could not set lock" not in outputs[source]
        assert "RUN_SUCCESS" in outputs[source] or "succeeded" in outputs[source]
        assert ledger(Lake(settings.lake_root), source).balanced
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(distinct source_id) from examples").fetchone()[0] == 2
