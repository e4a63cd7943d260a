"""pytest-xdist: every shared resource prepared once per run, torn down once, after the last
worker is done.

A producer instance has the same scope id on every worker (``module:tests/test_x.py::shop``),
and every worker collects every test, so every worker computes the same graph for it. Its
preparation is split in two:

- **shared nodes**, once per run: the first worker to need the scope prepares them for every
  test the scope covers (on any worker) and publishes their values (pickled, or through the
  plan's ``serialize_snapshot_value`` / ``deserialize_snapshot_value`` when it defines them);
  the others wait on the scope's lock and receive them. The worker that prepared them cleans
  them up once every other worker is done (:meth:`Sharing.finish_worker`).
- **per-test nodes**, where the test runs: a worker prepares them for the tests it has been
  handed and not run yet (xdist's queue), at the producer's setup and again when a test arrives
  that it has none for; they are cleaned up when the producer's scope ends on that worker.

Plans with ``per_worker = True`` opt out: a producer instance that prepares one is prepared by
each worker on its own, as without sharing. The workers meet through :mod:`._coordination`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, final

import pytest

from . import _pytest_compat as compat
from ._coordination import Coordination
from ._declarations import WarmupPlan, WarmupRequirement, describe, is_interrupt
from ._graph import Graph, GraphNode, RootTable
from ._nodes import WarmupNode
from ._record import PrepareRecord
from .engine import Overrides, Prepared
from .errors import NodeFailedError, WarmupError

if TYPE_CHECKING:
    from ._session import WarmupSession

__all__ = ["Sharing", "leftovers", "shares"]

_FORMAT: Final = 1


def shares(graph: Graph) -> bool:
    """Whether a preparation of ``graph`` is shared between workers: no plan in it opted out."""
    return not any(
        getattr(node.requirement.owner_plan, "per_worker", False) for node in graph.nodes
    )


class RemoteFailure(Exception):
    """A node failure that happened on another worker, whose exception could not be pickled."""


@dataclass(eq=False)
class _PerTest:
    """The per-test side of one shared preparation on this worker."""

    record: PrepareRecord
    roots: RootTable
    #: consumers that need a preparation of their own (per-test nodes, or local overrides)
    consumers: frozenset[str]
    given: dict[WarmupRequirement, Any]
    failed: dict[WarmupRequirement, BaseException]
    local: dict[str, dict[WarmupRequirement, Any]]
    owned: bool
    #: consumer -> the preparation that holds its per-test values
    by_consumer: dict[str, Prepared] = field(default_factory=dict)
    preparations: list[Prepared] = field(default_factory=list)


@final
class Sharing:
    """This worker's side of sharing: what it prepared for everyone, what it prepared for its
    own tests, and the cleanup at its end."""

    def __init__(
        self, coordination: Coordination, worker: str, workers: int, *, stealing: bool = False
    ) -> None:
        self.coordination = coordination
        self.worker = worker
        self.workers = workers
        #: tests handed to this worker may still go to another (``--dist worksteal``): per-test
        #: nodes are prepared for the running test and the next one only
        self.stealing = stealing
        #: shared preparations this worker made for everyone: cleaned up at the end
        self._owned: list[Prepared] = []
        #: scope id -> the shared values this worker made, for a second setup of that scope
        self._made: dict[str, Prepared] = {}
        self._per_test: dict[Prepared, _PerTest] = {}
        self._journal_ids: dict[Prepared, int] = {}
        #: called with the record of each preparation made for this worker's own tests
        self.on_prepared: Callable[[PrepareRecord], object] = lambda record: None
        coordination.join(worker)

    # -- preparing ------------------------------------------------------------------------------

    def prepare(
        self,
        session: WarmupSession,
        record: PrepareRecord,
        roots: RootTable,
        graph: Graph,
        choose: Callable[[Graph], Overrides | None] | None,
        pytest_session: pytest.Session,
    ) -> Prepared:
        """Prepare a producer instance whose roots make ``graph``: its shared nodes once per
        run, its per-test nodes for the tests this worker has been handed."""
        chosen = choose(graph) if choose is not None else None
        shared_roots, per_test_consumers = _split(roots, graph)
        if chosen is not None:
            per_test_consumers |= set(chosen.local)
        with session.interrupts.preparing():
            if not shared_roots:
                prepared = session.engine.prepare(shared_roots, record=record)
            else:
                key = _scope_key(record.scope_id)
                with self.coordination.lock(key):
                    prepared = self._shared_stage(session, record, key, shared_roots, chosen)
        if per_test_consumers:
            self._per_test[prepared] = _PerTest(
                record=record,
                roots=roots,
                consumers=frozenset(per_test_consumers),
                given=_values(prepared),
                failed=_failures(prepared),
                local=dict(chosen.local) if chosen is not None else {},
                owned=chosen.owned if chosen is not None else False,
            )
            self._prepare_per_test(session, prepared, self._queued(pytest_session) or [])
        return prepared

    def _shared_stage(
        self,
        session: WarmupSession,
        record: PrepareRecord,
        key: str,
        roots: RootTable,
        chosen: Overrides | None,
    ) -> Prepared:
        """The shared nodes: from this worker's earlier setup of the scope, from the worker
        that prepared them, or prepared here (and published) when nobody has yet."""
        made = self._made.get(record.scope_id)
        if made is not None:  # this worker made them, and the scope is set up again
            given = Overrides(given=_values(made), failed=_failures(made))
            return session.engine.prepare(roots, overrides=given, record=record)
        stored = self.coordination.get(key)
        state = pickle.loads(stored) if stored is not None else None
        if state is not None and state["status"] == "ready":
            return session.engine.prepare(
                roots, overrides=lambda graph: _decode(state, graph, record), record=record
            )
        if state is not None and state["status"] == "error":
            raise _decode_error(state["error"])
        overrides = None
        if chosen is not None:  # test entries apply with the per-test nodes
            overrides = Overrides(shared=dict(chosen.shared), raw=chosen.raw, owned=chosen.owned)
        try:
            prepared = session.engine.prepare(roots, overrides=overrides or None, record=record)
        except BaseException as exc:
            if not is_interrupt(exc) and record.graph is not None:
                self._publish_error(key, exc)
            raise
        try:
            data = _encode(prepared, record)
        except WarmupError as exc:
            session.finish(prepared)
            self._publish_error(key, exc)
            raise
        self.coordination.put(key, data)
        self._made[record.scope_id] = prepared
        self._owned.append(prepared)
        self._log(prepared)
        return prepared

    def _publish_error(self, key: str, error: BaseException) -> None:
        """Preparing the shared nodes failed: the other workers raise ``error`` too."""
        self.coordination.put(key, pickle.dumps({"status": "error", "error": _encode_error(error)}))

    def value(
        self, session: WarmupSession, prepared: Prepared, requirement: WarmupRequirement, item: Any
    ) -> Any:
        """The value test ``item`` receives from shared preparation ``prepared``; its per-test
        nodes (and those of the tests queued after it) are prepared first when this worker has
        none for it yet."""
        return self._for(session, prepared, item).value(requirement, item.nodeid)

    def failure(
        self, session: WarmupSession, prepared: Prepared, requirement: WarmupRequirement, item: Any
    ) -> NodeFailedError | None:
        """What test ``item`` gets instead of its value when the node failed (asked in its
        setup, so that it errors there, as without workers); ``None`` when it has its value."""
        return self._for(session, prepared, item).failure(requirement, item.nodeid)

    def _for(self, session: WarmupSession, prepared: Prepared, item: Any) -> Prepared:
        """The preparation that holds test ``item``'s values: its per-test part, prepared now
        (with the tests queued after it) when this worker has none for it yet."""
        consumer = item.nodeid
        part = self._per_test.get(prepared)
        if part is None or consumer not in part.consumers:
            return prepared
        own = part.by_consumer.get(consumer)
        if own is None:
            queued = self._queued(item.session) or ()
            self._prepare_per_test(session, prepared, [consumer, *queued])
            own = part.by_consumer[consumer]
        return own

    def _queued(self, pytest_session: pytest.Session) -> list[str] | None:
        """The tests this worker runs now and next (``None``: unknown)."""
        items = compat.xdist_queue(pytest_session.config, pytest_session, queued=not self.stealing)
        return None if items is None else [item.nodeid for item in items]

    def _prepare_per_test(
        self, session: WarmupSession, prepared: Prepared, tests: list[str]
    ) -> None:
        part = self._per_test[prepared]
        wanted = [
            t for t in dict.fromkeys(tests) if t in part.consumers and t not in part.by_consumer
        ]
        if not wanted:
            return
        chosen = set(wanted)
        roots = RootTable(root for root in part.roots if root.consumer_id in chosen)
        source = part.record
        record = session.engine.new_record(
            source.name,
            scope=source.scope,
            scope_id=source.scope_id,
            snapshot_id=source.snapshot_id,
            kind=source.kind,
        )
        record.plans = source.plans
        record.consumers = tuple(wanted)

        def choose(graph: Graph) -> Overrides:
            present = graph.by_requirement
            return Overrides(
                given={r: v for r, v in part.given.items() if r in present},
                failed={r: e for r, e in part.failed.items() if r in present},
                local={c: part.local[c] for c in wanted if c in part.local},
                owned=part.owned,
            )

        with session.interrupts.preparing():
            own = session.engine.prepare(roots, overrides=choose, record=record)
        part.preparations.append(own)
        for test in wanted:
            part.by_consumer[test] = own
        self._log(own)
        self.on_prepared(record)

    # -- cleanup --------------------------------------------------------------------------------

    def finish_scope(self, session: WarmupSession, prepared: Prepared) -> None:
        """The producer's scope ended on this worker: clean up what it prepared for its own
        tests now; what it prepared for everyone waits for the end (:meth:`finish_worker`)."""
        part = self._per_test.pop(prepared, None)
        errors: list[BaseException] = []
        for own in reversed(part.preparations if part is not None else []):
            try:
                session.finish(own)
            except WarmupError as error:
                errors.append(error)
            else:
                self._log_cleaned(own)
        if prepared not in self._owned:
            session.finish(prepared)  # nothing created here: it only forgets the values
        if errors:
            raise errors[0]

    def finish_worker(self, session: WarmupSession, *, wait: bool) -> None:
        """This worker runs no more tests: once every other worker is done too (``wait``),
        clean up what it prepared for everyone, newest first."""
        self.coordination.done(self.worker)
        if not self._owned:
            return
        if wait:
            self.coordination.wait_for_others(self.worker, self.workers)
        closed = pickle.dumps({"status": "closed"})  # a worker that starts late prepares anew
        for prepared in reversed(self._owned):
            key = _scope_key(prepared.record.scope_id)
            with self.coordination.lock(key):
                self.coordination.put(key, closed)
            try:
                session.finish(prepared)
            except WarmupError as error:
                session.record.problems.append(str(error))
            self._log_cleaned(prepared)
        self._owned.clear()

    # -- the journal ----------------------------------------------------------------------------

    def _log(self, prepared: Prepared) -> None:
        created = [_label(node) for node in prepared.instances if node.created]
        if not created:
            return
        journal_id = self._journal_ids[prepared] = len(self._journal_ids) + 1
        entry = {"id": journal_id, "scope": prepared.record.scope_id, "created": created}
        self.coordination.log(self.worker, entry)

    def _log_cleaned(self, prepared: Prepared) -> None:
        journal_id = self._journal_ids.get(prepared)
        if journal_id is not None:
            self.coordination.log(self.worker, {"cleaned": journal_id})


def leftovers(coordination: Coordination, worker: str) -> list[str]:
    """What ``worker`` (gone down) created and did not clean up, one line per preparation."""
    entries = coordination.journal(worker)
    cleaned = {entry["cleaned"] for entry in entries if "cleaned" in entry}
    lines = []
    for entry in entries:
        if "created" in entry and entry["id"] not in cleaned:
            lines.append(f"  {entry['scope']}: {', '.join(entry['created'])}")
    return lines


def _scope_key(scope_id: str) -> str:
    """Where the workers keep a producer instance's shared values, and the lock over them."""
    return f"scope:{scope_id}"


