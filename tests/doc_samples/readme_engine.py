"""What the engine sample of README.md takes for granted: the quick start's plan and requirement."""

from pytest_warmup import WarmupNode, WarmupPlan


class AccountPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        return {"account_id": f"acc-{node.payload['name']}"}


accounts = AccountPlan("accounts")
alice = accounts.require(payload={"name": "alice"}, id="alice")
