"""GPTeacher: GPT-4-generated instructions and responses, one JSON array per subset.

Alpaca-style records ``{instruction, input, response}``; ``input`` is empty for most
rows, and the prompt is the instruction followed by the input after a blank line. The
responses are GPT-4 generations, not judgments of anything, so the examples carry no
annotator and name the generator in metadata instead. Quirks:

- Toolformer instructions begin with the tool's description ("toolformer: enabled\\n
  toolformer access: python\\n..."), so the tool spec is part of the user turn.
- One record in each toolformer file also has ``example_input``, a sample input for an
  instruction whose ``input`` is empty. It is not folded into the prompt (the response
  does not depend on it); metadata records that it exists, and its text when short.
- ``toolformer-similarity-0.6`` is upstream's near-duplicate-filtered subset of
  ``toolformer-dedupe-only``, so the two files share most rows (dedup decides later).
"""

from __future__ import annotations

from typing import Any

from prefinery.parsers.base import (
    Example,
    ExampleKind,
    RecordContext,
    as_object,
    get_field,
    get_optional,
    instruction_text,
    join_instruction,
    single_response,
    user_turn,
)

GENERATOR = "gpt-4"  # upstream README: the data are 100% GPT-4 generated
EXAMPLE_INPUT_MAX_CHARS = 200  # longer sample inputs are noted, not copied into metadata


def parse_instruction(record: Any, ctx: RecordContext) -> list[Example]:
    record = as_object(record)
    instruction = instruction_text(record)
    input_text = get_optional(record, "input", str, "")
    response = get_field(record, "response", str)
    example_input = get_optional(record, "example_input", str)
    return [
        single_response(
            ExampleKind.SFT,
            user_turn(join_instruction(instruction, input_text)),
            response,
            metadata={
                "subset": ctx.option("subset"),
                "generator": GENERATOR,
                "has_example_input": example_input is not None,
                "example_input": example_input
                if example_input and len(example_input) <= EXAMPLE_INPUT_MAX_CHARS
                else None,
            },
        )
    ]


PARSERS = {"gpteacher.instruct": parse_instruction}
