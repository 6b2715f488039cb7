"""Find each registered file and prove it is the pinned one.

Resolution order, per file:
  1. the data root (PREFINERY_DATA_ROOT, else ../shared/data beside the checkout);
  2. the download cache, where a file fetched earlier from its upstream URL is kept;
  3. a fresh download from the upstream URL into the cache;
  4. otherwise an error that names the source, the file and what to do.
Every file is checked against its sha256 before a single record is read.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from prefinery.registry import Source, SourceFile
from prefinery.settings import Settings
from prefinery.storage import file_sha256


class SourceFileError(RuntimeError):
    """A registered file is missing, unreachable or not the pinned version."""


@dataclass(frozen=True)
class ResolvedFile:
    path: Path
    sha256: str
    origin: str  # "data_root", "cache" or "download"


class FileResolver:
    def __init__(self, settings: Settings, log: Callable[[str], None] | None = None):
        self.settings = settings
        self.log = log or (lambda message: None)

    def resolve(self, source: Source, file: SourceFile) -> ResolvedFile:
        label = f"source {source.id!r}, file {file.path!r}"
        root = self.settings.data_root
        if root is not None and (root / file.path).is_file():
            local = root / file.path
            actual = file_sha256(local)
            if actual != file.sha256:
                raise SourceFileError(
                    f"{label}: sha256 mismatch at {local}: expected {file.sha256}, found {actual}. "
                    "The file differs from the pinned version: restore the original, or, if the "
                    "upstream changed on purpose, update its sha256 in the registry."
                )
            return ResolvedFile(local, actual, "data_root")

        if file.upstream is None:
            raise SourceFileError(
                f"{label}: not found under the data root ({root or 'none found'}) and the registry "
                "gives no upstream URL to download it from. Set PREFINERY_DATA_ROOT to a folder "
                f"that holds {file.path}, or add an upstream url and sha256 to the entry."
            )
        cached = self._cache_path(source, file)
        if cached.is_file():
            actual = file_sha256(cached)
            if actual == file.upstream.sha256:
                return ResolvedFile(cached, actual, "cache")
            self.log(f"{label}: cached copy {cached} fails its sha256 check; downloading again")
            cached.unlink()
        if not self.settings.allow_download:
            raise SourceFileError(
                f"{label}: not under the data root ({root or 'none found'}) nor in the cache "
                f"({cached.parent}), and downloads are off (PREFINERY_OFFLINE). Set "
                f"PREFINERY_DATA_ROOT to a folder holding {file.path}, or allow downloads."
            )
        self._download(label, file.upstream.url, file.upstream.sha256, cached)
        return ResolvedFile(cached, file.upstream.sha256, "download")

    def _cache_path(self, source: Source, file: SourceFile) -> Path:
        # Named after the upstream file so its extension tells the truth about its bytes.
        name = PurePosixPath(unquote(urlparse(file.upstream.url).path)).name or "download"
        return self.settings.cache_dir / source.id / file.upstream.sha256[:16] / name

    def _download(self, label: str, url: str, expected_sha256: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        self.log(f"{label}: downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out, length=1 << 20)
            actual = file_sha256(tmp)
            if actual != expected_sha256:
                raise SourceFileError(
                    f"{label}: downloaded {url} but its sha256 is {actual}, not the pinned "
                    f"{expected_sha256}. The upstream file changed: check it, then update the pin."
                )
            os.replace(tmp, target)
            self.log(f"{label}: cached at {target} ({target.stat().st_size:,} bytes)")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SourceFileError(
                f"{label}: not under the data root and the download from {url} failed ({exc}). "
                "Check the network, or set PREFINERY_DATA_ROOT to a folder holding the file."
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
