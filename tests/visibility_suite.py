"""A small pytester suite for what pytest-warmup shows: header, progress, summary, plan preview.

``install(pytester)`` writes ``logged.py``, whose ``LoggedPlan`` appends every plan method it
runs to ``calls.log`` (``called(pytester)`` reads it back), a ``conftest.py`` with three plans
in a chain and a module producer ``shop``, and ``test_shop.py`` with three tests:

- ``gym`` (facility, shared) <- ``yoga`` (program, shared) <- ``order`` (per-test);
- ``test_books`` and ``test_pays`` bind ``order``, ``test_program`` binds ``yoga``.
"""

from __future__ import annotations

import pytest

SCOPE_ID = "module:test_shop.py::shop"

LOGGED = """
import pathlib

from pytest_warmup import WarmupPlan

CALLS = pathlib.Path(__file__).parent / "calls.log"


def called(what):
    with CALLS.open("a", encoding="utf-8") as calls:
        calls.write(what + "\\n")


class LoggedPlan(WarmupPlan):
    def before_prepare(self, nodes):
        called(f"{self.name}.before_prepare")

    def prepare_node(self, node):
        called(f"{self.name}.prepare_node")
        if "fail" in node.payload:
            raise RuntimeError(node.payload["fail"])
        return {"id": node.id, "test": node.test_id}

    def after_prepare(self, nodes):
        called(f"{self.name}.after_prepare")

    def cleanup_node(self, node):
        called(f"{self.name}.cleanup_node")

    def validate_snapshot_value(self, requirement, value):
        called(f"{self.name}.validate_snapshot_value")
        return value
"""

CONFTEST = """
import pytest

from logged import LoggedPlan

facility = LoggedPlan("facility")
program = LoggedPlan("program")
order = LoggedPlan("order")

gym = facility.require(payload={}, id="gym")
yoga = program.require(dependencies={"facility": gym}, id="yoga")
order_each = order.require(
    payload={PAYLOAD}, dependencies={"program": yoga}, id="order", is_per_test=True
)


@pytest.fixture(scope="module")
def shop(warmup_mgr):
    return warmup_mgr.use(facility, program, order).prepare()
"""

TESTS = """
from pytest_warmup import warmup_param

from conftest import order_each, yoga


@warmup_param("order", order_each)
def test_books(shop, order):
    assert order["test"] == "test_shop.py::test_books"


@warmup_param("order", order_each)
def test_pays(shop, order):
    assert order["test"] == "test_shop.py::test_pays"


@warmup_param("program", yoga)
def test_program(shop, program):
    assert program["id"] == "yoga"
"""


def install(pytester: pytest.Pytester, *, order_payload: str = "") -> None:
    """Write the suite of the module docstring; ``order_payload`` goes into the orders'
    payload dict (``'"fail": "boom"'`` fails them)."""
    pytester.makepyfile(logged=LOGGED)
    pytester.makeconftest(CONFTEST.replace("{PAYLOAD}", "{" + order_payload + "}"))
    pytester.makepyfile(test_shop=TESTS)
    pytester.syspathinsert()


def called(pytester: pytest.Pytester) -> list[str]:
    """The plan methods that ran, in order."""
    path = pytester.path / "calls.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def section(output: str, title: str) -> list[str]:
    """The lines of the terminal section ``title`` (up to the next ``===`` line)."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("=") and f" {title} " in line:
            rest = lines[index + 1 :]
            end = next((i for i, text in enumerate(rest) if text.startswith("=")), len(rest))
            return rest[:end]
    return []
