"""What the tests need, declared once: two customers, three products, two shared orders and
two kinds of per-test order."""

from __future__ import annotations

from .plans import customers, orders, products

alice = customers.declare(name="Alice", tier="gold", id="alice")
bob = customers.declare(name="Bob", id="bob")

book = products.declare(sku="BOOK-1", price_cents=1_500, id="book")
lamp = products.declare(sku="LAMP-2", price_cents=4_200, id="lamp")
mug = products.declare(sku="MUG-3", price_cents=800, id="mug")

# Shared: read by several tests, changed by none.
alice_book = orders.declare(customer=alice, product=book, quantity=2, id="alice_book")
bob_lamp = orders.declare(customer=bob, product=lamp, quantity=1, id="bob_lamp")

# Per-test: each test that binds one gets a fresh row it may change.
open_order = orders.declare(customer=bob, product=book, per_test=True, id="open_order")
mug_order = orders.declare(customer=bob, product=mug, quantity=3, per_test=True, id="mug_order")
