"""The contract every format parser follows.

A parser is a plain function ``(record, ctx) -> Sequence[Example | ParseError]``: the
decoded JSON record in, one entry per candidate out (most formats give one; a record
with six comparisons gives six). Each entry is either a canonical ``Example`` or a
``ParseError`` saying why that candidate cannot be used. Raising ``ParseError`` rejects
the whole record. ``ctx.option`` raises ``RegistryError`` when the registry entry lacks
an option the parser needs: a configuration error that fails the run with the fix. Any
other exception is a bug in the parser and fails the run, naming the record, rather than
quarantining data for a reason nobody chose.

The builders below (``pair``, ``single_response``, ``prompt_only``) hold the checks every
format shares (empty texts, identical responses), so each parser only reads its format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from prefinery.reasons import Reason
from prefinery.registry import RegistryError


class ExampleKind(StrEnum):
    PREFERENCE = "preference"  # a prompt with a chosen and a rejected response
    RATINGS = "ratings"  # one response with a score
    SFT = "sft"  # one response to imitate
    PROMPT = "prompt"  # a prompt with no response (evaluation prompts)
    LICENSE_METADATA = "license_metadata"  # a license taxonomy record, never a training example


class AnnotatorType(StrEnum):
    HUMAN = "human"
    MODEL = "model"
    RULE = "rule"  # a programmatic check, e.g. a final answer compared with the reference
    NONE = "none"


class ParseError(Exception):
    """A record (or one candidate in it) cannot be used, and why."""

    def __init__(self, reason: Reason, message: str, field: str | None = None):
        super().__init__(message)
        self.reason = Reason(reason)
        self.message = message
        self.field = field

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParseError) and (self.reason, self.message, self.field) == (
            other.reason,
            other.message,
            other.field,
        )

    def __hash__(self) -> int:
        return hash((self.reason, self.message, self.field))

    def __repr__(self) -> str:
        return f"ParseError({self.reason.value!r}, {self.message!r}, field={self.field!r})"


Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Example:
    """One canonical row. ``messages`` is the prompt conversation, ending on a user turn.

    For preference rows ``label`` is the probability that ``chosen`` is preferred
    (0.5 is a tie, 1.0 a hard label); for ratings it is the score scaled to [0, 1] with
    the raw scale in ``metadata["scale"]``. ``label_raw`` keeps the source's own value.
    """

    kind: ExampleKind
    messages: tuple[Message, ...] = ()
    chosen: str | None = None
    rejected: str | None = None
    response: str | None = None
    label: float | None = None
    label_raw: str | None = None
    is_tie: bool | None = None
    agreement: float | None = None
    num_annotators: int | None = None
    annotator_type: AnnotatorType = AnnotatorType.NONE
    annotator: str | None = None
    license: str | None = None  # a row-level license; None means the source's
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str | None:
        """The final user turn, what filters and decontamination look at first."""
        users = [m["content"] for m in self.messages if m["role"] == "user"]
        return users[-1] if users else None

    @property
    def label_strength(self) -> float | None:
        """How decisive a preference is: 0 for a tie, 1 for a hard label."""
        if self.kind is not ExampleKind.PREFERENCE or self.label is None:
            return None
        return round(2 * self.label - 1, 12)


@dataclass(frozen=True)
class RecordContext:
    """What a parser may know beyond the record itself."""

    source_id: str
    file: str
    record_index: int
    options: Mapping[str, Any]
    # lookup(file_path, key_field) -> {key: decoded record} for another file of the same
    # source, e.g. the pairs a judge file refers to by index. A file that is not one of
    # the source's raises RegistryError: the entry's options name it wrongly.
    lookup: Callable[[str, str], Mapping[Any, Any]]

    def option(self, name: str) -> Any:
        """A registry option; missing, it is a configuration error (not a parser bug) that fails the run."""
        try:
            return self.options[name]
        except KeyError:
            raise RegistryError(
                f"source {self.source_id!r}, file {self.file!r}: the parser needs option "
                f"{name!r} in the registry entry's 'options' (given: {sorted(self.options) or 'none'}). "
                "Add it to the file's options."
            ) from None


Parser = Callable[[Any, RecordContext], Sequence["Example | ParseError"]]


# Reading fields --------------------------------------------------------------------


def as_object(record: Any) -> Mapping[str, Any]:
    if not isinstance(record, dict):
        raise ParseError(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {json_type(record)}")
    return record


def get_field(record: Mapping[str, Any], name: str, expected: type | tuple[type, ...]) -> Any:
    """A required field of the given JSON type; ``bool`` never passes for a number."""
    if name not in record or record[name] is None:
        raise ParseError(Reason.MISSING_FIELD, f"field {name!r} is missing or null", field=name)
    value = record[name]
    if not _is_type(value, expected):
        raise ParseError(
            Reason.WRONG_TYPE,
            f"field {name!r} should be {_type_names(expected)}, got {json_type(value)}",
            field=name,
        )
    return value


def instruction_text(record: Mapping[str, Any], name: str = "instruction") -> str:
    """A required instruction: the instruction is the task, so an input alone is no prompt."""
    instruction = get_field(record, name, str)
    if not instruction.strip():
        raise ParseError(Reason.EMPTY_PROMPT, f"field {name!r} is empty or whitespace only", field=name)
    return instruction


@contextmanager
def nested_fields(path: str) -> Iterator[None]:
    """Name a nested field by its full path (``messages[1].content.answer``) when reading it fails."""
    try:
        yield
    except ParseError as rejection:
        full = f"{path}.{rejection.field}"
        message = rejection.message.replace(f"field {rejection.field!r}", f"field {full!r}", 1)
        raise ParseError(rejection.reason, message, field=full) from None


def get_optional(record: Mapping[str, Any], name: str, expected: type | tuple[type, ...], default: Any = None) -> Any:
    if record.get(name) is None:
        return default
    return get_field(record, name, expected)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def _type_names(expected: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "an array",
        dict: "an object",
    }
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# Building examples -----------------------------------------------------------------


def user_turn(text: str) -> tuple[Message, ...]:
    return ({"role": "user", "content": text},)


def join_instruction(instruction: str, input_text: str | None) -> str:
    """Alpaca's convention: the instruction, then the input after a blank line if any."""
    if input_text and input_text.strip():
        return f"{instruction}\n\n{input_text}"
    return instruction


