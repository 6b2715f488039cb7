"""A DuckDB file of views over the lake, for ad-hoc SQL (``duckdb -readonly var/warehouse.duckdb``).

The views glob each table's partition files, so a new or re-run partition is visible at
once without rebuilding. The file is rebuilt under a temporary name and renamed into
place: a session that has the old file open keeps reading it, and nothing ever waits
on DuckDB's single-writer lock.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from prefinery.storage import PART_FILE, Lake


def build_warehouse(lake: Lake, path: Path) -> list[str]:
    tables = sorted(p.name for p in lake.root.iterdir() if p.is_dir()) if lake.root.is_dir() else []
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    created = []
    try:
        con = duckdb.connect(str(tmp))
        try:
            for table in tables:
                base = lake.root / table
                pattern = base / PART_FILE if (base / PART_FILE).is_file() else base / "*" / PART_FILE
                if not list(base.glob(f"{'' if pattern.parent == base else '*/'}{PART_FILE}")):
                    continue
                literal = str(pattern).replace("'", "''")
                con.execute(
                    f'create view "{table}" as select * from read_parquet(\'{literal}\', union_by_name = true)'
                )
                created.append(table)
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return created
