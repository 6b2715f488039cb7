"""Bradley-Terry training of a reward model, as plain functions over batches.

``bradley_terry_loss`` is -log sigmoid(r_chosen - r_rejected) for a preference, and for a
tie (target 0.5, ``tie_policy="zero_margin"``) the cross-entropy against 1/2, which is
smallest when the two rewards are equal. Two modes share one loop:

- ``head_only``: the backbone is frozen, so its pooled features are computed once (and
  cached in the lake, ``models.features``) and only the head trains; seconds on a CPU.
- ``full``: backbone and head train together on length-bucketed, dynamically padded
  batches of token ids.

On CUDA the forward pass runs under bf16 autocast with TF32 matmuls, and
``compile=True`` wraps the model in ``torch.compile``; gradient accumulation and
bucketing work on any device. Seeds are fixed, so a run repeats on the same hardware.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.backbone import Encoded, collate
from models.batching import length_buckets
from models.config import TrainingConfig
from models.device import autocast, single_cpu_thread
from models.reward_model import RewardModel


@dataclass(frozen=True)
class PairBatch:
    """Chosen rows first, then rejected: one forward pass scores both sides."""

    inputs: torch.Tensor | dict[str, torch.Tensor]  # features [2B, H] or token tensors [2B, T]
    targets: torch.Tensor  # [B]: 1.0 for a preference, 0.5 for a tie

    @property
    def pairs(self) -> int:
        return len(self.targets)

    def to(self, device: torch.device) -> PairBatch:
        inputs = (
            self.inputs.to(device)
            if isinstance(self.inputs, torch.Tensor)
            else {k: v.to(device) for k, v in self.inputs.items()}
        )
        return PairBatch(inputs, self.targets.to(device))


@dataclass(frozen=True)
class StepMetrics:
    step: int
    epoch: int
    loss: float
    accuracy: float  # over the step's non-tie pairs
    mean_margin: float  # r_chosen - r_rejected over the step's non-tie pairs
    learning_rate: float
    pairs_per_s: float


@dataclass(frozen=True)
class TrainingSummary:
    steps: int
    pairs_seen: int
    seconds: float
    first_loss: float  # mean of the first epoch's steps
    last_loss: float  # mean of the last epoch's steps

    @property
    def pairs_per_s(self) -> float:
        return self.pairs_seen / self.seconds if self.seconds else 0.0


def seed_everything(seed: int) -> torch.Generator:
    """Seed every generator training touches; the returned one orders batches."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return torch.Generator().manual_seed(seed)


