"""A fake external booking API with bulk endpoints that counts how often it is called.

A real suite would talk to a slow service here; each call costs a round trip, so the point of
pytest-warmup is to make as few calls as possible.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any


class FakeBookingApi:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.records: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def create_facilities(self, names: list[str]) -> list[str]:
        return self._create("create_facilities", "fac", [{"name": name} for name in names])

    def create_programs(self, programs: list[dict[str, str]]) -> list[str]:
        for program in programs:
            self._require_existing(program["facility_id"])
        return self._create("create_programs", "prg", programs)

    def create_orders(self, orders: list[dict[str, Any]]) -> list[str]:
        for order in orders:
            self._require_existing(order["program_id"])
        return self._create("create_orders", "ord", orders)

    def _create(self, endpoint: str, prefix: str, bodies: list[dict[str, Any]]) -> list[str]:
        self.calls[endpoint] += 1
        created = []
        for body in bodies:
            record_id = f"{prefix}-{next(self._ids)}"
            self.records[record_id] = body
            created.append(record_id)
        return created

    def _require_existing(self, record_id: str) -> None:
        # Like a real service: referring to something that does not exist yet is an error,
        # which is why the plans must run in dependency order.
        if record_id not in self.records:
            raise LookupError(f"unknown record {record_id!r}")


#: The one client the plans and the tests share.
api = FakeBookingApi()
