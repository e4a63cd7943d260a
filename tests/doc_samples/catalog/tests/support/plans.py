"""The plans the catalogs of docs/catalog.md name as ``tests.support.plans:...``."""

from typing import Any

from pytest_warmup import WarmupNode, WarmupPlan


class CustomerPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, Any]:
        return {"name": f"customer-{node.id}", **node.payload}


class OrderPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, Any]:
        return {"customer": node.deps["customer"], **node.payload}
