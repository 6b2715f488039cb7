"""PII and secrets: how many emails, phone numbers, IP addresses, payment card numbers
(Luhn-checked) and API keys or private keys each example contains, in its prompt and
responses. Only counts and a flag leave this module: never the matched text, so raw PII
cannot leak into scores, logs or cards.

Patterns favour precision over recall where a text is full of numbers: a phone number
needs separators or a leading +, so GSM8K arithmetic is not flagged.
"""

from __future__ import annotations

import re
from collections import Counter

import orjson
import pyarrow as pa

from prefinery.scoring.base import ScoreOutput, Scorer, ScoringContext

PII_TYPES = ("email", "phone", "ip", "card", "secret")

# One pattern per kind, each run only when a cheap test says it could match: most texts
# hold no "@", no key prefix and no long digit run, and re scans slowly per position.
_PATTERNS = {
    "email": re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    "secret": re.compile(
        r"""
          \bAKIA[0-9A-Z]{16}\b                                  # AWS access key id
        | \bgh[pousr]_[A-Za-z0-9]{36,}\b                        # GitHub tokens
        | \bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b                   # OpenAI keys
        | \bsk_live_[0-9A-Za-z]{24,}\b                          # Stripe secret keys
        | \bxox[baprs]-[A-Za-z0-9-]{10,}\b                      # Slack tokens
        | \bAIza[0-9A-Za-z_-]{35}\b                             # Google API keys
        | -----BEGIN\ (?:RSA\ |EC\ |DSA\ |OPENSSH\ )?PRIVATE\ KEY-----
        """,
        re.VERBOSE,
    ),
    "ip": re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b"
        r"|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"
    ),
    "card": re.compile(r"(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])"),
    "phone": re.compile(
        r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,3}(?!\d)"
        r"|(?<![\w(])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)"
    ),
}
_SECRET_MARKERS = ("AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "sk-", "sk_live_", "xox", "AIza", "PRIVATE KEY")
_DIGIT_RUN = re.compile(r"\d[\d .()+-]{6,}\d")
_DOTTED = re.compile(r"\d\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]")


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    checksum = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        checksum += digit
    return len(digits) >= 13 and checksum % 10 == 0


def count_pii(text: str) -> Counter[str]:
    """Counts by type; a digit run that fails the Luhn check is not a card."""
    counts: Counter[str] = Counter()
    if "@" in text:
        counts["email"] = len(_PATTERNS["email"].findall(text))
    if any(marker in text for marker in _SECRET_MARKERS):
        counts["secret"] = len(_PATTERNS["secret"].findall(text))
    if _DOTTED.search(text):
        counts["ip"] = len(_PATTERNS["ip"].findall(text))
    if _DIGIT_RUN.search(text):
        counts["card"] = sum(luhn_valid(m.group()) for m in _PATTERNS["card"].finditer(text))
        counts["phone"] = len(_PATTERNS["phone"].findall(text))
    return +counts


def _example_texts(row: dict) -> list[str]:
    texts = [m["content"] for m in orjson.loads(row["messages"])]
    return texts + [t for t in (row["chosen"], row["rejected"], row["response"]) if t]


def score_pii(examples: pa.Table, context: ScoringContext) -> ScoreOutput:
    rows = examples.select(["example_id", "source_id", "messages", "chosen", "rejected", "response"]).to_pylist()
    columns: dict[str, list] = {"example_id": [], "source_id": [], **{f"pii_{t}s": [] for t in PII_TYPES}}
    seen: dict[str, Counter[str]] = {}  # sources repeat texts (AlpacaEval: every instruction in every file)
    for row in rows:
        counts: Counter[str] = Counter()
        for text in _example_texts(row):
            if text not in seen:
                seen[text] = count_pii(text)
            counts.update(seen[text])
        columns["example_id"].append(row["example_id"])
        columns["source_id"].append(row["source_id"])
        for t in PII_TYPES:
            columns[f"pii_{t}s"].append(counts[t])
    columns["pii_any"] = [any(columns[f"pii_{t}s"][i] for t in PII_TYPES) for i in range(len(rows))]
    flagged = sum(columns["pii_any"])
    context.log(f"{flagged:,} of {len(rows):,} examples contain PII or secrets")
    return ScoreOutput(pa.table(columns))


SCORER = Scorer(
    name="pii",
    version="1",
    description="Counts of emails, phone numbers, IP addresses, Luhn-valid card numbers and API keys "
    "or private keys per example; never the matched text.",
    schema=pa.schema([*(pa.field(f"pii_{t}s", pa.int32()) for t in PII_TYPES), pa.field("pii_any", pa.bool_())]),
    fn=score_pii,
    ranges={f"pii_{t}s": (0, None) for t in PII_TYPES},
)
