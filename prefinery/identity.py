"""Row identity: ``example_id`` says where a row came from, ``content_hash`` what it says.

- ``example_id`` hashes (source, file, record index, sub-index). It is unique per source
  record and identical on every re-run, whichever data root or cache served the file,
  because it uses the registry's logical path and the file is pinned by sha256.
- ``content_hash`` hashes the normalized texts only. The same pair from two sources or two
  judges shares it, whichever side each judge preferred: a pair's two responses are
  hashed as an unordered set. That is what dedup and annotator agreement key on.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

ID_HEX_CHARS = 32  # 128 bits: collision-free at any realistic dataset size


def normalize_text(text: str) -> str:
    """NFC, every run of whitespace (U+2028/U+2029 included) as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def example_id(source_id: str, file: str, record_index: int, sub_index: int) -> str:
    return _digest([source_id, file, record_index, sub_index])


def content_hash(
    messages: Iterable[Mapping[str, str]],
    responses: Iterable[str],
    *,
    ordered: bool,
) -> str:
    """Hash a prompt conversation plus its responses; ``ordered=False`` for a pair."""
    prompt = [[m["role"], normalize_text(m["content"])] for m in messages]
    normalized = [normalize_text(r) for r in responses]
    return _digest({"prompt": prompt, "responses": normalized if ordered else sorted(normalized)})


def record_hash(value: Any) -> str:
    """Content hash for a non-conversational record (license metadata)."""
    return _digest(value)


def _digest(value: Any) -> str:
    # Canonical form: compact UTF-8 JSON with sorted keys (byte-identical to
    # json.dumps(..., ensure_ascii=False, separators=(",", ":"), sort_keys=True)).
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:ID_HEX_CHARS]
