from __future__ import annotations

import json
from collections import Counter, defaultdict

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from models.config import TrainingConfig
from models.data import (
    DEFAULT_HELD_OUT,
    EXCLUDED,
    TRAIN,
    HeldOutSplit,
    build_dataset,
    dataset_version,
    eval_splits,
    group_position,
    prompt_group,
    sample_pairs,
    split_examples,
    training_pairs,
)


def _messages(text: str) -> str:
    return json.dumps([{"role": "user", "content": text}])


def _row(example_id, source_id, prompt, role="train", annotator_type="human", is_tie=False):
    return {
        "example_id": example_id,
        "content_hash": f"h-{example_id}",
        "source_id": source_id,
        "kind": "preference",
        "role": role,
        "messages": _messages(prompt),
        "chosen": f"good answer to {prompt}",
        "rejected": f"bad answer to {prompt}",
        "label": 0.5 if is_tie else 1.0,
        "is_tie": is_tie,
        "annotator_type": annotator_type,
        "annotator": "someone",
    }


def _held_out_prompt(fraction: float, held: bool) -> str:
    """A prompt whose group falls (or not) in a held-out fraction."""
    for i in range(10_000):
        prompt = f"prompt {i}"
        if (group_position(prompt_group(_messages(prompt))) < fraction) == held:
            return prompt
    raise AssertionError("no such prompt")


def test_prompt_groups_normalize_whitespace_and_unicode_form():
    assert prompt_group(_messages("Caf\u00e9  ok\n")) == prompt_group(_messages("Cafe\u0301 ok"))
    assert prompt_group(_messages("a")) != prompt_group(_messages("b"))


def test_a_held_out_prompt_leaves_training_in_every_source():
    held = _held_out_prompt(0.3, held=True)
    kept = _held_out_prompt(0.3, held=False)
    rows = [
        _row("p-human", "pandalm", held),
        _row("p-model", "pandalm", held, annotator_type="model"),
        _row("a-same-prompt", "alpaca_eval", held, annotator_type="model"),
        _row("a-other", "alpaca_eval", kept, annotator_type="model"),
        _row("e-1", "prometheus_eval", "an eval prompt", role="eval"),
        _row("t-eval-prompt", "alpaca_eval", "an eval prompt", annotator_type="model"),
        _row("h-eval-prompt", "hh_rlhf", "an eval prompt"),
    ]
    split = {r["example_id"]: r["split"] for r in split_examples(pa.Table.from_pylist(rows)).to_pylist()}
    assert split == {
        "p-human": "pandalm_human",  # PandaLM's human majority labels are the eval split
        "p-model": EXCLUDED,  # model judges of a held-out prompt: neither eval nor train
        "a-same-prompt": EXCLUDED,  # AlpacaEval shares the prompt: no leakage across sources
        "a-other": TRAIN,
        "e-1": "prometheus_eval",  # eval-role sources are eval splits in full
        "t-eval-prompt": EXCLUDED,  # a prompt of an eval source is never trained on
        "h-eval-prompt": "hh_rlhf_harmless",  # held out anyway: evaluated as its own source's split
    }


def test_only_preference_examples_enter_the_dataset():
    rows = [_row("a", "hh_rlhf", "x"), {**_row("b", "gsm8k_train", "y"), "kind": "sft"}]
    assert split_examples(pa.Table.from_pylist(rows)).column("example_id").to_pylist() == ["a"]


def test_a_groups_fate_does_not_depend_on_other_groups():
    rows = [_row(f"r{i}", "hh_rlhf", f"prompt {i}") for i in range(200)]
    alone = {r["example_id"]: r["split"] for r in split_examples(pa.Table.from_pylist(rows[:100])).to_pylist()}
    together = {r["example_id"]: r["split"] for r in split_examples(pa.Table.from_pylist(rows)).to_pylist()}
    assert all(together[k] == v for k, v in alone.items())
    assert 0.1 < Counter(together.values())["hh_rlhf_harmless"] / 200 < 0.3  # the configured 0.2


def test_two_held_out_splits_for_one_source_are_refused():
    with pytest.raises(ValueError, match="one held-out split per source"):
        split_examples(
            pa.Table.from_pylist([_row("a", "hh_rlhf", "x")]),
            [HeldOutSplit("a", "hh_rlhf", 0.1), HeldOutSplit("b", "hh_rlhf", 0.2)],
        )


def test_the_version_is_a_hash_of_the_rows_not_of_their_order():
    dataset = split_examples(pa.Table.from_pylist([_row(f"r{i}", "hh_rlhf", f"p{i}") for i in range(20)]))
    reversed_rows = dataset.take(list(range(dataset.num_rows))[::-1])
    assert dataset_version(dataset) == dataset_version(reversed_rows)
    changed = dataset.set_column(dataset.schema.get_field_index("chosen"), "chosen", pa.array(["x"] * dataset.num_rows))
    assert dataset_version(changed) != dataset_version(dataset)


def test_samples_are_balanced_deterministic_and_grow_by_adding_rows():
    rows = pa.Table.from_pylist(
        [_row(f"a{i}", "big", f"a{i}") for i in range(100)] + [_row(f"s{i}", "small", f"s{i}") for i in range(5)]
    )
    sample = sample_pairs(rows, 40, seed=1)
    assert Counter(sample.column("source_id").to_pylist()) == {"big": 35, "small": 5}
    assert sample.to_pylist() == sample_pairs(rows, 40, seed=1).to_pylist()
    assert set(sample.column("example_id").to_pylist()) < set(
        sample_pairs(rows, 60, seed=1).column("example_id").to_pylist()
    )
    assert sample_pairs(rows, 40, seed=2).column("example_id").to_pylist() != sample.column("example_id").to_pylist()


def test_ties_are_dropped_or_kept_as_configured():
    rows = [_row("a", "hh_rlhf", "x"), _row("b", "hh_rlhf", "y", is_tie=True)]
    dataset = split_examples(pa.Table.from_pylist(rows), held_out=())
    assert training_pairs(dataset, TrainingConfig(tie_policy="drop")).num_rows == 1
    assert training_pairs(dataset, TrainingConfig(tie_policy="zero_margin")).num_rows == 2


def test_no_prompt_group_of_the_shipped_data_is_both_trained_on_and_evaluated(shipped_examples):
    dataset, version = build_dataset(shipped_examples())
    groups = defaultdict(set)
    for row in dataset.select(["split", "prompt_group"]).to_pylist():
        groups[row["prompt_group"]].add(row["split"])
    leaked = [g for g, splits in groups.items() if TRAIN in splits and len(splits - {TRAIN, EXCLUDED}) > 0]
    assert not leaked
    assert eval_splits(dataset) == sorted([s.name for s in DEFAULT_HELD_OUT] + ["prometheus_eval"])
    pandalm_eval = dataset.filter(pc.equal(dataset.column("split"), "pandalm_human"))
    assert set(pandalm_eval.column("annotator_type").to_pylist()) == {"human"}
    assert dataset.schema.metadata[b"prefinery.dataset_version"] == version.encode()
