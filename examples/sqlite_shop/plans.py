"""Three typed plans that write their whole batch with one ``executemany`` and delete it with one.

Each plan overrides the batch method ``prepare(nodes)``: it builds every node's row, inserts
them all in one round trip, then completes each node with ``node.set_value(...)``. ``cleanup``
gets the nodes of one batch too and deletes them in one round trip. pytest-warmup cleans up
the newest batch first, so orders are gone before the customers and products they point at
(the database's foreign keys would refuse the other order).

``WarmupPlan[Customer]`` makes the plan's value type known to a type checker:
``customers.declare(...)`` returns a ``WarmupRequirement[Customer]``, and ``node.set_value``
takes a ``Customer``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement

from .shop import (
    DELETE,
    INSERT_CUSTOMER,
    INSERT_ORDER,
    INSERT_PRODUCT,
    Customer,
    Database,
    Order,
    Product,
    customer_row,
    database,
    new_id,
    order_row,
    product_row,
)


class CustomerPlan(WarmupPlan[Customer]):
    def __init__(self, name: str, database: Database) -> None:
        super().__init__(name)
        self.database = database

    def declare(self, *, name: str, tier: str = "standard", id: str) -> WarmupRequirement[Customer]:
        return self.require(payload={"name": name, "tier": tier}, id=id)

    def prepare(self, nodes: Sequence[WarmupNode[Customer]]) -> None:
        made = [
            Customer(new_id("cus"), node.payload["name"], node.payload["tier"]) for node in nodes
        ]
        self.database.executemany(INSERT_CUSTOMER, [customer_row(c) for c in made])
        for node, customer in zip(nodes, made, strict=True):
            node.set_value(customer)

    def cleanup(self, nodes: Sequence[WarmupNode[Customer]]) -> None:
        self.database.executemany(DELETE["customers"], [(node.value.id,) for node in nodes])


class ProductPlan(WarmupPlan[Product]):
    def __init__(self, name: str, database: Database) -> None:
        super().__init__(name)
        self.database = database

    def declare(self, *, sku: str, price_cents: int, id: str) -> WarmupRequirement[Product]:
        return self.require(payload={"sku": sku, "price_cents": price_cents}, id=id)

    def prepare(self, nodes: Sequence[WarmupNode[Product]]) -> None:
        made = [
            Product(new_id("prd"), node.payload["sku"], node.payload["price_cents"])
            for node in nodes
        ]
        self.database.executemany(INSERT_PRODUCT, [product_row(p) for p in made])
        for node, product in zip(nodes, made, strict=True):
            node.set_value(product)

    def cleanup(self, nodes: Sequence[WarmupNode[Product]]) -> None:
        self.database.executemany(DELETE["products"], [(node.value.id,) for node in nodes])


class OrderPlan(WarmupPlan[Order]):
    def __init__(self, name: str, database: Database) -> None:
        super().__init__(name)
        self.database = database

    def declare(
        self,
        *,
        customer: WarmupRequirement[Customer],
        product: WarmupRequirement[Product],
        quantity: int = 1,
        per_test: bool = False,
        id: str,
    ) -> WarmupRequirement[Order]:
        # A per-test order is one each test may change: every test that binds it gets its own.
        return self.require(
            payload={"quantity": quantity},
            dependencies={"customer": customer, "product": product},
            is_per_test=per_test,
            id=id,
        )

    def prepare(self, nodes: Sequence[WarmupNode[Order]]) -> None:
        # node.deps holds the values of the dependencies: by the time orders are made, every
        # customer and product they point at is in the database.
        made = [
            Order(
                new_id("ord"), node.deps["customer"], node.deps["product"], node.payload["quantity"]
            )
            for node in nodes
        ]
        self.database.executemany(INSERT_ORDER, [order_row(o) for o in made])
        for node, order in zip(nodes, made, strict=True):
            node.set_value(order)

    def cleanup(self, nodes: Sequence[WarmupNode[Order]]) -> None:
        self.database.executemany(DELETE["orders"], [(node.value.id,) for node in nodes])


customers = CustomerPlan("customer", database)
products = ProductPlan("product", database)
orders = OrderPlan("order", database)
