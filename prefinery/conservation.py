"""Rows in = rows out + rows quarantined, per source partition.

Records read from the files fan out into candidates (most formats one per record, a
record of six comparisons six). Every candidate ends in exactly one of the examples,
the license records or the quarantine, and every record read is accounted for by at
least one of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from prefinery.storage import Lake

OUTPUT_TABLES = ("examples", "license_records", "quarantine")


@dataclass(frozen=True)
class Ledger:
    source_id: str
    records_read: int
    candidates: int
    examples: int
    license_records: int
    quarantined: int
    records_unaccounted: int  # records read that reached none of the outputs
    candidates_lost: int  # candidates that reached none of the outputs
    candidates_duplicated: int  # candidates found in more than one output, or twice in one

    @property
    def balanced(self) -> bool:
        return (
            self.candidates == self.examples + self.license_records + self.quarantined
            and self.records_unaccounted == 0
            and self.candidates_lost == 0
            and self.candidates_duplicated == 0
        )

    def as_dict(self) -> dict[str, int | str | bool]:
        return {**asdict(self), "balanced": self.balanced}


def ledger(lake: Lake, source_id: str) -> Ledger:
    con = lake.connect()
    try:
        for name in ("raw_records", "parsed_records", *OUTPUT_TABLES):
            con.execute(f"create view {name} as select * from {lake.scan(name, [source_id])}")
        outputs = " union all ".join(f"select example_id, file, record_index from {name}" for name in OUTPUT_TABLES)
        row = con.execute(
            f"""
            with outputs as ({outputs})
            select
                (select count(*) from raw_records),
                (select count(*) from parsed_records),
                (select count(*) from examples),
                (select count(*) from license_records),
                (select count(*) from quarantine),
                (select count(*) from raw_records anti join outputs using (file, record_index)),
                (select count(*) from parsed_records anti join outputs using (example_id)),
                (select count(*) from (select example_id from outputs group by 1 having count(*) > 1))
            """
        ).fetchone()
    finally:
        con.close()
    return Ledger(source_id, *row)
