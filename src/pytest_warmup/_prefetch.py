"""``--warmup-prefetch``: prepare a producer's next instance while the current one's tests run.

Which instances: once a module- or class-scoped producer fixture has called
``warmup_mgr.use(*plans).prepare()``, its plans and ``snapshot_id`` are known. Its next
instance is the next module (or class) in run order whose selected tests use it; the tests it
will cover and their roots come from the collected tests, exactly as the producer will select
them (:mod:`._selection`). That instance is prepared in the background (:meth:`Run.start`),
one at a time: at most one instance is ever prepared ahead.

When the producer of that instance prepares, it takes the prepared instance if it asks for the
same thing (plans, ``snapshot_id``, snapshot files, roots); otherwise the instance is cleaned up
and the producer prepares as without prefetch (a warning says why). An instance whose producer
is never set up (its tests were skipped, ``-x`` or an interrupt stopped the run) is cleaned up
as soon as the run is past its scope, or when the run stops.

A plan object is never called by two preparations at once: before a preparation or a cleanup
of this process touches a plan that the instance being prepared ahead uses, it waits for that
instance to be prepared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, final

import pytest

from ._declarations import WarmupPlan, WarmupRequirement
from ._graph import Graph, RootTable, normalise, reachable
from ._producer import scope_id_of, snapshot_step
from ._record import PrepareRecord
from ._runtime import Progress
from ._selection import binds_producer, select_roots
from ._selection import covered as covered_tests
from ._session import WarmupSession
from .engine import Overrides, Pending, Prepared
from .errors import WarmupError

__all__ = ["PREFETCH_SCOPES", "Prefetch"]

#: the producer scopes whose next instance can be told from the collected tests
PREFETCH_SCOPES = ("module", "class")

#: the snapshot options a preparation read: (``--warmup-snapshot``, ``--warmup-snapshot-for``)
SnapshotOptions = tuple[str | None, tuple[str, ...]]


class Ahead(NamedTuple):
    """An instance being prepared ahead of its tests."""

    fixturedef: pytest.FixtureDef[Any]
    scope_id: str
    plans: tuple[WarmupPlan, ...]
    snapshot_id: str | None
    snapshot_options: SnapshotOptions
    roots: RootTable
    pending: Pending
    #: every plan its preparation may call
    uses: frozenset[WarmupPlan]
    #: the index of the last test of its scope, in run order
    last: int

    @property
    def record(self) -> PrepareRecord:
        return self.pending.record


@final
class Prefetch:
    """The prefetching of one pytest run (not under pytest-xdist; see docs/lifecycle.md)."""

    def __init__(self, session: WarmupSession) -> None:
        self._session = session
        self._ahead: Ahead | None = None
        self._taken: Ahead | None = None
        #: a test, class or module node id -> (index of its first test, of its last)
        self._span: dict[str, tuple[int, int]] | None = None
        self._pytest_session: pytest.Session | None = None

    # -- what a producer does -------------------------------------------------------------------

    def take(
        self,
        fixturedef: pytest.FixtureDef[Any],
        node: Any,
        scope_id: str,
        plans: tuple[WarmupPlan, ...],
        snapshot_id: str | None,
    ) -> PrepareRecord | None:
        """A producer instance starts to prepare: the record of the instance prepared ahead
        for it, if it asks for the same thing (:meth:`prepare` then returns it). An instance
        prepared ahead that the run has gone past is cleaned up."""
        ahead = self._ahead
        if ahead is None:
            return None
        if ahead.fixturedef is fixturedef and ahead.scope_id == scope_id:
            changed = self._changed(ahead, plans, snapshot_id)
            if changed is None:
                self._ahead, self._taken = None, ahead
                return ahead.record
            self._warn_unused(ahead, changed)
        elif ahead.fixturedef is fixturedef or self._first(node) > ahead.last:
            pass  # its producer was not set up where its tests ran: they were all skipped
        else:
            return None  # still ahead
        self._drop()
        return None

    def prepare(
        self,
        record: PrepareRecord,
        roots: RootTable,
        choose: Callable[[Graph], Overrides | None] | None,
    ) -> Prepared:
        """What ``session.engine.prepare(roots, overrides=choose, record=record)`` returns: the
        instance prepared ahead when :meth:`take` gave ``record``."""
        taken, self._taken = self._taken, None
        session = self._session
        if taken is not None and taken.record is record:
            if _same_roots(taken.roots, roots):
                prepared = taken.pending.result()
                record.prefetched = "used"
                progress = session.engine.progress
                if progress is not None:
                    progress(record, Progress("done", duration_ms=record.duration_ms or 0.0))
                return prepared
            self._ahead = taken  # cannot happen unless collection changed; be safe
            self._warn_unused(taken, "its tests or their bindings changed")
            self._drop()
            record = session.engine.new_record(
                record.name,
                scope=record.scope,
                scope_id=record.scope_id,
                snapshot_id=record.snapshot_id,
                kind=record.kind,
            )
        if self._ahead is not None and self._ahead.pending.running:
            self._wait_for(_plans_of(roots.requirements))
        return session.engine.prepare(roots, overrides=choose, record=record)

    def prepared(
        self,
        fixturedef: pytest.FixtureDef[Any],
        request: Any,
        plans: tuple[WarmupPlan, ...],
        snapshot_id: str | None,
    ) -> None:
        """A producer instance prepared: start preparing its next instance, when none is
        being prepared ahead already and that instance can be told."""
        self._pytest_session = request.node.session
        if self._ahead is not None or request.scope not in PREFETCH_SCOPES:
            return
        if getattr(fixturedef, "params", None) is not None:
            return  # a parametrized producer: pytest decides the order of its instances
        try:
            self._start(fixturedef, request.node, request.scope, plans, snapshot_id)
        except WarmupError:
            return  # the producer meets it when it prepares, as without prefetch

    # -- cleanup --------------------------------------------------------------------------------

    def before_cleanup(self, prepared: Prepared) -> None:
        """A producer's scope ends and its cleanup comes: when the run is stopping, clean up
        the instance prepared ahead (nobody will take it); else, when it uses one of the same
        plans, wait until it is prepared."""
        ahead = self._ahead
        if ahead is None:
            return
        if self._stopping():
            self._drop()
            return
        graph = prepared.record.graph
        if graph is not None and ahead.pending.running:
            self._wait_for(_plans_of(node.requirement for node in graph.nodes))

    def close(self) -> None:
        """The run ends: clean up the instance prepared ahead, if nobody took it."""
        self._taken = None
        self._drop()

    # -- the steps ------------------------------------------------------------------------------

    def _start(
        self,
        fixturedef: pytest.FixtureDef[Any],
        node: Any,
        scope: str,
        plans: tuple[WarmupPlan, ...],
        snapshot_id: str | None,
    ) -> None:
        session = self._session
        found = self._next_instance(fixturedef, node, scope)
        if found is None:
            return
        target, (first, last) = found
        name = fixturedef.argname
        tests = covered_tests(session.collected.in_scope(scope, target), name, fixturedef)
        covered = {test.nodeid for test in tests}
        items = session.collected.items[first : last + 1]
        if all(_skipped(item) for item in items if item.nodeid in covered):
            return  # nothing will set its producer up (no tests at all, too)
        roots = select_roots(tests, set(plans), name, session.requirement_of)
        if not roots.requirements:
            return
        record = PrepareRecord(
            name=name,
            scope=scope,
            scope_id=scope_id_of(scope, target, fixturedef, session.settings.rootpath),
            snapshot_id=snapshot_id,
            kind="producer",
        )
        record.plans = plans
        record.consumers = tuple([test.nodeid for test in tests])
        options = _snapshot_options(session)
        session.snapshots.use_options(*options)
        graph = normalise(roots.requirements)
        choose = snapshot_step(session, record, plans, fixturedef)
        overrides = choose(graph) if choose is not None else None
        session.record.add(record)
        pending = session.engine.start(roots, overrides=overrides, record=record)
        uses = _plans_of(graph_node.requirement for graph_node in graph.nodes)
        self._ahead = Ahead(
            fixturedef, record.scope_id, plans, snapshot_id, options, roots, pending, uses, last
        )

    def _next_instance(
        self, fixturedef: pytest.FixtureDef[Any], node: Any, scope: str
    ) -> tuple[Any, tuple[int, int]] | None:
        """The node of the producer's next instance after ``node``'s, and the indexes of its
        first and last tests; ``None`` when it has none, or when its scope node cannot be
        told."""
        items = self._session.collected.items
        span = self._spans().get(getattr(node, "nodeid", ""))
        if span is None:
            return None
        name = fixturedef.argname
        kind = pytest.Module if scope == "module" else pytest.Class
        for index in range(span[1] + 1, len(items)):
            item = items[index]
            record = self._session.collected.record(item)
            if not binds_producer(record, name, fixturedef):
                continue
            target = item.getparent(kind)
            if target is None:
                return None
            return target, self._spans()[target.nodeid]
        return None

    def _spans(self) -> dict[str, tuple[int, int]]:
        if self._span is None:
            span: dict[str, tuple[int, int]] = {}
            for index, item in enumerate(self._session.collected.items):
                for node in item.listchain():
                    if isinstance(node, (pytest.Item, pytest.Class, pytest.Module)):
                        first = span.get(node.nodeid, (index, index))[0]
                        span[node.nodeid] = (first, index)
            self._span = span
        return self._span

    def _first(self, node: Any) -> int:
        """The index of the first test under ``node`` (-1 when it is not a test, class or
        module of this run)."""
        span = self._spans().get(getattr(node, "nodeid", ""))
        return -1 if span is None else span[0]

    def _changed(
        self, ahead: Ahead, plans: tuple[WarmupPlan, ...], snapshot_id: str | None
    ) -> str | None:
        """Why the instance prepared ahead is not what its producer asks for, or ``None``."""
        if set(plans) != set(ahead.plans):  # the order of use(...)'s plans changes nothing
            return "its producer called warmup_mgr.use(...) with other plans"
        if snapshot_id != ahead.snapshot_id:
            return "its producer called prepare(...) with another snapshot_id"
        if _snapshot_options(self._session) != ahead.snapshot_options:
            return "the snapshot options changed"
        return None

    def _warn_unused(self, ahead: Ahead, why: str) -> None:
        self._session.record.warn(
            f"--warmup-prefetch: {ahead.record.description} was prepared ahead of its tests "
            f"but {why}; it was cleaned up and prepared again. Prefetch expects a producer "
            "fixture to prepare the same plans for each of its instances"
        )

    def _wait_for(self, uses: Iterable[WarmupPlan]) -> None:
        """Wait until the instance prepared ahead is prepared when it uses one of ``uses``:
        a plan object gets calls from one preparation at a time."""
        ahead = self._ahead
        if ahead is None or not ahead.pending.running or ahead.uses.isdisjoint(uses):
            return
        with self._session.interrupts.preparing():
            ahead.pending.wait()
        if ahead.pending.stopped:  # Ctrl-C while waiting: it stopped and cleaned up
            self._drop()
            raise KeyboardInterrupt

    def _drop(self) -> None:
        """Clean up the instance prepared ahead (or keep it, with ``--warmup-keep``)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return
        ahead.record.prefetched = "unused"
        keep = "--warmup-keep" if self._session.settings.keep else None
        if ahead.pending.running:
            self._session.say(
                f"stopping {ahead.record.description}, prepared ahead by --warmup-prefetch: "
                "no new batch starts; waiting for the running ones to end, so that what they "
                "create is cleaned up"
            )
        with self._session.interrupts.cleaning():
            ahead.pending.cancel(keep=keep)  # cleanup errors go on its record

    def _stopping(self) -> bool:
        pytest_session = self._pytest_session
        return self._session.interrupts.holding or bool(
            pytest_session is not None and (pytest_session.shouldstop or pytest_session.shouldfail)
        )


def _plans_of(requirements: Iterable[WarmupRequirement]) -> frozenset[WarmupPlan]:
    return frozenset(requirement.owner_plan for requirement in reachable(requirements))


def _same_roots(first: RootTable, second: RootTable) -> bool:
    if first.consumer_ids != second.consumer_ids:
        return False
    return all(a is b for a, b in zip(first.requirements, second.requirements, strict=True))


def _snapshot_options(session: WarmupSession) -> SnapshotOptions:
    option = session.config.option
    specs = getattr(option, "warmup_snapshot_for", None) or ()
    if isinstance(specs, str):
        specs = (specs,)
    return getattr(option, "warmup_snapshot", None), tuple(specs)


def _skipped(item: pytest.Item) -> bool:
    """Whether the test carries an unconditional ``skip`` mark: its fixtures are not set up."""
    return item.get_closest_marker("skip") is not None
