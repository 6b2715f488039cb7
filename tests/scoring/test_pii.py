from __future__ import annotations

import json

import pyarrow as pa
import pytest

from prefinery.registry import load_registry
from prefinery.scoring.base import ScoringContext
from prefinery.scoring.pii import SCORER, count_pii, luhn_valid
from prefinery.settings import SHIPPED_REGISTRY, Settings
from prefinery.storage import Lake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+news@example.co.uk today", {"email": 1}),
        ("call +44 20 7946 0958 or (555) 867-5309", {"phone": 2}),
        ("server at 192.168.0.12 and fe80:0:0:0:202:b3ff:fe1e:8329", {"ip": 2}),
        ("card 4111 1111 1111 1111 expires soon", {"card": 1}),
        ("key AKIAIOSFODNN7EXAMPLE and ghp_" + "a" * 36, {"secret": 2}),
        ("sk-proj-" + "Ab1" * 10 + " is my OpenAI key", {"secret": 1}),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", {"secret": 1}),
    ],
)
def test_each_kind_is_found(text, expected):
    assert dict(count_pii(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112 fails the Luhn check",
        "She sold 48 + 24 = 72 clips, then 1234 5678 more",  # GSM8K-style arithmetic
        "version 1.2.3 of the package, 3.14159 radians",
        "256.1.1.1 is not an address",
        "my email is someone at example dot com",
        "sk-short",
    ],
)
def test_look_alikes_are_not_flagged(text):
    assert count_pii(text) == {}


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("5500 0000 0000 0004")
    assert not luhn_valid("4111111111111112") and not luhn_valid("0000")


def test_scores_hold_counts_never_the_matched_text(shipped_registry, tmp_path):
    secret = "jane.doe@example.com"
    examples = pa.table(
        {
            "example_id": ["a", "b"],
            "source_id": ["s", "s"],
            "messages": [
                json.dumps([{"role": "user", "content": f"mail {secret}"}]),
                json.dumps([{"role": "user", "content": "hi"}]),
            ],
            "chosen": ["sure, call (555) 867-5309", None],
            "rejected": ["no", None],
            "response": [None, "hello"],
        }
    )
    context = ScoringContext("s", Lake(tmp_path), shipped_registry)
    scores = SCORER.score(examples, context).scores
    assert scores.column("pii_emails").to_pylist() == [1, 0]
    assert scores.column("pii_phones").to_pylist() == [1, 0]
    assert scores.column("pii_any").to_pylist() == [True, False]
    assert secret not in str(scores.to_pylist())


def test_arithmetic_is_not_taken_for_phone_numbers(pii_of_shipped):
    scores = pii_of_shipped("gsm8k_train")
    assert scores.num_rows == 7473
    assert sum(scores.column("pii_phones").to_pylist()) == 0  # arithmetic is not phone numbers


@pytest.fixture
def pii_of_shipped(shipped):
    """PII scores for a shipped source, from its parsed examples (no Dagster needed)."""

    def score(source_id: str) -> pa.Table:
        parsed = shipped(source_id).parsed
        examples = parsed.filter(pa.compute.is_null(parsed.column("reason_code")))
        registry = load_registry(SHIPPED_REGISTRY)
        return SCORER.score(examples, ScoringContext(source_id, Lake(Settings.from_env().lake_root), registry)).scores

    return score
