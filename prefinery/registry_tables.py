"""The registry flattened into tables, for joins in dbt and for the warehouse."""

from __future__ import annotations

import orjson
import pyarrow as pa

from prefinery.registry import Registry


def source_table(registry: Registry) -> pa.Table:
    sources = registry.sources
    return pa.table(
        {
            "source_id": [s.id for s in sources],
            "kind": [s.kind.value for s in sources],
            "role": [s.role.value for s in sources],
            "license_spdx": [s.license.spdx for s in sources],
            "license_terms": [orjson.dumps([t.id for t in s.license.terms]).decode() for s in sources],
            "citation": [s.citation for s in sources],
            "homepage": [s.homepage for s in sources],
            "description": [s.description for s in sources],
            "num_files": pa.array([len(s.files) for s in sources], pa.int32()),
            "expected_records": pa.array(
                [sum(f.rows for f in s.files) if all(f.rows is not None for f in s.files) else None for s in sources],
                pa.int64(),
            ),
        }
    )


def license_table(registry: Registry) -> pa.Table:
    items = sorted(registry.licenses.items())
    return pa.table(
        {
            "spdx": [spdx for spdx, _ in items],
            "name": [d.name for _, d in items],
            "dpi_name": [d.dpi_name for _, d in items],
            "url": [d.url for _, d in items],
        }
    )
