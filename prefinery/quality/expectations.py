"""Great Expectations 1.x suites with a severity per rule, and a runner that reports what
failed in terms a reviewer can act on: the expectation, the observed value, how many
rows failed, and a few of their ids.

ERROR rules guard what downstream stages rely on (they block them); WARN rules mark what
a human should look at. ``dagster-ge`` supports only GX < 1, so the Dagster side
(assets/quality.py) calls ``validate`` from its own asset checks.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import pandas as pd

SAMPLE_IDS = 5


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"


@dataclass(frozen=True)
class Rule:
    expectation: Any  # a gx.expectations.Expectation
    severity: Severity
    why: str


@dataclass(frozen=True)
class Suite:
    name: str
    rules: tuple[Rule, ...]
    id_columns: tuple[str, ...]  # what names a failing row: ("example_id",), ("file", "record_index")


@dataclass(frozen=True)
class RuleOutcome:
    expectation: str  # e.g. "expect_column_values_to_be_unique(example_id)"
    severity: Severity
    why: str
    success: bool
    observed: str
    failing_rows: int
    checked_rows: int
    failing_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    rows: int
    outcomes: list[RuleOutcome]

    @property
    def failures(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def worst(self) -> Severity | None:
        """ERROR if an ERROR rule failed, else WARN if a WARN rule did, else None."""
        severities = {o.severity for o in self.failures}
        return Severity.ERROR if Severity.ERROR in severities else (Severity.WARN if severities else None)

    def markdown(self) -> str:
        lines = [
            "| expectation | severity | result | observed | failing rows | sample ids |",
            "|---|---|---|---|---:|---|",
        ]
        for o in sorted(self.outcomes, key=lambda o: (o.success, o.severity != Severity.ERROR, o.expectation)):
            lines.append(
                f"| `{o.expectation}` | {o.severity} | {'pass' if o.success else '**FAIL**'} | {o.observed} "
                f"| {o.failing_rows:,} of {o.checked_rows:,} | {', '.join(o.failing_ids) or ''} |"
            )
        return "\n".join(lines)


def validate(frame: pd.DataFrame, suite: Suite) -> SuiteOutcome:
    """Run every rule of ``suite`` on ``frame`` in an ephemeral GX context."""
    gx = _gx()
    context = _context()
    name = f"{suite.name}_{len(context.data_sources.all())}"
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    # GX reports results in its own order; each expectation carries its rule's index.
    tagged = []
    for i, rule in enumerate(suite.rules):
        expectation = copy.deepcopy(rule.expectation)
        expectation.meta = {**(expectation.meta or {}), "rule": i}
        tagged.append(expectation)
    result = batch.validate(
        gx.ExpectationSuite(name=name, expectations=tagged),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(suite.id_columns)},
    )
    by_rule = {r.expectation_config.meta["rule"]: r for r in result.results}
    outcomes = [_outcome(rule, by_rule[i], suite.id_columns) for i, rule in enumerate(suite.rules)]
    return SuiteOutcome(suite=suite.name, rows=len(frame), outcomes=outcomes)


def _render(condition: Any) -> str:
    """A GX row condition as the reader would write it: ``kind == "preference"``."""
    if hasattr(condition, "model_dump"):
        condition = condition.model_dump()
    if isinstance(condition, dict) and condition.get("type") == "comparison":
        return f"{condition['column']['name']} {condition['operator'].lower()} {json.dumps(condition['parameter'])}"
    return str(condition)


def _outcome(rule: Rule, result: Any, id_columns: Sequence[str]) -> RuleOutcome:
    config = result.expectation_config
    arguments = {k: v for k, v in config.kwargs.items() if k in ("column", "column_list", "column_set")}
    target = ", ".join(str(v) if not isinstance(v, list | set) else "+".join(map(str, v)) for v in arguments.values())
    condition = config.kwargs.get("row_condition")
    if condition:
        target += f" where {_render(condition)}"
    details = result.result or {}
    failing = details.get("unexpected_count")
    if failing is None:  # table-level expectations report an observed value, not rows
        failing = 0 if result.success else 1
    observed = details.get("observed_value")
    if observed is None and "partial_unexpected_list" in details:
        observed = ", ".join(_short(v) for v in details["partial_unexpected_list"][:3]) or "-"
    ids = [
        "/".join(str(row.get(c)) for c in id_columns)
        for row in (details.get("unexpected_index_list") or [])[:SAMPLE_IDS]
    ]
    return RuleOutcome(
        expectation=f"{config.type}({target})",
        severity=rule.severity,
        why=rule.why,
        success=bool(result.success),
        observed=_short(observed),
        failing_rows=int(failing),
        checked_rows=int(details.get("element_count") or 0),
        failing_ids=ids,
    )


def _short(value: Any, limit: int = 80) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


@cache
def _context() -> Any:
    context = _gx().get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context
