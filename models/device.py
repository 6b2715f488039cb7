"""Where and in which precision the math runs: CUDA when there is one, else the CPU.

On CUDA, matmuls use TF32 and the forward pass bf16 autocast (the weights and the
optimizer stay fp32). On CPU the default is fp32: without AVX512-BF16 or AMX, bf16 is
slower there, though ``precision="bf16"`` still works (tests use it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch

from models.config import Precision

log = logging.getLogger(__name__)


def resolve_device(requested: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available; a CUDA request without CUDA falls back to the CPU."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        log.warning("CUDA requested but not available; running on the CPU")
        return torch.device("cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return device


def autocast_dtype(device: torch.device, precision: Precision) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


@contextlib.contextmanager
def single_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run tiny ops (a head over cached features) on one CPU thread: with more, each op
    waits on a thread barrier that costs more than the op (measured 10x slower on a busy
    2-core machine). No effect on CUDA."""
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def describe(device: torch.device) -> dict[str, str]:
    """System information logged with every run."""
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "cuda": str(torch.version.cuda),
        "cpu_threads": str(torch.get_num_threads()),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info
