"""Blocking quality gates on a real Dagster materialization: a partition whose examples
break the rules fails its checks with ERROR, and the assets downstream do not run."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa
import pytest

from prefinery.settings import Settings
from prefinery.storage import Lake

pytestmark = pytest.mark.slow
BROKEN = "self_instruct_seed"


@pytest.fixture
def broken_partition(refinery_run):
    """Corrupt one committed examples partition (as a faulty upstream change would), then restore it."""
    lake = Lake(Settings.from_env().lake_root)
    path = lake.partition_file("examples", BROKEN)
    original = path.read_bytes()
    good = lake.read("examples", [BROKEN])
    responses = good.column("response").to_pylist()
    licenses = good.column("license").to_pylist()
    responses[0], licenses[1] = "   ", "Proprietary-1.0"
    broken = good.set_column(good.schema.get_field_index("response"), "response", pa.array(responses))
    broken = broken.set_column(broken.schema.get_field_index("license"), "license", pa.array(licenses))
    lake.write("examples", pa.concat_tables([broken, good.slice(2, 1)]), BROKEN)  # plus a duplicated row
    yield good
    path.write_bytes(original)


def _gate_job() -> dg.JobDefinition:
    """The refinery job cut down to the examples' blocking checks and an asset downstream."""
    from orchestration.definitions import defs

    return defs.resolve_job_def("refinery").get_subset(
        asset_selection={dg.AssetKey("warehouse")},
        asset_check_selection={
            dg.AssetCheckKey(dg.AssetKey("examples"), "examples_expectations"),
            dg.AssetCheckKey(dg.AssetKey("examples"), "conservation"),
        },
    )


def _check(result, name):
    (evaluation,) = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == name
    ]
    return evaluation


def test_a_broken_partition_fails_its_blocking_checks_and_stops_downstream(broken_partition):
    with dg.DagsterInstance.get() as instance:
        result = _gate_job().execute_in_process(instance=instance, partition_key=BROKEN, raise_on_error=False)
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    expectations = _check(result, "examples_expectations")
    assert not expectations.passed and expectations.severity is dg.AssetCheckSeverity.ERROR
    failures = {f["expectation"]: f for f in expectations.metadata["failures"].value}
    good_ids = broken_partition.column("example_id").to_pylist()
    assert failures["expect_column_values_to_be_in_set(responses_blank)"]["failing_ids"] == [good_ids[0]]
    assert failures["expect_column_values_to_be_unique(example_id)"]["failing_ids"] == [good_ids[2], good_ids[2]]
    assert failures["expect_column_values_to_be_in_set(license)"]["failing_ids"] == [good_ids[1]]
    assert not _check(result, "conservation").passed
    materialized = [e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert dg.AssetKey("warehouse") not in materialized
    assert not any(e.event_type_value == "STEP_START" and e.step_key == "warehouse" for e in result.all_events)
    assert any(m.startswith("Dependencies for step warehouse failed") and "Not executing" in m for m in logs)


def test_the_same_gate_lets_a_healthy_partition_through(refinery_run):
    with dg.DagsterInstance.get() as instance:
        result = _gate_job().execute_in_process(instance=instance, partition_key="gsm8k_train", raise_on_error=False)
    assert result.success
    assert _check(result, "examples_expectations").passed and _check(result, "conservation").passed
    assert dg.AssetKey("warehouse") in [
        e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
