from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from prefinery.identity import normalize_text
from prefinery.parsers.base import AnnotatorType, Example, ExampleKind, ParseError
from prefinery.parsers.self_instruct import parse_prediction, parse_task
from prefinery.reasons import Reason
from prefinery.settings import Settings
from tests.support import context, only_example, only_rejection, outcomes


def task(**overrides):
    record = {
        "id": "seed_task_7",
        "name": "antonyms",
        "instruction": "Give the antonym.",
        "instances": [{"input": "hot", "output": "cold"}],
        "is_classification": False,
    }
    return {**record, **overrides}


def prediction(**overrides):
    record = {
        "instruction": "Rewrite it shorter.\n",
        "input": "A long sentence.",
        "prompt": "Rewrite it shorter.\n\nInput: A long sentence.\nOutput:",
        "response": " Short.",
        "target": "Shorter.",
    }
    return {**record, **overrides}


MODEL = context(options={"model": "davinci-t0-ft"})


def test_a_task_instance_is_an_expert_written_sft_example():
    example = only_example(parse_task, task())
    assert example.kind is ExampleKind.SFT
    assert example.messages == ({"role": "user", "content": "Give the antonym.\n\nhot"},)
    assert example.response == "cold"
    assert (example.annotator_type, example.annotator) == (AnnotatorType.HUMAN, "self_instruct_authors")
    assert example.metadata == {
        "task_id": "seed_task_7",
        "task_name": "antonyms",
        "motivation_app": None,
        "is_classification": False,
    }


def test_a_user_oriented_task_keeps_its_motivating_app_and_an_empty_input_adds_nothing():
    record = {
        "id": "user_oriented_task_0",
        "motivation_app": "Grammarly",
        "instruction": "Be concise.",
        "instances": [{"input": "", "output": "OK."}],
    }
    example = only_example(parse_task, record)
    assert example.prompt == "Be concise."
    assert example.metadata["motivation_app"] == "Grammarly" and example.metadata["task_name"] is None


def test_each_instance_is_one_item_and_a_bad_instance_does_not_cost_its_siblings():
    instances = [{"input": "a", "output": "1"}, {"input": "b", "output": "  "}, "c", {"output": "3"}]
    items = outcomes(parse_task, task(instances=instances))
    assert [type(i) for i in items] == [Example, ParseError, ParseError, Example]
    assert items[0].prompt == "Give the antonym.\n\na" and items[3].prompt == "Give the antonym."
    assert items[1] == ParseError(
        Reason.EMPTY_RESPONSE, "field 'instances[1].output' is empty or whitespace only", field="instances[1].output"
    )
    assert (items[2].reason, items[2].field) == (Reason.WRONG_TYPE, "instances[2]")


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (["not", "a", "task"], Reason.NOT_AN_OBJECT, None),
        (task(id=None), Reason.MISSING_FIELD, "id"),
        (task(instances=None), Reason.MISSING_FIELD, "instances"),
        (task(instances=[]), Reason.MISSING_FIELD, "instances"),
        (task(instances={"input": "", "output": "x"}), Reason.WRONG_TYPE, "instances"),
        (task(instruction=7), Reason.WRONG_TYPE, "instruction"),
        (task(instruction=" \n"), Reason.EMPTY_PROMPT, "instruction"),
        (task(is_classification="no"), Reason.WRONG_TYPE, "is_classification"),
        (task(instances=[{"input": ""}]), Reason.MISSING_FIELD, "instances[0].output"),
        (task(instances=[{"input": ["x"], "output": "y"}]), Reason.WRONG_TYPE, "instances[0].input"),
        (task(instances=[{"input": "", "output": ""}]), Reason.EMPTY_RESPONSE, "instances[0].output"),
    ],
)
def test_unusable_tasks_and_instances_name_their_reason_and_field(record, reason, field):
    rejection = only_rejection(parse_task, record)
    assert (rejection.reason, rejection.field) == (reason, field)
    if field:
        assert field in rejection.message


