"""The producer for this folder: one session-scoped fixture prepares the whole chain.

It passes all three plans to ``use(...)``; passing only ``orders`` would work as well, because
the dependencies of a bound requirement are always prepared, whatever plan they belong to.
"""

from __future__ import annotations

from typing import Any

import pytest

from .plans import facilities, orders, programs


@pytest.fixture(scope="session")
def booking_data(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(facilities, programs, orders).prepare()
