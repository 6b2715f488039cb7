"""Train and evaluate a tiny reward model on the real shipped pairs, through Dagster and
MLflow, and check what the run leaves behind: lake tables, the MLflow run with its
lineage, the registered model version."""

from __future__ import annotations

from collections import defaultdict

import dagster as dg
import pyarrow.compute as pc
import pytest
from mlflow import MlflowClient

from assets.training import beats_length_baseline, dataset_default, reward_model, reward_model_evaluation
from models.config import EvaluationConfig, TrainingConfig
from models.data import DEFAULT_DATASET, TRAIN
from models.runs import Lineage, evaluate_reward_model, train_reward_model
from models.tracking import REGISTERED_MODEL, Tracking
from orchestration.resources import MlflowResource, PrefineryResource
from prefinery.storage import Lake
from tests.models.conftest import PREFERENCE_SOURCES

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow")]
SOURCES = (*PREFERENCE_SOURCES, "alpaca_eval")
TINY = {"max_train_pairs": 128, "max_length": 64, "epochs": 20, "learning_rate": 0.01}


@pytest.fixture(scope="module")
def home(tmp_path_factory, shipped_examples):
    """A state folder whose lake holds the shipped preference sources' examples."""
    home = tmp_path_factory.mktemp("reward-models")
    Lake(home / "lake").write_partitions("examples", shipped_examples(SOURCES), SOURCES)
    return home


@pytest.fixture(scope="module")
def uri(home) -> str:
    return f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"


@pytest.fixture(scope="module")
def materialized(home, uri):
    return dg.materialize(
        [dg.AssetSpec("examples"), dataset_default, reward_model, reward_model_evaluation, beats_length_baseline],
        selection=["dataset_default", "reward_model", "reward_model_evaluation"],
        resources={"prefinery": PrefineryResource(home=str(home)), "mlflow": MlflowResource(tracking_uri=uri)},
        run_config={
            "ops": {
                "reward_model": {"config": TINY},
                "reward_model_evaluation": {"config": {"max_pairs_per_split": 24}},
            }
        },
    )


def _materialization(result: dg.ExecuteInProcessResult, asset: str) -> dg.AssetMaterialization:
    (event,) = [m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == asset]
    return event.materialization


def test_the_model_learns_its_training_pairs(materialized):
    assert materialized.success
    metadata = _materialization(materialized, "reward_model").metadata
    assert metadata["train_pairs"].value == 128
    assert metadata["last_epoch_loss"].value < metadata["first_epoch_loss"].value
    assert metadata["train_accuracy"].value >= 0.65  # chance is 0.5
    assert metadata["mlflow_run"].value.startswith("http://127.0.0.1:5000/#/experiments/")


def test_the_mlflow_run_carries_params_metrics_artifacts_and_lineage(materialized, uri):
    version = _materialization(materialized, "dataset_default").tags["dagster/data_version"]
    run_id = _materialization(materialized, "reward_model").metadata["mlflow_run_id"].value
    client = MlflowClient(uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["prefinery.dataset_version"] == version
    assert tags["dagster.run_id"] == materialized.run_id and tags["dagster.asset_key"] == "reward_model"
    assert tags["git.commit"] and tags["system.device"] == "cpu" and tags["system.torch"]
    assert run.data.params["max_train_pairs"] == "128" and run.data.params["mode"] == "head_only"
    losses = [m.value for m in sorted(client.get_metric_history(run_id, "train/loss"), key=lambda m: m.step)]
    assert len(losses) == 20 * 2 and sum(losses[-4:]) < sum(losses[:4])
    for name in ("accuracy", "mean_margin", "learning_rate", "pairs_per_s"):
        assert client.get_metric_history(run_id, f"train/{name}")
    artifacts = {a.path for a in client.list_artifacts(run_id, "reward_model")}
    assert {
        f"reward_model/{name}"
        for name in ("model.safetensors", "head.safetensors", "config.json", "tokenizer.json", "reward_model.json")
    } <= artifacts
    assert not any(path.endswith((".bin", ".pt", ".pkl")) for path in artifacts)
    assert run.inputs.dataset_inputs[0].dataset.digest == version


def test_the_registered_version_points_back_to_its_dataset_version(materialized, uri):
    version = _materialization(materialized, "dataset_default").tags["dagster/data_version"]
    run_id = _materialization(materialized, "reward_model").metadata["mlflow_run_id"].value
    client = MlflowClient(uri, registry_uri=uri)
    (registered,) = client.search_model_versions(f"name='{REGISTERED_MODEL}' and run_id='{run_id}'")
    assert registered.tags["dataset_version"] == version and registered.tags["dataset"] == DEFAULT_DATASET
    assert registered.tags["dagster.run_id"] == materialized.run_id
    assert client.get_model_version_by_alias(REGISTERED_MODEL, "dataset-default").version == registered.version


def test_evaluation_reports_every_split_next_to_both_baselines(materialized, home, uri):
    report = Lake(home / "lake").read("reward_model_evaluation")
    splits = {"finegrained_rlhf_qa", "hh_rlhf_harmless", "pandalm_human", "prometheus_eval"}
    assert set(report.column("split").to_pylist()) == splits
    assert report.num_rows == len(splits) * 3 * 3  # scorers x slices
    every = report.filter(pc.equal(report.column("slice"), "all"))
    assert set(every.column("pairs").to_pylist()) == {24}
    run_id = _materialization(materialized, "reward_model").metadata["mlflow_run_id"].value
    metrics = MlflowClient(uri).get_run(run_id).data.metrics
    assert all(
        f"eval/{s}/{scorer}/accuracy" in metrics
        for s in splits
        for scorer in ("reward_model", "length_baseline", "bag_of_words_baseline")
    )
    (check,) = materialized.get_asset_check_evaluations()
    assert check.check_name == "beats_length_baseline" and check.severity == dg.AssetCheckSeverity.WARN


def test_no_shipped_prompt_is_both_trained_on_and_evaluated(materialized, home):
    dataset = Lake(home / "lake").read(DEFAULT_DATASET)
    splits_by_group = defaultdict(set)
    for row in dataset.select(["split", "prompt_group", "source_id"]).to_pylist():
        splits_by_group[row["prompt_group"]].add(row["split"])
    assert not [g for g, s in splits_by_group.items() if TRAIN in s and s - {TRAIN, "excluded"}]
    # AlpacaEval shares PandaLM's prompts: those held out for PandaLM leave AlpacaEval's training too
    excluded_alpaca = dataset.filter(
        pc.and_(pc.equal(dataset.column("source_id"), "alpaca_eval"), pc.equal(dataset.column("split"), "excluded"))
    )
    assert excluded_alpaca.num_rows > 0


def test_full_fine_tuning_a_local_backbone_end_to_end(materialized, home, uri, tiny_backbone):
    lake, tracking = Lake(home / "lake"), Tracking(uri)
    config = TrainingConfig(
        backbone=str(tiny_backbone),
        mode="full",
        max_train_pairs=64,
        max_length=64,
        epochs=6,
        batch_size=16,
        grad_accum_steps=2,
        learning_rate=1e-2,
        backbone_learning_rate=1e-3,
        precision="bf16",
    )
    trained = train_reward_model(lake, DEFAULT_DATASET, config, tracking, Lineage("test-run", "reward_model"))
    assert trained["last_epoch_loss"] < trained["first_epoch_loss"] and trained["train_accuracy"] > 0.5
    report = evaluate_reward_model(lake, trained, EvaluationConfig(max_pairs_per_split=8), tracking)
    assert set(report.column("mlflow_run_id").to_pylist()) == {trained["mlflow_run_id"]}
