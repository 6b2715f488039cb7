from __future__ import annotations

import pyarrow as pa
import pytest

from prefinery.storage import Lake


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    lake = Lake(tmp_path)
    first = lake.write("t", pa.table({"source_id": ["a"], "x": [1]}), partition="a")
    with pytest.raises(pa.ArrowInvalid):
        lake.write("t", pa.table({"source_id": ["a"], "x": [object()]}), partition="a")  # fails mid-write
    assert lake.read("t", ["a"]).to_pylist() == [{"source_id": "a", "x": 1}]
    assert sorted(p.name for p in (tmp_path / "t" / "a").iterdir()) == ["part-0.parquet"]
    assert first.rows == 1 and len(first.sha256) == 64


def test_identical_data_gives_identical_bytes(tmp_path):
    lake = Lake(tmp_path)
    data = pa.table({"source_id": ["a", "a"], "text": ["x", "y"]})
    assert lake.write("t", data, "a").sha256 == lake.write("u", data, "a").sha256


def test_split_writes_every_requested_partition_even_empty_ones(tmp_path):
    lake = Lake(tmp_path)
    data = pa.table({"source_id": ["a", "b", "a"], "x": [1, 2, 3]})
    written = lake.write_partitions("t", data, ["a", "c"])
    assert {k: w.rows for k, w in written.items()} == {"a": 2, "c": 0}
    assert lake.read("t", ["a"]).column("x").to_pylist() == [1, 3]
    assert lake.read("t", ["c"]).schema == data.schema
    assert lake.partitions("t") == ["a", "c"]


def test_reading_a_missing_table_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"lake table 'nope' has no data .* materialize it first"):
        Lake(tmp_path).read("nope")


def test_a_partition_does_not_depend_on_what_else_its_writer_saw(tmp_path):
    lake = Lake(tmp_path)
    alone = pa.table(
        {"source_id": pa.array(["a"]), "x": pa.array([1])},
        schema=pa.schema(
            [pa.field("source_id", pa.string(), nullable=False), pa.field("x", pa.int64(), nullable=False)]
        ),
    )
    together = pa.table({"source_id": ["a", "b"], "x": [1, None]})
    assert lake.write("t", alone, "a").sha256 == lake.write_partitions("u", together, ["a"])["a"].sha256
