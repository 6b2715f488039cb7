from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from models.baselines import BagOfWords, chosen_is_longer, length_baseline
from models.evaluation import BAG_OF_WORDS, LENGTH, REWARD_MODEL, comparisons, markdown, report_rows, report_table
from models.metrics import accuracy, brier_score, expected_calibration_error, pair_metrics, sliced_metrics


def test_accuracy_counts_a_tie_as_half():
    assert accuracy(np.array([0.9, 0.2, 0.5, 0.7])) == pytest.approx((1 + 0 + 0.5 + 1) / 4)


def test_brier_is_the_squared_error_against_the_human_label():
    assert brier_score(np.array([1.0, 0.5, 0.0, 0.8])) == pytest.approx((0 + 0.25 + 1 + 0.04) / 4)


def test_ece_by_hand():
    # confidences max(p, 1-p): 0.95, 0.95, 0.65, 0.6 ; correct (p > 1/2): 1, 0, 1, 0
    # bin [0.9, 1.0): 2 pairs, accuracy 1/2, confidence 0.95 -> |0.5 - 0.95| = 0.45
    # bin [0.6, 0.7): 2 pairs, accuracy 1/2, confidence 0.625 -> |0.5 - 0.625| = 0.125
    p = np.array([0.95, 0.05, 0.65, 0.4])
    assert expected_calibration_error(p, bins=10) == pytest.approx(0.5 * 0.45 + 0.5 * 0.125)


def test_a_perfectly_calibrated_confident_scorer_has_zero_ece_and_brier():
    perfect = pair_metrics(np.ones(4))
    assert (perfect.accuracy, perfect.ece, perfect.brier) == (1.0, 0.0, 0.0)


def test_an_overconfident_wrong_scorer_pays_in_both():
    wrong = pair_metrics(np.array([0.0, 0.0, 1.0, 1.0]))
    assert (wrong.accuracy, wrong.ece, wrong.brier) == (0.5, 0.5, 0.5)


def test_slices_split_pairs_by_whether_chosen_is_longer():
    sliced = sliced_metrics(np.array([0.9, 0.9, 0.1]), np.array([True, False, False]))
    assert {k: (m.pairs, m.accuracy) for k, m in sliced.items()} == {
        "all": (3, pytest.approx(2 / 3)),
        "chosen_longer": (1, 1.0),
        "chosen_not_longer": (2, 0.5),
    }


def test_empty_slices_are_nan_not_errors():
    assert np.isnan(sliced_metrics(np.array([0.9]), np.array([True]))["chosen_not_longer"].accuracy)


def test_length_baseline_prefers_the_longer_response_and_ignores_whitespace_runs():
    chosen, rejected = ["a much longer answer", "short", "same  size"], ["brief", "a longer one", "same size"]
    assert length_baseline(chosen, rejected).tolist() == [1.0, 0.0, 0.5]
    assert chosen_is_longer(chosen, rejected).tolist() == [True, False, False]


def test_bag_of_words_learns_a_vocabulary_signal_and_is_antisymmetric():
    good = [f"thank you, here is a careful answer {i}" for i in range(30)]
    bad = [f"no idea, figure it out {i}" for i in range(30)]
    model = BagOfWords().fit(good, bad)
    p = model.predict(["here is a careful answer"], ["figure it out"])
    assert p[0] > 0.8
    assert model.predict(["figure it out"], ["here is a careful answer"])[0] == pytest.approx(1 - p[0])


def test_comparisons_and_markdown_put_the_model_next_to_both_baselines():
    longer = np.array([True, False])
    rows = [
        *report_rows("s", REWARD_MODEL, np.array([0.8, 0.7]), longer, 10),
        *report_rows("s", LENGTH, np.array([1.0, 0.0]), longer, 10),
        *report_rows("s", BAG_OF_WORDS, np.array([0.6, 0.4]), longer, 10),
    ]
    report = report_table(rows)
    assert report.schema.field("accuracy").type == pa.float64()
    (only,) = comparisons(report)
    assert (only.model, only.length, only.bag_of_words, only.beats_length) == (1.0, 0.5, 0.5, True)
    assert "| s | length_baseline | 2 | 0.500 | 1.000 (1) | 0.000 (1) |" in markdown(report)
