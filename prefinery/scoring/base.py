"""The contract every scorer follows.

A scorer reads one source partition of ``examples`` and returns one row per
``example_id`` with its score columns: scores sit beside the data, never inside it
(Dolma's attributes). The logic is a plain function over an Arrow batch, so Dagster,
tests, benchmarks and a future Ray job run the same code. ``version`` becomes the
asset's code version: bump it when the logic changes, and Dagster marks the scorer's
partitions stale so a backfill recomputes them and nothing else.

Scorers that need more than their own partition (eval prompts to decontaminate against,
an index of earlier partitions for dedup, an embedding cache) read and write it through
``ScoringContext.lake``: the state lives in the lake like everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from prefinery.registry import Registry
from prefinery.storage import Lake

KEY_COLUMNS = (pa.field("example_id", pa.string()), pa.field("source_id", pa.string()))


class ScoreContractError(RuntimeError):
    """A scorer returned something other than one row per example with its declared columns."""


@dataclass(frozen=True)
class ScoringContext:
    source_id: str
    lake: Lake
    registry: Registry
    log: Callable[[str], None] = lambda message: None


@dataclass(frozen=True)
class ScoreOutput:
    """What a scorer returns: its score table, plus any side tables it declares
    (e.g. the map from each removed duplicate to the row kept)."""

    scores: pa.Table
    side_tables: Mapping[str, pa.Table] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorer:
    name: str  # the asset is scores_<name>
    version: str  # the asset's code version
    description: str
    schema: pa.Schema  # the score columns, without example_id and source_id
    fn: Callable[[pa.Table, ScoringContext], ScoreOutput]
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    side_tables: Mapping[str, pa.Schema] = field(default_factory=dict)  # name -> schema, each keyed by source_id

    @property
    def table(self) -> str:
        return f"scores_{self.name}"

    @property
    def output_schema(self) -> pa.Schema:
        return pa.schema([*KEY_COLUMNS, *self.schema])

    def score(self, examples: pa.Table, context: ScoringContext) -> ScoreOutput:
        """Run the scorer and hold it to the contract; an empty partition needs no call."""
        if examples.num_rows == 0:
            return ScoreOutput(
                self.output_schema.empty_table(), {n: s.empty_table() for n, s in self.side_tables.items()}
            )
        output = self.fn(examples, context)
        scores = self._conform(output.scores, examples)
        unknown = set(output.side_tables) - set(self.side_tables)
        if unknown:
            raise ScoreContractError(f"scorer {self.name!r} returned undeclared side tables {sorted(unknown)}")
        sides = {
            n: output.side_tables.get(n, s.empty_table()).select(s.names).cast(s) for n, s in self.side_tables.items()
        }
        return ScoreOutput(scores, sides)

    def _conform(self, scores: pa.Table, examples: pa.Table) -> pa.Table:
        missing = [f.name for f in self.output_schema if f.name not in scores.column_names]
        if missing:
            raise ScoreContractError(f"scorer {self.name!r} did not return columns {missing}")
        expected = examples.column("example_id")
        got = scores.column("example_id")
        if scores.num_rows != examples.num_rows or not pc.all(pc.is_in(expected, value_set=got)).as_py():
            raise ScoreContractError(
                f"scorer {self.name!r} must return exactly one row per example: got {scores.num_rows:,} rows "
                f"for {examples.num_rows:,} examples"
            )
        if pc.count_distinct(got).as_py() != scores.num_rows:
            raise ScoreContractError(f"scorer {self.name!r} returned an example_id twice")
        return scores.select(self.output_schema.names).cast(self.output_schema)
