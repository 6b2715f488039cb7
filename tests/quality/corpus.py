"""The hostile-input corpus: one folder per case under ``tests/quality/corpus/``.

A case folder holds its input files and a ``case.yaml``::

    description: what is hostile about the input, and why the outcome is the right one
    level: record            # record: records are quarantined; file / config: the run fails
    source:                  # the registry entry, less id, files (and citation/homepage, defaulted)
      kind: preference
      role: train
      parser: hh_rlhf.pairs
      license: {spdx: MIT}
    files:
    - path: pairs.jsonl      # the registry path is corpus/<case>/pairs.jsonl
      format: jsonl          # any other SourceFile key too: parser, options, rows, sha256 (a wrong pin)
      build:                 # optional: how to make the bytes (default: the committed file of that name)
        from: pairs.jsonl    #   the committed file to start from
        fill: {placeholder: "@FILL@", unit: "ab ", chars: 20000000}   # a huge field, made at test time
        gzip: true           #   compress (mtime 0)
        truncate: 0.5        #   keep this fraction of the bytes
      registry_path: pair.jsonl  # the registry names this path instead (a typo), relative to the case
    expect:
      parsed:                # record level: per file, per record, the reason code of each candidate
        pairs.jsonl: [[null], [invalid_json]]    # null: the candidate is accepted
      final:                 # after dbt's set-level rules, where they differ from ``parsed``
        pairs.jsonl: [[null], [duplicate_record]]
      examples:              # exact values of accepted candidates: "<file>:<record>:<candidate>"
        "pairs.jsonl:0:0": {prompt: "hi", "len(response)": 3}
      error:                 # file / config level: the one error the run fails with
        stage: read          #   registry (loading it), read (read_source) or parse (parse_source)
        type: FileFormatError
        message: "source {source!r}, file {file!r}: ..."

Placeholders in ``error.message``: ``source`` (the corpus source id), ``file`` (its
registry path), ``path`` (where it lies in the data root), ``data_root``, ``origin`` (the
registry file), ``pinned`` (the registry's sha256), ``actual`` (the file's sha256) and
``parsers`` (every parser name, as the registry's error lists them).

``build_corpus`` turns cases into a registry plus a data root in which every case's files
lie at their registry paths, optionally beside the shipped sources (symlinked), so one
registry can drive a real materialization of shipped data and corpus together.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from prefinery.parsers import PARSERS
from prefinery.registry import Registry, load_registry
from prefinery.settings import SHIPPED_REGISTRY, Settings

CORPUS_DIR = Path(__file__).parent / "corpus"
SOURCE_PREFIX = "corpus_"
DATA_PREFIX = "corpus"
LEVELS = ("record", "file", "config")
ACCEPTED = None  # a candidate with no reason code: an example (or a license record)

Outcomes = dict[str, list[list[str | None]]]  # file name -> per record, per candidate: reason or None


@dataclass(frozen=True)
class Case:
    id: str
    folder: Path
    description: str
    level: str
    source: Mapping[str, Any]
    files: tuple[Mapping[str, Any], ...]
    expect: Mapping[str, Any]

    @property
    def source_id(self) -> str:
        return SOURCE_PREFIX + self.id

    @property
    def parsed(self) -> Outcomes:
        return self.expect.get("parsed", {})

    @property
    def final(self) -> Outcomes:
        """The outcome after dbt, which adds duplicate_record and unknown_license."""
        return self.expect.get("final", self.parsed)

    def registry_path(self, name: str) -> str:
        """Where a case file lies in the data root, which is also its registry path."""
        return f"{DATA_PREFIX}/{self.id}/{name}"

    def file_name(self, registry_path: str) -> str:
        return registry_path.removeprefix(f"{DATA_PREFIX}/{self.id}/")


def load_cases(corpus_dir: Path = CORPUS_DIR) -> list[Case]:
    cases = []
    for folder in sorted(p for p in corpus_dir.iterdir() if (p / "case.yaml").is_file()):
        spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        unknown = set(spec) - {"description", "level", "source", "files", "expect"}
        if unknown or spec.get("level") not in LEVELS:
            raise ValueError(f"{folder}/case.yaml: unknown keys {sorted(unknown)} or level not in {LEVELS}")
        cases.append(
            Case(
                id=folder.name,
                folder=folder,
                description=spec["description"],
                level=spec["level"],
                source=spec["source"],
                files=tuple(spec["files"]),
                expect=spec["expect"],
            )
        )
    return cases


@dataclass(frozen=True)
class Corpus:
    """A registry file and a data root that holds every file the registry names."""

    registry_path: Path
    data_root: Path
    document: Mapping[str, Any]
    cases: tuple[Case, ...]

    def registry(self) -> Registry:
        return load_registry(self.registry_path, known_parsers=set(PARSERS))

    def settings(self, state_dir: Path) -> Settings:
        """Offline settings over this data root, with state (lake, cache) in ``state_dir``."""
        base = Settings.from_env({"PREFINERY_HOME": str(state_dir)})
        return dataclasses.replace(
            base, data_root=self.data_root, registry_path=self.registry_path, allow_download=False
        )

    def environ(self, state_dir: Path) -> dict[str, str]:
        """Environment variables that point a Prefinery process at this corpus."""
        return {
            "PREFINERY_REGISTRY": str(self.registry_path),
            "PREFINERY_DATA_ROOT": str(self.data_root),
            "PREFINERY_HOME": str(state_dir),
            "DAGSTER_HOME": str(state_dir / "dagster_home"),
            "PREFINERY_OFFLINE": "1",
        }

    def placeholders(self, case: Case) -> dict[str, str]:
        """Values for the placeholders of a case's expected error message."""
        (spec,) = case.files  # failing cases have one file
        registered = case.registry_path(spec.get("registry_path", spec["path"]))
        (entry,) = [s for s in self.document["sources"] if s.get("id") == case.source_id]
        pinned = entry["files"][0].get("sha256", "")
        path = self.data_root / case.registry_path(spec["path"])
        return {
            "source": case.source_id,
            "file": registered,
            "path": str(self.data_root / registered),
            "data_root": str(self.data_root),
            "origin": str(self.registry_path),
            "pinned": pinned,
            "actual": _sha256(path.read_bytes()) if path.is_file() else "",
            "parsers": ", ".join(sorted(PARSERS)),
        }


