"""Graphs for the engine's unit tests: roots written as tuples, both phases in one call."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_warmup import WarmupRequirement
from pytest_warmup._graph import Instances, Root, RootTable, instantiate, normalise

TEST_A = "test_x.py::test_a"
TEST_B = "test_x.py::test_b"


def root(requirement: WarmupRequirement, test_id: str = TEST_A) -> Root:
    """A test's binding of ``requirement``, as a producer selects it."""
    return Root(
        consumer_id=test_id,
        source_kind="test",
        source_name=test_id.rpartition("::")[2],
        argument_name="value",
        requirement=requirement,
    )


def build(roots: Iterable[Root], local: Iterable[tuple[WarmupRequirement, str]] = ()) -> Instances:
    """Normalise the graph of ``roots`` and instantiate it; ``local`` names (shared
    requirement, test) pairs that get a test-local instance."""
    table = RootTable(roots)
    graph = normalise(table.requirements)
    return instantiate(
        graph,
        table,
        local=[(graph.by_requirement[requirement], test) for requirement, test in local],
    )
