from __future__ import annotations

import copy

import pytest
import yaml

from prefinery.parsers import PARSERS
from prefinery.registry import Kind, RegistryError, Role, parse_registry
from prefinery.settings import SHIPPED_REGISTRY


@pytest.fixture
def document() -> dict:
    return yaml.safe_load(SHIPPED_REGISTRY.read_text())


def test_the_shipped_registry_is_valid_and_covers_every_shared_dataset(shipped_registry):
    from prefinery.settings import Settings

    data_root = Settings.from_env().data_root
    registered = {f.path for s in shipped_registry.sources for f in s.files}
    on_disk = {str(p.relative_to(data_root)) for p in data_root.rglob("*.gz")}
    assert registered == on_disk
    assert {s.role for s in shipped_registry.sources} == {Role.TRAIN, Role.EVAL, Role.REFERENCE}
    assert all(f.upstream is not None and f.rows is not None for s in shipped_registry.sources for f in s.files)
    assert shipped_registry.source("data_provenance").kind is Kind.LICENSE_METADATA


def test_every_parser_the_registry_names_exists(shipped_registry):
    used = {s.parser_for(f) for s in shipped_registry.sources for f in s.files}
    assert used <= set(PARSERS)


def _error(document) -> str:
    with pytest.raises(RegistryError) as excinfo:
        parse_registry(document, origin="sources.yaml", known_parsers=set(PARSERS))
    return str(excinfo.value)


def test_a_mistyped_key_names_the_entry_and_suggests_the_key(document):
    entry = document["sources"][2]
    entry["licence"] = entry.pop("license")
    message = _error(document)
    assert f"sources[2] (id={entry['id']})" in message
    assert "licence: unknown key (did you mean 'license'?)" in message


def test_a_mistyped_file_key_names_the_file(document):
    document["sources"][0]["files"][0]["sha265"] = document["sources"][0]["files"][0].pop("sha256")
    message = _error(document)
    assert "files[0] (path=hh_rlhf/harmless-base/test.jsonl.gz)" in message
    assert "did you mean 'sha256'" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["sources"][0].update(kind="preferences"), "Input should be 'preference'"),
        (lambda d: d["sources"][0].update(role="training"), "Input should be 'train'"),
        (lambda d: d["sources"][0]["files"][0].update(sha256="abc"), "String should match pattern"),
        (lambda d: d["sources"][0]["files"][0].update(path="../escape.jsonl"), "relative path inside the data root"),
        (lambda d: d["sources"][1].update(id=d["sources"][0]["id"]), "source ids must be unique"),
        (lambda d: d["sources"][0]["license"].update(spdx="GPL-9.0"), "license 'GPL-9.0' is not declared"),
        (
            lambda d: d["sources"][0].update(parser="hh_rlhf.pair"),
            "unknown parser 'hh_rlhf.pair' (did you mean 'hh_rlhf.pairs'?)",
        ),
        (lambda d: d["sources"][0].update(role="reference"), "license_metadata goes with role reference"),
        (lambda d: d.pop("version"), "version: Field required"),
    ],
)
def test_invalid_entries_fail_with_a_precise_message(document, mutate, expected):
    broken = copy.deepcopy(document)
    mutate(broken)
    assert expected in _error(broken)


def test_a_file_that_is_not_a_mapping_is_rejected():
    with pytest.raises(RegistryError, match="expected a mapping"):
        parse_registry(["not", "a", "mapping"])