def pair(
    messages: Sequence[Message],
    chosen: str,
    rejected: str,
    *,
    label: float,
    label_raw: Any,
    annotator_type: AnnotatorType,
    annotator: str | None,
    agreement: float | None = None,
    num_annotators: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    fields: tuple[str, str] = ("chosen", "rejected"),
) -> Example:
    """A preference row; ``label`` is P(chosen preferred) in [0.5, 1]."""
    _check_prompt(messages)
    for name, text in zip(fields, (chosen, rejected), strict=True):
        _check_text(text, name, Reason.EMPTY_RESPONSE)
    if chosen == rejected:
        raise ParseError(Reason.IDENTICAL_RESPONSES, f"{fields[0]} and {fields[1]} are the same text")
    if not 0.5 <= label <= 1.0:
        raise ParseError(Reason.LABEL_OUT_OF_DOMAIN, f"preference probability {label} is outside [0.5, 1]")
    return Example(
        kind=ExampleKind.PREFERENCE,
        messages=tuple(messages),
        chosen=chosen,
        rejected=rejected,
        label=label,
        label_raw=_raw(label_raw),
        is_tie=label == 0.5,
        agreement=agreement,
        num_annotators=num_annotators,
        annotator_type=annotator_type,
        annotator=annotator,
        metadata=dict(metadata or {}),
    )


def single_response(
    kind: ExampleKind,
    messages: Sequence[Message],
    response: str,
    *,
    label: float | None = None,
    label_raw: Any = None,
    annotator_type: AnnotatorType = AnnotatorType.NONE,
    annotator: str | None = None,
    agreement: float | None = None,
    num_annotators: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    field_name: str = "response",
) -> Example:
    """An SFT row, or a ratings row when a ``label`` in [0, 1] is given."""
    _check_prompt(messages)
    _check_text(response, field_name, Reason.EMPTY_RESPONSE)
    if label is not None and not 0.0 <= label <= 1.0:
        raise ParseError(Reason.LABEL_OUT_OF_DOMAIN, f"scaled score {label} is outside [0, 1]")
    return Example(
        kind=kind,
        messages=tuple(messages),
        response=response,
        label=label,
        label_raw=_raw(label_raw),
        agreement=agreement,
        num_annotators=num_annotators,
        annotator_type=annotator_type,
        annotator=annotator,
        metadata=dict(metadata or {}),
    )


def prompt_only(messages: Sequence[Message], metadata: Mapping[str, Any] | None = None) -> Example:
    _check_prompt(messages)
    return Example(kind=ExampleKind.PROMPT, messages=tuple(messages), metadata=dict(metadata or {}))


def _check_prompt(messages: Sequence[Message]) -> None:
    if not messages:
        raise ParseError(Reason.EMPTY_PROMPT, "the prompt has no turns")
    for m in messages:
        if m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ParseError(Reason.MALFORMED_DIALOGUE, f"bad message {m!r}: need a role in {ROLES} and string content")
    turns = messages[1:] if messages[0]["role"] == "system" else messages
    for position, (turn, expected) in enumerate(zip(turns, ("user", "assistant") * len(turns), strict=False), start=1):
        if turn["role"] != expected:
            raise ParseError(
                Reason.MALFORMED_DIALOGUE,
                f"turn {position} of the prompt is {turn['role']!r} where {expected!r} was due: "
                "after an optional system turn, user and assistant must take turns",
            )
    if messages[-1]["role"] != "user":
        raise ParseError(Reason.MALFORMED_DIALOGUE, "the prompt conversation must end on a user turn")
    if not messages[-1]["content"].strip():
        raise ParseError(Reason.EMPTY_PROMPT, "the final user turn is empty or whitespace only")


def _check_text(text: str, name: str, reason: Reason) -> None:
    if not isinstance(text, str):
        raise ParseError(Reason.WRONG_TYPE, f"field {name!r} should be a string, got {json_type(text)}", field=name)
    if not text.strip():
        raise ParseError(reason, f"field {name!r} is empty or whitespace only", field=name)


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
