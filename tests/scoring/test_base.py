"""The scorer contract: one row per example, the declared columns, nothing undeclared."""

from __future__ import annotations

import pyarrow as pa
import pytest

from prefinery.scoring import SCORERS
from prefinery.scoring.base import ScoreContractError, ScoreOutput, Scorer, ScoringContext
from prefinery.storage import Lake

EXAMPLES = pa.table({"example_id": ["a", "b"], "source_id": ["s", "s"], "prompt": ["x", "y"]})


def scorer(fn, side_tables=None) -> Scorer:
    return Scorer(
        name="t",
        version="1",
        description="test",
        schema=pa.schema([pa.field("t_len", pa.int32())]),
        fn=fn,
        side_tables=side_tables or {},
    )


def context(tmp_path) -> ScoringContext:
    return ScoringContext("s", Lake(tmp_path), registry=None)


def test_a_conforming_scorer_is_cast_to_its_schema(tmp_path):
    def fn(examples, ctx):
        return ScoreOutput(
            pa.table({"t_len": [1, 2], "source_id": ["s", "s"], "example_id": ["b", "a"], "extra": [0, 0]})
        )

    scores = scorer(fn).score(EXAMPLES, context(tmp_path)).scores
    assert scores.schema.names == ["example_id", "source_id", "t_len"]
    assert scores.schema.field("t_len").type == pa.int32()


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (ScoreOutput(pa.table({"example_id": ["a"], "source_id": ["s"], "t_len": [1]})), "exactly one row per example"),
        (
            ScoreOutput(pa.table({"example_id": ["a", "a"], "source_id": ["s", "s"], "t_len": [1, 1]})),
            "exactly one row per example",
        ),
        (
            ScoreOutput(pa.table({"example_id": ["a", "b"], "source_id": ["s", "s"]})),
            "did not return columns ['t_len']",
        ),
        (
            ScoreOutput(
                pa.table({"example_id": ["a", "b"], "source_id": ["s", "s"], "t_len": [1, 2]}), {"oops": pa.table({})}
            ),
            "undeclared side tables ['oops']",
        ),
    ],
)
def test_contract_violations_fail_loudly(tmp_path, output, message):
    with pytest.raises(ScoreContractError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scorer(lambda examples, ctx: output).score(EXAMPLES, context(tmp_path))


def test_an_empty_partition_is_never_handed_to_the_scorer(tmp_path):
    def fn(examples, ctx):
        raise AssertionError("called")

    side = {"t_side": pa.schema([pa.field("source_id", pa.string())])}
    output = scorer(fn, side).score(EXAMPLES.slice(0, 0), context(tmp_path))
    assert output.scores.num_rows == 0 and output.side_tables["t_side"].num_rows == 0


def test_every_discovered_scorer_declares_prefixed_columns_and_a_version():
    assert "pii" in SCORERS
    for s in SCORERS.values():
        assert s.version and s.description and s.table == f"scores_{s.name}"
        assert set(s.ranges) <= set(s.schema.names)
