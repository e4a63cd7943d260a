"""Tests that each get their own order, plus the check that every plan made one API call."""

from __future__ import annotations

from typing import Any

from pytest_warmup import warmup_param

from .fake_api import api
from .requirements import swimming_order, yoga, yoga_order


@warmup_param("order", yoga_order)
def test_order_books_seats(booking_data: object, order: dict[str, Any]) -> None:
    assert order["seats"] == 2
    assert order["program"]["title"] == "Morning yoga"


@warmup_param("order", yoga_order)
@warmup_param("program", yoga)
def test_another_test_gets_another_order(
    booking_data: object, order: dict[str, Any], program: dict[str, Any]
) -> None:
    # Orders are per test: same requirement as the test above, but this test has its own
    # order record (the last test counts them), booked on the one shared program.
    assert order["seats"] == 2
    assert order["program"] is program


@warmup_param("order", swimming_order)
def test_swimming_order(booking_data: object, order: dict[str, Any]) -> None:
    assert order["program"]["title"] == "Swimming"


# Run with the whole folder: it counts what the tests above asked for.
def test_each_plan_made_exactly_one_batch_call(booking_data: object) -> None:
    # The producer ran before the first test of the session that needs it. However many tests
    # and requirements there are, each level of the chain cost one call of the API.
    assert api.calls == {"create_facilities": 1, "create_programs": 1, "create_orders": 1}
    order_ids = [record_id for record_id in api.records if record_id.startswith("ord-")]
    assert len(order_ids) == 3  # one order for each of the three tests binding an order
