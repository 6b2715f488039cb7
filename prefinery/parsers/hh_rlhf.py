"""Anthropic HH-RLHF: each side of a pair is the whole dialogue as one string.

``"\\n\\nHuman: ...\\n\\nAssistant: ...\\n\\nHuman: ...\\n\\nAssistant: ..."``. Both
strings share the dialogue up to the final Assistant turn; the prompt is that shared
prefix and chosen/rejected are the two final turns. Rows whose prefixes differ (a model
turn that itself contains "Human:" and was split differently upstream) are quarantined
rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from prefinery.parsers.base import (
    AnnotatorType,
    Message,
    ParseError,
    RecordContext,
    as_object,
    get_field,
    pair,
)
from prefinery.reasons import Reason

_SPEAKERS = {"Human": "user", "Assistant": "assistant"}
_ROLE_NAMES = {role: name for name, role in _SPEAKERS.items()}
_TURN = re.compile(r"\n\n(Human|Assistant):(?: |(?=\n\n)|$)")


def parse_dialogue(text: str, field: str = "dialogue") -> list[Message]:
    """Split an HH dialogue string into messages; the inverse of ``render_dialogue``."""
    markers = list(_TURN.finditer(text))
    if not markers or markers[0].start() != 0:
        raise ParseError(
            Reason.MALFORMED_DIALOGUE,
            f"field {field!r} does not start with a '\\n\\nHuman: ' or '\\n\\nAssistant: ' turn marker",
            field=field,
        )
    messages = []
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(text)
        messages.append({"role": _SPEAKERS[marker.group(1)], "content": text[marker.end() : end]})
    return messages


def render_dialogue(messages: Sequence[Message]) -> str:
    return "".join(f"\n\n{_ROLE_NAMES[m['role']]}: {m['content']}" for m in messages)


def _split_final_turn(messages: list[Message], field: str) -> tuple[list[Message], str]:
    if not any(m["role"] == "assistant" for m in messages):
        raise ParseError(Reason.NO_ASSISTANT_TURN, f"field {field!r} has no Assistant turn", field=field)
    if messages[-1]["role"] != "assistant":
        raise ParseError(Reason.ENDS_ON_USER_TURN, f"field {field!r} ends on a Human turn, not a response", field=field)
    return messages[:-1], messages[-1]["content"]


def parse_pair(record: Any, ctx: RecordContext) -> list:
    record = as_object(record)
    chosen_turns = parse_dialogue(get_field(record, "chosen", str), "chosen")
    rejected_turns = parse_dialogue(get_field(record, "rejected", str), "rejected")
    prompt, chosen = _split_final_turn(chosen_turns, "chosen")
    rejected_prompt, rejected = _split_final_turn(rejected_turns, "rejected")
    if prompt != rejected_prompt:
        raise ParseError(
            Reason.DIALOGUE_PREFIX_MISMATCH,
            f"chosen and rejected dialogues differ before their final Assistant turn "
            f"({len(prompt)} vs {len(rejected_prompt)} turns)",
        )
    return [
        pair(
            prompt,
            chosen,
            rejected,
            label=1.0,
            label_raw="chosen",
            annotator_type=AnnotatorType.HUMAN,
            annotator="anthropic_crowdworkers",
            num_annotators=1,
            metadata={"turns": len(prompt) + 1},
        )
    ]


PARSERS = {"hh_rlhf.pairs": parse_pair}
