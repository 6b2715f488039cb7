"""Where Prefinery reads and writes, resolved once from the environment.

Everything a run produces lives under one state folder (``var/`` in the checkout by
default), so a user can find it, back it up or delete it in one place:

    var/dagster_home/   Dagster's SQLite instance (DAGSTER_HOME)
    var/lake/           Parquet files, one folder per asset and partition
    var/warehouse.duckdb  read-only views over the lake for ad-hoc SQL
    var/cache/          downloaded source files, checked by sha256

Each path can be moved with an environment variable; see ``Settings.from_env``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_REGISTRY = Path(__file__).resolve().parent / "registry" / "sources.yaml"


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    lake_root: Path
    cache_dir: Path
    registry_path: Path
    warehouse_path: Path
    data_root: Path | None  # explicit or discovered data root; None means "download only"
    allow_download: bool

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        state = Path(env.get("PREFINERY_HOME", PROJECT_ROOT / "var")).resolve()
        return cls(
            state_dir=state,
            lake_root=Path(env.get("PREFINERY_LAKE", state / "lake")).resolve(),
            cache_dir=Path(env.get("PREFINERY_CACHE", state / "cache")).resolve(),
            registry_path=Path(env.get("PREFINERY_REGISTRY", SHIPPED_REGISTRY)).resolve(),
            warehouse_path=Path(env.get("PREFINERY_WAREHOUSE", state / "warehouse.duckdb")).resolve(),
            data_root=_data_root(env),
            allow_download=env.get("PREFINERY_OFFLINE", "0") not in ("1", "true", "yes"),
        )


def _data_root(env) -> Path | None:
    """An explicit PREFINERY_DATA_ROOT wins; otherwise ../shared/data beside the checkout."""
    explicit = env.get("PREFINERY_DATA_ROOT")
    if explicit:
        return Path(explicit).resolve()
    sibling = PROJECT_ROOT.parent / "shared" / "data"
    return sibling if sibling.is_dir() else None
