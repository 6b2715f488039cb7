"""Ingest + normalize: rows/s and peak memory per stage, the project's DuckDB path
against a plain Python / pandas implementation of the same work, in the same run.

  read       prefinery.ingest.read_source (DuckDB read_json_objects for JSON arrays,
             Python line splitting for JSONL) vs gzip + json, same records per file
  parse      prefinery.ingest.parse_source (orjson + the format parsers); no baseline
  normalize  the real dbt project (`dbt build`: in-memory DuckDB, Parquet out) vs pandas
             doing int_candidates' joins and quarantine rules and the marts' split;
             both must produce the same example_ids and reasons

Each in-process stage runs in a fresh spawned interpreter, so one stage's heap,
allocator caches and garbage never bend the next one's time or memory; dbt is its own
process anyway. The lake, Prefinery's state folder and dbt's targets live in a
temporary folder: the developer's var/ and dbt_project/target/ are never touched.
"""

from __future__ import annotations

import gzip
import itertools
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import zstandard

from benchmarks import MB, Measured, PeakRss, machine, measure, repeat_timed
from prefinery.dataroot import FileResolver
from prefinery.ingest import parse_source, read_source
from prefinery.parsers import PARSERS, family
from prefinery.registry import FileFormat, Registry, Source, load_registry
from prefinery.registry_tables import license_table, source_table
from prefinery.settings import PROJECT_ROOT, Settings
from prefinery.storage import Lake

NAME = "ingest_normalize"
QUICK_SOURCES = ("hh_rlhf", "pandalm")
DBT = Path(sys.executable).with_name("dbt")
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
RECORD_KEY = ["source_id", "file", "record_index"]
ORDER = ["source_id", "file", "record_index", "sub_index"]
EXAMPLE_COLUMNS = [
    "example_id",
    "content_hash",
    "source_id",
    "file",
    "record_index",
    "sub_index",
    "locator",
    "kind",
    "role",
    "messages",
    "prompt",
    "chosen",
    "rejected",
    "response",
    "label",
    "label_raw",
    "is_tie",
    "label_strength",
    "agreement",
    "num_annotators",
    "annotator_type",
    "annotator",
    "license",
    "license_terms",
    "metadata",
    "parser",
]
QUARANTINE_COLUMNS = [
    "example_id",
    "source_id",
    "file",
    "record_index",
    "sub_index",
    "locator",
    "parser",
    "reason_code",
    "reason_message",
    "reason_field",
]
LICENSE_RECORD_COLUMNS = [
    "example_id",
    "content_hash",
    "source_id",
    "file",
    "record_index",
    "locator",
    "record_type",
    "record_key",
    "record_value",
    "license",
    "parser",
]
# What each mart must agree on between dbt and pandas.
COMPARED = {
    "examples": ["example_id"],
    "quarantine": ["example_id", "reason_code", "reason_message"],
    "license_records": ["example_id"],
}
T = TypeVar("T")


class BenchmarkError(RuntimeError):
    """The benchmark could not measure: a stage failed outright."""


@dataclass(frozen=True)
class Workspace:
    """The temporary state shared by every process of one benchmark run (picklable)."""

    root: Path
    source_ids: tuple[str, ...] = ()

    @property
    def lake(self) -> Lake:
        return Lake(self.root / "lake")

    @property
    def environ(self) -> dict[str, str]:
        """This process's environment with Prefinery's state pointed into the temporary
        folder; the data root and registry stay as the developer set them, and nothing
        is downloaded (a download would be timed as reading)."""
        kept = {k: v for k, v in os.environ.items() if not k.startswith("PREFINERY_")}
        chosen = {k: os.environ[k] for k in ("PREFINERY_DATA_ROOT", "PREFINERY_REGISTRY") if k in os.environ}
        return {
            **kept,
            **chosen,
            "PREFINERY_HOME": str(self.root / "home"),
            "PREFINERY_LAKE": str(self.lake.root),
            "PREFINERY_OFFLINE": "1",
        }

    def settings(self) -> Settings:
        return Settings.from_env(self.environ)

    def registry(self) -> Registry:
        return load_registry(self.settings().registry_path)

    def sources(self) -> list[Source]:
        registry = self.registry()
        return [registry.source(source_id) for source_id in self.source_ids]

    def resolver(self) -> FileResolver:
        return FileResolver(self.settings())


