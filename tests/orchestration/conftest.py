from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def refinery_run():
    """The README's demo, once per session: every asset for every shipped source."""
    from orchestration.launch import materialize

    (result,) = materialize(executor="in_process")
    return result
