"""Speed and memory benchmarks, kept out of the test suite.

Machines here are shared and noisy, so a timed assertion in a test would be flaky and an
absolute figure alone means little. Each benchmark therefore measures the project's path
*and* a baseline doing the same work, in the same run, and reports their ratio.

A benchmark is a module in this package exposing ``run(output_dir: Path, quick: bool) -> dict``.
It writes its figures to ``output_dir/<module name>.json`` and returns the same dict, which
holds at least:

    ok       bool: whether the benchmark's own correctness checks passed
    summary  list of flat dicts, one table row each (stage, implementation, figures)
    ratios   dict of name -> float

``python -m benchmarks.run`` finds and runs them all (see ``benchmarks/README.md``).
This module holds what every benchmark needs: timing, peak memory, the machine.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import platform
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Generic, TypeVar

import psutil
import pyarrow

MB = 1024 * 1024
T = TypeVar("T")


class PeakRss:
    """Peak resident memory of one process, sampled in a background thread.

    RSS, not tracemalloc: DuckDB and Arrow allocate outside Python's allocator, so
    tracemalloc would miss most of what the DuckDB path uses. Only the one process is
    sampled, because listing a process's children costs about 2 ms, which every 10 ms
    would slow the work being measured.
    """

    def __init__(self, pid: int | None = None, interval_s: float = 0.01):
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.start_bytes = self._rss()
        self.peak_bytes = self.start_bytes

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._rss())

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB

    @property
    def added_mb(self) -> float:
        """Peak above the RSS the process had when sampling began."""
        return (self.peak_bytes - self.start_bytes) / MB

    def _rss(self) -> int:
        try:
            return self._process.memory_info().rss
        except psutil.NoSuchProcess:  # a sampled child exited between two samples
            return 0

    def _sample(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.peak_bytes = max(self.peak_bytes, self._rss())


def repeat_timed(work: Callable[[], T], max_runs: int = 5, budget_s: float = 10.0) -> list[tuple[float, T]]:
    """(seconds, result) of timed runs: at least one, at most ``max_runs``, and no new one
    once they add up to ``budget_s``. Callers keep the best: the run least disturbed by
    the other tenants of a shared machine."""
    runs: list[tuple[float, T]] = []
    while len(runs) < max_runs and sum(seconds for seconds, _ in runs) < budget_s:
        started = time.perf_counter()
        result = work()
        runs.append((time.perf_counter() - started, result))
    return runs


@dataclass(frozen=True)
class Measured(Generic[T]):
    seconds: float  # the best timed run
    runs: list[float]  # every timed run
    peak_mb: float  # the process's peak RSS during the first run
    added_mb: float  # that peak above the RSS the process had when the first run began
    result: T  # what the first run returned


def measure(work: Callable[[], T]) -> Measured[T]:
    """Memory from a first, sampled run whose result is kept; time from the timed runs
    after it, unsampled and with their results dropped as they come, so no run holds two
    results at once and the sampler never slows a timed run. The first run is also the
    warm-up."""
    release_free_memory()
    with PeakRss() as rss:
        result = work()

    def timed_only() -> None:
        work()

    runs = [seconds for seconds, _ in repeat_timed(timed_only)]
    return Measured(seconds=min(runs), runs=runs, peak_mb=rss.peak_mb, added_mb=rss.added_mb, result=result)


def release_free_memory() -> None:
    """Hand memory that is already free back to the OS, so a measurement's starting RSS
    holds no pages an allocator keeps cached: reading Parquet leaves hundreds of MB of
    them in Arrow's pool, which the next stage would silently reuse."""
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(AttributeError, OSError):  # malloc_trim is glibc's
        ctypes.CDLL(None).malloc_trim(0)


def machine() -> dict[str, object]:
    """What the figures were measured on; ratios travel between machines, seconds do not."""
    packages = ["duckdb", "pandas", "pyarrow", "orjson", "dbt-core", "dbt-duckdb", "psutil"]
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        **{name: _version(name) for name in packages},
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
