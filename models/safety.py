"""What may be loaded, checked before anything is read.

A backbone reference comes from run config, so it is untrusted input: it must name a
Hugging Face repository or an existing local directory, never a URL or a path that
escapes through ``..``. Weights load only from safetensors (a pickle can run code on
load), and ``trust_remote_code`` stays off (a repository's Python would run here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Hub rules: [namespace/]name, letters, digits, '-', '_', '.'; no '--' or '..'; at most 96 each.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
RUN_ID = re.compile(r"^[0-9a-f]{32}$")
UNSAFE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.pickle", "*.h5", "*.msgpack")


class UnsafeReference(ValueError):
    """A model reference or file that Prefinery refuses to load."""


@dataclass(frozen=True)
class BackboneRef:
    """A validated reference: a local directory (resolved) or a Hugging Face hub id."""

    location: str
    is_local: bool


def validate_backbone_ref(reference: str, allowed_roots: Iterable[Path] | None = None) -> BackboneRef:
    """Accept a hub id or an existing local directory holding safetensors weights.

    A local directory must lie under one of ``allowed_roots`` when they are given
    (checked after symlinks are resolved). Whatever the source, the model is later loaded
    with ``use_safetensors=True`` and ``trust_remote_code=False``."""
    text = reference.strip()
    if not text:
        raise UnsafeReference("empty backbone reference")
    if "://" in text or text.startswith(("hf:", "s3:", "gs:", "file:")):
        raise UnsafeReference(f"{reference!r}: URLs are not accepted; give a hub id or a local directory")
    if "\x00" in text or any(part == ".." for part in re.split(r"[\\/]", text)):
        raise UnsafeReference(f"{reference!r}: '..' path components are not accepted")
    path = Path(text).expanduser()
    if path.is_dir():
        return BackboneRef(str(validate_model_dir(path, allowed_roots)), is_local=True)
    if path.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1:
        raise UnsafeReference(f"{reference!r}: no such local directory, and not a hub id")
    if "--" in text or ".." in text or not HUB_ID.match(text):
        raise UnsafeReference(f"{reference!r}: not a valid hub id (namespace/name of letters, digits, '-', '_', '.')")
    return BackboneRef(text, is_local=False)


def validate_model_dir(path: Path, allowed_roots: Iterable[Path] | None = None) -> Path:
    """A local model directory: inside the allowed roots, safetensors weights, no custom code."""
    resolved = path.resolve(strict=True)
    roots = [Path(root).resolve() for root in allowed_roots or ()]
    if roots and not any(resolved.is_relative_to(root) for root in roots):
        raise UnsafeReference(f"{path}: outside the allowed model roots {[str(r) for r in roots]}")
    if not resolved.is_dir():
        raise UnsafeReference(f"{path}: not a directory")
    if not any(resolved.glob("*.safetensors")):
        unsafe = sorted(p.name for pattern in UNSAFE_WEIGHTS for p in resolved.glob(pattern))
        found = f"; found only {unsafe}, which can run code when loaded" if unsafe else ""
        raise UnsafeReference(f"{path}: no *.safetensors weights{found}")
    config = resolved / "config.json"
    if config.is_file() and "auto_map" in json.loads(config.read_text()):
        raise UnsafeReference(f"{path}: config.json maps to custom code (auto_map); trust_remote_code is off")
    return resolved


def validate_run_id(run_id: str) -> str:
    """An MLflow run id as MLflow mints them (32 lowercase hex), before it goes into a URI."""
    if not RUN_ID.match(run_id):
        raise UnsafeReference(f"{run_id!r} is not an MLflow run id (32 hex characters)")
    return run_id
