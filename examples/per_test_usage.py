"""Shared versus per-test requirements.

A shared requirement is created once per producer scope and every test sees the same value.
A per-test requirement (``is_per_test=True``) is created once for each test that binds it, and
a requirement that depends on a per-test one becomes per-test too. All instances of a plan are
still created in one batch. Run it with ``pytest examples/per_test_usage.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param
from pytest_warmup.engine import Prepared

SERIALS = itertools.count(1)
#: plan name -> size of each batch the plan received
BATCHES: dict[str, list[int]] = {}


class RecordingPlan(WarmupPlan):
    """Gives every node a fresh serial number and remembers which test it was made for."""

    def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
        # Called once per batch, before prepare_node runs for each of its nodes.
        BATCHES.setdefault(self.name, []).append(len(nodes))

    def prepare_node(self, node: WarmupNode) -> dict[str, Any]:
        # node.test_id is the test a per-test instance belongs to (None for a shared one);
        # node.deps holds the prepared values of its dependencies by slot name.
        return {"serial": next(SERIALS), "for_test": node.test_id, **node.deps}


carts = RecordingPlan("carts")
lines = RecordingPlan("lines")
receipts = RecordingPlan("receipts")

# Shared: one cart for the whole module.
cart = carts.require(payload={"currency": "EUR"}, id="cart")
# Per-test: each test gets its own line in that shared cart.
line = lines.require(payload={"sku": "TEA-1"}, dependencies={"cart": cart}, is_per_test=True)
# is_per_test left unset: the receipt depends on a per-test line, so it is per-test as well.
receipt = receipts.require(dependencies={"line": line})


@pytest.fixture(scope="module")
def prepared_shop(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(carts, lines, receipts).prepare()


#: test node id -> (cart serial, line serial) as each test saw them
SEEN: dict[str, tuple[int, int]] = {}


@warmup_param("shared_cart", cart)
@warmup_param("own_line", line)
def test_first_buyer(
    prepared_shop: object,
    request: pytest.FixtureRequest,
    shared_cart: dict[str, Any],
    own_line: dict[str, Any],
) -> None:
    assert shared_cart["for_test"] is None
    assert own_line["for_test"] == request.node.nodeid
    SEEN[request.node.nodeid] = (shared_cart["serial"], own_line["serial"])


@warmup_param("shared_cart", cart)
@warmup_param("own_line", line)
def test_second_buyer(
    prepared_shop: object,
    request: pytest.FixtureRequest,
    shared_cart: dict[str, Any],
    own_line: dict[str, Any],
) -> None:
    assert own_line["for_test"] == request.node.nodeid
    SEEN[request.node.nodeid] = (shared_cart["serial"], own_line["serial"])


# Each parametrized case is its own test, so each gets its own line and receipt.
@pytest.mark.parametrize("quantity", [1, 2])
@warmup_param("shared_cart", cart)
@warmup_param("own_receipt", receipt)
def test_parametrized_buyers(
    prepared_shop: object,
    request: pytest.FixtureRequest,
    quantity: int,
    shared_cart: dict[str, Any],
    own_receipt: dict[str, Any],
) -> None:
    own_line = own_receipt["line"]
    assert own_line["for_test"] == own_receipt["for_test"] == request.node.nodeid
    # The per-test line is built on the shared cart, the same one every test sees.
    assert own_line["cart"] is shared_cart
    SEEN[request.node.nodeid] = (shared_cart["serial"], own_line["serial"])


# Every test of this module binds a line: before the first of them ran, the producer made all
# the lines in one batch, whatever order the tests run in.
@warmup_param("shared_cart", cart)
@warmup_param("own_line", line)
def test_one_cart_for_all_and_one_line_per_test(
    prepared_shop: Prepared,
    request: pytest.FixtureRequest,
    shared_cart: dict[str, Any],
    own_line: dict[str, Any],
) -> None:
    SEEN[request.node.nodeid] = (shared_cart["serial"], own_line["serial"])
    # Every test that ran so far saw the one cart, and a line of its own.
    assert len({cart_serial for cart_serial, _ in SEEN.values()}) == 1
    assert len({line_serial for _, line_serial in SEEN.values()}) == len(SEEN)
    # However many tests there are, each plan was called once, with all its instances.
    tests = len(prepared_shop.record.consumers)
    assert BATCHES["carts"] == [1]
    assert BATCHES["lines"] == [tests]
