"""Backbone features cached in the lake, so an unchanged text is embedded once.

On two CPU cores MiniLM embeds only ~40-80 pair sequences a second, so head-only
training and every evaluation would otherwise spend most of their time re-embedding
the same texts. Features are a function of the backbone's weights and tokenizer (its
fingerprint), the pair encoding's version, ``max_length``, the pooling, the autocast
precision and the exact text, so the cache is one lake partition per all but the last
under ``reward_features/``, keyed within it by a hash of the text. A fine-tuned backbone
has a new fingerprint, hence its own partition.

Two runs that fill the same partition at once each write the union they saw; the later
rename wins and the other's new rows are embedded again next time: a cache miss, never
a wrong feature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
import orjson
import pyarrow as pa
import torch

from models.backbone import ENCODING, Backbone, embed, encode_pairs
from models.config import Pooling
from prefinery.storage import Lake

TABLE = "reward_features"


def text_hash(prompt: str, response: str) -> str:
    return hashlib.sha256(orjson.dumps([prompt, response])).hexdigest()[:32]


def cache_partition(backbone: Backbone, max_length: int, pooling: Pooling, dtype: torch.dtype | None) -> str:
    key = orjson.dumps([ENCODING, backbone.fingerprint, max_length, pooling, str(dtype)])
    return f"{pooling}-{max_length}-{hashlib.sha256(key).hexdigest()[:16]}"


def cached_features(
    lake: Lake,
    backbone: Backbone,
    prompts: Sequence[str],
    responses: Sequence[str],
    *,
    max_length: int,
    pooling: Pooling,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype | None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[np.ndarray, int]:
    """Features for each (prompt, response), and how many texts had to be embedded."""
    partition = cache_partition(backbone, max_length, pooling, dtype)
    hashes = [text_hash(p, r) for p, r in zip(prompts, responses, strict=True)]
    cached = lake.read(TABLE, [partition]) if lake.exists(TABLE, partition) else None
    known = {} if cached is None else {h: i for i, h in enumerate(cached.column("text_hash").to_pylist())}
    missing = {h: i for i, h in enumerate(hashes) if h not in known}  # first occurrence of each new text
    if missing:
        log(f"embedding {len(missing):,} new texts ({len(hashes) - len(missing):,} of {len(hashes):,} cached)")
        rows = list(missing.values())
        encoded = encode_pairs(backbone.tokenizer, [prompts[i] for i in rows], [responses[i] for i in rows], max_length)
        fresh = embed(backbone, encoded, pooling=pooling, batch_size=batch_size, device=device, dtype=dtype)
        new = pa.table({"text_hash": list(missing), "embedding": _fixed_size(fresh)})
        merged = new if cached is None else pa.concat_tables([cached, new])
        merged = merged.sort_by("text_hash")
        lake.write(TABLE, merged, partition=partition)
        cached = merged
        known = {h: i for i, h in enumerate(merged.column("text_hash").to_pylist())}
    matrix = _matrix(cached.column("embedding"))
    return matrix[[known[h] for h in hashes]], len(missing)


def _fixed_size(features: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(features.reshape(-1), type=pa.float32()), features.shape[1])


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    array = column.combine_chunks()
    return array.flatten().to_numpy(zero_copy_only=False).reshape(len(array), array.type.list_size)
