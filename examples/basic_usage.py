"""The smallest pytest-warmup flow: a plan, its requirements, a producer fixture, tests.

Run it with ``pytest examples/basic_usage.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param

#: names of the users the plan created, in order
CREATED: list[str] = []


# A plan knows how to create one kind of resource. The plugin hands it every node the selected
# tests need in one call (a batch); prepare_node is then called for each node, and what it
# returns is the value tests receive. A plan that can create many resources with one request
# overrides prepare(nodes) instead (see dependency_chain/plans.py).
class UserPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        name = node.payload["name"]
        CREATED.append(name)
        return {"user_id": f"user-{name}", "name": name}


users = UserPlan("users")

# A requirement declares one resource. Declare it once at module level and reuse the object:
# the same object means the same resource everywhere it is bound.
alice = users.require(payload={"name": "alice"}, id="alice")
bob = users.require(payload={"name": "bob"}, id="bob")


# The producer is an ordinary fixture. Its scope decides which tests it prepares for (here:
# the tests of this module) and how long the values live. It returns the prepared scope, which
# tests request only so the plugin knows where their values come from (hence the loose types).
@pytest.fixture(scope="module")
def prepared_users(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(users).prepare()


# @warmup_param injects the prepared value of a requirement as an argument. The test asks for
# the producer like any fixture, which is how the plugin knows where the value comes from.
@warmup_param("user", alice)
def test_alice_is_prepared(prepared_users: object, user: dict[str, str]) -> None:
    assert user == {"user_id": "user-alice", "name": "alice"}


# Bindings stack: one test can receive several prepared values.
@warmup_param("first", alice)
@warmup_param("second", bob)
def test_two_users_come_from_the_same_batch(
    prepared_users: object, first: dict[str, str], second: dict[str, str]
) -> None:
    assert first["user_id"] == "user-alice"
    assert second["user_id"] == "user-bob"
    # Both users were created once, before the first test of the module ran, and are shared
    # by every test that binds them.
    assert sorted(CREATED) == ["alice", "bob"]
