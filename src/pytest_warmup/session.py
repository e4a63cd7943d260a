"""The plugin's state for one pytest run, and what a producer does when it prepares.

One :class:`WarmupSession` lives in ``config.stash``. It knows the final item list (indexed once,
lazily), which fixture is being set up (so ``warmup_mgr.use()`` knows its producer), every
producer's record, and what must be cleaned up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, final

import pytest

from .binding import Binding, bindings_of
from .declarations import WarmupPlan, WarmupRequirement
from .errors import WarmupError
from .graph import Root, build_graph
from .record import PrepareRecord, RunRecord
from .runtime import EventLoopThread, Preparation, PreparedScope, WarmupRuntime

__all__ = ["SESSION_KEY", "PrepareBuilder", "WarmupManager", "WarmupSession"]

SUPPORTED_SCOPES = ("session", "package", "module", "class", "function")


@dataclass(frozen=True)
class _ItemBinding:
    source_kind: str
    source_name: str
    binding: Binding


@final
class _ItemIndex:
    """The final item list, grouped by the nodes producer scopes anchor on."""

    def __init__(self, items: Sequence[pytest.Item]) -> None:
        self.items = list(items)
        self.by_parent: dict[pytest.Collector, list[pytest.Item]] = {}
        self.by_directory: dict[Path, list[pytest.Item]] = {}
        for item in self.items:
            for parent_type in (pytest.Module, pytest.Class):
                parent = item.getparent(parent_type)
                if parent is not None:
                    self.by_parent.setdefault(parent, []).append(item)
            self.by_directory.setdefault(item.path.parent, []).append(item)
        self.ids = {item.nodeid for item in self.items}
        self.position = {item: index for index, item in enumerate(self.items)}

    def under(self, directory: Path) -> list[pytest.Item]:
        found: list[pytest.Item] = []
        for folder, items in self.by_directory.items():
            if folder == directory or directory in folder.parents:
                found.extend(items)
        return sorted(found, key=self.position.__getitem__)


@final
class WarmupSession:
    """Everything pytest-warmup knows about the current run."""

    def __init__(self, config: pytest.Config, *, max_workers: int, keep: bool) -> None:
        self.config = config
        self.max_workers = max_workers
        self.keep = keep
        self.record = RunRecord()
        self.producer_names: set[str] = set()
        self.loop = EventLoopThread()
        self.resolve_catalog_id: Callable[[str], WarmupRequirement] | None = None
        self._setups: list[tuple[pytest.FixtureDef[Any], pytest.FixtureRequest]] = []
        self._items: Sequence[pytest.Item] = ()
        self._index: _ItemIndex | None = None
        self._item_bindings: dict[pytest.Item, list[_ItemBinding]] = {}
        self._live: dict[Preparation, PrepareRecord] = {}

    # -- what pytest tells us -------------------------------------------------------------------

    def set_items(self, items: Sequence[pytest.Item]) -> None:
        self._items = items
        self._index = None
        self._item_bindings.clear()

    def enter_setup(self, fixturedef: pytest.FixtureDef[Any], request: Any) -> None:
        self._setups.append((fixturedef, request))

    def leave_setup(self) -> None:
        self._setups.pop()

    def current_setup(self) -> tuple[pytest.FixtureDef[Any], Any] | None:
        if not self._setups:
            return None
        return self._setups[-1]

    @property
    def index(self) -> _ItemIndex:
        if self._index is None:
            self._index = _ItemIndex(self._items)
        return self._index

    # -- requirements ---------------------------------------------------------------------------

    def requirement_of(self, binding: Binding) -> WarmupRequirement:
        """The requirement a binding names (catalog ids resolve here)."""
        if isinstance(binding.requirement, WarmupRequirement):
            return binding.requirement
        if self.resolve_catalog_id is None:
            raise WarmupError(
                f"warmup_param argument '{binding.argument_name}' names catalog requirement "
                f"'{binding.requirement}', but no warmup.yaml catalog is loaded; add it to the "
                "warmup_catalogs ini option or pass --warmup-catalog PATH"
            )
        return self.resolve_catalog_id(binding.requirement)

    def bindings_for(self, item: pytest.Item) -> list[_ItemBinding]:
        """The item's test bindings, then its closure fixtures' bindings, in closure order."""
        cached = self._item_bindings.get(item)
        if cached is not None:
            return cached
        found: list[_ItemBinding] = []
        function = getattr(item, "obj", None)
        test_name = getattr(item, "originalname", item.name)
        found.extend(_ItemBinding("test", test_name, b) for b in bindings_of(function))
        for name, fixturedef in _closure_definitions(item):
            for binding in bindings_of(fixturedef.func):
                found.append(_ItemBinding("fixture", name, binding))
        self._item_bindings[item] = found
        return found

    # -- preparing ------------------------------------------------------------------------------

    def prepare(
        self,
        plans: tuple[WarmupPlan, ...],
        fixturedef: pytest.FixtureDef[Any],
        request: Any,
        snapshot_id: str | None,
    ) -> PreparedScope:
        scope = request.scope
        name = fixturedef.argname
        if scope not in SUPPORTED_SCOPES:
            raise WarmupError(f"unsupported producer scope '{scope}'")
        self.producer_names.add(name)
        record = PrepareRecord(
            producer_name=name,
            producer_scope=scope,
            scope_id=scope_id_of(scope, request.node, fixturedef, self.config),
            snapshot_id=snapshot_id,
        )
        self.record.add(record)
        try:
            covered = self._covered_tests(scope, request.node, fixturedef)
            record.selected_test_ids = tuple(item.nodeid for item in covered)
            record.roots = self._roots(covered, plans, name)
            record.graph = build_graph(record.roots)
            record.runtime = WarmupRuntime(scope, record.selected_test_ids)
            record.preparation = Preparation(
                record.graph, record.runtime, max_workers=self.max_workers, loop=self.loop
            )
            self._live[record.preparation] = record
            record.preparation.run()
        except BaseException as exc:
            record.error = exc
            raise
        prepared = PreparedScope(record.scope_id, name, record.graph, record.preparation)
        request.addfinalizer(lambda: self.finish(record))
        return prepared

    def finish(self, record: PrepareRecord) -> None:
        """The producer's scope ended: clean up what its plans created."""
        preparation = record.preparation
        if preparation is None or self._live.pop(preparation, None) is None:
            return
        if self.keep:
            if record.runtime is not None and preparation.created_count:
                record.runtime.record("keep:cleanup skipped (--warmup-keep)")
            return
        record.cleanup_errors = preparation.cleanup()
        if record.cleanup_errors:
            lines = [
                f"  plan '{plan}': {type(exc).__name__}: {exc}"
                for plan, exc in record.cleanup_errors
            ]
            error = WarmupError(
                f"cleanup failed for producer '{record.producer_name}' ({record.scope_id}):\n"
                + "\n".join(lines)
            )
            raise error from record.cleanup_errors[0][1]

    def finish_all(self) -> None:
        """Clean up whatever is still live (an interrupted run); errors are recorded only."""
        for record in list(self._live.values()):
            with contextlib.suppress(WarmupError):  # kept on the record; the run is ending
                self.finish(record)
        self.loop.close()

    def _covered_tests(
        self, scope: str, node: Any, fixturedef: pytest.FixtureDef[Any]
    ) -> list[pytest.Item]:
        index = self.index
        if scope == "session":
            candidates = index.items
        elif scope == "package":
            path = getattr(node, "path", None)
            if path is None:
                raise WarmupError("package-scoped producer is missing package path information")
            directory = Path(path)
            if not directory.is_dir():
                directory = directory.parent
            candidates = index.under(directory)
        elif isinstance(node, pytest.Item):  # function scope, or class scope outside a class
            candidates = [node] if node.nodeid in index.ids else []
        else:
            candidates = index.by_parent.get(node, [])
        name = fixturedef.argname
        return [
            item
            for item in candidates
            if _uses_definition(item, name, fixturedef)
            or any(b.binding.producer_fixture == name for b in self.bindings_for(item))
        ]

    def _roots(
        self, covered: Sequence[pytest.Item], plans: tuple[WarmupPlan, ...], producer: str
    ) -> list[Root]:
        wanted = set(plans)
        roots: list[Root] = []
        for item in covered:
            for found in self.bindings_for(item):
                binding = found.binding
                if binding.producer_fixture not in (None, producer):
                    continue
                requirement = self.requirement_of(binding)
                if requirement.owner_plan not in wanted:
                    continue
                roots.append(
                    Root(
                        consumer_id=item.nodeid,
                        source_kind=found.source_kind,
                        source_name=found.source_name,
                        argument_name=binding.argument_name,
                        requirement=requirement,
                        producer_fixture=binding.producer_fixture,
                    )
                )
        return roots


