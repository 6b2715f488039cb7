"""The expectation suites, one per table. Each rule says why it exists; ERROR rules are
what downstream stages rely on, WARN rules what a human should look at."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column, Condition

from prefinery.parsers.base import AnnotatorType, ExampleKind
from prefinery.quality.expectations import Rule, Severity, Suite
from prefinery.quality.frames import DERIVED_DATASET_COLUMNS, DERIVED_EXAMPLE_COLUMNS, EXAMPLE_COLUMNS
from prefinery.reasons import Reason
from prefinery.scoring.base import Scorer

ERROR, WARN = Severity.ERROR, Severity.WARN
KIND = Column("kind")
PREFERENCE = KIND == "preference"
SINGLE_RESPONSE = KIND.is_in(["sft", "ratings"])
LABELLED = KIND.is_in(["preference", "ratings"])


def _where(condition: Condition) -> dict[str, Condition]:
    return {"row_condition": condition}


def examples_suite(known_licenses: Iterable[str]) -> Suite:
    example_kinds = [k.value for k in ExampleKind if k is not ExampleKind.LICENSE_METADATA]
    rules = [
        Rule(
            gxe.ExpectTableColumnsToMatchSet(column_set=[*EXAMPLE_COLUMNS, *DERIVED_EXAMPLE_COLUMNS], exact_match=True),
            ERROR,
            "the canonical schema is what every consumer reads",
        ),
        *[
            Rule(
                gxe.ExpectColumnValuesToNotBeNull(column=c),
                ERROR,
                "identity, provenance and license travel with every row",
            )
            for c in (
                "example_id",
                "content_hash",
                "source_id",
                "file",
                "record_index",
                "kind",
                "role",
                "license",
                "messages",
                "prompt",
            )
        ],
        Rule(
            gxe.ExpectColumnValuesToBeUnique(column="example_id"), ERROR, "scores and decisions are keyed by example_id"
        ),
        Rule(
            gxe.ExpectColumnValuesToMatchRegex(column="example_id", regex=r"^[0-9a-f]{32}$"),
            ERROR,
            "ids are 128-bit hex digests",
        ),
        *[
            Rule(gxe.ExpectColumnValuesToBeOfType(column=c, type_="str"), ERROR, "text columns hold text")
            for c in ("prompt", "messages", "chosen", "rejected", "response")
        ],
        Rule(gxe.ExpectColumnValuesToBeOfType(column="record_index", type_="int64"), ERROR, "positions are integers"),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=example_kinds), ERROR, "consumers branch on kind"
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="role", value_set=["train", "eval"]),
            ERROR,
            "eval rows must never reach training",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="annotator_type", value_set=[t.value for t in AnnotatorType]),
            ERROR,
            "who labelled a row decides how far to trust it",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="license", value_set=sorted(known_licenses)),
            ERROR,
            "a row's license must be one the registry declares, or the license policy cannot judge it",
        ),
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column="chosen", **_where(PREFERENCE)), ERROR, "a pair needs both sides"
        ),
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column="rejected", **_where(PREFERENCE)), ERROR, "a pair needs both sides"
        ),
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column="response", **_where(SINGLE_RESPONSE)),
            ERROR,
            "SFT and ratings rows need a response",
        ),
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column="label", **_where(LABELLED)),
            ERROR,
            "preference and ratings rows need a label",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column="label", min_value=0.5, max_value=1.0, **_where(PREFERENCE)),
            ERROR,
            "a preference label is P(chosen preferred), 0.5 for a tie",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(
                column="label", min_value=0.0, max_value=1.0, **_where(KIND == "ratings")
            ),
            ERROR,
            "a rating is scaled to [0, 1]",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column="agreement", min_value=0.0, max_value=1.0),
            ERROR,
            "agreement is a share of annotators",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="prompt_blank", value_set=[False]),
            ERROR,
            "an empty prompt teaches nothing",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="responses_blank", value_set=[False]),
            ERROR,
            "an empty response teaches nothing",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="chosen_differs", value_set=[True]),
            ERROR,
            "a pair of identical responses carries no preference",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="roles_alternate", value_set=[True]),
            ERROR,
            "chat templates need user and assistant to take turns, ending on the assistant's response",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column="response_chars", min_value=2, mostly=0.95),
            WARN,
            "more than 5% one-character responses suggests truncated or degenerate outputs "
            "(a few are normal: classification tasks answer 'A' or '1')",
        ),
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column="annotator", **_where(LABELLED)),
            WARN,
            "a label whose annotator is unknown cannot be weighed against others",
        ),
        Rule(
            gxe.ExpectColumnValueLengthsToBeBetween(column="prompt", max_value=100_000),
            WARN,
            "prompts over 100k characters are usually pasted documents, not instructions",
        ),
    ]
    return Suite("examples", tuple(rules), id_columns=("example_id",))


def raw_records_suite() -> Suite:
    rules = [
        *[
            Rule(gxe.ExpectColumnValuesToNotBeNull(column=c), ERROR, "every record keeps where it came from")
            for c in ("source_id", "file", "file_sha256", "record_index", "locator")
        ],
        Rule(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["file", "record_index"]),
            ERROR,
            "a record's position names it; two records in one place would share an example_id",
        ),
        Rule(
            gxe.ExpectColumnValuesToMatchRegex(column="file_sha256", regex=r"^[0-9a-f]{64}$"),
            ERROR,
            "each file is pinned by sha256",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="decode_error", value_set=[Reason.INVALID_UTF8.value]),
            ERROR,
            "only undecodable bytes are flagged at this stage",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column="parsed_rows", min_value=1),
            ERROR,
            "every record read was parsed into an example or quarantined with a reason",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeNull(column="decode_error", mostly=0.999),
            WARN,
            "more than 0.1% undecodable records suggests a wrong encoding, not a few bad lines",
        ),
    ]
    return Suite("raw_records", tuple(rules), id_columns=("file", "record_index"))


def dataset_suite(columns: Sequence[str]) -> Suite:
    """A dataset version training reads: complete pairs, and nothing evaluated on that was trained on."""
    rules = [
        Rule(
            gxe.ExpectTableColumnsToMatchSet(column_set=[*columns, *DERIVED_DATASET_COLUMNS], exact_match=True),
            ERROR,
            "training and export read these columns",
        ),
        *[
            Rule(gxe.ExpectColumnValuesToNotBeNull(column=c), ERROR, "every pair is complete and has its split")
            for c in ("example_id", "split", "prompt_group", "source_id", "messages", "chosen", "rejected", "label")
        ],
        Rule(gxe.ExpectColumnValuesToBeUnique(column="example_id"), ERROR, "a pair appears once in a version"),
        Rule(
            gxe.ExpectColumnDistinctValuesToContainSet(column="split", value_set=["train"]),
            ERROR,
            "a version without training pairs trains nothing",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column="label", min_value=0.5, max_value=1.0),
            ERROR,
            "a preference label is the chosen side's strength",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="chosen_differs", value_set=[True]),
            ERROR,
            "a pair compares two responses",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="group_in_train_and_held_out", value_set=[False]),
            ERROR,
            "no prompt is both trained on and evaluated on",
        ),
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column="eval_source_in_train", value_set=[False]),
            ERROR,
            "eval-role sources are kept out of training",
        ),
    ]
    return Suite("dataset", tuple(rules), id_columns=("example_id",))


def score_table_suite(scorer: Scorer, examples: int) -> Suite:
    """Every score table: one row per example of the partition, each score in its range."""
    rules = [
        Rule(
            gxe.ExpectTableRowCountToEqual(value=examples),
            ERROR,
            "a score table has exactly one row per example of its partition",
        ),
        Rule(gxe.ExpectColumnValuesToNotBeNull(column="example_id"), ERROR, "scores are keyed by example_id"),
        Rule(gxe.ExpectColumnValuesToBeUnique(column="example_id"), ERROR, "one row per example"),
        Rule(
            gxe.ExpectTableColumnsToMatchSet(column_set=scorer.output_schema.names, exact_match=True),
            ERROR,
            "the scorer's declared columns are what example_scores joins",
        ),
        *[
            Rule(
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
                ERROR,
                f"{column} is defined on [{low}, {high}]",
            )
            for column, (low, high) in scorer.ranges.items()
        ],
    ]
    return Suite(f"{scorer.table}", tuple(rules), id_columns=("example_id",))
