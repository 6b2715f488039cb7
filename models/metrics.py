"""Pairwise metrics on P(chosen preferred), oriented so that chosen is the human's pick.

- accuracy: the share of pairs where the chosen side scores higher (a tie counts 1/2).
- ECE: confidence is max(p, 1 - p) and "correct" is p > 1/2, the usual top-label form,
  so it does not depend on which side a pair lists first; ``bins`` equal-width bins
  over [0, 1], weighted by their share of pairs.
- Brier: mean (1 - p)^2, the squared error against the human label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SLICES = ("all", "chosen_longer", "chosen_not_longer")


@dataclass(frozen=True)
class PairMetrics:
    pairs: int
    accuracy: float
    ece: float
    brier: float


def _correct(p_chosen: np.ndarray) -> np.ndarray:
    return np.where(p_chosen > 0.5, 1.0, np.where(p_chosen == 0.5, 0.5, 0.0))


def accuracy(p_chosen: np.ndarray) -> float:
    return float(_correct(p_chosen).mean()) if len(p_chosen) else float("nan")


def expected_calibration_error(p_chosen: np.ndarray, bins: int = 10) -> float:
    if not len(p_chosen):
        return float("nan")
    confidence = np.maximum(p_chosen, 1.0 - p_chosen)
    correct = _correct(p_chosen)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        members = which == b
        total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def brier_score(p_chosen: np.ndarray) -> float:
    return float(np.mean((1.0 - p_chosen) ** 2)) if len(p_chosen) else float("nan")


def pair_metrics(p_chosen: np.ndarray, bins: int = 10) -> PairMetrics:
    p = np.asarray(p_chosen, dtype=np.float64)
    return PairMetrics(len(p), accuracy(p), expected_calibration_error(p, bins), brier_score(p))


def sliced_metrics(p_chosen: np.ndarray, chosen_longer: np.ndarray, bins: int = 10) -> dict[str, PairMetrics]:
    """Metrics on all pairs, and apart where the chosen response is / is not the longer one:
    a model that only learned "longer is better" shines on the first slice and fails the second."""
    p, longer = np.asarray(p_chosen, dtype=np.float64), np.asarray(chosen_longer, dtype=bool)
    return {
        "all": pair_metrics(p, bins),
        "chosen_longer": pair_metrics(p[longer], bins),
        "chosen_not_longer": pair_metrics(p[~longer], bins),
    }
