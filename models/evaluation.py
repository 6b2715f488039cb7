"""Evaluation reports: one row per (eval split, scorer, slice), and the length-baseline test.

Scorers are the reward model and the two baselines (``models.baselines``), always on the
same pairs of the same run, so their figures compare directly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

from models.metrics import sliced_metrics

REWARD_MODEL = "reward_model"
LENGTH = "length_baseline"
BAG_OF_WORDS = "bag_of_words_baseline"
SCORERS = (REWARD_MODEL, LENGTH, BAG_OF_WORDS)
REPORT_SCHEMA = pa.schema(
    [
        ("split", pa.string()),
        ("scorer", pa.string()),
        ("slice", pa.string()),
        ("pairs", pa.int64()),
        ("accuracy", pa.float64()),
        ("ece", pa.float64()),
        ("brier", pa.float64()),
    ]
)


def report_rows(split: str, scorer: str, p_chosen: np.ndarray, chosen_longer: np.ndarray, bins: int) -> list[dict]:
    return [
        {"split": split, "scorer": scorer, "slice": name, **asdict(metrics)}
        for name, metrics in sliced_metrics(p_chosen, chosen_longer, bins).items()
    ]


def report_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=REPORT_SCHEMA)


@dataclass(frozen=True)
class BaselineComparison:
    split: str
    model: float
    length: float
    bag_of_words: float

    @property
    def beats_length(self) -> bool:
        return self.model > self.length


def comparisons(report: pa.Table) -> list[BaselineComparison]:
    """Accuracy on all pairs of each split: the model next to both baselines."""
    accuracy = {(r["split"], r["scorer"]): r["accuracy"] for r in report.to_pylist() if r["slice"] == "all"}
    splits = sorted({split for split, _ in accuracy})
    return [
        BaselineComparison(s, accuracy[(s, REWARD_MODEL)], accuracy[(s, LENGTH)], accuracy[(s, BAG_OF_WORDS)])
        for s in splits
    ]


def markdown(report: pa.Table) -> str:
    """Accuracy, ECE and Brier per split and scorer, with the length slices' accuracy."""
    rows = {(r["split"], r["scorer"], r["slice"]): r for r in report.to_pylist()}
    splits = sorted({key[0] for key in rows})
    lines = [
        "| split | scorer | pairs | accuracy | chosen longer | chosen not longer | ECE | Brier |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for split in splits:
        for scorer in SCORERS:
            every, longer, shorter = (rows[(split, scorer, s)] for s in ("all", "chosen_longer", "chosen_not_longer"))
            lines.append(
                f"| {split} | {scorer} | {every['pairs']} | {every['accuracy']:.3f} "
                f"| {_pct(longer)} | {_pct(shorter)} | {every['ece']:.3f} | {every['brier']:.3f} |"
            )
    return "\n".join(lines)


def _pct(row: dict) -> str:
    return f"{row['accuracy']:.3f} ({row['pairs']})" if row["pairs"] else "-"
