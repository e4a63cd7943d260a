"""The plugin's state for one pytest run, and what a producer does when it prepares.

One :class:`WarmupSession` lives in ``config.stash``. It knows the final item list (indexed once,
lazily), which fixture is being set up (so ``warmup_mgr.use()`` knows its producer), every
producer's record, and what must be cleaned up.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Container, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, final

import pytest

from . import reports, snapshots
from .binding import Binding, bindings_of, names_catalog_id
from .declarations import WarmupPlan, WarmupRequirement
from .errors import WarmupError
from .graph import Root, RootTable, build_graph
from .record import PrepareRecord, RunRecord
from .runtime import EventLoopThread, Preparation, PreparedScope, WarmupRuntime
from .snapshots import CollectedTest, SnapshotInputs, SnapshotState, TestState

__all__ = ["SESSION_KEY", "PrepareBuilder", "WarmupManager", "WarmupSession"]

SUPPORTED_SCOPES = ("session", "package", "module", "class", "function")

#: the key of this plugin's data in an xdist worker's ``workeroutput``
WORKER_OUTPUT_KEY = "pytest_warmup"

XDIST_UNSUPPORTED = (
    "debug artifact outputs are not supported when pytest-xdist is active; disable "
    "--warmup-export-template/--warmup-report/--warmup-save-on-fail or run without xdist"
)


#: bindings of a test or fixture of an item: ("test" or "fixture", its name, its bindings)
_Source = tuple[str, str, tuple[Binding, ...]]


class _ItemBinding(NamedTuple):
    source_kind: str  # "test" or "fixture"
    source_name: str
    binding: Binding


def _groups_above(
    node: pytest.Collector | None, groups: dict[pytest.Collector, list[pytest.Item]]
) -> list[list[pytest.Item]]:
    """The groups of _ItemIndex.by_parent that the items below ``node`` belong to."""
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


@final
class _ItemIndex:
    """The final item list, grouped by the nodes producer scopes anchor on (each grouping is
    built the first time a producer of that scope asks)."""

    def __init__(self, items: Sequence[pytest.Item]) -> None:
        self.items = list(items)

    @cached_property
    def by_parent(self) -> dict[pytest.Collector, list[pytest.Item]]:
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
    def ids(self) -> frozenset[str]:
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

    def under(self, directory: Path) -> list[pytest.Item]:
        """Items in ``directory`` and below it, in run order (package producers)."""
        found: list[pytest.Item] = []
        for folder, items in self._by_directory.items():
            if folder == directory or directory in folder.parents:
                found.extend(items)
        return sorted(found, key=self._position.__getitem__)


@final
class WarmupSession:
    """Everything pytest-warmup knows about the current run."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        max_workers: int,
        keep: bool,
        strict_snapshots: bool = False,
    ) -> None:
        self.config = config
        self.max_workers = max_workers
        self.keep = keep
        self.strict_snapshots = strict_snapshots
        self.record = RunRecord()
        self.snapshots = SnapshotState()
        #: what xdist workers sent back, by worker id (the controller's side)
        self.worker_outputs: dict[str, dict[str, Any]] = {}
        #: xdist workers that went down without sending their part (a crash)
        self.lost_workers: list[str] = []
        #: lines for the ``pytest-warmup`` terminal section: (text, is an error)
        self.summary: list[tuple[str, bool]] = []
        self.producer_names: set[str] = set()
        self.loop = EventLoopThread()
        self.resolve_catalog_id: Callable[[str], WarmupRequirement] | None = None
        self._setups: list[tuple[pytest.FixtureDef[Any], pytest.FixtureRequest]] = []
        self._items: Sequence[pytest.Item] = ()
        self._deselected: list[pytest.Item] = []
        self._index: _ItemIndex | None = None
        self._views: dict[tuple[pytest.FixtureDef[Any], tuple[WarmupPlan, ...]], _ProducerView] = {}
        # Both keyed by id(): pytest nodes hash in Python, and these are read for every test.
        # The nodes live as long as the session, which drops both at set_items().
        self._fixture_bindings: dict[int, tuple[_Source, ...]] = {}
        #: whether any registered fixture carries bindings (None: not looked yet)
        self._bound_fixtures_exist: bool | None = None
        #: (id of a collector, name) -> whether a fixture of that name is visible there
        self.fixture_visibility: dict[tuple[int, str], bool] = {}
        self._live: dict[Preparation, PrepareRecord] = {}
        #: a prepare() of this run recorded a node failure (tests then check theirs in setup)
        self.node_failures_seen = False
        # Registers the hook that shows WarmupErrors in test reports (plugin.py): called once,
        # when the first one reaches pytest, so that runs without any pay no hook per report.
        self._show_errors: Callable[[], None] | None = None

    # -- what pytest tells us -------------------------------------------------------------------

    def set_items(self, items: Sequence[pytest.Item]) -> None:
        self._items = items
        self._index = None
        self._fixture_bindings.clear()
        self._bound_fixtures_exist = None
        self.fixture_visibility.clear()
        self._views.clear()

    def add_deselected(self, items: Iterable[pytest.Item]) -> None:
        """Tests filtered out by -k, -m, --deselect: not typos in snapshot files."""
        self._deselected.extend(items)
        self._views.clear()

    def binds_anything(self) -> bool:
        """Whether a collected test, or any registered fixture, is bound with warmup_param."""
        items = self._items
        if not items:
            return False
        if any(bindings_of(getattr(item, "obj", None)) for item in items):
            return True
        return self._fixtures_bound(items[0])

    def _fixtures_bound(self, item: pytest.Item) -> bool:
        # Asked after collection, once: every fixture an item's closure can name is registered.
        if self._bound_fixtures_exist is None:
            self._bound_fixtures_exist = _any_fixture_bound(item)
        return self._bound_fixtures_exist

    def on_first_error(self, show_errors: Callable[[], None]) -> None:
        """Call ``show_errors`` when the run's first WarmupError reaches pytest."""
        self._show_errors = show_errors

    def error_raised(self, error: WarmupError) -> WarmupError:
        """``error`` is about to reach pytest from one of pytest-warmup's steps: its report
        shows it as its message (plugin.py). Returns ``error``."""
        vars(error)[SHOWN_AS_MESSAGE] = True
        show_errors, self._show_errors = self._show_errors, None
        if show_errors is not None:
            show_errors()
        return error

    @property
    def collected(self) -> list[pytest.Item]:
        """Every test collected in this run, deselected ones included."""
        return [*self._items, *self._deselected]

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
                f"unknown catalog requirement '{binding.requirement}'; no warmup catalog is "
                "loaded (pytest-warmup reads warmup.yaml in the rootdir, the warmup_catalogs "
                "ini option and --warmup-catalog PATH)"
            )
        return self.resolve_catalog_id(binding.requirement)

    def check_catalog_ids(self, item: pytest.Item, own: tuple[Binding, ...]) -> None:
        """Fail ``item`` when one of its bindings (``own``: the test's) names a catalog id
        that no catalog declares."""
        if self._bound_fixtures_exist is False and not (own and names_catalog_id(own)):
            return  # the usual case: no fixture is bound, and the test names no catalog id
        sources = self.sources(item)
        if not any(names_catalog_id(bindings) for _, _, bindings in sources):
            return
        for kind, name, bindings in sources:
            for binding in bindings:
                self.requirement_for(kind, name, binding)

    def requirement_for(self, kind: str, name: str, binding: Binding) -> WarmupRequirement:
        """requirement_of() for a binding of test or fixture ``name``, which an unknown
        catalog id names in the error."""
        try:
            return self.requirement_of(binding)
        except WarmupError as error:
            raise WarmupError(
                f"{kind} '{name}' binds argument '{binding.argument_name}' to {error}"
            ) from None

    def bindings_for(self, item: pytest.Item) -> list[_ItemBinding]:
        """The item's test bindings, then its closure fixtures' bindings, in closure order."""
        return [
            _ItemBinding(kind, name, binding)
            for kind, name, bindings in self.sources(item)
            for binding in bindings
        ]

    def sources(self, item: pytest.Item) -> tuple[_Source, ...]:
        """bindings_for() grouped by the callable that carries them: (kind, name, bindings).

        Callables bound alike share one tuple of bindings, so a producer's loop over every
        test it covers works out what a tuple contributes once, not once per test."""
        own = bindings_of(getattr(item, "obj", None))
        fixtures = self._fixture_sources(item)
        if not own:
            return fixtures
        test: _Source = ("test", name_of_test(item), own)
        return (test, *fixtures) if fixtures else (test,)

    def _fixture_sources(self, item: pytest.Item) -> tuple[_Source, ...]:
        # Kept per item, and the same empty tuple for the (usual) item without any. Most runs
        # bind no fixture at all: one look at pytest's registry then spares every item's walk.
        if not self._fixtures_bound(item):
            return ()
        known = self._fixture_bindings.get(id(item))
        if known is None:
            found: list[_Source] = []
            for name, fixturedef in _closure_definitions(item):
                bindings = bindings_of(fixturedef.func)
                if bindings:
                    found.append(("fixture", name, bindings))
            known = self._fixture_bindings[id(item)] = tuple(found) if found else ()
        return known

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
        self._check_can_report()
        self.producer_names.add(name)
        record = PrepareRecord(
            producer_name=name,
            producer_scope=scope,
            scope_id=scope_id_of(scope, request.node, fixturedef, self.config),
            snapshot_id=snapshot_id,
        )
        self.record.add(record)
        try:
            option = self.config.option
            self.snapshots.use_options(
                getattr(option, "warmup_snapshot", None), getattr(option, "warmup_snapshot_for", [])
            )
            if snapshot_id is not None:
                self.snapshots.claim(snapshot_id, fixturedef, _describe_producer(fixturedef))
            covered = self._covered_tests(scope, request.node, fixturedef)
            record.selected_test_ids = tuple([item.nodeid for item in covered])
            record.roots = self._roots(covered, record.selected_test_ids, plans, name)
            record.graph = build_graph(record.roots)
            record.runtime = WarmupRuntime(scope, record.selected_test_ids)
            if self.snapshots.active:
                self._apply_snapshot(record, plans, fixturedef)
            record.preparation = Preparation(
                record.graph, record.runtime, max_workers=self.max_workers, loop=self.loop
            )
            self._live[record.preparation] = record
            record.preparation.run()
        except BaseException as exc:
            record.error = exc
            if isinstance(exc, WarmupError):
                self.error_raised(exc)
                # Shown under the message: which producer was preparing (see plugin.py).
                vars(exc).setdefault("producer", f"producer '{name}' ({record.scope_id})")
            self._save_on_fail(record)
            raise
        if record.status == "failed":
            self.node_failures_seen = True
            self._save_on_fail(record)
        prepared = PreparedScope(record.scope_id, name, record.graph, record.preparation)
        request.addfinalizer(lambda: self.finish(record))
        return prepared

    def _check_can_report(self) -> None:
        # An xdist worker hands its sections to the controller through workeroutput; a
        # distributed run without it has no way to get them into one file.
        config = self.config
        if not hasattr(config, "workerinput") or hasattr(config, "workeroutput"):
            return
        if any(
            snapshots.given(getattr(config.option, o, None)) for o in reports.OPTION_OF.values()
        ):
            raise WarmupError(XDIST_UNSUPPORTED)

    def _apply_snapshot(
        self, record: PrepareRecord, plans: tuple[WarmupPlan, ...], fixturedef: Any
    ) -> None:
        """Steps 9-11 up to the batches: take this producer's section, check it, preset values."""
        graph, runtime = record.graph, record.runtime
        assert graph is not None
        assert runtime is not None
        inputs = self.snapshots.inputs(self._check_scopes)
        section = snapshots.choose_section(inputs, record.scope_id, record.snapshot_id)
        if section is None:
            return
        overrides = snapshots.select_overrides(
            section,
            graph,
            _reach(record.roots, graph, set(section.tests) & set(record.selected_test_ids)),
            self._view(fixturedef, plans),
            strict=self.strict_snapshots,
        )
        for warning in overrides.warnings:
            self.record.warn(warning)
        if overrides.errors:
            raise WarmupError("\n".join(overrides.errors))
        shared, tests = snapshots.deserialize_overrides(overrides, section.where)
        test_local = overrides.test_local()
        if test_local:
            record.graph = graph = build_graph(record.roots, test_local=test_local)
            # the rebuilt graph has new GraphNode objects: find the overridden ones again
            by_key = {node.key: node for node in graph.nodes}
            overrides.shared = [(by_key[node.key], raw) for node, raw in overrides.shared]
            overrides.tests = [(by_key[n.key], test, raw) for n, test, raw in overrides.tests]
        record.overrides = snapshots.apply_overrides(graph, runtime, overrides, shared, tests)

    def _check_scopes(self, inputs: SnapshotInputs) -> None:
        if inputs.bundle_path is None or not inputs.scopes:
            return
        collected = [
            CollectedTest(item.nodeid, frozenset(getattr(item, "fixturenames", ())))
            for item in self.collected
        ]
        rootpath = self.config.rootpath
        messages = snapshots.unknown_scopes(
            inputs.scopes,
            collected,
            lambda path: (rootpath / path).exists(),
            inputs.bundle_path,
            narrowed=_narrowed(self.config),
        )
        if messages and self.strict_snapshots:
            raise WarmupError("\n".join(messages))
        for message in messages:
            self.record.warn(message)

    def _view(
        self, fixturedef: pytest.FixtureDef[Any], plans: tuple[WarmupPlan, ...]
    ) -> _ProducerView:
        key = (fixturedef, plans)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = _ProducerView(self, fixturedef, plans)
        return view

    def _save_on_fail(self, record: PrepareRecord) -> None:
        """Capture the save-on-fail section now, while the values are as the failure left
        them. Best effort: nothing here may hide the failure itself."""
        if not snapshots.given(getattr(self.config.option, "warmup_save_on_fail", None)):
            return
        try:
            record.saved_on_fail, record.save_on_fail_problem = reports.save_on_fail_section(record)
        except Exception as exc:  # a bug in our own code must not mask the producer's error
            record.saved_on_fail = {"shared": {}, "tests": {}}
            record.save_on_fail_problem = f"{type(exc).__name__}: {exc}"
        if record.save_on_fail_problem is not None:
            self.record.warn(
                f"--warmup-save-on-fail: scope {record.scope_id!r} is saved without values: "
                f"{record.save_on_fail_problem}"
            )

    # -- end of the run -------------------------------------------------------------------------

    def _wanted_kinds(self) -> list[str]:
        option = self.config.option
        return [
            kind
            for kind, name in reports.OPTION_OF.items()
            if snapshots.given(getattr(option, name, None))
        ]

    def worker_output(self) -> dict[str, Any]:
        """This process's part of the run: sections, snapshot_id claims and warnings (plain data,
        so an xdist worker can send it to the controller)."""
        return {
            "sections": reports.run_sections(self.record, self._wanted_kinds()),
            "claimed": sorted(self.snapshots.claimed),
            "warnings": list(self.record.warnings),
        }

    def add_worker_output(self, worker_id: str, output: dict[str, Any] | None) -> None:
        """The controller's side: keep what a finished xdist worker sent."""
        if output is None:
            self.lost_workers.append(worker_id)
        else:
            self.worker_outputs[worker_id] = output

    def end_run(self, *, check_targets: bool) -> bool:
        """Write the debug files (merged with the workers' parts) and check for unused
        ``--warmup-snapshot-for`` targets. Returns whether the run must end as a usage error."""
        parts = [self.worker_output()]
        parts.extend(
            self.worker_outputs[worker]
            for worker in sorted(self.worker_outputs, key=lambda name: (len(name), name))
        )
        merged = reports.merge_sections(part["sections"] for part in parts)
        warnings = list(dict.fromkeys(w for part in parts for w in part["warnings"]))
        self.summary[:0] = [(warning, False) for warning in warnings]
        option = self.config.option
        for kind, name in reports.OPTION_OF.items():
            path = getattr(option, name, None)
            if not snapshots.given(path):
                continue
            target = Path(self.config.invocation_params.dir, str(path))
            try:
                reports.write_document(target, reports.document(merged.get(kind, {})))
            except OSError as exc:
                flag = "--" + name.replace("_", "-")
                self.summary.append((f"could not write {flag} file {path!r}: {exc}", True))
        targets = getattr(option, "warmup_snapshot_for", None)
        if self.lost_workers and (self._wanted_kinds() or targets):
            self.summary.append(
                (
                    f"xdist worker(s) {', '.join(self.lost_workers)} went down without reporting "
                    "back; pytest-warmup files miss their sections and unused "
                    "--warmup-snapshot-for targets are not checked",
                    True,
                )
            )
        if not check_targets or self.lost_workers:
            return False
        claimed = {snapshot_id for part in parts for snapshot_id in part["claimed"]}
        message = snapshots.unused_targets_message(targets, claimed)
        if message is None:
            return False
        self.summary.append((message, True))
        return True

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
            # reported as a teardown error of the test that ended the producer's scope
            raise self.error_raised(error) from record.cleanup_errors[0][1]

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
        self,
        covered: Sequence[pytest.Item],
        test_ids: Sequence[str],
        plans: tuple[WarmupPlan, ...],
        producer: str,
    ) -> RootTable:
        wanted = set(plans)
        roots = RootTable()
        append = roots.append
        # By identity: the tuples live on the wrappers, and hashing one hashes every binding.
        rows_of: dict[int, list[tuple[str, WarmupRequirement, str | None]]] = {}
        for item, test_id in zip(covered, test_ids, strict=True):
            for kind, source, bindings in self.sources(item):
                rows = rows_of.get(id(bindings))
                if rows is None:
                    rows = rows_of[id(bindings)] = self.rows(bindings, wanted, producer)
                for argument_name, requirement, producer_fixture in rows:
                    append(test_id, kind, source, argument_name, requirement, producer_fixture)
        return roots

    def rows(
        self, bindings: tuple[Binding, ...], wanted: Container[WarmupPlan], producer: str
    ) -> list[tuple[str, WarmupRequirement, str | None]]:
        """Of ``bindings``, those that ``producer`` makes roots of when it prepares the
        ``wanted`` plans: (argument name, requirement, producer_fixture). An unknown catalog id
        is left out: its test errors in its own setup."""
        rows = []
        for binding in bindings:
            if binding.producer_fixture not in (None, producer):
                continue
            try:
                requirement = self.requirement_of(binding)
            except WarmupError:
                continue  # an unknown catalog id: that test errors in its own setup
            if requirement.owner_plan in wanted:
                rows.append((binding.argument_name, requirement, binding.producer_fixture))
        return rows


