"""Customers and products are rows in the database, made before the first test that binds one.

The annotations of the bound arguments (``customer: Customer``) are the test's own:
``warmup_param`` cannot tell a type checker which argument it fills.
"""

from __future__ import annotations

from pytest_warmup import warmup_param

from .requirements import alice, bob, book, lamp, mug
from .shop import Customer, Product, database


@warmup_param("customer", alice)
def test_a_gold_customer_is_a_row(shop_data: object, customer: Customer) -> None:
    rows = database.execute("SELECT name, tier FROM customers WHERE id = ?", [customer.id])
    assert rows == [("Alice", "gold")]


@warmup_param("first", alice)
@warmup_param("second", bob)
def test_two_customers_are_two_rows(shop_data: object, first: Customer, second: Customer) -> None:
    rows = database.execute(
        "SELECT count(*) FROM customers WHERE id IN (?, ?)", [first.id, second.id]
    )
    assert rows == [(2,)]


@warmup_param("cheap", mug)
@warmup_param("middle", book)
@warmup_param("dear", lamp)
def test_products_keep_their_prices(
    shop_data: object, cheap: Product, middle: Product, dear: Product
) -> None:
    rows = database.execute(
        "SELECT sku FROM products WHERE id IN (?, ?, ?) ORDER BY price_cents",
        [cheap.id, middle.id, dear.id],
    )
    assert rows == [("MUG-3",), ("BOOK-1",), ("LAMP-2",)]
