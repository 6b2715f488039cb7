"""Arena-Hard-Auto: hard Chatbot Arena prompts, and three OpenAI models' answers to v0.1.

Questions (``question.jsonl``): ``{uid, category, prompt}`` plus ``cluster`` (v0.1, one of
250 topic clusters) or ``subcategory`` (v2.0: coding, math, creative_writing). They are
evaluation prompts with no reference answer, so each becomes a PROMPT row. The v2.0 file
has a prompt containing U+2028 (LINE SEPARATOR): the container splits lines on ``\\n``
only, so that record stays whole and its text keeps the character.

Answers (``model_answer/<model>.jsonl``): ``{uid, ans_id, model, tstamp, messages}`` with
``messages`` a chat ``[{role: user, content: str}, {role: assistant, content: {answer:
str}}]``. Quirk: the assistant's ``content`` is an object whose ``answer`` holds the text,
not a string. The final assistant turn is the response and the turns before it the
prompt; ``uid`` names the question the answer is for. The answers are unrated model
generations, so they carry no annotator; the model is the generator in metadata.
"""

from __future__ import annotations

from typing import Any

from prefinery.parsers.base import (
    ROLES,
    Example,
    ExampleKind,
    Message,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    json_type,
    nested_fields,
    prompt_only,
    single_response,
    user_turn,
)
from prefinery.reasons import Reason


def parse_question(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    uid = get_field(record, "uid", str)
    prompt = get_field(record, "prompt", str)
    return [
        prompt_only(
            user_turn(prompt),
            metadata={
                "version": ctx.option("version"),
                "uid": uid,
                "category": get_optional(record, "category", str),
                "cluster": get_optional(record, "cluster", str),
                "subcategory": get_optional(record, "subcategory", str),
            },
        )
    ]


def parse_answer(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    uid = get_field(record, "uid", str)
    ans_id = get_field(record, "ans_id", str)
    model = get_field(record, "model", str)
    tstamp = get_optional(record, "tstamp", (int, float))
    raw_messages = get_field(record, "messages", list)
    messages = [_message(m, i) for i, m in enumerate(raw_messages)]
    if not any(m["role"] == "assistant" for m in messages):
        raise ParseError(Reason.NO_ASSISTANT_TURN, "field 'messages' has no assistant turn", field="messages")
    if messages[-1]["role"] != "assistant":
        raise ParseError(
            Reason.ENDS_ON_USER_TURN,
            f"field 'messages' ends on a {messages[-1]['role']} turn, not an answer",
            field="messages",
        )
    last = len(messages) - 1
    return [
        single_response(
            ExampleKind.SFT,
            messages[:-1],
            messages[-1]["content"],
            metadata={
                "version": ctx.option("version"),
                "generator": model,
                "uid": uid,
                "ans_id": ans_id,
                "tstamp": tstamp,
            },
            field_name=f"messages[{last}].content",
        )
    ]


def _message(message: Any, position: int) -> Message:
    """One chat turn; an assistant's content may be the ``{answer: str}`` object."""
    path = f"messages[{position}]"
    if not isinstance(message, dict):
        raise ParseError(Reason.WRONG_TYPE, f"{path} should be an object, got {json_type(message)}", field=path)
    with nested_fields(path):
        role = get_field(message, "role", str)
        content = get_field(message, "content", (str, dict))
    if role not in ROLES:
        raise ParseError(
            Reason.MALFORMED_DIALOGUE, f"{path}.role is {role!r}, not one of {ROLES}", field=f"{path}.role"
        )
    if isinstance(content, str):
        return {"role": role, "content": content}
    if role != "assistant":
        raise ParseError(
            Reason.WRONG_TYPE,
            f"{path}.content of a {role} turn should be a string, got object",
            field=f"{path}.content",
        )
    with nested_fields(f"{path}.content"):
        return {"role": role, "content": get_field(content, "answer", str)}


PARSERS = {"arena_hard.questions": parse_question, "arena_hard.answers": parse_answer}
