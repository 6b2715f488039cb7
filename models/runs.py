"""The runs the assets call: train a reward model on a dataset version, evaluate it.

Each is a plain function over a ``Lake`` and a ``Tracking`` (MLflow), so it runs the
same from Dagster, a test or a notebook. Everything MLflow records about a model points
back to its data: the run's tags and input name the dataset version, and so do the
registered model version's tags and the saved model's ``reward_model.json``.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow.artifacts
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch
from scipy.special import expit

from models.backbone import Backbone, Encoded, embed, encode_pairs, fingerprint, load_backbone, render_prompt
from models.baselines import BagOfWords, chosen_is_longer, length_baseline
from models.config import EvaluationConfig, TrainingConfig
from models.data import TRAIN, dataset_version, eval_splits, evaluation_pairs, training_pairs
from models.device import autocast_dtype, describe, resolve_device
from models.evaluation import BAG_OF_WORDS, LENGTH, REWARD_MODEL, report_rows, report_table
from models.features import cached_features
from models.reward_model import HeadSpec, RewardModel, load_reward_model
from models.safety import validate_run_id
from models.tracking import Tracking, lineage_tags
from models.training import (
    PairBatch,
    StepMetrics,
    feature_batches,
    score_features,
    seed_everything,
    token_batches,
    train,
)
from prefinery.storage import Lake

MODEL_ARTIFACT = "reward_model"
Log = Callable[[str], None]


@dataclass(frozen=True)
class Lineage:
    """Where a run was launched from, recorded as MLflow tags."""

    dagster_run_id: str
    asset_key: str


def train_reward_model(
    lake: Lake,
    dataset_name: str,
    config: TrainingConfig,
    tracking: Tracking,
    lineage: Lineage,
    log: Log = lambda _: None,
) -> dict[str, Any]:
    """Train on the dataset's train split, log everything to MLflow, register the model.

    Returns the row the ``reward_model`` lake table keeps for it."""
    dataset = lake.read(dataset_name)
    version = dataset_version(dataset)
    pairs = training_pairs(dataset, config)
    if pairs.num_rows == 0:
        raise ValueError(f"{dataset_name} has no training pairs")
    device = resolve_device(config.device)
    dtype = autocast_dtype(device, config.precision)
    generator = seed_everything(config.seed)
    started = time.perf_counter()
    backbone = load_backbone(config.backbone)
    model = RewardModel(
        backbone, HeadSpec(backbone.hidden_size, config.head_hidden, config.dropout, config.pooling, config.max_length)
    )
    timings = {"load_backbone_s": time.perf_counter() - started}
    targets = torch.tensor([0.5 if tie else 1.0 for tie in pairs.column("is_tie").to_pylist()])

    experiment_id, run_id = tracking.start_run(
        name=f"{dataset_name}-{version[:8]}",
        tags={
            "prefinery.dataset": dataset_name,
            "prefinery.dataset_version": version,
            "dagster.run_id": lineage.dagster_run_id,
            "dagster.asset_key": lineage.asset_key,
            **lineage_tags(),
            **{f"system.{k}": v for k, v in describe(device).items()},
        },
    )
    log(f"MLflow run {run_id}: {pairs.num_rows:,} training pairs on {device}")
    try:
        counts = pairs.group_by("source_id").aggregate([("source_id", "count")]).to_pylist()
        tracking.log_params(
            run_id,
            {
                **config.as_params(),
                "dataset": dataset_name,
                "train_pairs": str(pairs.num_rows),
                "train_ties": str(int((targets < 1).sum())),
                **{f"train_pairs.{c['source_id']}": str(c["source_id_count"]) for c in counts},
                "autocast_dtype": str(dtype),
            },
        )
        tracking.log_dataset(run_id, dataset_name, version, str(lake.partition_file(dataset_name)), TRAIN)
        steps: list[StepMetrics] = []

        def on_step(metrics: StepMetrics) -> None:
            steps.append(metrics)
            if metrics.step % 100 == 0:
                log(f"step {metrics.step}: loss {metrics.loss:.4f}, accuracy {metrics.accuracy:.3f}")

        started = time.perf_counter()
        batches, inputs = _training_inputs(lake, backbone, pairs, targets, config, device, dtype, generator, log)
        timings["embed_s" if config.mode == "head_only" else "tokenize_s"] = time.perf_counter() - started
        summary = train(model, batches, math.ceil(pairs.num_rows / config.batch_size), config, device, dtype, on_step)
        timings["train_s"] = summary.seconds
        margins = _train_margins(model, backbone, inputs, config, device, dtype)
        train_accuracy = float((margins[targets.numpy() == 1.0] > 0).mean())
        headline = {
            "train/final_accuracy": train_accuracy,
            "train/first_epoch_loss": summary.first_loss,
            "train/last_epoch_loss": summary.last_loss,
            "train/overall_pairs_per_s": summary.pairs_per_s,
            **{f"time/{k}": v for k, v in timings.items()},
        }
        tracking.log_metrics(run_id, [*_step_rows(steps), *((k, v, summary.steps) for k, v in headline.items())])
        model_uri, model_version = _save_and_register(
            model, backbone, tracking, run_id, dataset_name, version, config, lineage
        )
        tracking.end_run(run_id)
    except BaseException:
        tracking.end_run(run_id, "FAILED")
        raise
    log(f"registered {tracking.registered_model} version {model_version}; train accuracy {train_accuracy:.3f}")
    return {
        "mlflow_run_id": run_id,
        "experiment_id": experiment_id,
        "run_url": tracking.run_url(experiment_id, run_id),
        "model_uri": model_uri,
        "registered_model": tracking.registered_model,
        "model_version": model_version,
        "dataset": dataset_name,
        "dataset_version": version,
        "backbone": config.backbone,
        "backbone_fingerprint": backbone.fingerprint,
        "mode": config.mode,
        "config": json.dumps(asdict(config), sort_keys=True),
        "train_pairs": pairs.num_rows,
        "train_accuracy": train_accuracy,
        "first_epoch_loss": summary.first_loss,
        "last_epoch_loss": summary.last_loss,
        "pairs_per_s": summary.pairs_per_s,
        **{k.removesuffix("_s") + "_seconds": v for k, v in timings.items()},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _training_inputs(
    lake: Lake,
    backbone: Backbone,
    pairs: pa.Table,
    targets: torch.Tensor,
    config: TrainingConfig,
    device: torch.device,
    dtype: torch.dtype | None,
    generator: torch.Generator,
    log: Log,
) -> tuple[Callable[[], Iterator[PairBatch]], dict[str, np.ndarray | Encoded]]:
    """Per side (chosen, rejected): cached features for head-only, token ids for a full
    fine-tune; and a function giving one epoch of batches over them."""
    prompts = [render_prompt(m) for m in pairs.column("messages").to_pylist()]
    texts = {side: pairs.column(side).to_pylist() for side in ("chosen", "rejected")}
    if config.mode == "head_only":
        features = {
            side: cached_features(
                lake,
                backbone,
                prompts,
                responses,
                max_length=config.max_length,
                pooling=config.pooling,
                batch_size=config.embed_batch_size,
                device=device,
                dtype=dtype,
                log=log,
            )[0]
            for side, responses in texts.items()
        }
        chosen, rejected = torch.from_numpy(features["chosen"]), torch.from_numpy(features["rejected"])
        return lambda: feature_batches(chosen, rejected, targets, config.batch_size, generator), features
    encoded = {
        side: encode_pairs(backbone.tokenizer, prompts, responses, config.max_length)
        for side, responses in texts.items()
    }
    pad = backbone.tokenizer.pad_token_id
    return (
        lambda: token_batches(encoded["chosen"], encoded["rejected"], targets, config.batch_size, pad, generator),
        encoded,
    )


def _train_margins(
    model: RewardModel,
    backbone: Backbone,
    inputs: dict[str, np.ndarray | Encoded],
    config: TrainingConfig,
    device: torch.device,
    dtype: torch.dtype | None,
) -> np.ndarray:
    """r(chosen) - r(rejected) on the training pairs, with the trained model in eval mode."""
    if config.mode == "full":  # the weights changed, and with them the features they give
        backbone.fingerprint = fingerprint(backbone.model, backbone.tokenizer)
        inputs = {
            side: embed(
                backbone, tokens, pooling=config.pooling, batch_size=config.embed_batch_size, device=device, dtype=dtype
            )
            for side, tokens in inputs.items()
        }
    return score_features(model, inputs["chosen"], device) - score_features(model, inputs["rejected"], device)


def _save_and_register(
    model: RewardModel,
    backbone: Backbone,
    tracking: Tracking,
    run_id: str,
    dataset_name: str,
    version: str,
    config: TrainingConfig,
    lineage: Lineage,
) -> tuple[str, str]:
    """Log the model (safetensors, tokenizer, config) as the run's artifacts and register
    it; returns (artifact URI, registered version)."""
    with tempfile.TemporaryDirectory() as tmp:
        metadata = {
            "dataset": dataset_name,
            "dataset_version": version,
            "mlflow_run_id": run_id,
            "backbone_fingerprint": backbone.fingerprint,
        }
        model.save(Path(tmp) / MODEL_ARTIFACT, metadata)
        model_uri = tracking.log_artifacts(run_id, Path(tmp) / MODEL_ARTIFACT, MODEL_ARTIFACT)
    model_version = tracking.register(
        run_id,
        model_uri,
        tags={
            "dataset": dataset_name,
            "dataset_version": version,
            "mode": config.mode,
            "backbone": config.backbone,
            "dagster.run_id": lineage.dagster_run_id,
        },
        alias=dataset_name.replace("_", "-"),
    )
    return model_uri, model_version


def evaluate_reward_model(
    lake: Lake,
    trained: Mapping[str, Any],
    config: EvaluationConfig,
    tracking: Tracking,
    log: Log = lambda _: None,
) -> pa.Table:
    """Score every eval split with the model and both baselines; log the report to the
    model's MLflow run. Fails if the dataset changed since the model was trained."""
    run_id = validate_run_id(trained["mlflow_run_id"])
    dataset = lake.read(trained["dataset"])
    if (current := dataset_version(dataset)) != trained["dataset_version"]:
        raise ValueError(
            f"{trained['dataset']} is now version {current}, but the model was trained on "
            f"{trained['dataset_version']}: materialize reward_model again first"
        )
    train_config = TrainingConfig(**json.loads(trained["config"]))
    started = time.perf_counter()
    decided = training_pairs(dataset, train_config)
    decided = decided.filter(pc.invert(decided.column("is_tie")))
    bag_of_words = BagOfWords(seed=train_config.seed).fit(
        decided.column("chosen").to_pylist(), decided.column("rejected").to_pylist()
    )
    timings = {"bag_of_words_fit_s": time.perf_counter() - started}

    device = resolve_device(config.device)
    dtype = autocast_dtype(device, train_config.precision)  # the precision the head's features had
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=MODEL_ARTIFACT, dst_path=tmp, tracking_uri=tracking.tracking_uri
        )
        model, backbone = load_reward_model(Path(local), allowed_roots=[Path(tmp)])
    rows, embedded, started = [], 0, time.perf_counter()
    for split in eval_splits(dataset):
        pairs = evaluation_pairs(dataset, split, config.max_pairs_per_split, train_config.seed)
        chosen, rejected = pairs.column("chosen").to_pylist(), pairs.column("rejected").to_pylist()
        margin, new = _margins(lake, model, backbone, pairs, train_config, config, device, dtype, log)
        embedded += new
        longer = chosen_is_longer(chosen, rejected)
        bins = config.calibration_bins
        rows += report_rows(split, REWARD_MODEL, expit(margin), longer, bins)
        rows += report_rows(split, LENGTH, length_baseline(chosen, rejected), longer, bins)
        rows += report_rows(split, BAG_OF_WORDS, bag_of_words.predict(chosen, rejected), longer, bins)
        log(f"{split}: {pairs.num_rows} pairs scored")
    timings["score_s"] = time.perf_counter() - started
    report = report_table(rows)
    for name in ("mlflow_run_id", "model_version", "dataset_version"):  # which model, on which data
        report = report.append_column(name, pa.array([str(trained[name])] * report.num_rows, pa.string()))

    tracking.set_tags(run_id, {f"eval.{k}": str(v) for k, v in asdict(config).items()})
    metrics = [
        (f"eval/{r['split']}/{r['scorer']}/{name}" + ("" if r["slice"] == "all" else f"_{r['slice']}"), r[name], 0)
        for r in report.to_pylist()
        for name in (("accuracy", "ece", "brier") if r["slice"] == "all" else ("accuracy",))
        if r["pairs"]
    ]
    metrics += [(f"time/eval_{k}", v, 0) for k, v in timings.items()]
    metrics.append(("time/eval_texts_embedded", embedded, 0))
    tracking.log_metrics(run_id, metrics)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evaluation.json"
        path.write_text(json.dumps(report.to_pylist(), indent=2) + "\n")
        tracking.log_artifacts(run_id, Path(tmp), "evaluation")
    return report


