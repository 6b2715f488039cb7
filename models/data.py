"""The default dataset version: every preference pair of the shipped sources, split so
that no prompt is both trained on and evaluated on.

Dataset versions proper come from selection recipes (a later stage). Until then this
default serves: all preference examples of train-role sources, plus held-out eval splits.

Splits are by *prompt group*, the normalized prompt conversation, across sources: the
same prompt appears in several sources (PandaLM's prompts are AlpacaEval's self-instruct
subset), so a group held out for one source is held out of training everywhere. A
group's fate is a hash of its key, so it never changes when other groups come or go.

- ``HeldOutSplit``: a fraction of a train-role source's prompt groups (optionally only
  its rows by one annotator type, e.g. PandaLM's human majority labels) becomes a named
  eval split.
- Preference examples of eval-role sources (prometheus_eval's HHH pairs) are eval splits
  in full, named after the source.
- Every other row in a held-out group is ``excluded``: kept in the table so its fate is
  visible, never trained on.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from models.config import TrainingConfig
from prefinery.identity import normalize_text, record_hash

TRAIN = "train"
EXCLUDED = "excluded"
DEFAULT_DATASET = "dataset_default"
GROUP_SALT = "prefinery-heldout-v1"
VERSION_METADATA = b"prefinery.dataset_version"
EXAMPLE_COLUMNS = [
    "example_id",
    "content_hash",
    "source_id",
    "kind",
    "role",
    "messages",
    "chosen",
    "rejected",
    "label",
    "is_tie",
    "annotator_type",
    "annotator",
]
DATASET_COLUMNS = [
    "example_id",
    "content_hash",
    "split",
    "prompt_group",
    "source_id",
    "annotator_type",
    "annotator",
    "messages",
    "chosen",
    "rejected",
    "label",
    "is_tie",
]


@dataclass(frozen=True)
class HeldOutSplit:
    name: str
    source_id: str
    fraction: float  # of the prompt groups that have rows of this source
    annotator_type: str | None = None  # None: every row of the source in a held-out group


DEFAULT_HELD_OUT = (
    HeldOutSplit("hh_rlhf_harmless", "hh_rlhf", 0.2),
    HeldOutSplit("pandalm_human", "pandalm", 0.3, annotator_type="human"),
    HeldOutSplit("finegrained_rlhf_qa", "finegrained_rlhf_qa_feedback", 0.2),
)


def prompt_group(messages_json: str) -> str:
    """The normalized prompt conversation's hash: equal across sources for the same prompt."""
    turns = [[m["role"], normalize_text(m["content"])] for m in json.loads(messages_json)]
    return record_hash({"prompt_conversation": turns})


def group_position(group: str, salt: str = GROUP_SALT) -> float:
    """A uniform number in [0, 1) fixed by the group key: below a fraction means held out."""
    return int(hashlib.sha256(f"{salt}:{group}".encode()).hexdigest()[:15], 16) / 16**15


