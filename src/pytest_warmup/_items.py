"""The run's collected tests: their records (read once per item), grouped the way producer
scopes anchor on them (class, module, package directory, the whole session)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, final

import pytest

from . import _pytest_compat as compat
from ._binding import bindings_of
from ._selection import Source, TestRecord
from .errors import WarmupError

__all__ = ["Collected", "name_of_test"]


def name_of_test(item: pytest.Item) -> str:
    """The name of the test function behind ``item`` (without parameters)."""
    return str(getattr(item, "originalname", item.name))


@final
class Collected:
    """The final item list and the deselected tests, as :class:`TestRecord` objects.

    A record is read from its item whenever a producer or a check looks at the test: a few
    references in a tuple, cheaper to build again than to keep alive for the garbage collector
    to scan for the rest of the run. Each grouping is built the first time a producer of that
    scope asks.
    """

    def __init__(
        self, items: Sequence[pytest.Item] = (), deselected: Sequence[pytest.Item] = ()
    ) -> None:
        self.items = items
        #: tests filtered out by -k, -m, --deselect (read when a snapshot file is checked)
        self.deselected = deselected
        # A closure walk per item, kept when fixtures carry bindings (rare). Keyed by id():
        # pytest nodes hash in Python; the items live as long as the session.
        self._fixture_sources_of: dict[int, tuple[Source, ...]] = {}

    def record(self, item: pytest.Item) -> TestRecord:
        """What selection needs to know about ``item``."""
        return TestRecord(
            item.nodeid,
            self.sources(item),
            compat.definitions_by_name(item),
            getattr(item, "fixturenames", ()),
        )

    def sources(self, item: pytest.Item) -> tuple[Source, ...]:
        """The item's test bindings, then its closure fixtures' bindings, in closure order:
        (kind, name, bindings) per callable that has any."""
        own = bindings_of(getattr(item, "obj", None))
        fixtures = self._fixture_sources(item) if self.fixtures_bound else ()
        if not own:
            return fixtures
        test: Source = ("test", name_of_test(item), own)
        return (test, *fixtures) if fixtures else (test,)

    def _fixture_sources(self, item: pytest.Item) -> tuple[Source, ...]:
        known = self._fixture_sources_of.get(id(item))
        if known is None:
            found: list[Source] = []
            for name, definition in compat.closure_definitions(item):
                bindings = bindings_of(definition.func)
                if bindings:
                    found.append(("fixture", name, bindings))
            known = self._fixture_sources_of[id(item)] = tuple(found)
        return known

    @cached_property
    def fixtures_bound(self) -> bool:
        """Whether any fixture pytest registered carries ``warmup_param`` bindings (``True``
        when this pytest keeps its registry where we cannot look). Most runs bind no fixture
        at all: one look at the registry then spares every item's closure walk.

        Asked after collection, when every fixture an item's closure can name is registered.
        """
        if not self.items:
            return False
        functions = compat.fixture_functions(self.items[0].session)
        if functions is None:
            return True
        return any(bindings_of(function) for function in functions)

    def binds_anything(self) -> bool:
        """Whether a collected test, or any registered fixture, is bound with warmup_param."""
        if any(bindings_of(getattr(item, "obj", None)) for item in self.items):
            return True
        return self.fixtures_bound

    @property
    def all(self) -> list[TestRecord]:
        """Every test collected in this run, deselected ones included."""
        return [self.record(item) for item in (*self.items, *self.deselected)]

    # -- the tests in a producer's scope ----------------------------------------------------------

    def in_scope(self, scope: str, node: Any) -> list[TestRecord]:
        """The tests in the scope of a producer of ``scope`` set up for ``node``, in run order."""
        if scope == "session":
            items: Sequence[pytest.Item] = self.items
        elif scope == "package":
            path = getattr(node, "path", None)
            if path is None:
                raise WarmupError("package-scoped producer is missing package path information")
            directory = Path(path)
            if not directory.is_dir():
                directory = directory.parent
            items = self._under(directory)
        elif isinstance(node, pytest.Item):  # function scope, or class scope outside a class
            items = [node] if node.nodeid in self._ids else []
        else:
            items = self._by_parent.get(node, [])
        return [self.record(item) for item in items]

    @cached_property
    def _by_parent(self) -> dict[pytest.Collector, list[pytest.Item]]:
        """Items by their innermost class and by their module (class and module producers)."""
        groups: dict[pytest.Collector, list[pytest.Item]] = {}
        parent: object = None
        targets: list[list[pytest.Item]] = []
        for item in self.items:
            if item.parent is not parent:  # one walk up to the module per parent
                parent = item.parent
                targets = _groups_above(parent, groups)
            for target in targets:
                target.append(item)
        return groups

    @cached_property
    def _ids(self) -> frozenset[str]:
        return frozenset(item.nodeid for item in self.items)

    @cached_property
    def _by_directory(self) -> dict[Path, list[pytest.Item]]:
        groups: dict[Path, list[pytest.Item]] = {}
        for item in self.items:
            groups.setdefault(item.path.parent, []).append(item)
        return groups

    @cached_property
    def _position(self) -> dict[pytest.Item, int]:
        return {item: index for index, item in enumerate(self.items)}

    def _under(self, directory: Path) -> list[pytest.Item]:
        found: list[pytest.Item] = []
        for folder, items in self._by_directory.items():
            if folder == directory or directory in folder.parents:
                found.extend(items)
        return sorted(found, key=self._position.__getitem__)


def _groups_above(
    node: pytest.Collector | None, groups: dict[pytest.Collector, list[pytest.Item]]
) -> list[list[pytest.Item]]:
    """The groups of Collected._by_parent that the items below ``node`` belong to."""
    targets: list[list[pytest.Item]] = []
    seen_class = False
    while node is not None:
        if isinstance(node, pytest.Class) and not seen_class:
            seen_class = True
            targets.append(groups.setdefault(node, []))
        elif isinstance(node, pytest.Module):
            targets.append(groups.setdefault(node, []))
            break
        node = node.parent
    return targets