def _margins(
    lake: Lake,
    model: RewardModel,
    backbone: Backbone,
    pairs: pa.Table,
    train_config: TrainingConfig,
    config: EvaluationConfig,
    device: torch.device,
    dtype: torch.dtype | None,
    log: Log,
) -> tuple[np.ndarray, int]:
    """r(chosen) - r(rejected) per pair, from cached features; and how many texts were new."""
    prompts = [render_prompt(m) for m in pairs.column("messages").to_pylist()]
    sides, new = [], 0
    for side in ("chosen", "rejected"):
        features, embedded = cached_features(
            lake,
            backbone,
            prompts,
            pairs.column(side).to_pylist(),
            max_length=train_config.max_length,
            pooling=train_config.pooling,
            batch_size=config.embed_batch_size,
            device=device,
            dtype=dtype,
            log=log,
        )
        sides.append(score_features(model, features, device))
        new += embedded
    return sides[0] - sides[1], new


def _step_rows(steps: list[StepMetrics]) -> list[tuple[str, float, int]]:
    rows = []
    for s in steps:
        for name in ("loss", "accuracy", "mean_margin", "learning_rate", "pairs_per_s", "epoch"):
            value = float(getattr(s, name))
            if not math.isnan(value):
                rows.append((f"train/{name}", value, s.step))
    return rows