SESSION_KEY = pytest.StashKey[WarmupSession]()
#: set on a WarmupError that pytest-warmup's own steps raise into a test: shown as its message
SHOWN_AS_MESSAGE = "_shown_as_message"


@final
class _ProducerView:
    """What the whole run (deselected tests included) knows about one producer definition:
    the tests that use it and the ids their bindings reach through it."""

    def __init__(
        self,
        session: WarmupSession,
        fixturedef: pytest.FixtureDef[Any],
        plans: tuple[WarmupPlan, ...],
    ) -> None:
        self._session = session
        self._fixturedef = fixturedef
        self._plans = set(plans)
        self.producer = fixturedef.argname
        self._ids_by_root: dict[WarmupRequirement, frozenset[str]] = {}

    @cached_property
    def complete(self) -> bool:
        config = self._session.config
        option = config.option
        if config.args_source == pytest.Config.ArgsSource.ARGS:
            return False
        return not any(getattr(option, name, None) for name in ("lf", "ignore", "ignore_glob"))

    @cached_property
    def _ids_by_test(self) -> dict[str, frozenset[str]]:
        session, name = self._session, self.producer
        found: dict[str, frozenset[str]] = {}
        for item in session.collected:
            if not _uses_definition(item, name, self._fixturedef) and not any(
                b.binding.producer_fixture == name for b in session.bindings_for(item)
            ):
                continue
            ids: set[str] = set()
            for _, _, bindings in session.sources(item):
                for _, requirement, _ in session.rows(bindings, self._plans, name):
                    ids.update(self._ids_from(requirement))
            found[item.nodeid] = frozenset(ids)
        return found

    def _ids_from(self, root: WarmupRequirement) -> frozenset[str]:
        known = self._ids_by_root.get(root)
        if known is None:
            seen: set[WarmupRequirement] = set()
            todo = [root]
            while todo:
                requirement = todo.pop()
                if requirement in seen:
                    continue
                seen.add(requirement)
                todo.extend(requirement.iter_dependency_requirements())
            known = frozenset(r.id for r in seen if r.id is not None)
            self._ids_by_root[root] = known
        return known

    @cached_property
    def _collected_ids(self) -> frozenset[str]:
        return frozenset(item.nodeid for item in self._session.collected)

    @cached_property
    def _collected_files(self) -> frozenset[str]:
        return frozenset(nodeid.split("::", 1)[0] for nodeid in self._collected_ids)

    def ids_of_test(self, test_id: str) -> frozenset[str] | None:
        return self._ids_by_test.get(test_id)

    @cached_property
    def _shared_ids(self) -> frozenset[str]:
        return frozenset().union(*self._ids_by_test.values())

    def shared_ids(self) -> frozenset[str]:
        return self._shared_ids

    def test_ids(self) -> frozenset[str]:
        return frozenset(self._ids_by_test)

    def test_state(self, test_id: str) -> TestState:
        if test_id in self._collected_ids:
            return "collected"
        file = test_id.split("::", 1)[0]
        if file in self._collected_files and not _narrowed(self._session.config):
            return "missing"
        if file and (self._session.config.rootpath / file).exists():
            return "outside"
        return "missing"


