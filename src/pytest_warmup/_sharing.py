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

from ._coordination import Coordination
from ._declarations import WarmupPlan, WarmupRequirement, describe, is_interrupt
from ._graph import Graph, GraphNode, RootTable, normalise
from ._nodes import WarmupNode
from ._record import PrepareRecord
from .engine import Overrides, Prepared
from .errors import WarmupError

if TYPE_CHECKING:
    from ._session import WarmupSession

__all__ = ["DIST_KEY", "RUN_DIRECTORY_KEY", "Sharing", "leftovers", "shares"]

#: the key of the run directory in an xdist worker's ``workerinput``
RUN_DIRECTORY_KEY: Final = "pytest_warmup_run_directory"
#: the key of the ``--dist`` mode in an xdist worker's ``workerinput`` (a worker's own
#: configuration says ``no``)
DIST_KEY: Final = "pytest_warmup_dist"

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

    name: str
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
        choose: Callable[[Graph], Overrides | None] | None,
        queued: Callable[[], list[str] | None],
    ) -> Prepared:
        """Prepare a producer instance: its shared nodes once per run, its per-test nodes for
        the tests this worker runs (``queued``: those it was handed, ``None``: unknown)."""
        graph = normalise(roots.requirements)
        chosen = choose(graph) if choose is not None else None
        shared_roots, per_test_consumers = _split(roots, graph)
        if chosen is not None:
            per_test_consumers |= set(chosen.local)
        key = f"scope:{record.scope_id}"
        stage_overrides = Overrides(
            shared=dict(chosen.shared) if chosen is not None else {},
            raw=chosen.raw if chosen is not None else None,
            owned=chosen.owned if chosen is not None else False,
        )
        with session.interrupts.preparing():
            if not shared_roots:
                prepared = session.engine.prepare(shared_roots, record=record)
            else:
                with self.coordination.lock(key):
                    prepared = self._shared_stage(
                        session, record, key, shared_roots, stage_overrides
                    )
        if per_test_consumers:
            self._per_test[prepared] = _PerTest(
                name=record.name,
                record=record,
                roots=roots,
                consumers=frozenset(per_test_consumers),
                given=_values(prepared),
                failed=_failures(prepared),
                local=dict(chosen.local) if chosen is not None else {},
                owned=chosen.owned if chosen is not None else False,
            )
            first = queued()
            self._prepare_per_test(session, prepared, first if first is not None else [])
        return prepared

    def _shared_stage(
        self,
        session: WarmupSession,
        record: PrepareRecord,
        key: str,
        roots: RootTable,
        overrides: Overrides,
    ) -> Prepared:
        made = self._made.get(record.scope_id)
        if made is not None:  # this worker made them, and the scope is set up again
            given = _values(made)
            return session.engine.prepare(
                roots, overrides=Overrides(given=given, failed=_failures(made)), record=record
            )
        stored = self.coordination.get(key)
        state = pickle.loads(stored) if stored is not None else None
        if state is not None and state["status"] == "ready":
            graph = normalise(roots.requirements)
            given, failed = _decode(state, graph, record)
            return session.engine.prepare(
                roots, overrides=Overrides(given=given, failed=failed), record=record
            )
        if state is not None and state["status"] == "error":
            raise _decode_error(state["error"])
        try:
            prepared = session.engine.prepare(roots, overrides=overrides or None, record=record)
        except BaseException as exc:
            if not is_interrupt(exc) and record.graph is not None:
                self.coordination.put(
                    key, pickle.dumps({"status": "error", "error": _encode_error(exc)})
                )
            raise
        try:
            data = _encode(prepared, record)
        except WarmupError as exc:
            session.finish(prepared)
            self.coordination.put(
                key, pickle.dumps({"status": "error", "error": _encode_error(exc)})
            )
            raise
        self.coordination.put(key, data)
        self._made[record.scope_id] = prepared
        self._owned.append(prepared)
        self._log(prepared)
        return prepared

    def value(self, prepared: Prepared, requirement: WarmupRequirement, consumer: str) -> Any:
        """The value ``consumer`` receives from shared preparation ``prepared``: prepares its
        per-test nodes first when this worker has none for it yet."""
        part = self._per_test.get(prepared)
        if part is None or consumer not in part.consumers:
            return prepared.value(requirement, consumer)
        own = part.by_consumer.get(consumer)
        if own is None:  # needs_preparing() was not asked first
            raise WarmupError(f"no preparation of {part.record.description} for '{consumer}'")
        return own.value(requirement, consumer)

    def needs_preparing(self, prepared: Prepared, consumer: str) -> bool:
        part = self._per_test.get(prepared)
        return part is not None and consumer in part.consumers and consumer not in part.by_consumer

    def prepare_for(
        self, session: WarmupSession, prepared: Prepared, consumer: str, queued: list[str] | None
    ) -> None:
        """Prepare the per-test nodes of ``consumer`` and of the tests queued after it."""
        tests = [consumer] + [test for test in queued or () if test != consumer]
        self._prepare_per_test(session, prepared, tests)

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
        for prepared in reversed(self._owned):
            with self.coordination.lock(f"scope:{prepared.record.scope_id}"):
                self.coordination.put(
                    f"scope:{prepared.record.scope_id}", pickle.dumps({"status": "closed"})
                )
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
            if node not in seen:
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


def _decode(
    state: dict[str, Any], graph: Graph, record: PrepareRecord
) -> tuple[dict[WarmupRequirement, Any], dict[WarmupRequirement, BaseException]]:
    nodes = state["nodes"]
    given: dict[WarmupRequirement, Any] = {}
    failed: dict[WarmupRequirement, BaseException] = {}
    for position, node in enumerate(graph.nodes):
        entry = nodes.get(_stable_key(position, node))
        if entry is None:
            continue  # blocked by a failed dependency: blocked here too
        kind, data = entry
        requirement = node.requirement
        if kind == "failed":
            failed[requirement] = _decode_error(data)
            continue
        how, value = pickle.loads(data)
        if how == "custom":
            value = requirement.owner_plan.deserialize_snapshot_value(requirement, value)
        given[requirement] = value
    known = {_stable_key(position, node) for position, node in enumerate(graph.nodes)}
    if set(nodes) - known:
        raise WarmupError(
            f"the pytest-xdist workers disagree on the graph of {record.description}: do all "
            "workers collect the same tests? Set per_worker = True on its plans to prepare them "
            "on each worker"
        )
    return given, failed


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
