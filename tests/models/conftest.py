"""Fixtures for the reward-model tests: a tiny local backbone and the shipped preference
pairs shaped like the ``examples`` mart."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from models.data import EXAMPLE_COLUMNS

PREFERENCE_SOURCES = ("hh_rlhf", "pandalm", "finegrained_rlhf_qa_feedback", "prometheus_eval")


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory) -> Path:
    """A randomly initialised two-layer BERT with MiniLM's tokenizer, saved as safetensors:
    a local backbone small enough to fine-tune in seconds."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from models.backbone import offline_copy
    from models.config import DEFAULT_BACKBONE

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(offline_copy(DEFAULT_BACKBONE))
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    directory = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def shipped_examples(shipped, shipped_registry):
    """examples_of(source_ids) -> the sources' parsed candidates as the examples mart holds
    them: rejections dropped, role joined from the registry (what dbt adds)."""

    def examples_of(source_ids=PREFERENCE_SOURCES) -> pa.Table:
        tables = []
        for source_id in source_ids:
            parsed = shipped(source_id).parsed
            parsed = parsed.filter(pc.is_null(parsed.column("reason_code")))
            role = shipped_registry.source(source_id).role.value
            tables.append(parsed.append_column("role", pa.array([role] * parsed.num_rows, pa.string())))
        return pa.concat_tables(tables).select(EXAMPLE_COLUMNS)

    return examples_of
