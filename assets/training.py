"""Stage 5, train and evaluate: a reward model proves what its dataset is worth.

- ``dataset_default`` (datasets): every preference pair of the shipped sources, split by
  prompt group into ``train`` and held-out eval splits (``models.data``). Its content
  hash is the Dagster data version and tags everything trained on it. Selection recipes
  (a later stage) add more dataset versions; until then this one serves.
- ``reward_model`` (training): a Bradley-Terry reward model on the train split, logged
  to MLflow (params, per-step metrics, system info, lineage tags, the model as
  safetensors) and registered in its model registry.
- ``reward_model_evaluation`` (evaluation): accuracy, length slices and calibration on
  every eval split, next to the "longer wins" and bag-of-words baselines from the same
  run; ``beats_length_baseline`` WARNs where the model does not beat length.

Training and evaluation configs are Dagster run config with the demo's small defaults.
torch, transformers and MLflow load inside the assets, not when Dagster loads the code.
"""

import dagster as dg
import pyarrow as pa
from pydantic import Field

from models.config import EvaluationConfig, TrainingConfig
from models.data import DEFAULT_DATASET, EXAMPLE_COLUMNS, build_dataset
from models.evaluation import comparisons, markdown
from orchestration.resources import MlflowResource, PrefineryResource

MODEL_TABLE = "reward_model"
EVALUATION_TABLE = "reward_model_evaluation"
_TRAINING = TrainingConfig()
_EVALUATION = EvaluationConfig()


class RewardModelConfig(dg.Config):
    """See ``models.config.TrainingConfig``; every field is logged as an MLflow param."""

    backbone: str = Field(_TRAINING.backbone, description="Hugging Face model id or local directory (safetensors).")
    mode: str = Field(_TRAINING.mode, description="head_only (frozen backbone, cached features) or full.")
    pooling: str = Field(_TRAINING.pooling, description="response_mean, mean or cls.")
    max_length: int = _TRAINING.max_length
    head_hidden: int = Field(_TRAINING.head_hidden, description="0: linear head; else one hidden layer this wide.")
    dropout: float = _TRAINING.dropout
    tie_policy: str = Field(_TRAINING.tie_policy, description="drop, or zero_margin (ties pull rewards together).")
    max_train_pairs: int | None = Field(_TRAINING.max_train_pairs, description="Source-balanced cap; null: all.")
    epochs: int = _TRAINING.epochs
    batch_size: int = _TRAINING.batch_size
    grad_accum_steps: int = _TRAINING.grad_accum_steps
    learning_rate: float = Field(_TRAINING.learning_rate, description="The head's.")
    backbone_learning_rate: float = Field(_TRAINING.backbone_learning_rate, description="Full fine-tune only.")
    weight_decay: float = _TRAINING.weight_decay
    warmup_ratio: float = _TRAINING.warmup_ratio
    max_grad_norm: float = _TRAINING.max_grad_norm
    seed: int = _TRAINING.seed
    device: str = Field(_TRAINING.device, description="auto (CUDA when available), cuda or cpu.")
    precision: str = Field(_TRAINING.precision, description="auto (bf16 autocast on CUDA), bf16 or fp32.")
    compile: bool = Field(_TRAINING.compile, description="Wrap the model in torch.compile.")
    embed_batch_size: int = _TRAINING.embed_batch_size


class RewardModelEvaluationConfig(dg.Config):
    max_pairs_per_split: int | None = Field(_EVALUATION.max_pairs_per_split, description="Cap per split; null: all.")
    calibration_bins: int = _EVALUATION.calibration_bins
    device: str = _EVALUATION.device
    embed_batch_size: int = _EVALUATION.embed_batch_size


@dg.asset(
    group_name="datasets",
    deps=["examples"],
    kinds={"python", "parquet"},
    code_version="1",
    description="The default dataset version: every preference pair, split by prompt group (across sources) "
    "into train and held-out eval splits.",
)
def dataset_default(context: dg.AssetExecutionContext, prefinery: PrefineryResource) -> dg.MaterializeResult:
    lake = prefinery.lake()
    dataset, version = build_dataset(lake.read("examples", columns=EXAMPLE_COLUMNS))
    written = lake.write(DEFAULT_DATASET, dataset)
    context.log.info(f"{DEFAULT_DATASET} version {version}: {written.rows:,} pairs")
    counts = dataset.group_by(["split", "source_id"]).aggregate([("example_id", "count"), ("is_tie", "sum")])
    lines = ["| split | source | pairs | ties |", "|---|---|---:|---:|"] + [
        f"| {r['split']} | {r['source_id']} | {r['example_id_count']:,} | {r['is_tie_sum']:,} |"
        for r in sorted(counts.to_pylist(), key=lambda r: (r["split"], r["source_id"]))
    ]
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata={
            "dagster/row_count": written.rows,
            "dataset_version": version,
            "path": dg.MetadataValue.path(str(written.path)),
            "pairs by split": dg.MetadataValue.md("\n".join(lines)),
        },
    )


