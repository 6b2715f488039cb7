from __future__ import annotations

import subprocess
import sys

import yaml

from prefinery.cli import main
from prefinery.settings import SHIPPED_REGISTRY


def test_sources_list_prints_one_line_per_source(capsys, shipped_registry):
    assert main(["sources", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == shipped_registry.source_ids
    assert "alpaca_eval" in lines[1] and "CC-BY-NC-4.0" in lines[1] and "50,711 records" in lines[1]


def test_sources_check_verifies_every_pinned_file(capsys, shipped_registry):
    assert main(["sources", "check"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok   ") == sum(len(s.files) for s in shipped_registry.sources)
    assert out.strip().endswith("0 problem(s) in 216 files")


def test_an_invalid_registry_exits_2_with_the_message(tmp_path):
    document = yaml.safe_load(SHIPPED_REGISTRY.read_text())
    document["sources"][0]["kind"] = "preferences"
    broken = tmp_path / "sources.yaml"
    broken.write_text(yaml.safe_dump(document))
    result = subprocess.run(
        [sys.executable, "-m", "prefinery.cli", "sources", "list"],
        env={"PREFINERY_REGISTRY": str(broken), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "sources[0] (id=hh_rlhf).kind: Input should be 'preference'" in result.stderr


def test_run_refuses_an_unknown_source():
    import pytest

    from orchestration.launch import materialize

    with pytest.raises(ValueError, match="unknown source"):
        materialize(["no_such_source"])


def test_run_refuses_a_selection_that_matches_nothing_or_cannot_be_read():
    import pytest

    from orchestration.launch import materialize

    with pytest.raises(ValueError, match="'key:no_such_asset' matches no asset"):
        materialize(["hh_rlhf"], selection="key:no_such_asset")
    with pytest.raises(ValueError, match="cannot read the asset selection 'group:ingest or'"):
        materialize(["hh_rlhf"], selection="group:ingest or")