def _label(node: WarmupNode) -> str:
    plan = node.requirement.owner_plan.name
    name = node.public_id or "(no id)"
    where = f" for {node.test_id}" if node.test_id is not None else ""
    return f"{plan} {name!r}{where}"


# -- splitting a preparation ----------------------------------------------------------------------


def _split(roots: RootTable, graph: Graph) -> tuple[RootTable, set[str]]:
    """The roots of the shared stage (every shared node the roots reach, under the consumer
    that first reaches it), and the consumers with per-test nodes."""
    shared = RootTable()
    per_test: set[str] = set()
    seen: set[GraphNode] = set()
    by_requirement = graph.by_requirement
    for root in roots:
        node = by_requirement[root.requirement]
        if not node.per_test:
            seen.add(node)
            shared.append(*root)
            continue
        per_test.add(root.consumer_id)
        todo = [node]
        while todo:
            current = todo.pop()
            for dependency in current.iter_dependencies():
                if dependency.per_test:
                    todo.append(dependency)
                elif dependency not in seen:
                    seen.add(dependency)
                    shared.append(
                        root.consumer_id,
                        root.source_kind,
                        root.source_name,
                        root.argument_name,
                        dependency.requirement,
                        root.producer_fixture,
                    )
    return shared, per_test


def _values(prepared: Prepared) -> dict[WarmupRequirement, Any]:
    return {
        node.requirement: node.value
        for node in prepared.instances
        if node.test_id is None and node.has_value
    }


