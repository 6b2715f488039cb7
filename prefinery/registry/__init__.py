"""The source registry: every dataset Prefinery knows, its files pinned by sha256, its
license and extra terms, its citation and its role.

The YAML is validated on load. Any mistake fails with one message per problem that
names the entry (``sources[3] (id=gsm8k_train)``), the field, and, for a mistyped key,
the key that was probably meant.
"""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9_]{0,62}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class RegistryError(ValueError):
    """The registry file is missing, unreadable or invalid."""


class Kind(StrEnum):
    PREFERENCE = "preference"
    RATINGS = "ratings"
    SFT = "sft"
    LICENSE_METADATA = "license_metadata"


class Role(StrEnum):
    TRAIN = "train"
    EVAL = "eval"
    REFERENCE = "reference"  # metadata that feeds other stages (license taxonomy), never examples


class FileFormat(StrEnum):
    JSONL = "jsonl"
    JSON = "json"  # one JSON array of records
    JSON_OBJECT = "json_object"  # one JSON object; each top-level key is a record
    PARQUET = "parquet"
    CSV = "csv"
    TSV = "tsv"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Upstream(_Strict):
    """Where the file comes from, and the sha256 of the bytes served there."""

    url: str = Field(pattern=r"^https?://")
    sha256: str = Field(pattern=SHA256_PATTERN)


class SourceFile(_Strict):
    path: str = Field(description="relative to the data root")
    sha256: str = Field(pattern=SHA256_PATTERN)
    format: FileFormat
    parser: str | None = Field(default=None, description="overrides the source's parser")
    options: dict[str, Any] = Field(default_factory=dict, description="passed to the parser")
    rows: int | None = Field(default=None, ge=0, description="records the file is known to hold")
    upstream: Upstream | None = None

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        p = PurePosixPath(value)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise ValueError(f"must be a relative path inside the data root, got {value!r}")
        return value


class LicenseTerm(_Strict):
    """An obligation beyond the SPDX license, e.g. terms on a model's outputs."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    text: str
    dpi_name: str | None = Field(default=None, description="the Data Provenance license class these terms amount to")


class SourceLicense(_Strict):
    spdx: str
    terms: list[LicenseTerm] = Field(default_factory=list)


class LicenseDefinition(_Strict):
    name: str
    dpi_name: str | None = Field(default=None, description="the name the Data Provenance Initiative's taxonomy uses")
    url: str | None = None


class Source(_Strict):
    id: str = Field(pattern=SOURCE_ID_PATTERN)
    kind: Kind
    role: Role
    parser: str | None = None
    license: SourceLicense
    citation: str
    homepage: str
    description: str = ""
    files: list[SourceFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if (self.kind is Kind.LICENSE_METADATA) != (self.role is Role.REFERENCE):
            raise ValueError("kind license_metadata goes with role reference, and only with it")
        for f in self.files:
            if f.parser is None and self.parser is None:
                raise ValueError(f"file {f.path!r} has no parser and the source sets none")
        paths = [f.path for f in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("a file path is listed twice")
        return self

    def parser_for(self, file: SourceFile) -> str:
        return file.parser or self.parser  # type: ignore[return-value]

    def file(self, path: str) -> SourceFile:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(f"source {self.id!r} has no file {path!r}")


class Registry(_Strict):
    version: Literal[1]
    licenses: dict[str, LicenseDefinition]
    sources: list[Source]

    @model_validator(mode="after")
    def _cross_checks(self) -> Registry:
        ids = [s.id for s in self.sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source ids must be unique; repeated: {dupes}")
        for s in self.sources:
            if s.license.spdx not in self.licenses:
                raise ValueError(
                    f"source {s.id!r}: license {s.license.spdx!r} is not declared under "
                    f"'licenses:' (declared: {sorted(self.licenses)})"
                )
        return self

    @property
    def source_ids(self) -> list[str]:
        return [s.id for s in self.sources]

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"no source {source_id!r} in the registry; known: {self.source_ids}")


def load_registry(path: str | Path, known_parsers: set[str] | None = None) -> Registry:
    """Read and validate a registry file; ``known_parsers`` also checks parser names."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"registry file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from None
    return parse_registry(document, origin=str(path), known_parsers=known_parsers)


def parse_registry(document: Any, origin: str = "<registry>", known_parsers: set[str] | None = None) -> Registry:
    if not isinstance(document, dict):
        raise RegistryError(f"{origin}: expected a mapping with 'version', 'licenses' and 'sources'")
    try:
        registry = Registry.model_validate(document)
    except ValidationError as exc:
        problems = [_describe(err, document) for err in exc.errors()]
        raise RegistryError(f"{origin}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)) from None
    if known_parsers is not None:
        users: dict[str, list[str]] = {}
        for s in registry.sources:
            for f in s.files:
                if s.parser_for(f) not in known_parsers:
                    users.setdefault(s.parser_for(f), []).append(f"{s.id}:{f.path}")
        if users:
            problems = [
                f"unknown parser {name!r}{_suggest(name, known_parsers)}, used by {len(where)} file(s), "
                f"first {where[0]}"
                for name, where in users.items()
            ]
            raise RegistryError(
                f"{origin}: " + "; ".join(problems) + f". Known parsers: {', '.join(sorted(known_parsers))}"
            )
    return registry


_FIELDS_BY_MODEL = {
    "sources": set(Source.model_fields),
    "files": set(SourceFile.model_fields),
    "license": set(SourceLicense.model_fields),
    "upstream": set(Upstream.model_fields),
    "terms": set(LicenseTerm.model_fields),
}


def _describe(err: dict[str, Any], document: dict[str, Any]) -> str:
    """Name the entry by its id, not only by its index, and suggest a key for a typo."""
    loc = list(err["loc"])
    where: list[str] = []
    node: Any = document
    container = ""
    for part in loc:
        if isinstance(part, int):
            label = f"{container}[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and "id" in node:
                label += f" (id={node['id']})"
            elif isinstance(node, dict) and "path" in node:
                label += f" (path={node['path']})"
            where[-1:] = [label] if where and where[-1] == container else [*where, label]
        else:
            container = str(part)
            where.append(container)
            node = node.get(part) if isinstance(node, dict) else None
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        known = _FIELDS_BY_MODEL.get(parent, set(Registry.model_fields) if not parent else set())
        message = "unknown key" + _suggest(str(loc[-1]), known)
    return f"{'.'.join(where) or '<root>'}: {message}"


def _suggest(word: str, candidates: set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def file_slug(path: str) -> str:
    """A file path as a safe, readable name (for cache folders and log lines)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path)
