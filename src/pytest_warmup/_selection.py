"""Which tests a producer covers, and the roots they give it: plain functions over test records.

A :class:`TestRecord` is what selection needs to know about one collected test, read from its
pytest item (:mod:`._items`): its node id, its bindings grouped by the callable that carries
them, and the fixture definitions that apply to it. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, NamedTuple, final

from ._binding import Binding
from ._declarations import WarmupPlan, WarmupRequirement
from ._graph import RootTable, reachable
from ._scopes import format_scope_id
from .errors import WarmupError

__all__ = [
    "Source",
    "TestRecord",
    "TestState",
    "TestView",
    "binds_producer",
    "covered",
    "producer_rows",
    "scope_ids_of",
    "select_roots",
    "uses_definition",
]

#: the bindings of a test or of a fixture in its closure: ("test" or "fixture", name, bindings)
Source = tuple[str, str, tuple[Binding, ...]]

#: what a binding becomes for a producer: (argument name, requirement, its producer_fixture)
Row = tuple[str, WarmupRequirement, str | None]

#: a test id that a snapshot file names and that does not use the producer: it was
#: ``collected`` (it exists), is ``missing`` (a typo) or ``outside`` (its file was not collected)
TestState = Literal["collected", "missing", "outside"]


class TestRecord(NamedTuple):
    """One collected test, as selection sees it (a tuple: a run makes one for every test)."""

    nodeid: str
    #: the test's bindings, then its closure fixtures' bindings, in closure order
    sources: tuple[Source, ...]
    #: fixture name -> the definitions visible to the test, the one that applies last
    definitions: Mapping[str, Sequence[Any]]
    #: every fixture name in the test's closure
    fixturenames: Collection[str]


def uses_definition(test: TestRecord, name: str, definition: object) -> bool:
    """Whether fixture ``definition`` (named ``name``) is the one ``test`` gets for ``name``,
    or one that the applying definition extends by requesting its own name."""
    for candidate in reversed(test.definitions.get(name) or ()):
        if candidate is definition:
            return True
        if name not in candidate.argnames:
            return False
    return False


def scope_ids_of(test: TestRecord, name: str) -> set[str]:
    """The scope ids a producer fixture called ``name`` has when ``test`` uses it: one for each
    definition of ``name`` the test uses (see :func:`uses_definition`), anchored as
    ``scope_id_of`` anchors a producer instance."""
    found = set()
    for definition in reversed(test.definitions.get(name) or ()):
        found.add(format_scope_id(definition.scope, _anchor(test.nodeid, definition), name))
        if name not in definition.argnames:
            break
    return found


def _anchor(nodeid: str, definition: Any) -> str:
    scope = definition.scope
    if scope == "function":
        return nodeid
    parts = nodeid.split("::")
    if scope == "class":  # the innermost class, or the test itself outside a class
        return "::".join(parts[:-1]) if len(parts) > 2 else nodeid
    if scope == "module":
        return parts[0]
    # session and package: pytest sets them up for the directory of their definition
    return str(definition.baseid) or "."


def binds_producer(test: TestRecord, name: str, definition: object) -> bool:
    """Whether producer fixture ``definition`` covers ``test``: it is in the test's closure,
    or one of the test's bindings names it with ``producer_fixture``."""
    if uses_definition(test, name, definition):
        return True
    return any(
        binding.producer_fixture == name for _, _, bindings in test.sources for binding in bindings
    )


def covered(candidates: Iterable[TestRecord], name: str, definition: object) -> list[TestRecord]:
    """The candidates (the tests in the producer's scope, in run order) it covers."""
    return [test for test in candidates if binds_producer(test, name, definition)]


def producer_rows(
    bindings: tuple[Binding, ...],
    plans: Container[WarmupPlan],
    producer: str,
    requirement_of: Callable[[Binding], WarmupRequirement],
) -> list[Row]:
    """Of ``bindings``, those that ``producer`` makes roots of when it prepares ``plans``: the
    ones naming no producer or this one, whose requirement's plan is among ``plans``. An
    unknown catalog id is left out: its test errors in its own setup."""
    rows: list[Row] = []
    for binding in bindings:
        if binding.producer_fixture not in (None, producer):
            continue
        try:
            requirement = requirement_of(binding)
        except WarmupError:
            continue
        if requirement.owner_plan in plans:
            rows.append((binding.argument_name, requirement, binding.producer_fixture))
    return rows


def select_roots(
    tests: Sequence[TestRecord],
    plans: Container[WarmupPlan],
    producer: str,
    requirement_of: Callable[[Binding], WarmupRequirement],
) -> RootTable:
    """One root per binding of ``tests`` that ``producer`` prepares, in test order, then each
    test's binding order (its own bindings, then its fixtures' in closure order)."""
    roots = RootTable()
    append = roots.append
    # By identity: callables bound alike share one tuple of bindings, and hashing one hashes
    # every binding in it.
    rows_of: dict[int, list[Row]] = {}
    for test in tests:
        for kind, source, bindings in test.sources:
            rows = rows_of.get(id(bindings))
            if rows is None:
                rows = rows_of[id(bindings)] = producer_rows(
                    bindings, plans, producer, requirement_of
                )
            for argument_name, requirement, producer_fixture in rows:
                append(test.nodeid, kind, source, argument_name, requirement, producer_fixture)
    return roots


@final
class TestView:
    """What the whole run (deselected tests included) knows about one producer definition:
    the tests it covers and the ids their bindings reach through it. Implements
    :class:`~pytest_warmup._overrides.ProducerView`."""

    def __init__(
        self,
        collected: Sequence[TestRecord],
        name: str,
        definition: object,
        plans: Collection[WarmupPlan],
        requirement_of: Callable[[Binding], WarmupRequirement],
        *,
        complete: bool,
        state_of: Callable[[str], TestState],
    ) -> None:
        self._collected = collected
        self._definition = definition
        self._plans = plans
        self._requirement_of = requirement_of
        self._state_of = state_of
        self.producer = name
        #: whether the run collected its usual set of tests (no path arguments, no --lf)
        self.complete = complete
        self._ids_by_root: dict[WarmupRequirement, frozenset[str]] = {}

    @cached_property
    def _ids_by_test(self) -> dict[str, frozenset[str]]:
        name = self.producer
        found: dict[str, frozenset[str]] = {}
        for test in self._collected:
            if not binds_producer(test, name, self._definition):
                continue
            ids: set[str] = set()
            for _, _, bindings in test.sources:
                for _, requirement, _ in producer_rows(
                    bindings, self._plans, name, self._requirement_of
                ):
                    ids.update(self._ids_from(requirement))
            found[test.nodeid] = frozenset(ids)
        return found

    def _ids_from(self, root: WarmupRequirement) -> frozenset[str]:
        known = self._ids_by_root.get(root)
        if known is None:
            ids = {r.id for r in reachable([root]) if r.id is not None}
            known = self._ids_by_root[root] = frozenset(ids)
        return known

    @cached_property
    def _shared_ids(self) -> frozenset[str]:
        return frozenset().union(*self._ids_by_test.values())

    def ids_of_test(self, test_id: str) -> frozenset[str] | None:
        return self._ids_by_test.get(test_id)

    def shared_ids(self) -> frozenset[str]:
        return self._shared_ids

    def test_ids(self) -> frozenset[str]:
        return frozenset(self._ids_by_test)

    def test_state(self, test_id: str) -> TestState:
        return self._state_of(test_id)