def _failures(prepared: Prepared) -> dict[WarmupRequirement, BaseException]:
    return {
        node.requirement: node.exception
        for node in prepared.instances
        if node.test_id is None and node.exception is not None
    }


# -- values across processes ----------------------------------------------------------------------


def _stable_key(index: int, node: GraphNode) -> str:
    return f"{index}:{node.plan_name}:{node.requirement.id}"


def _encode(prepared: Prepared, record: PrepareRecord) -> bytes:
    graph = record.graph
    assert graph is not None
    index = {node: position for position, node in enumerate(graph.nodes)}
    values: dict[str, tuple[str, Any]] = {}
    for node in prepared.instances:
        if node.test_id is not None:
            continue
        key = _stable_key(index[node.graph_node], node.graph_node)
        if node.has_value:
            values[key] = ("value", _encode_value(node))
        elif node.exception is not None:
            values[key] = ("failed", _encode_error(node.exception))
    return pickle.dumps({"status": "ready", "format": _FORMAT, "nodes": values})


def _encode_value(node: WarmupNode) -> bytes:
    requirement = node.requirement
    plan = requirement.owner_plan
    custom = type(plan).serialize_snapshot_value is not WarmupPlan.serialize_snapshot_value
    try:
        if custom:
            return pickle.dumps(("custom", plan.serialize_snapshot_value(requirement, node.value)))
        return pickle.dumps(("plain", node.value))
    except Exception as exc:
        raise WarmupError(
            f"the value of requirement {describe(requirement)} cannot be handed to the other "
            f"pytest-xdist workers: {type(exc).__name__}: {exc}; make the value picklable, "
            f"define serialize_snapshot_value and deserialize_snapshot_value on plan "
            f"'{plan.name}' ({type(plan).__name__}), or set per_worker = True on it to prepare "
            "it on each worker"
        ) from exc


