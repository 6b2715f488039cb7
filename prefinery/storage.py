"""The lake: every asset's data as Parquet, one file per asset partition.

Layout: ``<root>/<table>/<partition>/part-0.parquet`` for a table partitioned by source,
``<root>/<table>/part-0.parquet`` otherwise. All file access goes through ``Lake`` so
that a URI (fsspec) can replace the local path later without touching the assets.

Why files and not one DuckDB database: DuckDB lets one process write a database file at
a time, and a second writer fails at once. Here each partition is its own file, written
to a temporary name and renamed into place (atomic on POSIX), so two runs, two
backfills, or a reader and a writer never contend, and a failed run leaves no half
file behind. DuckDB is used in memory, per process, as the query engine over the files.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PART_FILE = "part-0.parquet"


@dataclass(frozen=True)
class WrittenPartition:
    path: Path
    rows: int
    sha256: str  # of the file's bytes: the partition's data version


class Lake:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def partition_file(self, table: str, partition: str | None = None) -> Path:
        base = self.root / table
        return (base / partition / PART_FILE) if partition is not None else base / PART_FILE

    def exists(self, table: str, partition: str | None = None) -> bool:
        return self.partition_file(table, partition).is_file()

    def partitions(self, table: str) -> list[str]:
        base = self.root / table
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / PART_FILE).is_file())

    def files(self, table: str, partitions: Iterable[str] | None = None) -> list[Path]:
        """Existing files of a table: all partitions, the given ones, or the unpartitioned file."""
        if partitions is None:
            single = self.partition_file(table)
            if single.is_file():
                return [single]
            return [self.partition_file(table, p) for p in self.partitions(table)]
        found = [self.partition_file(table, p) for p in partitions]
        return [f for f in found if f.is_file()]

    def write(self, table: str, data: pa.Table, partition: str | None = None) -> WrittenPartition:
        """Write one partition atomically: readers see the old file or the new one, never half."""
        # Every field nullable: whether a writer saw a null must not change a partition's
        # schema or bytes (DuckDB marks a column NOT NULL when the rows it wrote had none).
        data = data.cast(pa.schema([f.with_nullable(True) for f in data.schema], metadata=data.schema.metadata))
        target = self.partition_file(table, partition)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(data, tmp, compression="zstd", write_statistics=True)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return WrittenPartition(path=target, rows=data.num_rows, sha256=file_sha256(target))

    def write_partitions(
        self, table: str, data: pa.Table, partitions: Iterable[str], column: str = "source_id"
    ) -> dict[str, WrittenPartition]:
        """Split rows by ``column`` into the given partitions, row order kept. A partition
        with no rows gets an empty file, so a re-run that empties it leaves nothing stale."""
        keys = data.column(column)
        return {key: self.write(table, data.filter(pc.equal(keys, key)), partition=key) for key in partitions}

    def read(
        self,
        table: str,
        partitions: Iterable[str] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        files = self.files(table, partitions)
        if not files:
            raise FileNotFoundError(
                f"lake table {table!r} has no data"
                + (f" for partitions {sorted(partitions)}" if partitions is not None else "")
                + f" under {self.root}; materialize it first"
            )
        return pq.ParquetDataset(files).read(columns=list(columns) if columns else None)

    def scan(self, table: str, partitions: Iterable[str] | None = None) -> str:
        """A DuckDB table expression over a table's files, for SQL."""
        files = self.files(table, partitions)
        if not files:
            raise FileNotFoundError(f"lake table {table!r} has no data under {self.root}")
        listed = ", ".join(_sql_string(str(f)) for f in files)
        return f"read_parquet([{listed}], union_by_name = true)"

    def artifact_dir(self, name: str) -> Path:
        """A folder for non-tabular state a stage keeps between runs (a distilled model, an
        index). Write into it atomically too: build beside it, then rename."""
        path = self.root / "_artifacts" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB engine for querying lake files; never a shared database file."""
        return duckdb.connect(":memory:", config={"threads": os.cpu_count() or 1})


def file_sha256(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
