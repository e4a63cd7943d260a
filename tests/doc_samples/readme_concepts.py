"""What the concepts samples of README.md and docs/concepts.md take for granted: three plans."""

# The samples after this file use pytest and warmup_param without importing them.
import pytest  # noqa: F401

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param  # noqa: F401


class ProfilePlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        return {"profile_id": f"profile-{node.payload['name']}"}


class ProgramPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        profile_id = node.deps["profile"]["profile_id"]
        return {"program_id": f"program-{node.id}", "profile_id": profile_id}


class OrderPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        return {"order_for": node.deps["program"]["program_id"]}


program = ProgramPlan("program")
order = OrderPlan("order")
