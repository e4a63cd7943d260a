"""Orders point at a customer and a product; the per-test ones may be changed by their test."""

from __future__ import annotations

import pytest

from pytest_warmup import warmup_param

from .requirements import alice_book, bob, bob_lamp, mug_order, open_order
from .shop import ORDER_TOTAL, Customer, Order, database


@warmup_param("order", alice_book)
def test_a_shared_order_joins_its_customer_and_product(shop_data: object, order: Order) -> None:
    rows = database.execute(
        "SELECT customers.name, products.sku FROM orders "
        "JOIN customers ON customers.id = orders.customer_id "
        "JOIN products ON products.id = orders.product_id WHERE orders.id = ?",
        [order.id],
    )
    assert rows == [("Alice", "BOOK-1")]


@warmup_param("order", bob_lamp)
def test_the_total_of_a_shared_order(shop_data: object, order: Order) -> None:
    assert database.execute(ORDER_TOTAL, [order.id]) == [(4_200,)]


@warmup_param("order", open_order)
def test_cancelling_changes_this_test_s_own_order(shop_data: object, order: Order) -> None:
    database.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", [order.id])
    assert database.execute("SELECT status FROM orders WHERE id = ?", [order.id]) == [
        ("cancelled",)
    ]


@warmup_param("order", open_order)
def test_every_test_gets_an_open_order(shop_data: object, order: Order) -> None:
    # Whatever ran before: the test above cancelled its own row, not this one.
    assert database.execute("SELECT status FROM orders WHERE id = ?", [order.id]) == [("open",)]


@pytest.mark.parametrize("quantity", range(2, 10))
@warmup_param("order", open_order)
def test_raising_the_quantity_raises_the_total(
    shop_data: object, order: Order, quantity: int
) -> None:
    database.execute("UPDATE orders SET quantity = ? WHERE id = ?", [quantity, order.id])
    assert database.execute(ORDER_TOTAL, [order.id]) == [(quantity * 1_500,)]


@warmup_param("customer", bob)
@warmup_param("first", open_order)
@warmup_param("second", mug_order)
def test_two_per_test_orders_share_their_customer(
    shop_data: object, customer: Customer, first: Order, second: Order
) -> None:
    assert first.customer == second.customer == customer
    assert first.id != second.id
