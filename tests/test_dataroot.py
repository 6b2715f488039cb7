from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from prefinery.dataroot import FileResolver, SourceFileError
from prefinery.registry import parse_registry
from prefinery.settings import Settings

PAYLOAD = b'{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: a", "rejected": "\\n\\nHuman: hi\\n\\nAssistant: b"}\n'
STORED = gzip.compress(PAYLOAD, mtime=0)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on loopback, serving the 'upstream' copy of the file."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    (upstream / "pairs.jsonl").write_bytes(PAYLOAD)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(upstream))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", upstream
    httpd.shutdown()


def source(url: str = "http://127.0.0.1:9/pairs.jsonl", upstream_sha: str = sha(PAYLOAD)):
    registry = parse_registry(
        {
            "version": 1,
            "licenses": {"MIT": {"name": "MIT License"}},
            "sources": [
                {
                    "id": "demo",
                    "kind": "preference",
                    "role": "train",
                    "parser": "hh_rlhf.pairs",
                    "license": {"spdx": "MIT"},
                    "citation": "test",
                    "homepage": "https://example.org",
                    "files": [
                        {
                            "path": "demo/pairs.jsonl.gz",
                            "sha256": sha(STORED),
                            "format": "jsonl",
                            "upstream": {"url": url, "sha256": upstream_sha},
                        }
                    ],
                }
            ],
        }
    )
    s = registry.source("demo")
    return s, s.files[0]


def settings(tmp_path: Path, data_root: Path | None, allow_download: bool = True) -> Settings:
    base = Settings.from_env({"PREFINERY_HOME": str(tmp_path / "state")})
    return dataclasses.replace(base, data_root=data_root, allow_download=allow_download)


def test_the_data_root_wins_and_is_checked(tmp_path):
    root = tmp_path / "data"
    (root / "demo").mkdir(parents=True)
    (root / "demo/pairs.jsonl.gz").write_bytes(STORED)
    s, f = source()
    resolved = FileResolver(settings(tmp_path, root)).resolve(s, f)
    assert (resolved.path, resolved.origin, resolved.sha256) == (root / "demo/pairs.jsonl.gz", "data_root", sha(STORED))


def test_a_changed_file_in_the_data_root_is_refused_with_the_fix(tmp_path):
    root = tmp_path / "data"
    (root / "demo").mkdir(parents=True)
    (root / "demo/pairs.jsonl.gz").write_bytes(gzip.compress(PAYLOAD + b"{}\n"))
    s, f = source()
    with pytest.raises(SourceFileError) as excinfo:
        FileResolver(settings(tmp_path, root)).resolve(s, f)
    message = str(excinfo.value)
    assert "source 'demo', file 'demo/pairs.jsonl.gz': sha256 mismatch" in message
    assert f"expected {sha(STORED)}" in message and "update its sha256 in the registry" in message


def test_a_missing_file_is_downloaded_into_the_cache_once(tmp_path, server):
    url, upstream = server
    s, f = source(f"{url}/pairs.jsonl")
    logged: list[str] = []
    resolver = FileResolver(settings(tmp_path, tmp_path / "empty-root"), log=logged.append)
    first = resolver.resolve(s, f)
    assert first.origin == "download" and first.path.read_bytes() == PAYLOAD
    assert first.path.name == "pairs.jsonl"  # named after the upstream bytes, not the .gz pin
    (upstream / "pairs.jsonl").unlink()  # the cache must now serve it alone
    again = resolver.resolve(s, f)
    assert (again.origin, again.path) == ("cache", first.path)
    assert any("downloading" in line for line in logged)


def test_a_download_that_fails_its_pin_leaves_nothing_behind(tmp_path, server):
    url, _ = server
    s, f = source(f"{url}/pairs.jsonl", upstream_sha="0" * 64)
    resolver = FileResolver(settings(tmp_path, None))
    with pytest.raises(SourceFileError, match=r"sha256 is .* not the pinned 0{64}"):
        resolver.resolve(s, f)
    assert not [p for p in (tmp_path / "state/cache").rglob("*") if p.is_file()]


def test_unreachable_upstream_names_the_source_the_url_and_the_way_out(tmp_path):
    s, f = source("http://127.0.0.1:9/pairs.jsonl")  # port 9 (discard) refuses connections
    with pytest.raises(SourceFileError) as excinfo:
        FileResolver(settings(tmp_path, tmp_path / "nowhere")).resolve(s, f)
    message = str(excinfo.value)
    assert "source 'demo', file 'demo/pairs.jsonl.gz'" in message
    assert "http://127.0.0.1:9/pairs.jsonl" in message and "PREFINERY_DATA_ROOT" in message


def test_offline_mode_says_where_it_looked(tmp_path):
    s, f = source()
    with pytest.raises(SourceFileError, match="downloads are off"):
        FileResolver(settings(tmp_path, tmp_path / "nowhere", allow_download=False)).resolve(s, f)