def split_examples(examples: pa.Table, held_out: Sequence[HeldOutSplit] = DEFAULT_HELD_OUT) -> pa.Table:
    """Preference examples with ``split`` and ``prompt_group`` columns (see the module docstring)."""
    rows = examples.filter(pc.equal(examples.column("kind"), "preference")).select(EXAMPLE_COLUMNS).to_pylist()
    group_of = functools.cache(prompt_group)  # AlpacaEval repeats its 805 prompts 60 times over
    groups = [group_of(r["messages"]) for r in rows]
    by_source = {s.source_id: s for s in held_out}
    if len(by_source) != len(held_out):
        raise ValueError("at most one held-out split per source")

    def spec_for(row: dict) -> HeldOutSplit | None:
        spec = by_source.get(row["source_id"])
        if spec is None or row["role"] != TRAIN:
            return None
        return spec if spec.annotator_type in (None, row["annotator_type"]) else None

    held = {g for r, g in zip(rows, groups, strict=True) if r["role"] != TRAIN}
    held |= {
        g
        for r, g in zip(rows, groups, strict=True)
        if (spec := spec_for(r)) is not None and group_position(g) < spec.fraction
    }
    for row, group in zip(rows, groups, strict=True):
        row["prompt_group"] = group
        if row["role"] != TRAIN:
            row["split"] = row["source_id"]
        elif group not in held:
            row["split"] = TRAIN
        else:
            spec = spec_for(row)
            row["split"] = spec.name if spec is not None else EXCLUDED
    rows.sort(key=lambda r: (r["split"], r["source_id"], r["example_id"]))
    schema = pa.schema(
        [examples.schema.field(c) if c in EXAMPLE_COLUMNS else pa.field(c, pa.string()) for c in DATASET_COLUMNS]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def dataset_version(dataset: pa.Table) -> str:
    """sha256 over every row in example_id order: equal data, equal version, whatever the file bytes."""
    digest = hashlib.sha256()
    for row in sorted(dataset.select(DATASET_COLUMNS).to_pylist(), key=lambda r: r["example_id"]):
        digest.update(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
    return digest.hexdigest()[:32]


def eval_splits(dataset: pa.Table) -> list[str]:
    return sorted(set(dataset.column("split").to_pylist()) - {TRAIN, EXCLUDED})


def sample_pairs(rows: pa.Table, max_pairs: int | None, seed: int, stratify_by: str = "source_id") -> pa.Table:
    """A deterministic sample of at most ``max_pairs`` rows, balanced across strata.

    Each stratum is ordered by a seeded hash of example_id; the quota is shared equally,
    and what a small stratum cannot use goes to the larger ones. The same rows, seed and
    cap always give the same sample, and raising the cap only adds rows."""
    if max_pairs is None or rows.num_rows <= max_pairs:
        return _by_seeded_hash(rows, seed)
    strata = sorted(set(rows.column(stratify_by).to_pylist()))
    sizes = {s: pc.sum(pc.equal(rows.column(stratify_by), s)).as_py() for s in strata}
    quota, left = dict.fromkeys(strata, 0), max_pairs
    while left > 0:
        open_strata = [s for s in strata if quota[s] < sizes[s]]
        share = max(1, left // len(open_strata))
        for s in open_strata:
            take = min(share, sizes[s] - quota[s], left)
            quota[s] += take
            left -= take
    parts = [
        _by_seeded_hash(rows.filter(pc.equal(rows.column(stratify_by), s)), seed).slice(0, quota[s]) for s in strata
    ]
    return pa.concat_tables(parts)


def build_dataset(examples: pa.Table) -> tuple[pa.Table, str]:
    """The default dataset version and its hash, stored in the file's schema metadata too."""
    dataset = split_examples(examples.select(EXAMPLE_COLUMNS))
    version = dataset_version(dataset)
    return dataset.replace_schema_metadata({VERSION_METADATA: version.encode()}), version


def training_pairs(dataset: pa.Table, config: TrainingConfig) -> pa.Table:
    """The train split, ties dropped or kept per config, capped by a source-balanced sample."""
    rows = dataset.filter(pc.equal(dataset.column("split"), TRAIN))
    if config.tie_policy == "drop":
        rows = rows.filter(pc.invert(rows.column("is_tie")))
    return sample_pairs(rows, config.max_train_pairs, config.seed)


def evaluation_pairs(dataset: pa.Table, split: str, max_pairs: int | None, seed: int) -> pa.Table:
    rows = dataset.filter(pc.and_(pc.equal(dataset.column("split"), split), pc.invert(dataset.column("is_tie"))))
    return sample_pairs(rows, max_pairs, seed)


def _by_seeded_hash(rows: pa.Table, seed: int) -> pa.Table:
    keys = [hashlib.sha256(f"{seed}:{i}".encode()).hexdigest() for i in rows.column("example_id").to_pylist()]
    return rows.take(sorted(range(rows.num_rows), key=keys.__getitem__))
