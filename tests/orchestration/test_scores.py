"""Score tables on the real run: the SQL heuristics agree with plain Python, every example
has a row in example_scores, and a scorer's version bump makes only that scorer stale."""

from __future__ import annotations

import dataclasses
import json
import re

import dagster as dg
import pytest
from dagster._core.definitions.data_version import StaleStatus
from dagster._utils.test.data_versions import get_stale_status_resolver

from prefinery.scoring import SCORERS
from prefinery.settings import Settings
from prefinery.storage import Lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake() -> Lake:
    return Lake(Settings.from_env().lake_root)


def test_every_example_has_one_row_of_scores(refinery_run, lake, shipped_registry):
    for source in shipped_registry.source_ids:
        examples = lake.read("examples", [source], columns=["example_id"]).column("example_id").to_pylist()
        scores = lake.read("example_scores", [source]).to_pylist()
        assert sorted(r["example_id"] for r in scores) == sorted(examples), source
    columns = lake.read("example_scores", ["hh_rlhf"]).column_names
    assert {"heur_prompt_chars", "heur_refusal", "pii_any", "kind", "role"} <= set(columns)


def test_sql_heuristics_agree_with_plain_python(refinery_run, lake):
    examples = {
        r["example_id"]: r for r in lake.read("examples", ["hh_rlhf", "gsm8k_train", "prometheus_eval"]).to_pylist()
    }
    scores = lake.read("scores_heuristics", ["hh_rlhf", "gsm8k_train", "prometheus_eval"]).to_pylist()
    for row in scores[::25]:
        example = examples[row["example_id"]]
        response = example["chosen"] if example["kind"] == "preference" else example["response"]
        words = response.strip().lower().split()
        trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
        visible = re.sub(r"\s", "", response)
        assert row["heur_prompt_chars"] == len(example["prompt"])
        assert row["heur_response_chars"] == len(response)
        assert row["heur_turns"] == len(json.loads(example["messages"])) + 1
        if trigrams:
            assert row["heur_distinct_trigram_ratio"] == pytest.approx(len(set(trigrams)) / len(trigrams))
        if visible:
            non_alpha = sum(not c.isalpha() for c in visible)
            assert row["heur_non_alpha_fraction"] == pytest.approx(non_alpha / len(visible), abs=0.02)


def test_refusals_are_found_where_harmlessness_data_has_them(refinery_run, lake):
    hh = lake.read("scores_heuristics", ["hh_rlhf"]).to_pylist()
    gsm = lake.read("scores_heuristics", ["gsm8k_train"]).to_pylist()
    chosen = sum(r["heur_refusal"] for r in hh) / len(hh)
    rejected = sum(r["heur_rejected_refusal"] for r in hh) / len(hh)
    # Measured 2026-11-23: 9.0% of the harmless set's preferred answers decline, 4.0% of the
    # rejected ones; math solutions never do.
    assert chosen > 0.07 and chosen > 2 * rejected
    assert not any(r["heur_refusal"] for r in gsm)


def test_a_scorer_version_bump_makes_only_that_scorer_stale_and_the_backfill_recomputes_only_it(refinery_run):
    from assets.scores import score_asset
    from orchestration.definitions import defs

    bumped = score_asset(dataclasses.replace(SCORERS["pii"], version=SCORERS["pii"].version + "-bumped"))
    assets = [a for a in defs.assets if dg.AssetKey("scores_pii") not in getattr(a, "keys", ())] + [bumped]
    partitions = defs.resolve_asset_graph().get(dg.AssetKey("scores_pii")).partitions_def.get_partition_keys()

    def stale(instance) -> set[str]:
        resolver = get_stale_status_resolver(instance, assets)
        keys = [k for a in assets if isinstance(a, dg.AssetsDefinition) for k in a.keys]
        return {
            key.to_user_string()
            for key in keys
            for partition in (partitions if resolver.asset_graph.get(key).is_partitioned else [None])
            if resolver.get_status(key, partition) == StaleStatus.STALE
        }

    with dg.DagsterInstance.get() as instance:
        assert stale(instance) == {"scores_pii"}
        backfill = dg.define_asset_job("backfill_pii", selection=dg.AssetSelection.assets("scores_pii"))
        job = dg.Definitions(assets=assets, jobs=[backfill], resources=defs.resources).resolve_job_def("backfill_pii")
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": partitions[0],
                "dagster/asset_partition_range_end": partitions[-1],
            },
        )
        materialized = {
            e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
        }
        assert materialized == {"scores_pii"}
        assert "scores_pii" not in stale(instance)
