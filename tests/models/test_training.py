from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from safetensors import safe_open

from models.backbone import encode_pairs, load_backbone
from models.config import TrainingConfig
from models.reward_model import HEAD_FILE, HeadSpec, RewardModel, load_reward_model
from models.safety import UnsafeReference
from models.training import (
    PairBatch,
    bradley_terry_loss,
    feature_batches,
    score_features,
    seed_everything,
    token_batches,
    train,
    train_step,
)

CPU = torch.device("cpu")


def test_bradley_terry_loss_by_hand():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    assert bradley_terry_loss(chosen, rejected, torch.ones(2)).item() == pytest.approx(
        (math.log1p(math.exp(-2.0)) + math.log(2.0)) / 2
    )


def test_a_tie_pulls_the_two_rewards_together():
    margin = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
    bradley_terry_loss(margin, torch.zeros(3), torch.full((3,), 0.5)).backward()
    assert margin.grad[0] == 0 and margin.grad[1] > 0 and margin.grad[2] < 0


@pytest.fixture(scope="module")
def backbone(tiny_backbone):
    return load_backbone(str(tiny_backbone))


def _model(backbone, seed: int = 0, dropout: float = 0.0) -> RewardModel:
    seed_everything(seed)
    return RewardModel(backbone, HeadSpec(backbone.hidden_size, 0, dropout, "response_mean", 32))


def _separable(n: int = 256, width: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    direction = torch.randn(width, generator=generator)
    chosen = torch.randn(n, width, generator=generator) + 0.5 * direction
    rejected = torch.randn(n, width, generator=generator) - 0.5 * direction
    return chosen, rejected


def test_accumulating_two_half_batches_gives_the_full_batchs_gradient(backbone):
    chosen, rejected = _separable(8)
    full = PairBatch(torch.cat([chosen, rejected]), torch.ones(8))
    halves = [PairBatch(torch.cat([chosen[s], rejected[s]]), torch.ones(4)) for s in (slice(0, 4), slice(4, 8))]
    model = _model(backbone)
    train_step(model.head, full, CPU, None, 1.0)
    expected = [p.grad.clone() for p in model.head.parameters()]
    model.head.zero_grad()
    for half in halves:
        train_step(model.head, half, CPU, None, 0.5)
    for got, want in zip((p.grad for p in model.head.parameters()), expected, strict=True):
        torch.testing.assert_close(got, want)


def test_head_only_training_learns_reports_each_step_and_repeats_exactly(backbone):
    chosen, rejected = _separable()
    config = TrainingConfig(epochs=8, batch_size=32, grad_accum_steps=2, learning_rate=1e-2)

    def run():
        model, steps = _model(backbone), []
        generator = seed_everything(0)
        summary = train(
            model,
            lambda: feature_batches(chosen, rejected, torch.ones(len(chosen)), 32, generator),
            batches_per_epoch=8,
            config=config,
            device=CPU,
            dtype=None,
            on_step=steps.append,
        )
        return model, steps, summary

    model, steps, summary = run()
    assert summary.steps == len(steps) == 8 * 4  # 8 batches per epoch, 2 per optimizer step
    assert summary.last_loss < summary.first_loss
    assert steps[0].learning_rate < steps[len(steps) // 10].learning_rate  # warm-up
    assert steps[-1].learning_rate < steps[len(steps) // 2].learning_rate  # decay
    assert all(s.pairs_per_s > 0 and not math.isnan(s.mean_margin) for s in steps)
    margin = score_features(model, chosen.numpy(), CPU) - score_features(model, rejected.numpy(), CPU)
    assert (margin > 0).mean() > 0.9
    again, _, _ = run()
    for a, b in zip(model.head.state_dict().values(), again.head.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_full_fine_tuning_on_bucketed_tokens_with_accumulation_and_bf16(tiny_backbone):
    backbone = load_backbone(str(tiny_backbone))  # its own copy: this test changes the weights
    prompts = [f"question number {i}" for i in range(16)]
    chosen = encode_pairs(backbone.tokenizer, prompts, ["yes, gladly, here it is"] * 16, 32)
    rejected = encode_pairs(backbone.tokenizer, prompts, ["no"] * 16, 32)
    model = _model(backbone)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    config = TrainingConfig(
        mode="full", epochs=6, batch_size=4, grad_accum_steps=2, learning_rate=1e-2, backbone_learning_rate=1e-3
    )
    generator = seed_everything(0)
    summary = train(
        model,
        lambda: token_batches(chosen, rejected, torch.ones(16), 4, backbone.tokenizer.pad_token_id, generator),
        batches_per_epoch=4,
        config=config,
        device=CPU,
        dtype=torch.bfloat16,
    )
    assert summary.last_loss < summary.first_loss and summary.steps == 6 * 2
    assert any(not torch.equal(a, b) for a, b in zip(before, model.backbone.parameters(), strict=True))


def test_a_saved_model_loads_back_with_the_same_rewards_and_its_lineage(backbone, tmp_path):
    model = _model(backbone)
    with torch.no_grad():
        for parameter in model.head.parameters():
            parameter.normal_()
    model.save(tmp_path / "rm", {"dataset_version": "abc"})
    loaded, loaded_backbone = load_reward_model(tmp_path / "rm", allowed_roots=[tmp_path])
    features = np.random.default_rng(0).normal(size=(5, backbone.hidden_size)).astype(np.float32)
    np.testing.assert_allclose(score_features(loaded, features, CPU), score_features(model, features, CPU), atol=1e-6)
    assert loaded_backbone.fingerprint == backbone.fingerprint
    with safe_open(tmp_path / "rm" / HEAD_FILE, "pt") as head:
        assert head.metadata()["dataset_version"] == "abc"
    (tmp_path / "rm" / HEAD_FILE).unlink()
    with pytest.raises(UnsafeReference, match="not a saved reward model"):
        load_reward_model(tmp_path / "rm")


def test_configs_reject_unknown_choices():
    for bad in ({"mode": "lora"}, {"tie_policy": "keep"}, {"pooling": "max"}, {"precision": "fp8"}, {"epochs": 0}):
        with pytest.raises(ValueError):
            TrainingConfig(**bad)
