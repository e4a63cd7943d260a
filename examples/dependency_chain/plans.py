"""Three plans, each creating its whole batch with one bulk call of the fake API.

Each plan adds a ``declare`` factory with typed keyword arguments that calls ``require``, so
declarations read like the domain (``programs.declare(title=..., facility=...)``) and the
dependency slots are spelled out once, here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement

from .fake_api import api


class FacilityPlan(WarmupPlan):
    def declare(self, *, name: str, id: str | None = None) -> WarmupRequirement:
        return self.require(payload={"name": name}, id=id)

    def prepare(self, nodes: Sequence[WarmupNode]) -> None:
        ids = api.create_facilities([node.payload["name"] for node in nodes])
        for node, facility_id in zip(nodes, ids, strict=True):
            node.set_value({"facility_id": facility_id, "name": node.payload["name"]})


class ProgramPlan(WarmupPlan):
    def declare(
        self, *, title: str, facility: WarmupRequirement, id: str | None = None
    ) -> WarmupRequirement:
        return self.require(payload={"title": title}, dependencies={"facility": facility}, id=id)

    def prepare(self, nodes: Sequence[WarmupNode]) -> None:
        # node.deps holds the prepared values of the dependencies, by slot name: by the time
        # this runs, every facility of the batch already exists.
        ids = api.create_programs(
            [
                {
                    "title": node.payload["title"],
                    "facility_id": node.deps["facility"]["facility_id"],
                }
                for node in nodes
            ]
        )
        for node, program_id in zip(nodes, ids, strict=True):
            node.set_value(
                {
                    "program_id": program_id,
                    "title": node.payload["title"],
                    "facility": node.deps["facility"],
                }
            )


class OrderPlan(WarmupPlan):
    def declare(
        self, *, seats: int, program: WarmupRequirement, id: str | None = None
    ) -> WarmupRequirement:
        # Orders get changed by the tests that use them, so every test gets its own.
        return self.require(
            payload={"seats": seats}, dependencies={"program": program}, id=id, is_per_test=True
        )

    def prepare(self, nodes: Sequence[WarmupNode]) -> None:
        ids = api.create_orders(
            [
                {"seats": node.payload["seats"], "program_id": node.deps["program"]["program_id"]}
                for node in nodes
            ]
        )
        for node, order_id in zip(nodes, ids, strict=True):
            node.set_value(
                {
                    "order_id": order_id,
                    "seats": node.payload["seats"],
                    "program": node.deps["program"],
                }
            )


facilities = FacilityPlan("facility")
programs = ProgramPlan("program")
orders = OrderPlan("order")
