"""A DuckDB file of views over the lake, for ad-hoc SQL (``duckdb -readonly var/warehouse.duckdb``).

The views glob each table's partition files, so a new or re-run partition shows at once
and the file changes only when a table appears or disappears. It is then rebuilt under
a temporary name and renamed into place: a session with the old file open keeps reading
it, and no run ever waits on DuckDB's single-writer lock. The file is generated: tables
a user creates in it are not kept.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from prefinery.storage import PART_FILE, Lake


@dataclass(frozen=True)
class Warehouse:
    path: Path
    views: dict[str, str]  # view name -> the Parquet glob it reads
    rebuilt: bool


def build_warehouse(lake: Lake, path: Path) -> Warehouse:
    views = _views(lake)
    manifest = path.with_name(path.name + ".views.json")
    if path.is_file() and manifest.is_file() and json.loads(manifest.read_text()) == views:
        return Warehouse(path, views, rebuilt=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with duckdb.connect(str(tmp)) as con:
            for name, pattern in views.items():
                literal = pattern.replace("'", "''")
                con.execute(f"create view \"{name}\" as select * from read_parquet('{literal}', union_by_name = true)")
            con.execute("checkpoint")
        os.replace(tmp, path)
        # A write-ahead log beside the path belongs to a session on the file just replaced;
        # left there, DuckDB would replay it into the new file and refuse to open it.
        Path(f"{path}.wal").unlink(missing_ok=True)
        _write_atomically(manifest, json.dumps(views, indent=1, sort_keys=True))
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return Warehouse(path, views, rebuilt=True)


def _views(lake: Lake) -> dict[str, str]:
    views = {}
    if lake.root.is_dir():
        for base in sorted(p for p in lake.root.iterdir() if p.is_dir() and not p.name.startswith("_")):
            if (base / PART_FILE).is_file():
                views[base.name] = str(base / PART_FILE)
            elif lake.partitions(base.name):
                views[base.name] = str(base / "*" / PART_FILE)
    return views


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