def test_a_prediction_is_an_unrated_generation_of_the_model_named_in_the_registry():
    example = only_example(parse_prediction, prediction(), MODEL)
    assert example.kind is ExampleKind.SFT
    assert example.prompt == "Rewrite it shorter.\n\n\nA long sentence."  # instruction kept verbatim
    assert example.response == " Short."
    assert (example.annotator_type, example.annotator, example.label) == (AnnotatorType.NONE, None, None)
    assert example.metadata == {"generator": "davinci-t0-ft", "has_target": True}
    assert only_example(parse_prediction, prediction(target=None), MODEL).metadata["has_target"] is False


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        ("a string", Reason.NOT_AN_OBJECT, None),
        (prediction(response=None), Reason.MISSING_FIELD, "response"),
        (prediction(response=3), Reason.WRONG_TYPE, "response"),
        (prediction(target=1), Reason.WRONG_TYPE, "target"),
        (prediction(instruction=""), Reason.EMPTY_PROMPT, "instruction"),
        (prediction(response=""), Reason.EMPTY_RESPONSE, "response"),
        (prediction(response="\n "), Reason.EMPTY_RESPONSE, "response"),
    ],
)
def test_unusable_predictions_name_their_reason_and_field(record, reason, field):
    rejection = only_rejection(parse_prediction, record, MODEL)
    assert (rejection.reason, rejection.field) == (reason, field)


def test_real_seed_tasks(shipped):
    data = shipped("self_instruct_seed")
    assert data.raw.num_rows == 175  # SOURCE.md
    tasks = _read_jsonl("self_instruct/seed_tasks.jsonl.gz")
    assert data.reasons() == {None: sum(len(t["instances"]) for t in tasks)} == {None: 175}
    first = data.rows(record_index=0)[0]
    instance = tasks[0]["instances"][0]
    assert first["prompt"] == tasks[0]["instruction"] and first["response"] == instance["output"]
    assert json.loads(first["metadata"])["task_name"] == "breakfast_suggestion"


def test_real_user_oriented_tasks_and_predictions(shipped):
    data = shipped("self_instruct_eval")
    assert data.raw.num_rows == 252 * 9  # SOURCE.md: the task file and 8 prediction files
    # Oracle: SOURCE.md's empty-response counts, recomputed with plain json per file.
    expected: Counter[tuple[str, str | None]] = Counter()
    for file in data.source.files:
        records = _read_jsonl(file.path)
        assert len(records) == file.rows == 252
        for record in records:
            for response in (
                [i["output"] for i in record["instances"]] if "instances" in record else [record["response"]]
            ):
                expected[(file.path, "empty_response" if not response.strip() else None)] += 1
    assert Counter((r["file"], r["reason_code"]) for r in data.parsed.to_pylist()) == expected
    assert data.reasons() == {None: 2217, "empty_response": 51}  # 48 + 1 + 2 empty responses (SOURCE.md)
    generators = Counter(
        json.loads(r["metadata"]).get("generator")
        for r in data.rows(parser="self_instruct.predictions", reason_code=None)
    )
    assert generators["davinci-t0-ft"] == 252 - 48 and generators["text-davinci-003"] == 252


def test_real_predictions_answer_the_user_oriented_tasks_in_order(shipped):
    """Each prediction's prompt is its task's prompt up to whitespace (what AlpacaEval's
    selfinstruct subset also matches), so content hashes can link them."""
    data = shipped("self_instruct_eval")
    tasks = data.rows(parser="self_instruct.tasks")
    predictions = data.rows(file="self_instruct/predictions/text-davinci-003_predictions.jsonl.gz")
    assert len(tasks) == len(predictions) == 252
    for task_row, prediction_row in zip(tasks, predictions, strict=True):
        assert normalize_text(task_row["prompt"]) == normalize_text(prediction_row["prompt"])


def _read_jsonl(path: str) -> list[dict]:
    data = gzip.decompress((Settings.from_env().data_root / path).read_bytes())
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]
