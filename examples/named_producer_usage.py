"""Two producers for one plan, and ``producer_fixture="..."`` to say which one a binding uses.

A module-scoped producer creates products that every test reads; a function-scoped producer
creates a private copy for a test that changes it. A test that has both producers in its
fixture chain must name one. Run it with ``pytest examples/named_producer_usage.py``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param

# Every created product gets a new serial number, so tests can tell two creations apart.
SERIALS = itertools.count(1)


class ProductPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, Any]:
        return {"sku": node.payload["sku"], "serial": next(SERIALS), "stock": 10}


products = ProductPlan("products")
tea = products.require(payload={"sku": "TEA-1"}, id="tea")


# Two producers that prepare the same plan. Each one prepares only the bindings of the tests
# it covers that either name no producer or name this one.
@pytest.fixture(scope="module")
def shop_catalog(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(products).prepare()


@pytest.fixture
def scratch_catalog(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(products).prepare()


# Only one producer in the chain: no name needed.
@warmup_param("product", tea)
def test_reads_the_shared_product(shop_catalog: object, product: dict[str, Any]) -> None:
    assert product["sku"] == "TEA-1"
    assert product["stock"] == 10


# A fixture that always reads the module-wide product, whatever else the test requests.
@pytest.fixture
@warmup_param("product", tea, producer_fixture="shop_catalog")
def shared_tea(shop_catalog: object, product: dict[str, Any]) -> dict[str, Any]:
    return product


# This test requests both producers. Without producer_fixture the plugin would stop with
# "multiple producer fixtures found in pytest dependency chain"; naming scratch_catalog gives
# the test its own copy of the product, while shared_tea still reads the module-wide one.
@warmup_param("product", tea, producer_fixture="scratch_catalog")
def test_changes_a_private_copy(
    shop_catalog: object,
    scratch_catalog: object,
    shared_tea: dict[str, Any],
    product: dict[str, Any],
) -> None:
    product["stock"] -= 3
    assert product["stock"] == 7
    assert product["serial"] != shared_tea["serial"]
    assert shared_tea["stock"] == 10


# The change above stayed in the private copy.
@warmup_param("product", tea, producer_fixture="shop_catalog")
def test_shared_product_is_unchanged(shop_catalog: object, product: dict[str, Any]) -> None:
    assert product["stock"] == 10
