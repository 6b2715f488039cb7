"""The reward model: a transformer backbone, pooled, under a scalar head.

Saved as a plain Hugging Face directory (``config.json``, ``model.safetensors``, the
tokenizer) plus ``head.safetensors`` and ``reward_model.json`` (pooling, head shape,
max_length, the backbone it came from). Nothing in it is a pickle, and loading goes
through the same validation as any backbone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from models.backbone import Backbone, load_backbone, pool
from models.config import Pooling
from models.safety import UnsafeReference, validate_model_dir

HEAD_FILE = "head.safetensors"
SPEC_FILE = "reward_model.json"


@dataclass(frozen=True)
class HeadSpec:
    hidden_size: int
    head_hidden: int  # 0: a linear head
    dropout: float
    pooling: Pooling
    max_length: int


class ScalarHead(nn.Module):
    """Features to one reward per sequence: layer norm, then linear or one GELU hidden layer.

    The norm matters for frozen features: pooled sentence-embedding vectors are small
    (entries around 0.05), so a bare linear head learns slowly from them."""

    def __init__(self, spec: HeadSpec):
        super().__init__()
        width = spec.head_hidden or spec.hidden_size
        hidden = [nn.Linear(spec.hidden_size, width), nn.GELU(), nn.Dropout(spec.dropout)] if spec.head_hidden else []
        self.layers = nn.Sequential(
            nn.LayerNorm(spec.hidden_size), nn.Dropout(spec.dropout), *hidden, nn.Linear(width, 1)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features).squeeze(-1)


class RewardModel(nn.Module):
    def __init__(self, backbone: Backbone, spec: HeadSpec):
        super().__init__()
        self.backbone = backbone.model
        self.tokenizer = backbone.tokenizer
        self.backbone_reference = backbone.reference
        self.spec = spec
        self.head = ScalarHead(spec)

    def features(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor, **extra: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        return pool(hidden, attention_mask, response_mask, self.spec.pooling)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor, **extra: torch.Tensor
    ) -> torch.Tensor:
        return self.head(self.features(input_ids, attention_mask, response_mask, **extra))

    def save(self, directory: Path, metadata: dict[str, str]) -> Path:
        """Write the model as safetensors with tokenizer and config; ``metadata`` goes into
        ``reward_model.json`` and the head file's header (dataset version, run id...)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.backbone.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        head = {name: tensor.detach().cpu().contiguous() for name, tensor in self.head.state_dict().items()}
        save_file(head, directory / HEAD_FILE, metadata=metadata)
        spec = {"head": asdict(self.spec), "backbone": self.backbone_reference, **metadata}
        (directory / SPEC_FILE).write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
        return directory


def load_reward_model(directory: Path, allowed_roots: Iterable[Path] | None = None) -> tuple[RewardModel, Backbone]:
    """Load a saved reward model after validating its directory; safetensors only."""
    path = validate_model_dir(Path(directory), allowed_roots)
    if not (path / HEAD_FILE).is_file() or not (path / SPEC_FILE).is_file():
        raise UnsafeReference(f"{directory}: not a saved reward model (missing {HEAD_FILE} or {SPEC_FILE})")
    spec = json.loads((path / SPEC_FILE).read_text())
    backbone = load_backbone(str(path), allowed_roots)
    backbone.reference = spec["backbone"]
    model = RewardModel(backbone, HeadSpec(**spec["head"]))
    model.head.load_state_dict(load_file(path / HEAD_FILE))
    return model.eval(), backbone
