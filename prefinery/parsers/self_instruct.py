"""Self-Instruct (Wang et al. 2023): expert-written tasks and eight GPT-3 models' answers.

Tasks (``seed_tasks.jsonl``, ``user_oriented_instructions.jsonl``): one object per task,
``{id, instruction, instances: [{input, output}, ...]}`` plus ``name`` and
``is_classification`` (seed tasks) or ``motivation_app`` (user-oriented tasks). Every
instance is its own example (the prompt is the instruction followed by the instance's
input, Alpaca style); one unusable instance is rejected on its own and its siblings stay.
Every shipped task has exactly one instance, but the format allows several. A task whose
``instances`` is an empty array has nothing to learn from and is rejected as
``missing_field`` (the same as an absent list), not ``wrong_type``: the type is right.

Predictions (``predictions/<model>_predictions.jsonl``): one object per user-oriented task
and model, ``{instruction, input, prompt, response, target}``, in the task file's order.
``prompt`` is the instruction and input already formatted for the model ("...\\n\\nInput:
...\\nOutput:"); the example is rebuilt from ``instruction`` and ``input`` instead, so it
matches the task file. ``target`` is the task's expert output. The responses are
unrated model generations, so they carry no annotator. Quirks:

- ``instruction`` sometimes ends in a stray newline or space that the task file does not
  have; it is kept verbatim (content hashes normalise whitespace, so prompts still match).
- GPT-3 completions usually start with a space after "Output:"; kept verbatim too.
- ``davinci-t0-ft`` has 48 empty or whitespace-only responses, ``davinci-superni-ft`` 1
  and ``davinci-self-instruct-and-superni-ft`` 2: rejected as ``empty_response``.

For decontamination: AlpacaEval's ``selfinstruct`` instructions equal the user-oriented
tasks' instruction + input after whitespace normalisation, and PandaLM reuses them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    Example,
    ExampleKind,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    instruction_text,
    join_instruction,
    json_type,
    nested_fields,
    single_response,
    user_turn,
)
from prefinery.reasons import Reason

TASK_AUTHORS = "self_instruct_authors"  # the paper's authors wrote both task sets


def parse_task(record: Any, ctx: RecordContext) -> list[Example | ParseError]:
    """One item per instance of the task, in the order of ``instances``."""
    record = as_object(record)
    task_id = get_field(record, "id", str)
    instruction = instruction_text(record)
    instances = get_field(record, "instances", list)
    if not instances:
        raise ParseError(
            Reason.MISSING_FIELD, "field 'instances' is an empty array: the task has no instance", field="instances"
        )
    metadata = {
        "task_id": task_id,
        "task_name": get_optional(record, "name", str),
        "motivation_app": get_optional(record, "motivation_app", str),
        "is_classification": get_optional(record, "is_classification", bool),
    }
    items: list[Example | ParseError] = []
    for position, instance in enumerate(instances):
        try:
            items.append(_instance_example(instruction, instance, position, metadata))
        except ParseError as rejection:
            items.append(rejection)
    return items


def _instance_example(instruction: str, instance: Any, position: int, metadata: Mapping[str, Any]) -> Example:
    path = f"instances[{position}]"
    if not isinstance(instance, dict):
        raise ParseError(Reason.WRONG_TYPE, f"{path} should be an object, got {json_type(instance)}", field=path)
    with nested_fields(path):
        input_text = get_optional(instance, "input", str, "")
        output = get_field(instance, "output", str)
    return single_response(
        ExampleKind.SFT,
        user_turn(join_instruction(instruction, input_text)),
        output,
        annotator_type=AnnotatorType.HUMAN,
        annotator=TASK_AUTHORS,
        metadata=metadata,
        field_name=f"{path}.output",
    )


def parse_prediction(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    instruction = instruction_text(record)
    input_text = get_optional(record, "input", str, "")
    response = get_field(record, "response", str)
    target = get_optional(record, "target", str)
    return [
        single_response(
            ExampleKind.SFT,
            user_turn(join_instruction(instruction, input_text)),
            response,
            metadata={"generator": ctx.option("model"), "has_target": bool(target and target.strip())},
        )
    ]


PARSERS = {"self_instruct.tasks": parse_task, "self_instruct.predictions": parse_prediction}
