"""The suite of test_customers.py and test_orders.py written with plain pytest fixtures.

Every fixture inserts its one row and deletes it at teardown: a round trip each way per
customer, product and order, and per test for the per-test orders. ``compare.py`` runs both
suites against the same database; ``pytest examples`` does not collect this file (its name
does not match ``python_files``), so the examples run once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .shop import (
    DELETE,
    INSERT_CUSTOMER,
    INSERT_ORDER,
    INSERT_PRODUCT,
    ORDER_TOTAL,
    Customer,
    Database,
    Order,
    Product,
    customer_row,
    new_id,
    order_row,
    product_row,
)


def _customer(database: Database, name: str, tier: str = "standard") -> Iterator[Customer]:
    customer = Customer(new_id("cus"), name, tier)
    database.execute(INSERT_CUSTOMER, customer_row(customer))
    yield customer
    database.execute(DELETE["customers"], [customer.id])


def _product(database: Database, sku: str, price_cents: int) -> Iterator[Product]:
    product = Product(new_id("prd"), sku, price_cents)
    database.execute(INSERT_PRODUCT, product_row(product))
    yield product
    database.execute(DELETE["products"], [product.id])


def _order(
    database: Database, customer: Customer, product: Product, quantity: int = 1
) -> Iterator[Order]:
    order = Order(new_id("ord"), customer, product, quantity)
    database.execute(INSERT_ORDER, order_row(order))
    yield order
    database.execute(DELETE["orders"], [order.id])


@pytest.fixture(scope="session")
def alice(shop_database: Database) -> Iterator[Customer]:
    yield from _customer(shop_database, "Alice", "gold")


@pytest.fixture(scope="session")
def bob(shop_database: Database) -> Iterator[Customer]:
    yield from _customer(shop_database, "Bob")


@pytest.fixture(scope="session")
def book(shop_database: Database) -> Iterator[Product]:
    yield from _product(shop_database, "BOOK-1", 1_500)


@pytest.fixture(scope="session")
def lamp(shop_database: Database) -> Iterator[Product]:
    yield from _product(shop_database, "LAMP-2", 4_200)


@pytest.fixture(scope="session")
def mug(shop_database: Database) -> Iterator[Product]:
    yield from _product(shop_database, "MUG-3", 800)


@pytest.fixture(scope="session")
def alice_book(shop_database: Database, alice: Customer, book: Product) -> Iterator[Order]:
    yield from _order(shop_database, alice, book, 2)


@pytest.fixture(scope="session")
def bob_lamp(shop_database: Database, bob: Customer, lamp: Product) -> Iterator[Order]:
    yield from _order(shop_database, bob, lamp)


@pytest.fixture
def open_order(shop_database: Database, bob: Customer, book: Product) -> Iterator[Order]:
    yield from _order(shop_database, bob, book)


@pytest.fixture
def mug_order(shop_database: Database, bob: Customer, mug: Product) -> Iterator[Order]:
    yield from _order(shop_database, bob, mug, 3)


def test_a_gold_customer_is_a_row(shop_database: Database, alice: Customer) -> None:
    rows = shop_database.execute("SELECT name, tier FROM customers WHERE id = ?", [alice.id])
    assert rows == [("Alice", "gold")]


def test_two_customers_are_two_rows(
    shop_database: Database, alice: Customer, bob: Customer
) -> None:
    rows = shop_database.execute(
        "SELECT count(*) FROM customers WHERE id IN (?, ?)", [alice.id, bob.id]
    )
    assert rows == [(2,)]


def test_products_keep_their_prices(
    shop_database: Database, mug: Product, book: Product, lamp: Product
) -> None:
    rows = shop_database.execute(
        "SELECT sku FROM products WHERE id IN (?, ?, ?) ORDER BY price_cents",
        [mug.id, book.id, lamp.id],
    )
    assert rows == [("MUG-3",), ("BOOK-1",), ("LAMP-2",)]


def test_a_shared_order_joins_its_customer_and_product(
    shop_database: Database, alice_book: Order
) -> None:
    rows = shop_database.execute(
        "SELECT customers.name, products.sku FROM orders "
        "JOIN customers ON customers.id = orders.customer_id "
        "JOIN products ON products.id = orders.product_id WHERE orders.id = ?",
        [alice_book.id],
    )
    assert rows == [("Alice", "BOOK-1")]


def test_the_total_of_a_shared_order(shop_database: Database, bob_lamp: Order) -> None:
    assert shop_database.execute(ORDER_TOTAL, [bob_lamp.id]) == [(4_200,)]


def test_cancelling_changes_this_test_s_own_order(
    shop_database: Database, open_order: Order
) -> None:
    shop_database.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", [open_order.id])
    assert shop_database.execute("SELECT status FROM orders WHERE id = ?", [open_order.id]) == [
        ("cancelled",)
    ]


def test_every_test_gets_an_open_order(shop_database: Database, open_order: Order) -> None:
    assert shop_database.execute("SELECT status FROM orders WHERE id = ?", [open_order.id]) == [
        ("open",)
    ]


@pytest.mark.parametrize("quantity", range(2, 10))
def test_raising_the_quantity_raises_the_total(
    shop_database: Database, open_order: Order, quantity: int
) -> None:
    shop_database.execute("UPDATE orders SET quantity = ? WHERE id = ?", [quantity, open_order.id])
    assert shop_database.execute(ORDER_TOTAL, [open_order.id]) == [(quantity * 1_500,)]


def test_two_per_test_orders_share_their_customer(
    bob: Customer, open_order: Order, mug_order: Order
) -> None:
    assert open_order.customer == mug_order.customer == bob
    assert open_order.id != mug_order.id
