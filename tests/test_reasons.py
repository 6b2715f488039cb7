from __future__ import annotations

import yaml

from prefinery.reasons import Reason
from prefinery.settings import PROJECT_ROOT


def test_dbt_accepts_exactly_the_reason_codes_python_defines():
    marts = yaml.safe_load((PROJECT_ROOT / "dbt_project/models/marts/_marts.yml").read_text())
    quarantine = next(m for m in marts["models"] if m["name"] == "quarantine")
    column = next(c for c in quarantine["columns"] if c["name"] == "reason_code")
    accepted = next(t["accepted_values"] for t in column["data_tests"] if isinstance(t, dict))
    assert accepted["arguments"]["values"] == [r.value for r in Reason]


def test_every_reason_has_a_meaning():
    assert all(r.meaning for r in Reason)
