"""Property-based tests of the parsers, the canonical form and the container reader.

- Robustness: every parser, given any JSON value or a record shaped like its format with
  random types in each field, returns candidates (Example or ParseError) or raises
  ParseError, never anything else; the ingest would take any other exception for a bug.
- Round trips: for generated records of each format family, the canonical row's
  messages, prompt, chosen/rejected or response are exactly the generated texts, or the
  row is rejected with the reason the shared checks give; content_hash does not change
  when chosen and rejected swap, or when whitespace or Unicode normalization changes.
- The container reader gives back any list of records written as JSON Lines (BOM, CRLF,
  blank lines, raw U+2028/U+2029 in strings, compression) or as a JSON array, in order.
"""

from __future__ import annotations

import functools
import gzip
import json
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest
import zstandard
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prefinery import identity
from prefinery.containers import read_records
from prefinery.ingest import RAW_SCHEMA, parse_source
from prefinery.parsers import PARSERS
from prefinery.parsers.base import ROLES, Example, ExampleKind, ParseError, join_instruction
from prefinery.parsers.hh_rlhf import render_dialogue
from prefinery.parsers.prometheus import DIALOGUE_FRAME
from prefinery.reasons import Reason
from prefinery.registry import FileFormat, Source, parse_registry
from tests.support import context

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROBUSTNESS = settings(PROPERTY, max_examples=120)  # per parser, sixteen parsers
SOURCE_ID = "prop"
FILE = "prop/records.jsonl"
PAIRS_FILE = "prop/pairs.json"

# Strategies: JSON as orjson decodes it -------------------------------------------

text = st.text(st.characters(codec="utf-8"), max_size=30)
tricky_text = st.sampled_from(["", " ", "\t\n", "\u2028", "\u3000", "\x00", "[1, 2]", "3", "null", "#### 4"])
any_text = text | tricky_text
json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=12
)