def _narrowed(config: pytest.Config) -> bool:
    """Whether node ids on the command line collected part of a file (``file.py::test``)."""
    return any("::" in str(arg) for arg in config.args)


def _reach(roots: Sequence[Root], graph: Any, tests: set[str]) -> dict[str, frozenset[str]]:
    """The ids each of ``tests`` reaches in ``graph`` through its roots."""
    reach: dict[str, set[str]] = {test: set() for test in tests}
    for root in roots:
        ids = reach.get(root.consumer_id)
        if ids is None:
            continue
        todo = [graph.by_requirement[root.requirement]]
        seen = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node.requirement.id is not None:
                ids.add(node.requirement.id)
            todo.extend(node.iter_dependencies())
    return {test: frozenset(ids) for test, ids in reach.items()}


def _describe_producer(fixturedef: pytest.FixtureDef[Any]) -> str:
    code = getattr(inspect.unwrap(fixturedef.func), "__code__", None)
    if code is None:
        return repr(fixturedef.argname)
    try:
        filename = os.path.relpath(code.co_filename)
    except ValueError:  # another drive on Windows
        filename = code.co_filename
    return f"{fixturedef.argname!r} (defined at {filename}:{code.co_firstlineno})"


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


# pytest's fixture registry (name -> definitions), across pytest 8.0 to 9.x: private, so read
# only where no public API answers, and never trusted to be there.
_FIXTURE_REGISTRIES = ("_arg2fixturedefs", "_arg2node2fixturedefs", "_arg2nodeid2fixturedefs")