def _decode(state: dict[str, Any], graph: Graph, record: PrepareRecord) -> Overrides:
    """The shared values and failures another worker published, for the same graph here."""
    nodes = state["nodes"]
    keys = {_stable_key(position, node): node for position, node in enumerate(graph.nodes)}
    if not set(nodes) <= set(keys):
        raise WarmupError(
            f"the pytest-xdist workers disagree on the graph of {record.description}: do all "
            "workers collect the same tests? Set per_worker = True on its plans to prepare them "
            "on each worker"
        )
    overrides = Overrides()
    for key, (kind, data) in nodes.items():  # a node missing: blocked by a failed dependency
        requirement = keys[key].requirement
        if kind == "failed":
            overrides.failed[requirement] = _decode_error(data)
            continue
        how, value = pickle.loads(data)
        if how == "custom":
            value = requirement.owner_plan.deserialize_snapshot_value(requirement, value)
        overrides.given[requirement] = value
    return overrides


def _encode_error(error: BaseException) -> bytes:
    try:
        data = pickle.dumps(error)
        pickle.loads(data)
        return data
    except Exception:
        return pickle.dumps((type(error).__name__, str(error)))


def _decode_error(data: bytes) -> BaseException:
    error: object = pickle.loads(data)
    if isinstance(error, BaseException):
        return error
    assert isinstance(error, tuple)
    name, message = str(error[0]), str(error[1])
    kind = type(name, (RemoteFailure,), {"__module__": "pytest_warmup.remote"})
    failure: BaseException = kind(message)
    return failure
