"""Split a source file into raw records, without interpreting them.

One record per JSON array element (read with DuckDB's ``read_json_objects``, which keeps
each element's text verbatim and coerces no types), per non-empty line of a JSON Lines
file (split on ``\\n`` only, so U+2028 inside a text never splits a record), or per
top-level key of a JSON object.

A problem with the *file* (truncated or mislabelled compression, the wrong container,
an empty or whitespace-only file, JSON Lines of which no line is JSON) raises
``FileFormatError`` naming the file and the fix. A problem with one *record* (invalid
UTF-8, invalid JSON) is left for the parse step to quarantine, so one bad line never
costs the rest of the file.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import zstandard

from prefinery.registry import FileFormat

MAX_RECORD_BYTES = 64 * 1024 * 1024  # larger records need a larger DuckDB buffer per thread
_MAGIC = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd"}
_SUFFIX = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_BOM = b"\xef\xbb\xbf"
READABLE_FORMATS = (FileFormat.JSONL, FileFormat.JSON, FileFormat.JSON_OBJECT)

RAW_RECORD_SCHEMA = pa.schema(
    [
        ("record_index", pa.int64()),
        ("locator", pa.string()),  # where a human finds the record: "line 12", "element 3", "key 'MIT'"
        ("payload", pa.string()),  # the record's text as found (bad bytes replaced, see decode_error)
        ("decode_error", pa.string()),  # a Reason code when the bytes could not be decoded
    ]
)


class FileFormatError(ValueError):
    """A source file cannot be read as declared; the message says how to fix it."""


def read_records(
    path: Path,
    fmt: FileFormat,
    label: str,
    con: duckdb.DuckDBPyConnection | None = None,
    progress: Callable[[str], None] | None = None,
) -> pa.Table:
    """Read ``path`` as ``fmt``, in file order; ``label`` names the file in errors.

    Pass ``con`` to reuse one in-memory DuckDB connection across many files.
    """
    compression = _detect_compression(path, label)
    if fmt is FileFormat.JSON:
        table = _read_json_array(path, compression, label, con)
    elif fmt is FileFormat.JSONL:
        table = _read_json_lines(_decompressed(path, compression, label), label, compression)
    elif fmt is FileFormat.JSON_OBJECT:
        table = _read_json_object(_decompressed(path, compression, label), label, compression)
    else:
        readable = ", ".join(f.value for f in READABLE_FORMATS)
        raise FileFormatError(
            f"{label}: format {fmt.value!r} is accepted by the registry but has no reader yet "
            f"(readable: {readable}). Convert the file to one of those and set its format."
        )
    if progress:
        progress(f"{label}: {table.num_rows:,} records")
    return table


def _detect_compression(path: Path, label: str) -> str | None:
    size = path.stat().st_size
    if size == 0:
        raise FileFormatError(f"{label}: the file is empty (0 bytes). Re-download it, or remove it from the registry.")
    with open(path, "rb") as fh:
        head = fh.read(4)
    by_magic = next((name for name, magic in _MAGIC.items() if head.startswith(magic)), None)
    by_name = _SUFFIX.get(path.suffix.lower())
    if by_magic != by_name:
        said = f"its name ends in {path.suffix!r}" if by_name else "its name has no compression suffix"
        found = f"its bytes are {by_magic}" if by_magic else "its bytes are not compressed"
        fix = (
            f"rename it to end in '.{'gz' if by_magic == 'gzip' else 'zst'}'"
            if by_magic
            else (f"rename it without {path.suffix!r}")
        )
        raise FileFormatError(f"{label}: {said} but {found}. The file is not what its name says: {fix}, or replace it.")
    return by_magic


def _decompressed(path: Path, compression: str | None, label: str) -> bytes:
    raw = path.read_bytes()
    try:
        if compression == "gzip":
            return gzip.decompress(raw)
        if compression == "zstd":
            return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    except (EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
        raise FileFormatError(
            f"{label}: the {compression} stream is corrupt or truncated ({exc}). "
            "Re-download the file; its sha256 pin says which bytes are expected."
        ) from None
    return raw


def _read_json_array(
    path: Path, compression: str | None, label: str, con: duckdb.DuckDBPyConnection | None
) -> pa.Table:
    first = _first_significant_byte(path, compression, label)
    if not first:
        raise _no_records(label, compression)
    if first != b"[":
        raise FileFormatError(
            f"{label}: declared format 'json' (one JSON array) but the file does not start with '['. "
            "If it holds one JSON object per line, set format: jsonl; "
            "if it is one object keyed by record, set format: json_object."
        )
    own = con is None
    con = duckdb.connect(":memory:") if own else con
    try:
        payloads = (
            con.sql(
                "select json::varchar as payload from read_json_objects($path, format = 'array', "
                "maximum_object_size = $max_bytes, compression = $compression)",
                params={"path": str(path), "max_bytes": MAX_RECORD_BYTES, "compression": compression or "none"},
            )
            .to_arrow_table()
            .column("payload")
        )
    except duckdb.Error as exc:
        if compression:
            _decompressed(path, compression, label)  # a damaged stream gets its own, clearer error
        raise FileFormatError(
            f"{label}: not a valid JSON array: {str(exc).splitlines()[0].rstrip(' .')}. "
            "Fix or re-download the file; a record-level problem cannot be isolated inside one JSON document."
        ) from None
    finally:
        if own:
            con.close()
    return pa.table(
        {
            "record_index": pa.array(range(len(payloads)), pa.int64()),
            "locator": [f"element {i}" for i in range(len(payloads))],
            "payload": payloads.cast(pa.string()),
            "decode_error": pa.nulls(len(payloads), pa.string()),
        },
        schema=RAW_RECORD_SCHEMA,
    )


def _first_significant_byte(path: Path, compression: str | None, label: str) -> bytes:
    """The first byte after a BOM and whitespace, however much whitespace; b"" if none."""
    opener = {"gzip": gzip.open, "zstd": lambda p, m: zstandard.open(p, m)}.get(compression or "", open)
    try:
        with opener(path, "rb") as fh:
            chunk = fh.read(4096).removeprefix(_BOM)
            while chunk:
                if stripped := chunk.lstrip():
                    return stripped[:1]
                chunk = fh.read(1 << 16)
    except (EOFError, OSError, zlib.error, zstandard.ZstdError):
        _decompressed(path, compression, label)
        raise
    return b""


def _no_records(label: str, compression: str | None) -> FileFormatError:
    """A file with no content at all: most often a failed download or a truncated copy."""
    found = f"its {compression} stream holds" if compression else "it holds"
    return FileFormatError(
        f"{label}: the file holds no records: {found} nothing but whitespace. "
        "Re-download it, or remove it from the registry."
    )


def _read_json_lines(data: bytes, label: str, compression: str | None = None) -> pa.Table:
    data = data.removeprefix(_BOM)
    if not data.strip():
        raise _no_records(label, compression)
    if data.lstrip().startswith(b"["):
        try:
            whole = json.loads(data)
        except ValueError:
            whole = None
        if isinstance(whole, list):
            raise FileFormatError(
                f"{label}: declared format 'jsonl' but the file is one JSON array, not one "
                "record per line. Set format: json."
            )
    indices, locators, payloads, errors = [], [], [], []
    for line_number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            text, error = line.decode("utf-8"), None
        except UnicodeDecodeError:
            text, error = line.decode("utf-8", errors="replace"), "invalid_utf8"
        indices.append(len(payloads))
        locators.append(f"line {line_number}")
        payloads.append(text.removesuffix("\r"))
        errors.append(error)
    if not any(_is_json(p) for p in payloads):
        raise FileFormatError(
            f"{label}: declared format 'jsonl' but none of its {len(payloads):,} lines is JSON "
            f"({locators[0]} begins {payloads[0][:60]!r}). The file is not what its name says: "
            "replace it with the data file (a failed download may have saved an error page), "
            "or correct its format in the registry."
        )
    return pa.table(
        {
            "record_index": pa.array(indices, pa.int64()),
            "locator": locators,
            "payload": payloads,
            "decode_error": pa.array(errors, pa.string()),
        },
        schema=RAW_RECORD_SCHEMA,
    )


def _read_json_object(data: bytes, label: str, compression: str | None = None) -> pa.Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{label}: not valid UTF-8 ({exc}). Re-encode the file as UTF-8.") from None
    if not text.strip():
        raise _no_records(label, compression)
    top_level: list[list[tuple[str, object]]] = []

    def keep_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
        top_level.append(pairs)  # the outermost object is decoded last
        return dict(pairs)

    try:
        document = json.loads(text, object_pairs_hook=keep_pairs)
    except ValueError as exc:
        raise FileFormatError(f"{label}: not valid JSON ({exc}). Fix or re-download the file.") from None
    if not isinstance(document, dict):
        raise FileFormatError(
            f"{label}: declared format 'json_object' but the top level is a {type(document).__name__}. "
            "Set format: json for an array of records."
        )
    pairs = top_level[-1]
    payloads = [_record_text({"key": k, "value": v}) for k, v in pairs]
    return pa.table(
        {
            "record_index": pa.array(range(len(pairs)), pa.int64()),
            "locator": [f"key {k!r}" for k, _ in pairs],
            "payload": payloads,
            "decode_error": pa.nulls(len(pairs), pa.string()),
        },
        schema=RAW_RECORD_SCHEMA,
    )


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _record_text(record: dict[str, object]) -> str:
    """A record as JSON text. A lone surrogate (``"\\ud800"``, valid JSON syntax but not
    Unicode) cannot be stored as UTF-8, so that record keeps its escapes and is
    quarantined as invalid JSON by the parse step, like any other undecodable record."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, ensure_ascii=True)
    return text