def shaped(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A record of the format: every field plausible (so parsing goes deep), or some of
    the fields, each plausible or of a random JSON type."""
    return st.fixed_dictionaries(fields) | st.fixed_dictionaries(
        {}, optional={name: s | json_value for name, s in fields.items()}
    )


def hh_dialogue() -> st.SearchStrategy[str]:
    turn = st.tuples(st.sampled_from(["Human", "Assistant", "User"]), any_text)
    rendered = st.lists(turn, max_size=5).map(lambda turns: "".join(f"\n\n{r}: {t}" for r, t in turns))
    return rendered | any_text


def template(instruction: str, response: str, reference: str | None = None) -> str:
    """The Prometheus grading prompt with its sections filled in."""
    body = (
        "###Task Description:\nGrade the response.\n\n"
        f"###The instruction to evaluate:\n{instruction}\n\n###Response to evaluate:\n{response}\n\n"
    )
    if reference is not None:
        body += f"###Reference Answer (Score 5):\n{reference}\n\n"
    return body + "###Score Rubrics:\n[Helpful?]\n\n###Feedback: "


small_int = st.integers(-1, 7)
votes = st.sampled_from([0, 1, 2, 3, "1", None])
pandalm_pair = shaped(
    idx=small_int,
    cmp_key=any_text,
    instruction=any_text,
    input=any_text,
    response1=any_text,
    response2=any_text,
    annotator1=votes,
    annotator2=votes,
    annotator3=votes,
    motivation_app=any_text,
)
chat_message = shaped(
    role=st.sampled_from([*ROLES, "bot"]),
    content=any_text | shaped(answer=any_text),
)
license_class = st.lists(st.sampled_from(["All", "NC", "Acad", "Unspecified", "?", "0", "1", "2"]), max_size=4)
graded = shaped(solution=any_text, is_correct=st.booleans())

SHAPES: dict[str, st.SearchStrategy[Any]] = {
    "alpaca_eval.annotations": shaped(
        instruction=any_text,
        output_1=any_text,
        output_2=any_text,
        preference=st.sampled_from([0, 1, 2, 1.5, 0.5, 3]) | st.floats(0, 3),
        generator_1=any_text,
        generator_2=any_text,
        annotator=any_text,
        dataset=any_text,
    ),
    "arena_hard.answers": shaped(
        uid=any_text, ans_id=any_text, model=any_text, tstamp=st.floats(0, 2e9), messages=st.lists(chat_message)
    ),
    "arena_hard.questions": shaped(
        uid=any_text, prompt=any_text, category=any_text, cluster=any_text, subcategory=any_text
    ),
    "data_provenance.constants": shaped(key=any_text, value=license_class),
    "data_provenance.summaries": shaped(
        key=any_text,
        value=shaped(
            Collection=any_text,
            **{"Dataset Name": any_text, "Dataset URL": any_text, "License Notes": any_text},
            Licenses=st.lists(shaped(License=any_text, **{"License URL": any_text}), max_size=3),
            Languages=st.lists(any_text, max_size=3),
            Creators=st.lists(any_text, max_size=3),
            **{"Model Generated": st.lists(any_text, max_size=3), "License Verified By": any_text},
        ),
    ),
    "finegrained_rlhf.comparisons": shaped(
        question=any_text,
        **{f"prediction {i}": any_text for i in range(1, 5)},
        preference=st.lists(st.integers(-1, 3), min_size=5, max_size=7),
        passages=st.lists(st.lists(any_text, max_size=3), max_size=3),
        feedback=shaped(
            errors=st.lists(shaped(**{"error type": any_text}), max_size=3),
            **{"missing-info": st.lists(shaped(**{"error type": any_text}), max_size=3)},
        ),
    ),
    "gpteacher.instruct": shaped(instruction=any_text, input=any_text, response=any_text, example_input=any_text),
    "gsm8k.graded_solutions": shaped(
        question=any_text,
        ground_truth=any_text,
        **{m: graded for m in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")},
    ),
    "gsm8k.qa": shaped(question=any_text, answer=any_text | any_text.map(lambda t: f"{t}\n#### {t}")),
    "hh_rlhf.pairs": shaped(chosen=hh_dialogue(), rejected=hh_dialogue()),
    "pandalm.human_labels": pandalm_pair,
    "pandalm.judge_labels": shaped(idx=small_int, result=st.sampled_from(["1", "2", "Tie", "garbage", 0, 1, 2, 3])),
    "prometheus.absolute_ratings": shaped(
        instruction=st.builds(template, any_text, any_text, any_text | st.none()) | any_text,
        gpt4_score=st.lists(small_int, max_size=4),
        idx=small_int,
        category=any_text,
        response_source=any_text,
    ),
    "prometheus.hhh_pairs": shaped(
        chosen_instruction=st.builds(template, any_text, any_text) | any_text,
        rejected_instruction=st.builds(template, any_text, any_text) | any_text,
        source=any_text,
    ),
    "self_instruct.predictions": shaped(
        instruction=any_text, input=any_text, prompt=any_text, response=any_text, target=any_text
    ),
    "self_instruct.tasks": shaped(
        id=any_text,
        name=any_text,
        instruction=any_text,
        instances=st.lists(shaped(input=any_text, output=any_text), max_size=3),
        is_classification=st.booleans(),
        motivation_app=any_text,
    ),
}

OPTIONS: dict[str, dict[str, Any]] = {
    "arena_hard.answers": {"version": "v"},
    "arena_hard.questions": {"version": "v"},
    "gpteacher.instruct": {"subset": "s"},
    "pandalm.judge_labels": {"pairs_file": PAIRS_FILE, "judge": "j", "result_field": "result"},
    "prometheus.absolute_ratings": {"benchmark": "b"},
    "self_instruct.predictions": {"model": "m"},
}
# The constants parser reads its record type from the file name.
FILES = {"data_provenance.constants": ["dp/license_classes.json", "dp/domain_groups.json"]}


def test_every_parser_has_a_shaped_strategy():
    assert set(SHAPES) == set(PARSERS)


# Robustness --------------------------------------------------------------------------


def assert_storable(example: Example) -> None:
    """What the ingest needs of an example to write its row."""
    assert isinstance(example.kind, ExampleKind)
    orjson.dumps(dict(example.metadata), option=orjson.OPT_SORT_KEYS)
    if example.kind is ExampleKind.LICENSE_METADATA:
        identity.record_hash(dict(example.metadata))
        return
    assert example.messages and example.messages[-1]["role"] == "user"
    assert all(m["role"] in ROLES and isinstance(m["content"], str) for m in example.messages)
    if example.kind is ExampleKind.PREFERENCE:
        assert isinstance(example.chosen, str) and isinstance(example.rejected, str)
        assert example.label is not None and 0.5 <= example.label <= 1
    elif example.kind is not ExampleKind.PROMPT:
        assert isinstance(example.response, str)
    responses = [r for r in (example.chosen, example.rejected, example.response) if r is not None]
    identity.content_hash(example.messages, responses, ordered=example.kind is not ExampleKind.PREFERENCE)


def run_parser(name: str, record: Any, file: str, pairs: Mapping[Any, Any]) -> list[Example | ParseError]:
    """Call a parser as the ingest does; a raised ParseError is the record's one outcome."""
    ctx = context(OPTIONS.get(name), {(PAIRS_FILE, "idx"): pairs}, source_id=SOURCE_ID, file=file)
    try:
        outcomes = list(PARSERS[name](record, ctx))
    except ParseError as rejection:
        return [rejection]
    assert outcomes, "a record must yield an example or a rejection"
    return outcomes


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_only_ever_raise_parse_error(name):
    joins = "pairs_file" in OPTIONS.get(name, {})
    records = json_value | SHAPES[name]
    files = st.sampled_from(FILES.get(name, [FILE]))
    pair_tables = st.dictionaries(small_int, pandalm_pair, max_size=3) if joins else st.just({})
    pair_records = st.lists(json_value | pandalm_pair, max_size=3) if joins else st.just([])

    @ROBUSTNESS
    @given(records, files, pair_tables, pair_records)
    def check(record: Any, file: str, pairs: Mapping[Any, Any], pairs_file: list[Any]) -> None:
        for outcome in run_parser(name, record, file, pairs):
            assert isinstance(outcome, (Example, ParseError)), outcome
            if isinstance(outcome, ParseError):
                assert isinstance(outcome.reason, Reason) and outcome.message
            else:
                assert_storable(outcome)
        # The whole parse step too: the join over a real pairs file, the row columns, the hashes.
        rows = ingest_rows(name, [record], OPTIONS.get(name), file=file, pairs=pairs_file if joins else None)
        assert {(r["file"], r["record_index"]) for r in rows} >= {(file, 0)}

    check()


# Round trips through the canonical row ---------------------------------------------


@functools.cache
def _source(parser: str, options_json: str, file: str, joins: bool) -> Source:
    files = [{"path": file, "sha256": "0" * 64, "format": "jsonl", "options": json.loads(options_json)}]
    if joins:
        files.append({"path": PAIRS_FILE, "sha256": "0" * 64, "format": "json", "parser": "pandalm.human_labels"})
    document = {
        "version": 1,
        "licenses": {"MIT": {"name": "MIT License"}},
        "sources": [
            {
                "id": SOURCE_ID,
                "kind": "sft",
                "role": "train",
                "parser": parser,
                "license": {"spdx": "MIT"},
                "citation": "property tests",
                "homepage": "https://example.org",
                "files": files,
            }
        ],
    }
    return parse_registry(document).source(SOURCE_ID)


def ingest_rows(
    parser: str,
    records: list[Any],
    options: Mapping[str, Any] | None = None,
    file: str = FILE,
    pairs: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """Records through parse_source as one file of a one-source registry (plus a pairs
    file to join when given): the canonical rows the ingest writes."""
    source = _source(parser, json.dumps(dict(options or {}), sort_keys=True), file, pairs is not None)
    written = [(file, records), (PAIRS_FILE, pairs or [])]
    raw = pa.Table.from_pylist(
        [
            {
                "source_id": SOURCE_ID,
                "file": path,
                "file_sha256": "0" * 64,
                "record_index": i,
                "locator": f"line {i + 1}",
                "payload": orjson.dumps(record).decode(),
            }
            for path, file_records in written
            for i, record in enumerate(file_records)
        ],
        schema=RAW_SCHEMA,
    )
    return parse_source(source, raw, PARSERS).to_pylist()


def expected_reason(prompt: str, responses: list[tuple[str, str]], pair: bool) -> str | None:
    """The reason the shared builders give, in the order they check."""
    if not prompt.strip():
        return Reason.EMPTY_PROMPT.value
    if any(not r.strip() for _, r in responses):
        return Reason.EMPTY_RESPONSE.value
    if pair and responses[0][1] == responses[1][1]:
        return Reason.IDENTICAL_RESPONSES.value
    return None


def assert_ingest_rows(row: dict[str, Any], messages: list[dict[str, str]], **texts: str | None) -> None:
    assert row["reason_code"] is None, row["reason_message"]
    assert json.loads(row["messages"]) == messages
    assert row["prompt"] == messages[-1]["content"]
    assert {name: row[name] for name in texts} == texts


turn = st.text(st.characters(codec="utf-8"), max_size=25) | tricky_text
hh_turn = turn.filter(lambda t: "\n\nHuman:" not in t and "\n\nAssistant:" not in t)


@PROPERTY
@given(st.lists(hh_turn, min_size=1, max_size=7).filter(lambda ts: len(ts) % 2), hh_turn, hh_turn)
def test_hh_dialogues_round_trip(prompt_texts, chosen, rejected):
    prompt = [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(prompt_texts)]
    record = {
        "chosen": render_dialogue([*prompt, {"role": "assistant", "content": chosen}]),
        "rejected": render_dialogue([*prompt, {"role": "assistant", "content": rejected}]),
    }
    swapped = {"chosen": record["rejected"], "rejected": record["chosen"]}
    row, swapped_row = ingest_rows("hh_rlhf.pairs", [record, swapped])
    reason = expected_reason(prompt[-1]["content"], [("chosen", chosen), ("rejected", rejected)], pair=True)
    assert row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(row, prompt, chosen=chosen, rejected=rejected)
        assert (swapped_row["chosen"], swapped_row["rejected"]) == (rejected, chosen)
        assert swapped_row["content_hash"] == row["content_hash"]


preference = st.sampled_from([1, 2, 1.5]) | st.floats(1, 2)


@PROPERTY
@given(turn, turn, turn, preference)
def test_alpaca_eval_pairs_round_trip(instruction, output_1, output_2, pref):
    (row,) = ingest_rows(
        "alpaca_eval.annotations",
        [{"instruction": instruction, "output_1": output_1, "output_2": output_2, "preference": pref}],
    )
    p_output_2 = float(pref) - 1
    chosen, rejected = (output_2, output_1) if p_output_2 > 0.5 else (output_1, output_2)
    reason = expected_reason(instruction, [("c", chosen), ("r", rejected)], pair=True)
    assert row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(row, [{"role": "user", "content": instruction}], chosen=chosen, rejected=rejected)
        assert row["label"] == max(p_output_2, 1 - p_output_2) and row["is_tie"] == (p_output_2 == 0.5)


@PROPERTY
@given(turn, turn, turn, turn, st.tuples(*[st.sampled_from([0, 1, 2])] * 3))
def test_pandalm_pairs_round_trip(instruction, input_text, response1, response2, annotators):
    record = {"instruction": instruction, "input": input_text, "response1": response1, "response2": response2}
    record.update({f"annotator{i}": v for i, v in enumerate(annotators, start=1)})
    (row,) = ingest_rows("pandalm.human_labels", [record])
    for_1, for_2 = annotators.count(1), annotators.count(2)
    chosen, rejected = (response2, response1) if for_2 > for_1 else (response1, response2)
    prompt = join_instruction(instruction, input_text)
    reason = expected_reason(instruction, [("c", chosen), ("r", rejected)], pair=True)
    assert row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(row, [{"role": "user", "content": prompt}], chosen=chosen, rejected=rejected)


def instruction_records(parser: str, instruction: str, input_text: str, output: str) -> tuple[dict[str, Any], str]:
    """An Alpaca-style record of each instruction format, and the field its output goes in."""
    if parser == "self_instruct.tasks":
        return {"id": "t", "instruction": instruction, "instances": [{"input": input_text, "output": output}]}, "output"
    return {"instruction": instruction, "input": input_text, "response": output}, "response"


@pytest.mark.parametrize("parser", ["gpteacher.instruct", "self_instruct.predictions", "self_instruct.tasks"])
def test_instruction_input_output_round_trips(parser):
    @PROPERTY
    @given(turn, turn, turn)
    def check(instruction: str, input_text: str, output: str) -> None:
        record, _ = instruction_records(parser, instruction, input_text, output)
        (row,) = ingest_rows(parser, [record], OPTIONS.get(parser))
        prompt = join_instruction(instruction, input_text)
        reason = expected_reason(instruction, [("response", output)], pair=False)
        assert row["reason_code"] == reason
        if reason is None:
            assert_ingest_rows(row, [{"role": "user", "content": prompt}], response=output)
            assert prompt == (f"{instruction}\n\n{input_text}" if input_text.strip() else instruction)

    check()


@PROPERTY
@given(
    st.booleans(),
    st.lists(st.tuples(turn, st.booleans()), min_size=2, max_size=8).filter(lambda ts: len(ts) % 2 == 0),
    turn,
)
def test_arena_answers_round_trip(with_system, turns, system):
    """Alternating turns ending on an answer; assistant content may be the {answer} object."""
    prompt = [{"role": "system", "content": system}] if with_system else []
    written = list(prompt)
    for i, (content, wrapped) in enumerate(turns):
        role = ("user", "assistant")[i % 2]
        prompt.append({"role": role, "content": content})
        written.append({"role": role, "content": {"answer": content} if role == "assistant" and wrapped else content})
    record = {"uid": "u", "ans_id": "a", "model": "m", "messages": written}
    (row,) = ingest_rows("arena_hard.answers", [record], OPTIONS["arena_hard.answers"])
    *messages, answer = prompt
    reason = expected_reason(messages[-1]["content"], [("response", answer["content"])], pair=False)
    assert row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(row, messages, response=answer["content"])


section = turn.filter(lambda t: "\n\n###" not in t)


@PROPERTY
@given(section, section, section, st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_prometheus_templates_round_trip(instruction, chosen, rejected, scores):
    assume(not instruction.startswith(DIALOGUE_FRAME))
    hhh = {"chosen_instruction": template(instruction, chosen), "rejected_instruction": template(instruction, rejected)}
    (pair_row,) = ingest_rows("prometheus.hhh_pairs", [hhh])
    reason = expected_reason(instruction, [("c", chosen), ("r", rejected)], pair=True)
    assert pair_row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(pair_row, [{"role": "user", "content": instruction}], chosen=chosen, rejected=rejected)

    rating = {"instruction": template(instruction, chosen, reference=rejected), "gpt4_score": scores}
    (rating_row,) = ingest_rows("prometheus.absolute_ratings", [rating], OPTIONS["prometheus.absolute_ratings"])
    reason = expected_reason(instruction, [("response", chosen)], pair=False)
    assert rating_row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(rating_row, [{"role": "user", "content": instruction}], response=chosen)
        assert rating_row["label"] == pytest.approx((sum(scores) / len(scores) - 1) / 4)


mt_turn = section.filter(lambda t: "\n\nUser:" not in t and "\n\nAssistant:" not in t)


@PROPERTY
@given(st.lists(mt_turn, min_size=1, max_size=5).filter(lambda ts: len(ts) % 2), section)
def test_prometheus_framed_dialogues_round_trip(texts, response):
    """MT-Bench rows: the framed 'User: / Assistant:' dialogue becomes the prompt turns."""
    prompt = [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(texts)]
    names = {"user": "User", "assistant": "Assistant"}
    body = "\n\n".join(f"{names[m['role']]}: {m['content']}" for m in prompt) + "\n\nAssistant:"
    record = {"instruction": template(DIALOGUE_FRAME + body, response), "gpt4_score": [5]}
    (row,) = ingest_rows("prometheus.absolute_ratings", [record], OPTIONS["prometheus.absolute_ratings"])
    # The template's sections are checked before the dialogue inside the instruction.
    reason = (
        Reason.EMPTY_RESPONSE.value
        if not response.strip()
        else expected_reason(prompt[-1]["content"], [("response", response)], pair=False)
    )
    assert row["reason_code"] == reason
    if reason is None:
        assert_ingest_rows(row, prompt, response=response)


# content_hash --------------------------------------------------------------------

WHITESPACE = st.text(st.sampled_from(" \t\n\r\u2028\u2029\u3000\u00a0\x0b\x0c\x1c\x85"), min_size=1, max_size=3)


@st.composite
def respaced(draw: st.DrawFn, value: str) -> str:
    """The same words, every whitespace run (and the ends) replaced by other whitespace."""
    words = value.split()
    edge = WHITESPACE | st.just("")
    joined = "".join(w + draw(WHITESPACE) for w in words[:-1]) + (words[-1] if words else "")
    return draw(edge) + joined + draw(edge)


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(ROLES), text), min_size=1, max_size=4), text, text, st.data())
def test_content_hash_ignores_response_order_whitespace_and_normal_form(turns, first, second, data):
    messages = [{"role": r, "content": c} for r, c in turns]
    original = identity.content_hash(messages, [first, second], ordered=False)
    assert identity.content_hash(messages, [second, first], ordered=False) == original
    respaced_messages = [{"role": m["role"], "content": data.draw(respaced(m["content"]))} for m in messages]
    respaced_pair = [data.draw(respaced(first)), data.draw(respaced(second))]
    assert identity.content_hash(respaced_messages, respaced_pair, ordered=False) == original
    nfd = [{"role": m["role"], "content": unicodedata.normalize("NFD", m["content"])} for m in messages]
    assert identity.content_hash(nfd, [unicodedata.normalize("NFD", t) for t in (second, first)], ordered=False) == (
        original
    )


