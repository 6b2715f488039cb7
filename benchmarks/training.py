"""Reward-model training throughput in pairs/s, the project's paths against baselines
measured in the same run, on real shipped preference pairs.

  embed        backbone features as head-only training computes them: length-bucketed,
               each batch padded to its own longest pair sequence
               baseline: the same pairs in input order, every sequence padded to max_length
               (checked: the two give the same features)
  head_only    the demo's mode: embed every pair once (cold cache), then train the head
               for the default number of epochs on the cached features
  full         full fine-tune of backbone and head on length-bucketed, dynamically padded
               batches; baseline: the same steps with every sequence padded to max_length
               and batches in random order

Runs on CUDA when there is one (bf16 autocast, TF32), else on the CPU; the JSON says
which. The feature cache lives in a temporary lake, so the developer's var/ is never
touched and every head-only run starts cold.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch
import torch.nn.functional as F
import transformers

from benchmarks import PeakRss, machine, release_free_memory
from models.backbone import Backbone, Encoded, collate, embed, encode_pairs, load_backbone, offline_copy, render_prompt
from models.config import DEFAULT_BACKBONE, TrainingConfig
from models.data import build_dataset, training_pairs
from models.device import autocast, autocast_dtype, describe, resolve_device
from models.features import cached_features
from models.reward_model import HeadSpec, RewardModel
from models.training import PairBatch, feature_batches, seed_everything, token_batches, train
from prefinery.dataroot import FileResolver
from prefinery.ingest import parse_source, read_source
from prefinery.parsers import PARSERS
from prefinery.registry import load_registry
from prefinery.settings import Settings
from prefinery.storage import Lake

NAME = "training"
SOURCES = ("hh_rlhf", "pandalm", "finegrained_rlhf_qa_feedback")
QUICK_SOURCES = ("hh_rlhf", "pandalm")
SIZES = {  # pairs for the embedding comparison, for head-only, for a fine-tune epoch; fine-tune batch size
    False: {"embed_pairs": 256, "head_pairs": 512, "full_pairs": 64, "batch_size": 16},
    True: {"embed_pairs": 32, "head_pairs": 64, "full_pairs": 16, "batch_size": 8},
}
MAX_LENGTH = 128
FEATURE_TOLERANCE = 1e-4


def run(output_dir: Path, quick: bool) -> dict[str, Any]:
    started = datetime.now(UTC)
    sizes = SIZES[quick]
    device = resolve_device("auto")
    dtype = autocast_dtype(device, "auto")
    sources = QUICK_SOURCES if quick else SOURCES
    print(f"  pairs from {', '.join(sources)} on {device}", flush=True)
    pairs = _shipped_pairs(sources, max(sizes.values()))
    backbone = load_backbone(DEFAULT_BACKBONE)
    failures: list[str] = []

    print("  embed: bucketed vs padded to max_length", flush=True)
    texts = _texts(pairs.slice(0, sizes["embed_pairs"]))
    encoded = encode_pairs(backbone.tokenizer, texts["prompts"] * 2, texts["chosen"] + texts["rejected"], MAX_LENGTH)
    bucketed = _timed(
        lambda: embed(backbone, encoded, pooling="response_mean", batch_size=64, device=device, dtype=dtype)
    )
    padded = _timed(lambda: _embed_padded(backbone, encoded, 64, device, dtype))
    difference = float(np.abs(bucketed["result"] - padded["result"]).max())
    if difference > FEATURE_TOLERANCE:
        failures.append(f"bucketed and padded features differ by {difference:.2e} (> {FEATURE_TOLERANCE})")

    head_pairs = pairs.slice(0, sizes["head_pairs"])
    print(f"  head_only: embed {head_pairs.num_rows} pairs cold, then train the head", flush=True)
    head = _head_only(backbone, head_pairs, device, dtype)
    if not head["last_loss"] < head["first_loss"]:
        failures.append(f"head-only loss did not fall: {head['first_loss']:.4f} -> {head['last_loss']:.4f}")

    full_pairs = pairs.slice(0, sizes["full_pairs"])
    print(f"  full: fine-tune one epoch of {full_pairs.num_rows} pairs, bucketed vs padded", flush=True)
    full = _fine_tune(full_pairs, sizes["batch_size"], device, dtype, padded=False)
    full_padded = _fine_tune(full_pairs, sizes["batch_size"], device, dtype, padded=True)
    for label, figures in (("bucketed", full), ("padded", full_padded)):
        if not math.isfinite(figures["last_loss"]):
            failures.append(f"full fine-tune ({label}) loss is not finite")

    gpu_full = _gpu_fine_tunes(pairs, device, dtype, quick) if device.type == "cuda" else None

    n_head, n_encoded = head_pairs.num_rows, len(encoded)
    stages = {
        "embed": {
            "bucketed": _figures(bucketed, n_encoded / 2, encoded.lengths(), 64, bucket=True),
            "padded": _figures(padded, n_encoded / 2, encoded.lengths(), 64, bucket=False),
            "max_feature_difference": difference,
        },
        "head_only": head,
        "full": {"bucketed": full, "padded": full_padded},
        "gpu_full": gpu_full or "not run: no CUDA device",
    }
    head_first_epoch = n_head / (head["embed_seconds"] + head["train_seconds"] / head["epochs"])
    ratios = {
        # speed-ups: baseline seconds / project seconds (equal work); above 1 the project's path is faster
        "embed_speedup_bucketed_over_padded": padded["seconds"] / bucketed["seconds"],
        "full_finetune_speedup_bucketed_over_padded": full_padded["seconds"] / full["seconds"],
        # head-only against the full fine-tune, per pair seen once: embedding it (cold) plus one head epoch
        "head_only_first_epoch_speedup_over_full_finetune": head_first_epoch / full["pairs_per_s"],
        # and per further epoch, on cached features
        "head_only_cached_epoch_speedup_over_full_finetune": head["train_pairs_per_s"] / full["pairs_per_s"],
    }
    result = {
        "benchmark": NAME,
        "ok": not failures,
        "failures": failures,
        "started_at": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {**machine(), **describe(device), "transformers": transformers.__version__},
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "method": {
            "data": f"real shipped pairs ({', '.join(sources)}), the train split of the default dataset, "
            f"a source-balanced sample; max_length {MAX_LENGTH}; backbone {DEFAULT_BACKBONE}",
            "time": "one untimed warm-up batch per stage, then one timed pass; seconds include tokenizing, "
            "padding and (head-only) writing the feature cache",
            "precision": f"autocast {dtype}" if dtype is not None else "fp32",
            "memory": "process RSS sampled every 10 ms (peak_added_mb: above the RSS when the stage began)",
        },
        "stages": stages,
        "ratios": ratios,
        "summary": _summary(stages),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / f"{NAME}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _shipped_pairs(sources: tuple[str, ...], count: int) -> pa.Table:
    """Train-split pairs of the default dataset built from the parsed shipped sources."""
    settings = Settings.from_env()
    registry = load_registry(settings.registry_path, known_parsers=set(PARSERS))
    tables = []
    for source_id in sources:
        source = registry.source(source_id)
        parsed = parse_source(source, read_source(source, FileResolver(settings)), PARSERS)
        parsed = parsed.filter(pc.is_null(parsed.column("reason_code")))
        tables.append(parsed.append_column("role", pa.array([source.role.value] * parsed.num_rows, pa.string())))
    dataset, _ = build_dataset(pa.concat_tables(tables, promote_options="default"))
    return training_pairs(dataset, TrainingConfig(max_train_pairs=count))


def _texts(pairs: pa.Table) -> dict[str, list[str]]:
    return {
        "prompts": [render_prompt(m) for m in pairs.column("messages").to_pylist()],
        "chosen": pairs.column("chosen").to_pylist(),
        "rejected": pairs.column("rejected").to_pylist(),
    }


def _timed(work) -> dict[str, Any]:
    release_free_memory()
    with PeakRss() as rss:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_added_mb": rss.added_mb, "result": result}


@torch.inference_mode()
def _embed_padded(
    backbone: Backbone, encoded: Encoded, batch_size: int, device: torch.device, dtype: torch.dtype | None
) -> np.ndarray:
    """The baseline: input order, every sequence padded to max_length."""
    model = backbone.model.to(device).eval()
    out = []
    for start in range(0, len(encoded), batch_size):
        indices = list(range(start, min(start + batch_size, len(encoded))))
        batch = _pad_to(collate(encoded, indices, backbone.tokenizer.pad_token_id), MAX_LENGTH, backbone)
        batch = {k: v.to(device) for k, v in batch.items()}
        response = batch.pop("response_mask").unsqueeze(-1).float()
        with autocast(device, dtype):
            hidden = model(**batch).last_hidden_state.float()
        out.append(((hidden * response).sum(1) / response.sum(1).clamp(min=1.0)).cpu().numpy())
    return np.concatenate(out)


def _pad_to(batch: dict[str, torch.Tensor], width: int, backbone: Backbone) -> dict[str, torch.Tensor]:
    pad = {"input_ids": backbone.tokenizer.pad_token_id}
    return {k: F.pad(v, (0, width - v.shape[1]), value=pad.get(k, 0)) for k, v in batch.items()}


def _head_only(backbone: Backbone, pairs: pa.Table, device: torch.device, dtype: torch.dtype | None) -> dict:
    config = TrainingConfig()
    texts = _texts(pairs)
    with tempfile.TemporaryDirectory(prefix="prefinery-bench-") as tmp:
        lake = Lake(tmp)
        options = {
            "max_length": MAX_LENGTH,
            "pooling": config.pooling,
            "batch_size": 64,
            "device": device,
            "dtype": dtype,
        }
        embedded = _timed(
            lambda: [
                cached_features(lake, backbone, texts["prompts"], texts[side], **options)[0]
                for side in ("chosen", "rejected")
            ]
        )
    chosen, rejected = (torch.from_numpy(f) for f in embedded["result"])
    targets = torch.ones(pairs.num_rows)
    generator = seed_everything(config.seed)
    model = RewardModel(backbone, HeadSpec(backbone.hidden_size, 0, config.dropout, config.pooling, MAX_LENGTH))
    batches = math.ceil(pairs.num_rows / config.batch_size)
    trained = _timed(
        lambda: train(
            model,
            lambda: feature_batches(chosen, rejected, targets, config.batch_size, generator),
            batches,
            config,
            device,
            dtype,
        )
    )
    summary = trained["result"]
    return {
        "pairs": pairs.num_rows,
        "epochs": config.epochs,
        "embed_seconds": embedded["seconds"],
        "embed_pairs_per_s": pairs.num_rows / embedded["seconds"],
        "embed_peak_added_mb": embedded["peak_added_mb"],
        "train_seconds": trained["seconds"],
        "train_pairs_per_s": pairs.num_rows * config.epochs / trained["seconds"],
        "first_loss": summary.first_loss,
        "last_loss": summary.last_loss,
    }


def _fine_tune(
    pairs: pa.Table,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype | None,
    padded: bool,
    reference: str = DEFAULT_BACKBONE,
    allowed_roots: list[Path] | None = None,
) -> dict:
    """One epoch of full fine-tuning from the same initial weights and seed."""
    backbone = load_backbone(reference, allowed_roots)
    config = TrainingConfig(mode="full", epochs=1, batch_size=batch_size)
    texts = _texts(pairs)
    chosen = encode_pairs(backbone.tokenizer, texts["prompts"], texts["chosen"], MAX_LENGTH)
    rejected = encode_pairs(backbone.tokenizer, texts["prompts"], texts["rejected"], MAX_LENGTH)
    targets = torch.ones(pairs.num_rows)
    pad = backbone.tokenizer.pad_token_id

    def batches(generator: torch.Generator) -> Iterator[PairBatch]:
        if not padded:
            return token_batches(chosen, rejected, targets, batch_size, pad, generator)
        both = Encoded(
            chosen.input_ids + rejected.input_ids,
            None if chosen.token_type_ids is None else chosen.token_type_ids + (rejected.token_type_ids or []),
            chosen.response_mask + rejected.response_mask,
        )
        order = torch.randperm(len(chosen), generator=generator).tolist()
        return (
            PairBatch(
                _pad_to(collate(both, rows + [len(chosen) + i for i in rows], pad), MAX_LENGTH, backbone),
                targets[rows],
            )
            for rows in (order[s : s + batch_size] for s in range(0, len(order), batch_size))
        )

    warm_up = RewardModel(backbone, HeadSpec(backbone.hidden_size, 0, 0.1, "response_mean", MAX_LENGTH))
    warm_generator = seed_everything(0)
    train(warm_up, lambda: _first(batches(warm_generator)), 1, config, device, dtype)  # allocations, kernels
    backbone = load_backbone(reference, allowed_roots)  # back to the initial weights
    generator = seed_everything(0)
    model = RewardModel(backbone, HeadSpec(backbone.hidden_size, 0, 0.1, "response_mean", MAX_LENGTH))
    n_batches = math.ceil(pairs.num_rows / batch_size)
    timed = _timed(lambda: train(model, lambda: batches(generator), n_batches, config, device, dtype))
    lengths = [max(c, r) for c, r in zip(chosen.lengths(), rejected.lengths(), strict=True)]
    return {
        "backbone": reference,
        "parameters": sum(p.numel() for p in model.parameters()),
        "tokens": sum(chosen.lengths()) + sum(rejected.lengths()),
        "pairs": pairs.num_rows,
        "batch_size": batch_size,
        "seconds": timed["seconds"],
        "pairs_per_s": pairs.num_rows / timed["seconds"],
        "peak_added_mb": timed["peak_added_mb"],
        "padding_share": _padding_share(lengths, batch_size, bucket=not padded),
        "last_loss": timed["result"].last_loss,
    }


# Dense bf16 peak of the GPUs this project is measured on (NVIDIA datasheets, SXM parts).
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12}
LARGER_BACKBONE_SHAPE = {
    "num_hidden_layers": 12,
    "hidden_size": 768,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
}


def _gpu_fine_tunes(pairs: pa.Table, device: torch.device, dtype: torch.dtype | None, quick: bool) -> dict:
    """Full fine-tune throughput and MFU on CUDA for the default backbone and a larger one.

    The larger one is BERT-base shaped (12 layers, 768 wide: ~5x MiniLM's parameters) with
    MiniLM's tokenizer and random weights: throughput does not depend on the weights, and
    no hub is reachable. MFU counts 6 FLOPs per parameter per non-padding token (forward
    and backward), without attention's quadratic term, against the GPU's dense bf16 peak."""
    name = torch.cuda.get_device_name(device)
    peak = next((flops for model, flops in PEAK_BF16_FLOPS.items() if model in name), None)
    batch_pairs = pairs.slice(0, 64 if quick else 512)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        larger = _larger_backbone(Path(scratch))
        for label, reference, roots in (("default", DEFAULT_BACKBONE, None), ("larger", str(larger), [larger.parent])):
            print(f"  gpu: full fine-tune of the {label} backbone on {name}", flush=True)
            figures = _fine_tune(batch_pairs, 32, device, dtype, padded=False, reference=reference, allowed_roots=roots)
            achieved = 6 * figures["parameters"] * figures["tokens"] / figures["seconds"]
            results[label] = {**figures, "achieved_tflops": achieved / 1e12, "mfu": achieved / peak if peak else None}
    return {"gpu": name, "peak_bf16_tflops": peak / 1e12 if peak else None, "backbones": results}


def _larger_backbone(folder: Path) -> Path:
    """A BERT-base-shaped model beside MiniLM's tokenizer, saved as safetensors."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    base = offline_copy(DEFAULT_BACKBONE)
    config = AutoConfig.from_pretrained(base)
    for key, value in LARGER_BACKBONE_SHAPE.items():
        setattr(config, key, value)
    target = folder / "bert-base-shaped"
    AutoModel.from_config(config).save_pretrained(target, safe_serialization=True)
    AutoTokenizer.from_pretrained(base).save_pretrained(target)
    return target


def _first(batches: Iterator[PairBatch]) -> Iterator[PairBatch]:
    yield next(iter(batches))


def _padding_share(lengths: list[int], batch_size: int, bucket: bool) -> float:
    """The share of processed token positions that are padding (in input order when not bucketed)."""
    ordered = sorted(lengths) if bucket else lengths
    batches = [ordered[s : s + batch_size] for s in range(0, len(ordered), batch_size)]
    positions = sum(len(b) * (max(b) if bucket else MAX_LENGTH) for b in batches)
    return 1 - sum(lengths) / positions


def _figures(timed: dict, pairs: float, lengths: list[int], batch_size: int, bucket: bool) -> dict:
    return {
        "pairs": int(pairs),
        "seconds": timed["seconds"],
        "pairs_per_s": pairs / timed["seconds"],
        "peak_added_mb": timed["peak_added_mb"],
        "padding_share": _padding_share(lengths, batch_size, bucket),
    }


def _summary(stages: dict) -> list[dict]:
    embed, head, full = stages["embed"], stages["head_only"], stages["full"]
    return [
        _row("embed", "bucketed (project)", embed["bucketed"]),
        _row("embed", "padded to max_length", embed["padded"]),
        {
            "stage": "head_only",
            "implementation": f"embed once + {head['epochs']} head epochs",
            "pairs": head["pairs"],
            "seconds": head["embed_seconds"] + head["train_seconds"],
            "pairs_per_s": head["embed_pairs_per_s"],
            "head_epoch_pairs_per_s": head["train_pairs_per_s"],
            "peak_added_mb": head["embed_peak_added_mb"],
        },
        _row("full", "bucketed (project)", full["bucketed"]),
        _row("full", "padded, random order", full["padded"]),
    ]


def _row(stage: str, implementation: str, figures: dict) -> dict:
    return {
        "stage": stage,
        "implementation": implementation,
        "pairs": figures["pairs"],
        "seconds": figures["seconds"],
        "pairs_per_s": figures["pairs_per_s"],
        "padding_share": figures["padding_share"],
        "peak_added_mb": figures["peak_added_mb"],
    }