@dg.asset(
    group_name="training",
    deps=[dataset_default],
    kinds={"pytorch", "mlflow"},
    code_version="1",
    description="A Bradley-Terry reward model on the default dataset's train split, logged to MLflow and "
    "registered in its model registry.",
)
def reward_model(
    context: dg.AssetExecutionContext, config: RewardModelConfig, prefinery: PrefineryResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    from models.runs import Lineage, train_reward_model

    lake, tracking = prefinery.lake(), mlflow.tracking()
    trained = train_reward_model(
        lake,
        DEFAULT_DATASET,
        TrainingConfig(**config.model_dump()),
        tracking,
        Lineage(context.run.run_id, context.asset_key.to_user_string()),
        log=context.log.info,
    )
    written = lake.write(MODEL_TABLE, pa.Table.from_pylist([trained]))
    return dg.MaterializeResult(
        metadata={
            "mlflow_run_id": trained["mlflow_run_id"],
            "mlflow_run": dg.MetadataValue.url(trained["run_url"]),
            "mlflow_ui": dg.MetadataValue.md(f"Start the UI with `{tracking.ui_command()}`, then follow the link."),
            "registered_model": f"{trained['registered_model']} version {trained['model_version']}",
            "dataset_version": trained["dataset_version"],
            "train_pairs": trained["train_pairs"],
            "train_accuracy": trained["train_accuracy"],
            "first_epoch_loss": trained["first_epoch_loss"],
            "last_epoch_loss": trained["last_epoch_loss"],
            "train_pairs_per_s": trained["pairs_per_s"],
            "seconds": dg.MetadataValue.json({k: round(v, 1) for k, v in trained.items() if k.endswith("_seconds")}),
            "path": dg.MetadataValue.path(str(written.path)),
        }
    )


@dg.asset(
    group_name="evaluation",
    deps=[reward_model],
    kinds={"pytorch", "mlflow"},
    code_version="1",
    description="The reward model on every held-out eval split: accuracy, accuracy by whether the chosen "
    "response is the longer one, ECE and Brier, next to the length and bag-of-words baselines.",
)
def reward_model_evaluation(
    context: dg.AssetExecutionContext,
    config: RewardModelEvaluationConfig,
    prefinery: PrefineryResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    from models.runs import evaluate_reward_model

    lake, tracking = prefinery.lake(), mlflow.tracking()
    (trained,) = lake.read(MODEL_TABLE).to_pylist()
    report = evaluate_reward_model(
        lake, trained, EvaluationConfig(**config.model_dump()), tracking, log=context.log.info
    )
    written = lake.write(EVALUATION_TABLE, report)
    return dg.MaterializeResult(
        metadata={
            "mlflow_run_id": trained["mlflow_run_id"],
            "mlflow_run": dg.MetadataValue.url(trained["run_url"]),
            "dataset_version": trained["dataset_version"],
            **{f"accuracy: {c.split}": c.model for c in comparisons(report)},
            "report": dg.MetadataValue.md(markdown(report)),
            "path": dg.MetadataValue.path(str(written.path)),
        }
    )


@dg.asset_check(
    asset=reward_model_evaluation,
    description="The reward model is more accurate than 'the longer response wins' on every eval split.",
)
def beats_length_baseline(prefinery: PrefineryResource) -> dg.AssetCheckResult:
    compared = comparisons(prefinery.lake().read(EVALUATION_TABLE))
    behind = [c.split for c in compared if not c.beats_length]
    lines = ["| split | reward model | longer wins | bag of words |", "|---|---:|---:|---:|"] + [
        f"| {c.split} | {c.model:.3f} | {c.length:.3f} | {c.bag_of_words:.3f} |" for c in compared
    ]
    return dg.AssetCheckResult(
        passed=not behind,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "splits where length wins": ", ".join(behind) or "none",
            "accuracy": dg.MetadataValue.md("\n".join(lines)),
        },
    )