def build_corpus(dest: Path, cases: Iterable[Case] | None = None, shipped: Iterable[str] = ()) -> Corpus:
    """Write a registry and a data root under ``dest`` for ``cases`` (default: every
    record-level case) plus the ``shipped`` sources, whose files are symlinked from the
    configured data root. The registry is written even when a case makes it invalid."""
    cases = tuple(cases) if cases is not None else tuple(c for c in load_cases() if c.level == "record")
    data_root = dest / "data"
    data_root.mkdir(parents=True, exist_ok=True)
    shipped_document = yaml.safe_load(SHIPPED_REGISTRY.read_text(encoding="utf-8"))
    document: dict[str, Any] = {
        "version": 1,
        "licenses": copy.deepcopy(shipped_document["licenses"]),
        "sources": [],
    }
    wanted = list(shipped)
    if wanted:
        shipped_root = Settings.from_env().data_root
        if shipped_root is None:
            raise FileNotFoundError("no data root with the shipped sources: set PREFINERY_DATA_ROOT")
        by_id = {s["id"]: s for s in shipped_document["sources"]}
        for source_id in wanted:
            entry = by_id[source_id]
            for f in entry["files"]:
                link = data_root / f["path"]
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(shipped_root / f["path"])
            document["sources"].append(entry)
    for case in cases:
        document["sources"].append(_source_entry(case, data_root))
    registry_path = dest / "registry.yaml"
    registry_path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Corpus(registry_path, data_root, document, cases)


def _source_entry(case: Case, data_root: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": case.source_id,
        "citation": "Prefinery hostile-input corpus",
        "homepage": "https://example.org/prefinery/corpus",
        **copy.deepcopy(dict(case.source)),
        "files": [],
    }
    for spec in case.files:
        data = _build_bytes(case, spec)
        target = data_root / case.registry_path(spec["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        registered = {k: copy.deepcopy(v) for k, v in spec.items() if k not in ("build", "registry_path")}
        registered["path"] = case.registry_path(spec.get("registry_path", spec["path"]))
        registered.setdefault("sha256", _sha256(data))
        entry["files"].append(registered)
    return entry


def column_values(row: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """The row's values for the columns an ``examples`` expectation names; ``len(column)``
    is the length of a text too long to write out."""
    found = {}
    for column in expected:
        name = column[4:-1] if column.startswith("len(") and column.endswith(")") else column
        found[column] = len(row[name]) if name != column else row[name]
    return found


def _build_bytes(case: Case, spec: Mapping[str, Any]) -> bytes:
    build = spec.get("build", {})
    data = (case.folder / build.get("from", spec["path"])).read_bytes()
    if "fill" in build:
        fill = build["fill"]
        unit, chars = fill["unit"], int(fill["chars"])
        text = (unit * (chars // len(unit) + 1))[:chars]
        data = data.replace(fill["placeholder"].encode(), text.encode())
    if build.get("gzip"):
        data = gzip.compress(data, mtime=0)
    if "truncate" in build:
        data = data[: int(len(data) * float(build["truncate"]))]
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
