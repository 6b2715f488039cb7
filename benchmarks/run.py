"""Run the benchmarks: ``python -m benchmarks.run [--quick] [--only NAME ...]``.

Every module in this package that defines ``run(output_dir, quick)`` is a benchmark.
Each writes ``benchmarks/results/<name>.json``; this prints a short table per benchmark
and exits non-zero if any failed its own correctness checks or could not run at all.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchmarks

RESULTS_DIR = Path(__file__).resolve().parent / "results"
Benchmark = Callable[[Path, bool], dict[str, Any]]


def discover() -> dict[str, Benchmark]:
    """Benchmark modules by name: those in this package that expose ``run``."""
    found = {}
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
        if info.name == "run" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module.run
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="a small subset of the data: a smoke check, not figures")
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help=f"where the JSON goes (default {RESULTS_DIR})"
    )
    args = parser.parse_args(argv)

    available = discover()
    unknown = sorted(set(args.only or []) - set(available))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; available: {', '.join(available)}")
    selected = {name: bench for name, bench in available.items() if not args.only or name in args.only}

    failed = []
    for name, bench in selected.items():
        print(f"== {name}{' (quick)' if args.quick else ''}", flush=True)
        started = time.perf_counter()
        try:
            result = bench(args.output_dir, args.quick)
        except Exception:
            failed.append(name)
            _record_crash(args.output_dir, name, traceback.format_exc())
            print(traceback.format_exc(), file=sys.stderr)
            continue
        print(_report(result, time.perf_counter() - started))
        if not result.get("ok", False):
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)} (details in {args.output_dir})", file=sys.stderr)
        return 1
    return 0


def _record_crash(output_dir: Path, name: str, error: str) -> None:
    """Replace the benchmark's JSON, so an old result never passes for a new one."""
    output_dir.mkdir(parents=True, exist_ok=True)
    crash = {
        "benchmark": name,
        "ok": False,
        "failures": [error],
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (output_dir / f"{name}.json").write_text(json.dumps(crash, indent=2) + "\n")


def _report(result: dict[str, Any], elapsed_s: float) -> str:
    rows = result.get("summary", [])
    lines = _table(rows) if rows else []
    lines += [f"  {name}: {value:.2f}" for name, value in result.get("ratios", {}).items()]
    lines += [f"  FAILED CHECK: {failure}" for failure in result.get("failures", [])]
    lines.append(f"  {'ok' if result.get('ok') else 'FAILED'} in {elapsed_s:.0f} s")
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[i]) for row in cells)) for i, column in enumerate(columns)]
    numeric = [
        all(isinstance(row.get(column), (int, float)) or row.get(column) is None for row in rows) for column in columns
    ]

    def line(values: list[str]) -> str:
        return "  " + "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        )

    return [line(columns), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


if __name__ == "__main__":
    sys.exit(main())
