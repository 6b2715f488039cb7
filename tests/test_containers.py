from __future__ import annotations

import gzip
import json

import pytest
import zstandard

from prefinery.containers import FileFormatError, read_records
from prefinery.registry import FileFormat


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def records(path, fmt):
    return read_records(path, fmt, label=f"file {path.name!r}").to_pylist()


def test_json_array_elements_keep_their_text_and_order(tmp_path):
    text = b'[ {"b": 1.0, "a": "x"},\n  {"a": "\\u2028"}, "just a string", [1, 2] ]'
    rows = records(write(tmp_path, "a.json", text), FileFormat.JSON)
    assert [r["payload"] for r in rows] == ['{"b": 1.0, "a": "x"}', '{"a": "\\u2028"}', '"just a string"', "[1, 2]"]
    assert [r["record_index"] for r in rows] == [0, 1, 2, 3]
    assert rows[2]["locator"] == "element 2"


@pytest.mark.parametrize("compress", [lambda b: gzip.compress(b), lambda b: zstandard.ZstdCompressor().compress(b)])
def test_compressed_arrays_and_lines_read_the_same(tmp_path, compress):
    body = [{"i": i} for i in range(3)]
    suffix = ".gz" if compress(b"x")[:2] == b"\x1f\x8b" else ".zst"
    array = write(tmp_path, f"a.json{suffix}", compress(json.dumps(body).encode()))
    lines = write(tmp_path, f"a.jsonl{suffix}", compress(b"\n".join(json.dumps(r).encode() for r in body)))
    assert [json.loads(r["payload"]) for r in records(array, FileFormat.JSON)] == body
    assert [json.loads(r["payload"]) for r in records(lines, FileFormat.JSONL)] == body


def test_json_lines_split_on_newline_only(tmp_path):
    data = '\ufeff{"a": "one\u2028still one"}\r\n\n   \n{"a": 2}\n{"a": 3'.encode()
    rows = records(write(tmp_path, "l.jsonl", data), FileFormat.JSONL)
    assert [r["payload"] for r in rows] == ['{"a": "one\u2028still one"}', '{"a": 2}', '{"a": 3']
    assert [r["locator"] for r in rows] == ["line 1", "line 4", "line 5"]
    assert [r["record_index"] for r in rows] == [0, 1, 2]


def test_an_undecodable_line_is_marked_and_its_neighbours_kept(tmp_path):
    data = b'{"a": 1}\n{"a": "\xff\xfe"}\n{"a": 3}\n'
    rows = records(write(tmp_path, "l.jsonl", data), FileFormat.JSONL)
    assert [r["decode_error"] for r in rows] == [None, "invalid_utf8", None]
    assert rows[1]["payload"] == '{"a": "\ufffd\ufffd"}'


def test_json_object_keys_become_records_in_file_order(tmp_path):
    data = b'{"MIT License": ["All", "1", "0"], "CC BY-NC 4.0": ["NC", "1", "0"]}'
    rows = records(write(tmp_path, "o.json", data), FileFormat.JSON_OBJECT)
    assert [json.loads(r["payload"]) for r in rows] == [
        {"key": "MIT License", "value": ["All", "1", "0"]},
        {"key": "CC BY-NC 4.0", "value": ["NC", "1", "0"]},
    ]
    assert rows[1]["locator"] == "key 'CC BY-NC 4.0'"


@pytest.mark.parametrize(
    ("name", "data", "fmt", "expected"),
    [
        ("empty.jsonl", b"", FileFormat.JSONL, "the file is empty"),
        ("plain.jsonl.gz", b'{"a": 1}\n', FileFormat.JSONL, "its name ends in '.gz' but its bytes are not compressed"),
        (
            "packed.jsonl",
            gzip.compress(b'{"a": 1}\n'),
            FileFormat.JSONL,
            "its bytes are gzip. The file is not what its name says: rename it to end in '.gz'",
        ),
        (
            "cut.json.gz",
            half(gzip.compress(json.dumps([{"i": i} for i in range(500)]).encode())),
            FileFormat.JSON,
            "stream is corrupt or truncated",
        ),
        (
            "cut.jsonl.gz",
            half(gzip.compress("".join(f'{{"i": {i}}}\n' for i in range(500)).encode())),
            FileFormat.JSONL,
            "stream is corrupt or truncated",
        ),
        (
            "array.jsonl",
            b'[{"a": 1},\n {"a": 2}]\n',
            FileFormat.JSONL,
            "is one JSON array, not one record per line. Set format: json",
        ),
        ("lines.json", b'{"a": 1}\n{"a": 2}\n', FileFormat.JSON, "does not start with '['"),
        ("broken.json", b'[{"a": 1}, {"a": ]', FileFormat.JSON, "not a valid JSON array"),
        ("list.json", b"[1, 2]", FileFormat.JSON_OBJECT, "the top level is a list"),
    ],
)
def test_file_level_problems_fail_with_the_file_and_the_fix(tmp_path, name, data, fmt, expected):
    path = write(tmp_path, name, data)
    with pytest.raises(FileFormatError) as excinfo:
        read_records(path, fmt, label=f"source 'demo', file {name!r}")
    assert f"source 'demo', file {name!r}" in str(excinfo.value)
    assert expected in str(excinfo.value)
