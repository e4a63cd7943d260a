"""The shop's SQLite database, used the way a suite uses a remote one: every call is a round trip.

``SHOP_LATENCY_MS`` (default 0) adds that many milliseconds to each round trip, as a network
would; ``compare.py`` sets it to show what batching saves. The rows use ids made by the client
(``cus_...``, ``prd_...``, ``ord_...``), so one ``executemany`` creates a whole batch without
reading anything back.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY, sku TEXT NOT NULL, price_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
);
"""

INSERT_CUSTOMER = "INSERT INTO customers (id, name, tier) VALUES (?, ?, ?)"
INSERT_PRODUCT = "INSERT INTO products (id, sku, price_cents) VALUES (?, ?, ?)"
INSERT_ORDER = "INSERT INTO orders (id, customer_id, product_id, quantity) VALUES (?, ?, ?, ?)"
#: what an order costs, in cents
ORDER_TOTAL = """
SELECT orders.quantity * products.price_cents FROM orders
JOIN products ON products.id = orders.product_id WHERE orders.id = ?
"""
DELETE = {
    "customers": "DELETE FROM customers WHERE id = ?",
    "products": "DELETE FROM products WHERE id = ?",
    "orders": "DELETE FROM orders WHERE id = ?",
}


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    tier: str


@dataclass(frozen=True)
class Product:
    id: str
    sku: str
    price_cents: int


@dataclass(frozen=True)
class Order:
    id: str
    customer: Customer
    product: Product
    quantity: int


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def customer_row(customer: Customer) -> tuple[str, str, str]:
    return (customer.id, customer.name, customer.tier)


def product_row(product: Product) -> tuple[str, str, int]:
    return (product.id, product.sku, product.price_cents)


def order_row(order: Order) -> tuple[str, str, str, int]:
    return (order.id, order.customer.id, order.product.id, order.quantity)


class Database:
    """One connection to the shop's database file, shared by plans, fixtures and tests.

    Plans of independent batches run in worker threads at the same time: the fake latency is
    waited outside the lock, as concurrent requests to a server would wait.
    """

    def __init__(self) -> None:
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        #: calls made to the database since it was opened
        self.round_trips = 0
        self.latency_seconds = 0.0

    def open(self, path: Path) -> None:
        self.latency_seconds = int(os.environ.get("SHOP_LATENCY_MS", "0")) / 1000
        connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA foreign_keys = ON")  # an order keeps its customer alive
        # A test database: no wait for the disk, no journal file made and removed per write.
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(SCHEMA)
        self._connection = connection
        self.round_trips = 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement, one round trip; its rows."""
        connection = self._round_trip()
        with self._lock, connection:
            return connection.execute(sql, parameters).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows, one round trip."""
        connection = self._round_trip()
        with self._lock, connection:
            connection.executemany(sql, rows)

    def rows_left(self) -> dict[str, int]:
        """How many rows each table holds: the example's own check that cleanup deleted every
        row it made (not a round trip of the suite, so not counted)."""
        if self._connection is None:
            raise RuntimeError("the shop database is not open")
        with self._lock:
            return {
                table: self._connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in DELETE
            }

    def _round_trip(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the shop database is not open: request the shop_database fixture")
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        with self._lock:
            self.round_trips += 1
        return self._connection


#: the suite's database; the shop_database fixture opens it
database = Database()