def fixture_registries(manager: object) -> list[Any]:
    """pytest's name -> definitions registries on its fixture manager (pytest 9 keeps two),
    in the order above; empty when this pytest keeps them elsewhere."""
    return [getattr(manager, name) for name in _FIXTURE_REGISTRIES if hasattr(manager, name)]


def name_of_test(item: pytest.Item) -> str:
    """The name of the test function behind ``item`` (without parameters)."""
    return str(getattr(item, "originalname", item.name))


def _any_fixture_bound(item: pytest.Item) -> bool:
    """Whether any fixture pytest registered carries ``warmup_param`` bindings; ``True`` when
    the registry is not where this pytest version was known to keep it.

    Asked after collection, when every fixture an item's closure can name is registered."""
    registries = fixture_registries(getattr(item.session, "_fixturemanager", None))
    if not registries:
        return True
    todo: list[Any] = registries
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, (list, tuple)):
            todo.extend(value)
        elif bindings_of(getattr(value, "func", None)):
            return True
    return False


def _uses_definition(item: pytest.Item, name: str, fixturedef: pytest.FixtureDef[Any]) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    definitions = info.name2fixturedefs.get(name) or ()
    # The last definition applies; an earlier one is used only when the one after it requests
    # its own name (an override that extends the fixture it overrides).
    for definition in reversed(definitions):
        if definition is fixturedef:
            return True
        if name not in definition.argnames:
            return False
    return False


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
            raise self._session.error_raised(
                WarmupError(f"snapshot_id must be a non-empty string, got {snapshot_id!r}")
            )
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
                raise self._session.error_raised(
                    WarmupError(
                        f"warmup_mgr.use(...) takes WarmupPlan objects, got "
                        f"{type(plan).__name__}: {plan!r}"
                    )
                )
        setup = self._session.current_setup()
        if setup is None or setup[0].argname == "warmup_mgr":
            # called from a test or a teardown, where no setup hook of ours is running
            raise self._session.error_raised(
                WarmupError("warmup_mgr.use(...) must be called inside a producer fixture")
            )
        fixturedef, request = setup
        return PrepareBuilder(self._session, tuple(plans), fixturedef, request)
