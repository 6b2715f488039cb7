from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.backbone import collate, embed, encode_pairs, fingerprint, load_backbone, pool, render_prompt
from models.features import cached_features
from prefinery.storage import Lake


@pytest.fixture(scope="module")
def backbone(tiny_backbone):
    return load_backbone(str(tiny_backbone))


def test_prompts_render_as_role_paragraphs():
    messages = json.dumps([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])
    assert render_prompt(messages) == "User: Hi\n\nAssistant: Hello"


def test_a_long_pair_keeps_the_prompts_end_and_the_responses_start(backbone):
    prompt = "first turn " * 50 + "LASTPROMPT"
    response = "FIRSTANSWER " + "more words " * 50
    encoded = encode_pairs(backbone.tokenizer, [prompt], [response], max_length=32)
    assert encoded.lengths() == [32]
    text = backbone.tokenizer.decode(encoded.input_ids[0])
    assert "lastprompt" in text and "firstanswer" in text
    assert "more words" in text and text.count("first turn") < 50
    mask = encoded.response_mask[0]
    assert sum(mask) >= 32 - 3 - (32 - 3) // 3  # the response keeps at least two thirds of the budget


def test_a_short_pair_is_kept_whole(backbone):
    encoded = encode_pairs(backbone.tokenizer, ["What is two plus two?"], ["Four."], max_length=64)
    assert backbone.tokenizer.decode(encoded.input_ids[0], skip_special_tokens=True) == "what is two plus two? four."


def test_response_pooling_averages_only_response_tokens():
    hidden = torch.tensor([[[1.0], [2.0], [10.0], [20.0], [99.0]]])
    attention = torch.tensor([[1, 1, 1, 1, 0]])
    response = torch.tensor([[0, 0, 1, 1, 0]])
    assert pool(hidden, attention, response, "response_mean").item() == 15.0
    assert pool(hidden, attention, response, "mean").item() == 8.25
    assert pool(hidden, attention, response, "cls").item() == 1.0


def test_features_do_not_depend_on_batching_or_padding(backbone):
    encoded = encode_pairs(backbone.tokenizer, ["a", "a much longer prompt here"], ["b", "and a reply"], 32)
    cpu = torch.device("cpu")
    together = embed(backbone, encoded, pooling="response_mean", batch_size=2, device=cpu, dtype=None)
    alone = embed(backbone, encoded, pooling="response_mean", batch_size=1, device=cpu, dtype=None)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    batch = collate(encoded, [0, 1], backbone.tokenizer.pad_token_id)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "response_mask"}


def test_bf16_autocast_runs_on_the_cpu(backbone):
    encoded = encode_pairs(backbone.tokenizer, ["a"], ["b"], 16)
    cpu = torch.device("cpu")
    half = embed(backbone, encoded, pooling="mean", batch_size=1, device=cpu, dtype=torch.bfloat16)
    full = embed(backbone, encoded, pooling="mean", batch_size=1, device=cpu, dtype=None)
    assert half.dtype == np.float32 and np.abs(half - full).max() < 0.1


def test_the_fingerprint_follows_the_weights_not_the_files(backbone, tmp_path):
    backbone.model.save_pretrained(tmp_path)
    backbone.tokenizer.save_pretrained(tmp_path)
    assert load_backbone(str(tmp_path)).fingerprint == backbone.fingerprint
    changed = load_backbone(str(tmp_path))
    with torch.no_grad():
        next(changed.model.parameters()).add_(1.0)
    assert fingerprint(changed.model, changed.tokenizer) != backbone.fingerprint


def test_cached_features_embed_each_new_text_once(backbone, tmp_path):
    lake, cpu = Lake(tmp_path), torch.device("cpu")
    options = {"max_length": 32, "pooling": "response_mean", "batch_size": 4, "device": cpu, "dtype": None}
    first, embedded = cached_features(lake, backbone, ["p", "p", "q"], ["x", "x", "y"], **options)
    assert embedded == 2 and np.array_equal(first[0], first[1])
    again, embedded = cached_features(lake, backbone, ["q", "r"], ["y", "z"], **options)
    assert embedded == 1 and np.array_equal(again[0], first[2])
    _, embedded = cached_features(lake, backbone, ["q"], ["y"], **{**options, "max_length": 16})
    assert embedded == 1  # another max_length is another cache partition
    assert len(lake.partitions("reward_features")) == 2