# The container reader ---------------------------------------------------------------

# Strings that carry the characters a line-based reader could split on.
container_text = st.text(st.characters(codec="utf-8") | st.sampled_from("\u2028\u2029\r\n\x85\ufeff"), max_size=20)
container_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | container_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(container_text, inner, max_size=4),
    max_leaves=10,
)
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": lambda b: gzip.compress(b, mtime=0),
    ".zst": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder, duckdb.connect(":memory:") as con:
        yield Path(folder), con


def read_back(scratch, name: str, data: bytes, fmt: FileFormat) -> list[Any]:
    folder, con = scratch
    path = folder / name
    path.write_bytes(data)
    return [orjson.loads(p) for p in read_records(path, fmt, f"file {name!r}", con).column("payload").to_pylist()]


@PROPERTY
@given(
    st.lists(container_value, min_size=1, max_size=8),
    st.lists(st.sampled_from(["\n", "\r\n", "\n\n", "\n \t\n", "\r\n\r\n"]), min_size=8, max_size=8),
    st.booleans(),
    st.booleans(),
    st.sampled_from(sorted(COMPRESSORS)),
)
def test_json_lines_read_back_in_order(scratch, records, ends, bom, final_newline, suffix):
    # One record that is itself an array is indistinguishable from a one-line JSON array
    # file, which the reader refuses as the wrong format; that case is test_containers'.
    assume(not (len(records) == 1 and isinstance(records[0], list)))
    lines = [json.dumps(r, ensure_ascii=False) + end for r, end in zip(records, ends, strict=False)]
    body = "".join(lines) if final_newline else "".join(lines).rstrip("\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + body.encode()
    assert read_back(scratch, f"r.jsonl{suffix}", COMPRESSORS[suffix](data), FileFormat.JSONL) == records


@PROPERTY
@given(
    st.lists(container_value, max_size=8),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
    st.booleans(),
    st.sampled_from(sorted(COMPRESSORS)),
)
def test_json_arrays_read_back_in_order(scratch, records, indent, bom, crlf, suffix):
    text = json.dumps(records, ensure_ascii=False, indent=indent)
    if crlf:  # every raw newline is structural: json.dumps escapes those inside strings
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    assert read_back(scratch, f"r.json{suffix}", COMPRESSORS[suffix](data), FileFormat.JSON) == records
