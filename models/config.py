"""Run configuration for training and evaluation, importable without torch or MLflow
(Dagster loads it in every step process; the heavy libraries load only in the runs)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
Mode = Literal["head_only", "full"]
TiePolicy = Literal["drop", "zero_margin"]
Pooling = Literal["response_mean", "mean", "cls"]
Precision = Literal["auto", "bf16", "fp32"]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a training run depends on; logged whole as MLflow params.

    The defaults are the demo's: a head on frozen MiniLM features, trained on a
    source-balanced sample of 800 pairs at 128 tokens, so training and evaluation
    fit in about a minute and a half on two CPU cores. Raise the caps for real runs."""

    backbone: str = DEFAULT_BACKBONE
    mode: Mode = "head_only"
    pooling: Pooling = "response_mean"
    max_length: int = 128
    head_hidden: int = 0
    dropout: float = 0.1
    tie_policy: TiePolicy = "drop"
    max_train_pairs: int | None = 800
    epochs: int = 30
    batch_size: int = 64
    grad_accum_steps: int = 1
    learning_rate: float = 1e-3  # the head's
    backbone_learning_rate: float = 2e-5  # full fine-tune only
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 0
    device: str = "auto"
    precision: Precision = "auto"
    compile: bool = False
    embed_batch_size: int = 64

    def __post_init__(self) -> None:
        if self.mode not in ("head_only", "full"):
            raise ValueError(f"mode must be 'head_only' or 'full', got {self.mode!r}")
        if self.tie_policy not in ("drop", "zero_margin"):
            raise ValueError(f"tie_policy must be 'drop' or 'zero_margin', got {self.tie_policy!r}")
        if self.pooling not in ("response_mean", "mean", "cls"):
            raise ValueError(f"pooling must be 'response_mean', 'mean' or 'cls', got {self.pooling!r}")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {self.precision!r}")
        if min(self.max_length, self.epochs, self.batch_size, self.grad_accum_steps, self.embed_batch_size) < 1:
            raise ValueError("max_length, epochs, batch_size, grad_accum_steps and embed_batch_size must be positive")

    def as_params(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class EvaluationConfig:
    """The demo evaluates at most 150 pairs per split (ties dropped: accuracy needs a winner)."""

    max_pairs_per_split: int | None = 150
    calibration_bins: int = 10
    device: str = "auto"
    embed_batch_size: int = 64