def run(output_dir: Path, quick: bool) -> dict[str, Any]:
    """Measure every stage on the registered sources (two small ones when ``quick``)."""
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="prefinery-bench-") as tmp:
        workspace = Workspace(Path(tmp))
        registry = workspace.registry()
        source_ids, skipped = _select_sources(registry, workspace.settings(), quick)
        if not source_ids:
            raise BenchmarkError(f"no source can be benchmarked: {skipped}")
        workspace = Workspace(workspace.root, tuple(source_ids))
        print(f"  sources: {', '.join(source_ids)}", flush=True)

        print("  read: DuckDB path (read_source)", flush=True)
        read_duckdb = _in_fresh_process(_read_with_duckdb, workspace)
        print("  read: plain gzip + json", flush=True)
        read_plain = _in_fresh_process(_read_plain, workspace)
        print("  parse: parse_source", flush=True)
        parse = _in_fresh_process(_parse, workspace)

        workspace.lake.write("registry_sources", source_table(registry))
        workspace.lake.write("registry_licenses", license_table(registry))
        print("  normalize: dbt build", flush=True)
        dbt = _normalize_with_dbt(workspace)
        print("  normalize: pandas", flush=True)
        pandas_dir = workspace.root / "pandas"
        pandas = _in_fresh_process(_normalize_with_pandas_measured, workspace, dbt["families"], pandas_dir)

        failures = _read_failures(read_duckdb, read_plain) + parse["failures"]
        failures += _compare_outputs(Path(dbt["output_dir"]), pandas_dir)
        candidates = _candidates_by_family(workspace.lake, source_ids)

    normalized = sum(n for name, n in candidates.items() if name in dbt["families"])
    records, input_mb = read_plain["records"], read_plain["uncompressed_bytes"] / MB
    stages = {
        "read": {
            "duckdb": _figures(read_duckdb, records, input_mb),
            "plain": _figures(read_plain, records, input_mb),
        },
        "parse": {
            "parse_source": {
                **_figures(parse, records),
                "candidates": parse["candidates"],
                "candidates_per_s": parse["candidates"] / parse["seconds"],
                "rejected_by_parsers": parse["rejected"],
            },
        },
        "normalize": {
            "dbt_end_to_end": {**_figures(dbt, normalized), "outputs": dbt["outputs"]},
            "dbt_execution": {
                "seconds": dbt["execution_seconds"],
                "rows_per_s": normalized / dbt["execution_seconds"],
                "models_seconds": dbt["models_seconds"],
                "tests_seconds": dbt["tests_seconds"],
            },
            "pandas": {**_figures(pandas, normalized), "outputs": pandas["outputs"]},
        },
    }
    ratios = {
        # speed-ups: baseline seconds / DuckDB-path seconds; above 1 the DuckDB path is faster
        "read_speedup_duckdb_over_plain": read_plain["seconds"] / read_duckdb["seconds"],
        "normalize_speedup_dbt_end_to_end_over_pandas": pandas["seconds"] / dbt["seconds"],
        "normalize_speedup_dbt_execution_over_pandas": pandas["seconds"] / dbt["execution_seconds"],
        # memory: DuckDB-path peak / baseline peak; above 1 the DuckDB path needs more
        "read_peak_added_duckdb_over_plain": read_duckdb["added_mb"] / read_plain["added_mb"],
        "normalize_process_peak_dbt_over_pandas": dbt["peak_mb"] / pandas["peak_mb"],
    }
    result = {
        "benchmark": NAME,
        "ok": not failures,
        "failures": failures,
        "started_at": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "method": {
            "time": "each stage runs once as a warm-up, then is timed up to 5 times within a 10 s budget; "
            "the best timed run is reported. dbt's warm-up run also makes the partial-parse file that "
            "the timed runs start from, as in Dagster",
            "memory": "process RSS sampled every 10 ms with psutil: for read, parse and pandas during the "
            "warm-up run (peak_added_mb: peak above the RSS when the run began; process_peak_mb: the "
            "process's whole peak), for dbt during the timed run reported (its process starts with the "
            "stage, so both figures are its whole peak)",
            "isolation": "read, parse and pandas normalize each run in a fresh spawned interpreter; "
            "dbt in its own process",
            "rows": "raw records for read and parse, candidates entering int_candidates for normalize",
        },
        "sources": source_ids,
        "skipped": skipped,
        "input": {
            "files": len(read_plain["records_per_file"]),
            "records": records,
            "compressed_mb": read_plain["compressed_bytes"] / MB,
            "uncompressed_mb": input_mb,
        },
        "normalize_scope": {
            "families_in_int_candidates": dbt["families"],
            "candidates_normalized": normalized,
            "candidates_by_family": candidates,
            "families_parsed_but_not_in_int_candidates": sorted(set(candidates) - set(dbt["families"])),
        },
        "stages": stages,
        "ratios": ratios,
        "summary": _summary(stages),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / f"{NAME}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _select_sources(registry: Registry, settings: Settings, quick: bool) -> tuple[list[str], list[dict[str, str]]]:
    """Sources whose parsers exist and whose files are all under the data root; the rest
    are listed as skipped (other parsers are still being written)."""
    root = settings.data_root
    usable, sizes, skipped = [], {}, []
    for source in registry.sources:
        missing_parsers = sorted({source.parser_for(f) for f in source.files} - set(PARSERS))
        missing_files = [f.path for f in source.files if root is None or not (root / f.path).is_file()]
        if missing_parsers:
            skipped.append({"source": source.id, "reason": f"no parser named {', '.join(missing_parsers)}"})
        elif missing_files:
            reason = f"{len(missing_files)} file(s) not under the data root ({root}), e.g. {missing_files[0]}"
            skipped.append({"source": source.id, "reason": reason})
        else:
            usable.append(source.id)
            sizes[source.id] = sum((root / f.path).stat().st_size for f in source.files)
    if not quick:
        return usable, skipped
    preferred = [source_id for source_id in QUICK_SOURCES if source_id in usable]
    smallest = sorted((source_id for source_id in usable if source_id not in preferred), key=sizes.__getitem__)
    return (preferred + smallest)[: len(QUICK_SOURCES)], skipped


def _in_fresh_process(task: Callable[..., T], *args: Any) -> T:
    """Run ``task`` in a new interpreter, so its time and memory start from a clean heap."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(task, *args).result()


# --- read ---------------------------------------------------------------------------


def _read_with_duckdb(workspace: Workspace) -> dict[str, Any]:
    """read_source per source; its records are committed to the lake for the parse stage."""
    sources, resolver = workspace.sources(), workspace.resolver()
    measured = measure(lambda: {source.id: read_source(source, resolver) for source in sources})
    records_per_file: Counter[str] = Counter()
    for source_id, table in measured.result.items():
        workspace.lake.write("raw_records", table, partition=source_id)
        records_per_file.update(f"{source_id}:{path}" for path in table.column("file").to_pylist())
    return {**_timing(measured), "records_per_file": dict(records_per_file)}


def _read_plain(workspace: Workspace) -> dict[str, Any]:
    """The same raw records with gzip and json alone: one payload per array element,
    non-empty line (split on \\n only) or top-level key."""
    sources, resolver = workspace.sources(), workspace.resolver()

    def read_all() -> dict[tuple[str, str], tuple[list[str], int]]:
        # Resolving (the sha256 pin check) is timed too, as read_source does it.
        return {
            (source.id, file.path): _plain_records(resolver.resolve(source, file).path, file.format)
            for source in sources
            for file in source.files
        }

    measured = measure(read_all)
    return {
        **_timing(measured),
        "records_per_file": {f"{sid}:{path}": len(payloads) for (sid, path), (payloads, _) in measured.result.items()},
        "records": sum(len(payloads) for payloads, _ in measured.result.values()),
        "uncompressed_bytes": sum(size for _, size in measured.result.values()),
        "compressed_bytes": sum(resolver.resolve(s, f).path.stat().st_size for s in sources for f in s.files),
    }


_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress,
    ".zst": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


def _plain_records(path: Path, fmt: FileFormat) -> tuple[list[str], int]:
    """A file's record payloads, and how many bytes it holds uncompressed."""
    data = _DECOMPRESS.get(path.suffix, bytes)(path.read_bytes())
    if fmt is FileFormat.JSONL:
        payloads = [line.decode("utf-8", "replace") for line in data.split(b"\n") if line.strip()]
    elif fmt is FileFormat.JSON:
        payloads = [json.dumps(element, ensure_ascii=False) for element in json.loads(data)]
    elif fmt is FileFormat.JSON_OBJECT:
        payloads = [json.dumps({"key": k, "value": v}, ensure_ascii=False) for k, v in json.loads(data).items()]
    else:
        raise BenchmarkError(f"{path}: the plain reader has no {fmt.value!r} support")
    return payloads, len(data)


def _read_failures(duckdb_read: dict[str, Any], plain_read: dict[str, Any]) -> list[str]:
    ours, theirs = duckdb_read["records_per_file"], plain_read["records_per_file"]
    return [
        f"read: {name}: read_source gives {ours.get(name, 0):,} records, the plain reader {theirs.get(name, 0):,}"
        for name in sorted(set(ours) | set(theirs))
        if ours.get(name) != theirs.get(name)
    ]


# --- parse --------------------------------------------------------------------------


def _parse(workspace: Workspace) -> dict[str, Any]:
    """parse_source per source, from the lake's raw records; the candidates go back into
    the lake for normalize. Checks that every raw record yields at least one row."""
    sources, lake = workspace.sources(), workspace.lake
    raw = {source.id: lake.read("raw_records", [source.id]) for source in sources}
    measured = measure(lambda: {source.id: parse_source(source, raw[source.id], PARSERS) for source in sources})
    failures = []
    for source_id, parsed in measured.result.items():
        lake.write("parsed_records", parsed, partition=source_id)
        covered = parsed.group_by(["file", "record_index"]).aggregate([]).num_rows
        if covered != raw[source_id].num_rows:
            failures.append(
                f"parse: {source_id}: {raw[source_id].num_rows:,} raw records but only {covered:,} have a parsed row"
            )
    parsed_tables = measured.result.values()
    return {
        **_timing(measured),
        "candidates": sum(t.num_rows for t in parsed_tables),
        "rejected": sum(t.num_rows - t.column("reason_code").null_count for t in parsed_tables),
        "failures": failures,
    }


# --- normalize ----------------------------------------------------------------------


@dataclass(frozen=True)
class DbtRun:
    target: Path
    peak_mb: float


def _normalize_with_dbt(workspace: Workspace) -> dict[str, Any]:
    """`dbt build` as Dagster runs it: a fresh target folder per run, seeded with the
    partial-parse file of an earlier run (dagster-dbt copies it the same way). The
    warm-up run makes that file; its own full parse is not timed."""
    warmup = _dbt_build(workspace, workspace.root / "dbt-warmup", partial_parse=None)
    seed = warmup.target / "partial_parse.msgpack"
    targets = (workspace.root / f"dbt-{n}" for n in itertools.count(1))
    runs = repeat_timed(lambda: _dbt_build(workspace, next(targets), partial_parse=seed))
    seconds, best = min(runs, key=lambda run: run[0])
    results = json.loads((best.target / "run_results.json").read_text())["results"]
    models = {
        r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results if r["unique_id"].startswith("model.")
    }
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    output_dir = best.target / "external"
    return {
        "seconds": seconds,
        "runs": [s for s, _ in runs],
        "peak_mb": best.peak_mb,
        "added_mb": best.peak_mb,
        "execution_seconds": sum(models.values()),
        "models_seconds": models,
        "tests_seconds": tests,
        "families": _int_candidates_families(best.target / "manifest.json"),
        "output_dir": str(output_dir),
        "outputs": {mart: _mart_rows(output_dir / f"{mart}.parquet", ["example_id"]).num_rows for mart in COMPARED},
    }


def _dbt_build(workspace: Workspace, target: Path, partial_parse: Path | None) -> DbtRun:
    (target / "external").mkdir(parents=True)
    if partial_parse is not None and partial_parse.is_file():
        shutil.copy(partial_parse, target / partial_parse.name)
    env = {
        **workspace.environ,
        "PREFINERY_PARTITIONS": ",".join(workspace.source_ids),
        "DBT_TARGET_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    process = subprocess.Popen(
        command, cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with PeakRss(process.pid) as rss:
        output, _ = process.communicate()
    if process.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise BenchmarkError(f"dbt build failed (exit {process.returncode}):\n{tail}")
    return DbtRun(target, rss.peak_mb)


def _int_candidates_families(manifest_path: Path) -> list[str]:
    """The parser families int_candidates unions, from the staging models it refs
    (``stg_<family>__<entity>``, each filtering ``parser like '<family>.%'``)."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    (int_candidates,) = (
        node for node in nodes.values() if node["resource_type"] == "model" and node["name"] == "int_candidates"
    )
    names = [nodes[unique_id]["name"] for unique_id in int_candidates["depends_on"]["nodes"] if unique_id in nodes]
    return sorted({name.removeprefix("stg_").split("__", 1)[0] for name in names if name.startswith("stg_")})


def _normalize_with_pandas_measured(workspace: Workspace, families: list[str], output_dir: Path) -> dict[str, Any]:
    output_dir.mkdir(parents=True, exist_ok=True)
    measured = measure(lambda: normalize_with_pandas(workspace.lake, workspace.source_ids, families, output_dir))
    return {**_timing(measured), "outputs": measured.result}


def normalize_with_pandas(
    lake: Lake, source_ids: Sequence[str], families: Sequence[str], output_dir: Path
) -> dict[str, int]:
    """int_candidates and the three marts in pandas, from the same lake files to the same
    Parquet outputs: union the families' candidates, join the registry, then the
    quarantine rules in int_candidates' order (parser rejection, duplicate raw payload
    within a file where the earlier record wins, unknown license). Returns rows per mart."""
    parsed = _read_frame(lake, "parsed_records", source_ids)
    candidates = parsed[parsed["parser"].str.split(".", n=1).str[0].isin(families)]
    raw = _read_frame(lake, "raw_records", source_ids, columns=[*RECORD_KEY, "payload"])
    raw["payload_key"] = pd.factorize(raw["payload"])[0]  # exact equality, where dbt compares md5(payload)
    registry = pd.read_parquet(
        lake.partition_file("registry_sources"), columns=["source_id", "role", "license_spdx", "license_terms"]
    )
    declared = set(pd.read_parquet(lake.partition_file("registry_licenses"), columns=["spdx"])["spdx"])

    rows = candidates.merge(registry, on="source_id", how="inner").merge(
        raw[[*RECORD_KEY, "payload_key"]], on=RECORD_KEY, how="left"
    )
    rows["license"] = rows["license"].fillna(rows["license_spdx"])
    first_copy = rows.groupby(["source_id", "file", "payload_key", "sub_index"], dropna=False)[
        "record_index"
    ].transform("min")
    rejected = rows["reason_code"].notna()
    duplicate = ~rejected & (first_copy < rows["record_index"])
    unknown_license = ~rejected & ~duplicate & ~rows["license"].isin(declared)
    rows.loc[duplicate, "reason_code"] = "duplicate_record"
    rows.loc[duplicate, "reason_message"] = (
        "identical to record " + first_copy[duplicate].astype(str) + " of the same file"
    )
    rows.loc[unknown_license, "reason_code"] = "unknown_license"
    rows.loc[unknown_license, "reason_message"] = (
        "license " + rows.loc[unknown_license, "license"].fillna("null") + " is not declared in the registry's licenses"
    )
    rows.loc[unknown_license, "reason_field"] = "license"
    rows = rows.sort_values(ORDER, ignore_index=True)

    usable = rows["reason_code"].isna()
    is_license_metadata = rows["kind"] == "license_metadata"
    examples = rows.loc[usable & rows["kind"].notna() & ~is_license_metadata, EXAMPLE_COLUMNS]
    license_records = rows.loc[usable & is_license_metadata].copy()
    metadata = [orjson.loads(text) for text in license_records["metadata"]]
    license_records["record_type"] = [_json_extract(m, "record_type", as_string=True) for m in metadata]
    license_records["record_key"] = [_json_extract(m, "key", as_string=True) for m in metadata]
    license_records["record_value"] = [_json_extract(m, "value", as_string=False) for m in metadata]
    quarantine = rows.loc[~usable, QUARANTINE_COLUMNS].merge(raw[[*RECORD_KEY, "payload"]], on=RECORD_KEY, how="left")
    quarantine = quarantine.rename(columns={"payload": "raw_payload"})

    outputs = {
        "examples": examples,
        "quarantine": quarantine,
        "license_records": license_records[LICENSE_RECORD_COLUMNS],
    }
    for name, frame in outputs.items():
        frame.to_parquet(output_dir / f"{name}.parquet", index=False)
    return {name: len(frame) for name, frame in outputs.items()}


def _read_frame(lake: Lake, table: str, source_ids: Sequence[str], columns: list[str] | None = None) -> pd.DataFrame:
    frames = [pd.read_parquet(path, columns=columns) for path in lake.files(table, source_ids)]
    return pd.concat(frames, ignore_index=True)


def _json_extract(document: dict[str, Any], key: str, *, as_string: bool) -> str | None:
    """DuckDB's json_extract_string (``as_string``) or json_extract on a top-level key."""
    value = document.get(key)
    if value is None:
        return None
    return value if as_string and isinstance(value, str) else orjson.dumps(value).decode()


def _compare_outputs(dbt_dir: Path, pandas_dir: Path) -> list[str]:
    """Where the two normalizations disagree: example_ids per mart, and reasons."""
    failures = []
    for mart, columns in COMPARED.items():
        dbt_rows, pandas_rows = (
            Counter(tuple(row.values()) for row in _mart_rows(d / f"{mart}.parquet", columns).to_pylist())
            for d in (dbt_dir, pandas_dir)
        )
        if dbt_rows != pandas_rows:
            only_dbt, only_pandas = dbt_rows - pandas_rows, pandas_rows - dbt_rows
            example = next(iter(only_dbt or only_pandas))
            failures.append(
                f"normalize: {mart}: {sum(only_dbt.values()):,} rows only in dbt's output and "
                f"{sum(only_pandas.values()):,} only in pandas' ({columns}); e.g. {example}"
            )
    return failures


def _mart_rows(path: Path, columns: list[str]) -> pa.Table:
    """A mart's rows. dbt-duckdb writes an empty model as one all-NULL row (to keep the
    column types in the file), which is not a row of the mart."""
    return pq.read_table(path, columns=columns, filters=pc.field("example_id").is_valid())


def _candidates_by_family(lake: Lake, source_ids: Sequence[str]) -> dict[str, int]:
    parsers = pq.ParquetDataset(lake.files("parsed_records", source_ids)).read(columns=["parser"]).column("parser")
    return dict(sorted(Counter(family(name) for name in parsers.to_pylist()).items()))


# --- figures ------------------------------------------------------------------------


def _timing(measured: Measured[Any]) -> dict[str, Any]:
    return {
        "seconds": measured.seconds,
        "runs": measured.runs,
        "peak_mb": measured.peak_mb,
        "added_mb": measured.added_mb,
    }


def _figures(timing: dict[str, Any], rows: int, input_mb: float | None = None) -> dict[str, Any]:
    figures = {
        "seconds": timing["seconds"],
        "runs": timing["runs"],
        "rows": rows,
        "rows_per_s": rows / timing["seconds"],
        "peak_added_mb": timing["added_mb"],
        "process_peak_mb": timing["peak_mb"],
    }
    if input_mb is not None:
        figures["mb_per_s"] = input_mb / timing["seconds"]
    return figures


def _summary(stages: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One table row per stage and implementation, for the human summary."""
    return [
        {
            "stage": stage,
            "implementation": implementation,
            "seconds": figures["seconds"],
            "rows/s": figures["rows_per_s"],
            "MB/s": figures.get("mb_per_s"),
            "peak added MB": figures.get("peak_added_mb"),
            "process peak MB": figures.get("process_peak_mb"),
        }
        for stage, implementations in stages.items()
        for implementation, figures in implementations.items()
    ]
