"""The frames the expectation suites validate: a table's own columns plus derived ones
for rules a single-column expectation cannot state (chosen differs from rejected, the
conversation's roles alternate, every record reached the parser). Suites run per source
partition, which bounds a frame's size."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import pandas as pd
import pyarrow as pa

EXAMPLE_COLUMNS = (
    "example_id",
    "content_hash",
    "source_id",
    "file",
    "record_index",
    "sub_index",
    "locator",
    "kind",
    "role",
    "messages",
    "prompt",
    "chosen",
    "rejected",
    "response",
    "label",
    "label_raw",
    "is_tie",
    "label_strength",
    "agreement",
    "num_annotators",
    "annotator_type",
    "annotator",
    "license",
    "license_terms",
    "metadata",
    "parser",
)


DERIVED_EXAMPLE_COLUMNS = (
    "prompt_blank",
    "responses_present",
    "responses_blank",
    "chosen_differs",
    "roles_alternate",
    "response_chars",
)


def examples_frame(examples: pa.Table) -> pd.DataFrame:
    """The examples with per-row derived checks beside them."""
    rows = examples.select(["messages", "chosen", "rejected", "response", "kind"]).to_pylist()
    derived = pd.DataFrame([_derive(r) for r in rows], columns=list(DERIVED_EXAMPLE_COLUMNS))
    return pd.concat([examples.to_pandas(), derived], axis=1)


DERIVED_DATASET_COLUMNS = ("chosen_differs", "group_in_train_and_held_out", "eval_source_in_train")
HELD_BACK_SPLITS = ("train", "excluded")  # every other split is held out for evaluation


def dataset_frame(dataset: pa.Table, eval_sources: Iterable[str]) -> pd.DataFrame:
    """A dataset version with the rules that span rows made per-row: whether the row's
    prompt group is both trained on and held out, whether an eval source leaked into train."""
    frame = dataset.to_pandas()
    frame["chosen_differs"] = frame["chosen"] != frame["rejected"]
    trained = set(frame.loc[frame["split"] == "train", "prompt_group"])
    held_out = set(frame.loc[~frame["split"].isin(HELD_BACK_SPLITS), "prompt_group"])
    frame["group_in_train_and_held_out"] = frame["prompt_group"].isin(trained & held_out)
    frame["eval_source_in_train"] = frame["source_id"].isin(set(eval_sources)) & (frame["split"] == "train")
    return frame


def raw_frame(raw: pa.Table, parsed: pa.Table) -> pd.DataFrame:
    """Raw records (without payloads) with how many parsed rows each one produced."""
    frame = raw.drop_columns(["payload"]).to_pandas()
    produced = parsed.select(["file", "record_index"]).to_pandas().value_counts().rename("parsed_rows")
    frame = frame.join(produced, on=["file", "record_index"])
    frame["parsed_rows"] = frame["parsed_rows"].fillna(0).astype("int64")
    return frame


def _derive(row: dict) -> tuple:
    kind = row["kind"]
    try:
        messages = orjson.loads(row["messages"])
        roles = [m["role"] for m in messages]
        contents = [m["content"] for m in messages]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        roles, contents = [], []
    if kind == "preference":
        responses = [row["chosen"], row["rejected"]]
    elif kind in ("sft", "ratings"):
        responses = [row["response"]]
    else:
        responses = []
    present = all(r is not None for r in responses)
    blank = any(r is not None and not r.strip() for r in responses)
    differs = kind != "preference" or (present and row["chosen"] != row["rejected"])
    conversation = roles + (["assistant"] if responses else [])
    return (
        not contents or not contents[-1].strip(),
        present,
        blank,
        differs,
        _alternates(conversation, ends_on="assistant" if responses else "user"),
        min((len(r) for r in responses if r is not None), default=None),
    )


def _alternates(roles: list[str], ends_on: str) -> bool:
    """An optional system turn, then user and assistant taking turns, ending on ``ends_on``."""
    turns = roles[1:] if roles[:1] == ["system"] else roles
    if not turns or turns[-1] != ends_on:
        return False
    expected = "user"
    for role in turns:
        if role != expected:
            return False
        expected = "assistant" if role == "user" else "user"
    return True