def bradley_terry_loss(chosen: torch.Tensor, rejected: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean -[t log s(d) + (1 - t) log s(-d)], d = chosen - rejected; t = 1 is plain BT."""
    return F.binary_cross_entropy_with_logits(chosen - rejected, targets)


def feature_batches(
    chosen: torch.Tensor, rejected: torch.Tensor, targets: torch.Tensor, batch_size: int, generator: torch.Generator
) -> Iterator[PairBatch]:
    """One shuffled epoch over cached features (all rows have the same size: no padding)."""
    order = torch.randperm(len(targets), generator=generator)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        yield PairBatch(torch.cat([chosen[index], rejected[index]]), targets[index])


def token_batches(
    chosen: Encoded,
    rejected: Encoded,
    targets: torch.Tensor,
    batch_size: int,
    pad_token_id: int,
    generator: torch.Generator | None,
) -> Iterator[PairBatch]:
    """One epoch over token ids, bucketed by the longer side of each pair, padded per batch."""
    lengths = [max(c, r) for c, r in zip(chosen.lengths(), rejected.lengths(), strict=True)]
    both = Encoded(
        chosen.input_ids + rejected.input_ids,
        None if chosen.token_type_ids is None else chosen.token_type_ids + (rejected.token_type_ids or []),
        chosen.response_mask + rejected.response_mask,
    )
    for indices in length_buckets(lengths, batch_size, generator):
        rows = indices + [len(chosen) + i for i in indices]
        yield PairBatch(collate(both, rows, pad_token_id), targets[indices])


def pair_scores(score: Callable[..., torch.Tensor], batch: PairBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """(chosen rewards, rejected rewards), in fp32."""
    rewards = (score(batch.inputs) if isinstance(batch.inputs, torch.Tensor) else score(**batch.inputs)).float()
    return rewards[: batch.pairs], rewards[batch.pairs :]


def train_step(
    score: Callable[..., torch.Tensor],
    batch: PairBatch,
    device: torch.device,
    dtype: torch.dtype | None,
    loss_scale: float,
) -> tuple[float, int, int, float]:
    """Forward and backward for one micro-batch: (loss, correct, decided pairs, margin sum).

    Gradients accumulate in the parameters; the caller steps the optimizer."""
    batch = batch.to(device)
    with autocast(device, dtype):
        chosen, rejected = pair_scores(score, batch)
    loss = bradley_terry_loss(chosen, rejected, batch.targets)
    (loss * loss_scale).backward()
    decided = batch.targets > 0.75
    margins = (chosen - rejected).detach()[decided]
    return loss.item(), int((margins > 0).sum()), int(decided.sum()), float(margins.sum())


def train(
    model: RewardModel,
    epoch_batches: Callable[[], Iterator[PairBatch]],
    batches_per_epoch: int,
    config: TrainingConfig,
    device: torch.device,
    dtype: torch.dtype | None,
    on_step: Callable[[StepMetrics], None] = lambda _: None,
) -> TrainingSummary:
    """AdamW with linear warm-up and decay; one optimizer step per ``grad_accum_steps`` batches."""
    model.to(device)
    head_only = config.mode == "head_only"
    model.backbone.requires_grad_(not head_only)
    params = list(model.head.parameters()) + ([] if head_only else list(model.backbone.parameters()))
    groups = [{"params": list(model.head.parameters()), "lr": config.learning_rate}]
    if not head_only:
        groups.append({"params": list(model.backbone.parameters()), "lr": config.backbone_learning_rate})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    total = math.ceil(batches_per_epoch / config.grad_accum_steps) * config.epochs
    warmup = max(1, int(total * config.warmup_ratio))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    score: Callable[..., torch.Tensor] = model.head if head_only else model
    if config.compile:
        score = torch.compile(score, dynamic=True)

    model.train()
    step, pairs_seen, started = 0, 0, time.perf_counter()
    epoch_losses: list[list[float]] = []
    with single_cpu_thread(device) if head_only else contextlib.nullcontext():
        for epoch in range(config.epochs):
            epoch_losses.append([])
            window: list[tuple[float, int, int, float, int]] = []
            window_start = time.perf_counter()
            for index, batch in enumerate(epoch_batches()):
                outcome = train_step(score, batch, device, dtype, 1.0 / config.grad_accum_steps)
                window.append((*outcome, batch.pairs))
                if len(window) < config.grad_accum_steps and index + 1 < batches_per_epoch:
                    continue
                torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                learning_rate = schedule.get_last_lr()[0]
                schedule.step()
                step += 1
                pairs = sum(w[4] for w in window)
                decided = sum(w[2] for w in window)
                loss = sum(w[0] * w[4] for w in window) / pairs
                pairs_seen += pairs
                now = time.perf_counter()
                epoch_losses[-1].append(loss)
                on_step(
                    StepMetrics(
                        step=step,
                        epoch=epoch,
                        loss=loss,
                        accuracy=sum(w[1] for w in window) / decided if decided else float("nan"),
                        mean_margin=sum(w[3] for w in window) / decided if decided else float("nan"),
                        learning_rate=learning_rate,
                        pairs_per_s=pairs / (now - window_start),
                    )
                )
                window, window_start = [], now
    model.eval()
    return TrainingSummary(
        steps=step,
        pairs_seen=pairs_seen,
        seconds=time.perf_counter() - started,
        first_loss=float(np.mean(epoch_losses[0])),
        last_loss=float(np.mean(epoch_losses[-1])),
    )


@torch.inference_mode()
def score_features(
    model: RewardModel, features: np.ndarray, device: torch.device, batch_size: int = 4096
) -> np.ndarray:
    """Rewards from cached features, in eval mode."""
    model.head.to(device).eval()
    rewards = [
        model.head(torch.from_numpy(features[start : start + batch_size]).to(device)).float().cpu().numpy()
        for start in range(0, len(features), batch_size)
    ]
    return np.concatenate(rewards) if rewards else np.zeros(0, dtype=np.float32)
