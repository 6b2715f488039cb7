"""Why a record was quarantined: machine-readable codes with a one-line meaning each.

Every row that cannot become an example keeps one of these codes plus a message that
names the field and the fix. The dbt project tests that quarantine only ever holds
codes from this list (tests/test_reasons.py keeps the two in step).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # Decoding the record
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    # Reading fields
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    EMPTY_PROMPT = "empty_prompt"
    EMPTY_RESPONSE = "empty_response"
    # Labels
    MISSING_LABEL = "missing_label"
    LABEL_OUT_OF_DOMAIN = "label_out_of_domain"
    IDENTICAL_RESPONSES = "identical_responses"
    # Conversation structure
    DIALOGUE_PREFIX_MISMATCH = "dialogue_prefix_mismatch"
    NO_ASSISTANT_TURN = "no_assistant_turn"
    ENDS_ON_USER_TURN = "ends_on_user_turn"
    MALFORMED_DIALOGUE = "malformed_dialogue"
    UNPARSEABLE_TEMPLATE = "unparseable_template"
    # Joins between files of one source
    JOIN_KEY_NOT_FOUND = "join_key_not_found"
    # Set-level rules applied in dbt (int_candidates_screened)
    DUPLICATE_RECORD = "duplicate_record"
    UNKNOWN_LICENSE = "unknown_license"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS: dict[Reason, str] = {
    Reason.INVALID_UTF8: "the record's bytes are not valid UTF-8",
    Reason.INVALID_JSON: "the record is not valid JSON",
    Reason.NOT_AN_OBJECT: "the record is valid JSON but not an object",
    Reason.MISSING_FIELD: "a required field is absent or null",
    Reason.WRONG_TYPE: "a field has the wrong JSON type",
    Reason.EMPTY_PROMPT: "the prompt is empty or whitespace only",
    Reason.EMPTY_RESPONSE: "a response is empty or whitespace only",
    Reason.MISSING_LABEL: "the label is absent or null (e.g. a failed judge call)",
    Reason.LABEL_OUT_OF_DOMAIN: "the label is outside the values the format defines",
    Reason.IDENTICAL_RESPONSES: "chosen and rejected are the same text",
    Reason.DIALOGUE_PREFIX_MISMATCH: "chosen and rejected dialogues differ before the final turn",
    Reason.NO_ASSISTANT_TURN: "the dialogue has no assistant turn to compare",
    Reason.ENDS_ON_USER_TURN: "the dialogue ends on a user turn, so there is no response",
    Reason.MALFORMED_DIALOGUE: "the dialogue text does not follow the format's turn markers",
    Reason.UNPARSEABLE_TEMPLATE: "the prompt template's sections could not be found",
    Reason.JOIN_KEY_NOT_FOUND: "the record refers to a key missing from the file it joins",
    Reason.DUPLICATE_RECORD: "an identical record appears earlier in the same file",
    Reason.UNKNOWN_LICENSE: "the row's license is not declared in the registry",
}
