"""Two baselines a reward model must beat, scored on the same pairs in the same run.

- ``length_baseline``: the longer response wins. Judges (human and model) are known to
  favour length; a reward model that cannot beat this has learned little else.
- ``BagOfWords``: a pairwise logistic model on TF-IDF word features of the responses,
  trained on the reward model's own training pairs: what surface vocabulary alone buys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from prefinery.identity import normalize_text


def chosen_is_longer(chosen: Sequence[str], rejected: Sequence[str]) -> np.ndarray:
    """Whether the chosen response has more characters (whitespace runs count as one)."""
    return np.array(
        [len(normalize_text(c)) > len(normalize_text(r)) for c, r in zip(chosen, rejected, strict=True)], dtype=bool
    )


def length_baseline(chosen: Sequence[str], rejected: Sequence[str]) -> np.ndarray:
    """P(chosen preferred): 1 when chosen is longer, 0 when shorter, 1/2 when equal."""
    c = np.array([len(normalize_text(t)) for t in chosen])
    r = np.array([len(normalize_text(t)) for t in rejected])
    return np.where(c > r, 1.0, np.where(c < r, 0.0, 0.5))


class BagOfWords:
    """P(chosen preferred) = sigmoid(w . (tfidf(chosen) - tfidf(rejected))).

    Each training pair is used in both orientations, without an intercept, so the model
    cannot learn "the first side wins" and P(a over b) = 1 - P(b over a)."""

    def __init__(self, seed: int = 0, max_features: int = 20_000, regularization: float = 1.0):
        self.vectorizer = TfidfVectorizer(min_df=2, max_features=max_features, sublinear_tf=True)
        self.model = LogisticRegression(C=regularization, fit_intercept=False, max_iter=2_000, random_state=seed)

    def fit(self, chosen: Sequence[str], rejected: Sequence[str]) -> BagOfWords:
        self.vectorizer.fit([*chosen, *rejected])
        difference = self.vectorizer.transform(chosen) - self.vectorizer.transform(rejected)
        features = sparse.vstack([difference, -difference])
        labels = np.r_[np.ones(difference.shape[0]), np.zeros(difference.shape[0])]
        self.model.fit(features, labels)
        return self

    def predict(self, chosen: Sequence[str], rejected: Sequence[str]) -> np.ndarray:
        difference = self.vectorizer.transform(chosen) - self.vectorizer.transform(rejected)
        return self.model.predict_proba(difference)[:, 1]