SESSION_KEY = pytest.StashKey[WarmupSession]()


def _closure_definitions(item: pytest.Item) -> list[tuple[str, pytest.FixtureDef[Any]]]:
    # pytest has no public API for "the fixture definition this item uses for a name";
    # _fixtureinfo is stable from pytest 8.0 to 9.x, and this is the only place we read it.
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    result = []
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if definitions:
            result.append((name, definitions[-1]))
    return result


def _uses_definition(item: pytest.Item, name: str, fixturedef: pytest.FixtureDef[Any]) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    definitions = info.name2fixturedefs.get(name)
    return bool(definitions) and fixturedef in definitions


def scope_id_of(scope: str, node: Any, fixturedef: pytest.FixtureDef[Any], config: Any) -> str:
    """``<scope>:<anchor>::<producer name>``: the address of a producer in snapshot files."""
    anchor = getattr(node, "nodeid", "") or fixturedef.baseid
    if not anchor:
        path = getattr(node, "path", None)
        if path is not None:
            relative = os.path.relpath(path, config.rootpath)
            anchor = Path(relative).as_posix()
    if anchor:
        return f"{scope}:{anchor}::{fixturedef.argname}"
    return f"{scope}::{fixturedef.argname}"


@final
class PrepareBuilder:
    """Returned by ``warmup_mgr.use(*plans)``; call :meth:`prepare` to run the batches."""

    def __init__(
        self,
        session: WarmupSession,
        plans: tuple[WarmupPlan, ...],
        fixturedef: pytest.FixtureDef[Any],
        request: Any,
    ) -> None:
        self._session = session
        self._plans = plans
        self._fixturedef = fixturedef
        self._request = request

    def prepare(self, *, snapshot_id: str | None = None) -> PreparedScope:
        """Prepare the part of the graph the producer's tests need; return the prepared scope."""
        if snapshot_id is not None and (not isinstance(snapshot_id, str) or not snapshot_id):
            raise WarmupError(f"snapshot_id must be a non-empty string, got {snapshot_id!r}")
        return self._session.prepare(self._plans, self._fixturedef, self._request, snapshot_id)


@final
class WarmupManager:
    """The ``warmup_mgr`` fixture: ``warmup_mgr.use(*plans).prepare()`` inside a producer."""

    def __init__(self, session: WarmupSession) -> None:
        self._session = session

    def use(self, *plans: WarmupPlan) -> PrepareBuilder:
        """Select the plans whose bound requirements this producer prepares."""
        for plan in plans:
            if not isinstance(plan, WarmupPlan):
                raise WarmupError(
                    f"warmup_mgr.use(...) takes WarmupPlan objects, got {type(plan).__name__}: "
                    f"{plan!r}"
                )
        setup = self._session.current_setup()
        if setup is None or setup[0].argname == "warmup_mgr":
            raise WarmupError("warmup_mgr.use(...) must be called inside a producer fixture")
        fixturedef, request = setup
        return PrepareBuilder(self._session, tuple(plans), fixturedef, request)
