"""The engine's front door: prepare what consumers need, without pytest.

::

    from pytest_warmup.engine import prepare

    with prepare({"report-1": [alice, order], "report-2": [alice]}, max_workers=4) as prepared:
        prepared.value(alice)  # a shared value
        prepared.value(order, "report-1")  # report-1's own value of a per-test requirement
        prepared.record  # what was selected, built, overridden, prepared, and how long it took
    # leaving the block cleaned up what the plans created

A *consumer* is whatever needs values: a test, a report, a script step. :func:`prepare` takes
the requirements each consumer needs, walks everything they depend on, and calls each plan once
per batch, in dependency order, independent batches at the same time. Shared requirements get
one value for all consumers; per-test ones one value per consumer that reaches them.

The pytest plugin is a client of this module: a producer fixture hands the bindings of the tests
it covers to :meth:`Run.prepare` and returns the :class:`Prepared` it gets back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, final

from ._declarations import (
    ValueT,
    WarmupRequirement,
    declaration_site,
    describe,
    is_interrupt,
    requirement_label,
)
from ._graph import (
    Graph,
    GraphCache,
    GraphNode,
    Instances,
    Root,
    RootTable,
    instantiate,
    normalise,
    reachable,
)
from ._nodes import WarmupNode
from ._record import PrepareRecord, RunRecord
from ._runtime import (
    BatchReport,
    BatchTimes,
    EventLoopThread,
    Preparation,
    Progress,
    WarmupRuntime,
    failure_of,
    tell_stderr,
)
from ._scheduler import PlannedBatch, planned_batches
from .errors import NodeFailedError, NotPreparedError, WarmupError

__all__ = [
    "BatchReport",
    "Graph",
    "GraphNode",
    "Instances",
    "Needs",
    "Overrides",
    "Pending",
    "PrepareRecord",
    "Prepared",
    "Progress",
    "Root",
    "RootTable",
    "Run",
    "RunRecord",
    "prepare",
]

Needs = Mapping[str, Iterable[WarmupRequirement]] | RootTable
"""Consumer id -> the requirements it needs; or a root table (the pytest plugin's form, which also
says where each need comes from)."""


@dataclass
class Overrides:
    """Values to use instead of preparing: their plans are not called for them.

    ``shared`` replaces a shared requirement's value for every consumer. ``local`` gives one
    consumer its own value: for a per-test requirement, that consumer's instance; for a shared
    one, a consumer-local instance that only this consumer (and its per-test dependants) sees,
    while the others still get the prepared shared value. ``raw`` is what the record shows for
    them (say, the values as a file held them); by default, the values themselves. With
    ``owned``, cleanup treats them as created by this preparation.
    """

    shared: dict[WarmupRequirement, Any] = field(default_factory=dict)
    local: dict[str, dict[WarmupRequirement, Any]] = field(default_factory=dict)
    raw: dict[str, Any] | None = None
    owned: bool = False
    """The values stand for resources this preparation owns: its cleanup deletes them too, after
    what it created (how a round trip of saved values ends)."""
    given: dict[WarmupRequirement, Any] = field(default_factory=dict)
    """Shared values prepared elsewhere (another preparation, another process): used like
    ``shared``, never owned, and not shown as overrides in the record."""
    failed: dict[WarmupRequirement, BaseException] = field(default_factory=dict)
    """Shared requirements whose preparation failed elsewhere, with the error: no plan is called for
    them and their dependants fail with them."""

    def __bool__(self) -> bool:
        return bool(self.shared or self.local or self.given or self.failed)


OverridesArgument = Overrides | Callable[[Graph], "Overrides | None"] | None
"""Overrides, or a function that chooses them once the graph is known (between the two phases)."""


@final
class Prepared:
    """The values of one preparation, its record, and its cleanup.

    What a pytest producer fixture returns, too. Close it (or leave its ``with`` block) to call
    the plans' cleanup for what they created; :meth:`keep` skips that, for debugging.
    """

    record: PrepareRecord
    """What was selected, built, overridden and prepared."""

    def __init__(
        self,
        record: PrepareRecord,
        preparation: Preparation,
        on_close: Callable[[Prepared], object] | None = None,
    ) -> None:
        self.record = record
        self._preparation = preparation
        self._on_close = on_close
        self._closed = False  # closed or kept: its cleanup is decided
        self._cleaned = False  # closed: what its plans created is gone
        # Values already handed out, when every consumer reads the same instances (no per-test
        # ones): the consumers of a preparation mostly ask for the same few requirements.
        self._handed_out: dict[WarmupRequirement, Any] = {}

    def __repr__(self) -> str:
        return f"<Prepared {self.record.scope_id}>"

    @property
    def scope_id(self) -> str:
        """Its address in snapshot and report files: a producer's scope id."""
        return self.record.scope_id

    @property
    def instances(self) -> Instances:
        """Every runtime instance, in instance order."""
        return self._preparation.instances

    def find(
        self, requirement: WarmupRequirement[ValueT], consumer: str | None = None
    ) -> WarmupNode[ValueT] | None:
        """The instance ``consumer`` receives for ``requirement`` (its own, else the shared
        one), or ``None`` when this preparation has none for it."""
        return self._preparation.instances.find(_requirement(requirement), consumer)

    def value(self, requirement: WarmupRequirement[ValueT], consumer: str | None = None) -> ValueT:
        """The value ``consumer`` receives for ``requirement``: for a requirement of a
        ``WarmupPlan[T]``, a ``T``.

        Raises :class:`~pytest_warmup.errors.NodeFailedError` when preparing it (or a
        dependency) failed, and :class:`~pytest_warmup.errors.NotPreparedError` when this
        preparation has no value of it for ``consumer``.
        """
        try:
            value: ValueT = self._handed_out.get(requirement, _NOT_HANDED_OUT)
        except TypeError:  # unhashable
            raise _not_a_requirement(requirement) from None
        if value is not _NOT_HANDED_OUT:
            return value
        _requirement(requirement)
        if self._cleaned:
            raise WarmupError(
                f"{self.record.description} was closed and its plans cleaned up what they "
                "created: read values before closing it (or keep() it)"
            )
        node: WarmupNode[ValueT] | None = self._preparation.instances.find(requirement, consumer)
        if node is None:
            raise _not_prepared(requirement, consumer, self)
        error = failure_of(node)
        if error is not None:
            raise error
        value = node.value
        if not self._preparation.instances.per_test:
            self._handed_out[requirement] = value
        return value

    def failure(
        self, requirement: WarmupRequirement, consumer: str | None = None
    ) -> NodeFailedError | None:
        """Why ``consumer`` cannot have ``requirement``'s value, or ``None`` (it can, or this
        preparation does not have it)."""
        node = self._preparation.instances.find(_requirement(requirement), consumer)
        return None if node is None else failure_of(node)

    # -- cleanup -------------------------------------------------------------------------------

    @property
    def created_count(self) -> int:
        """How many values the plans created: nodes a batch failed after their value was set
        count (cleanup deletes them too), overrides and other failures do not."""
        return self._preparation.created_count

    def close(
        self, *, keep: Collection[WarmupNode] = (), why: str = ""
    ) -> list[tuple[str, BaseException]]:
        """Clean up what the plans created, newest batch first; once. Returns (plan name,
        error) for each cleanup that raised; they are on the record too.

        ``keep`` names instances whose resources stay (``why`` goes in the trace): say, values
        saved to a file for reuse. A cleanup that raises anything (``pytest.fail``, Ctrl-C)
        does not stop the others. An interrupt (``KeyboardInterrupt``, ``SystemExit``) is raised
        again once they all ran.
        """
        if not self._done():
            return []
        self._cleaned = True
        self._handed_out.clear()
        if keep:
            self._preparation.leave(keep, why)
        errors = self._preparation.cleanup()
        self.record.cleanup_errors = errors
        self.record.cleaned_up = self._preparation.cleaned_count
        self.record.kept = self._preparation.kept_count
        _raise_interrupt(error for _, error in errors)
        return errors

    def keep(self, reason: str) -> None:
        """Skip cleanup for good: what the plans created stays (``reason`` goes in the trace)."""
        if self._done() and self._preparation.keep_all():
            self._preparation.runtime.record(f"keep:cleanup skipped ({reason})")
        self.record.kept = self._preparation.kept_count

    def _done(self) -> bool:
        """Mark this preparation closed; whether it was open until now."""
        if self._closed:
            return False
        self._closed = True
        if self._on_close is not None:
            self._on_close(self)
        return True

    def __enter__(self) -> Prepared:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        errors = self.close()
        if errors and error is None:
            raise cleanup_error(self.record.description, errors)


_NOT_HANDED_OUT = object()


def _raise_interrupt(errors: Iterable[BaseException]) -> None:
    for error in errors:
        if is_interrupt(error):
            raise error


def _requirement(requirement: object) -> WarmupRequirement:
    if not isinstance(requirement, WarmupRequirement):
        raise _not_a_requirement(requirement)
    return requirement


def _not_a_requirement(requirement: object) -> WarmupError:
    return WarmupError(
        f"values are looked up by WarmupRequirement, got {type(requirement).__name__}: "
        f"{requirement!r}"
    )


def cleanup_error(owner: str, errors: list[tuple[str, BaseException]]) -> WarmupError:
    """The error for cleanups that raised: every plan on its own line, the first chained."""
    lines = [f"  plan '{plan}': {type(exc).__name__}: {exc}" for plan, exc in errors]
    error = WarmupError(f"cleanup failed for {owner}:\n" + "\n".join(lines))
    error.__cause__ = errors[0][1]
    return error


def _not_prepared(
    requirement: WarmupRequirement, consumer: str | None, prepared: Prepared
) -> NotPreparedError:
    site = declaration_site(requirement)
    where = f" (declared at {site})" if site else ""
    label = f"requirement '{requirement_label(requirement)}'{where}"
    owner = prepared.record.description
    node = prepared.instances.graph.by_requirement.get(requirement)
    if consumer is None and node is not None and node.per_test:
        message = (
            f"{label} is per-test in {owner}: each consumer has its own value; ask for one "
            "with value(requirement, consumer)"
        )
    else:
        for_whom = f" for consumer '{consumer}'" if consumer is not None else ""
        message = (
            f"{label} was not prepared{for_whom} by {owner}: list it among that consumer's needs"
        )
    return NotPreparedError(message, requirement, consumer)


@final
class Run:
    """Several preparations that share an event loop, worker settings and one run record.

    :meth:`close` cleans up every preparation still open and stops the event loop.
    """

    record: RunRecord
    """Every preparation of this run, in the order they started."""

    def __init__(
        self,
        *,
        max_workers: int = 1,
        notify: Callable[[str], object] | None = None,
        progress: Callable[[PrepareRecord, Progress], object] | None = None,
    ) -> None:
        _check_workers(max_workers)
        self.max_workers = max_workers
        self.progress = progress
        """Called in the preparing thread as each preparation begins and ends, and as each of its
        batches starts and ends (may be set at any time)."""
        self.record = RunRecord()
        self._loop = EventLoopThread()
        self._pool: ThreadPoolExecutor | None = None  # started by the first preparation
        self._batch_times = BatchTimes()  # which plans run quick batches (see _runtime)
        self._graphs = GraphCache()  # small graphs, reused by preparations of the same roots
        self._open: dict[Prepared, None] = {}
        self._closed = False
        self._notify = notify
        self._running: Preparation | None = None
        self._unsettled: list[Preparation] = []
        """Interrupted preparations whose batches may still run."""
        self._pending: list[Pending] = []
        """Preparations started in the background (:meth:`start`), not taken or cancelled."""
        self._waiting: Pending | None = None
        """The background preparation the calling thread waits for (:meth:`Pending.result`)."""

    def new_record(
        self,
        name: str = "prepare",
        *,
        scope: str = "session",
        scope_id: str | None = None,
        snapshot_id: str | None = None,
        kind: str = "preparation",
    ) -> PrepareRecord:
        """A record for a preparation about to start, added to the run record: its failures
        are recorded even when they happen before :meth:`prepare` is called. ``kind`` is what
        messages call it (``preparation 'name'``)."""
        record = PrepareRecord(
            name=name,
            scope=scope,
            scope_id=name if scope_id is None else scope_id,
            snapshot_id=snapshot_id,
            kind=kind,
        )
        self.record.add(record)
        return record

    def prepare(
        self,
        needs: Needs,
        *,
        overrides: OverridesArgument = None,
        record: PrepareRecord | None = None,
    ) -> Prepared:
        """Prepare what ``needs`` lists, and everything it depends on.

        ``overrides`` may be a function: it receives the normalised graph (every node marked
        shared or per-test) before any instance exists, and returns the overrides to apply.
        ``record`` is one from :meth:`new_record` (default: a new one). Node failures stay on
        their nodes (:meth:`Prepared.value` raises them); anything else is raised, with what
        was created already cleaned up, and recorded as ``record.error``.
        """
        if self._closed:
            raise WarmupError("this run is closed: start a new Run to prepare again")
        if record is None:
            record = self.new_record()
        self._start_pool()
        try:
            prepared = _prepare(
                needs,
                overrides,
                record,
                self.max_workers,
                self._loop,
                pool=self._pool,
                on_close=self._forget,
                on_start=self._started,
                notify=self._notify,
                progress=self.progress,
                batch_times=self._batch_times,
                graphs=self._graphs,
            )
        finally:
            preparation, self._running = self._running, None
            if preparation is not None and not preparation.settled:
                self._unsettled.append(preparation)
        self._open[prepared] = None
        return prepared

    def start(self, needs: Needs, *, overrides: Overrides | None, record: PrepareRecord) -> Pending:
        """Start preparing ``needs`` in a thread of its own; :meth:`Pending.result` waits for
        it and returns what :meth:`prepare` would have, :meth:`Pending.cancel` stops it and
        cleans up what it created.

        Batches run on this run's worker threads and event loop, as for :meth:`prepare`. Plans
        get the same calls they would get from :meth:`prepare`; keeping them from being called
        by two preparations at once is the caller's business (see :attr:`Pending.plans`).
        ``overrides`` are fixed before it starts: no function of the graph runs in the thread.
        Nothing is reported to :attr:`progress` (another thread owns the terminal).
        """
        if self._closed:
            raise WarmupError("this run is closed: start a new Run to prepare again")
        self._start_pool()
        pending = Pending(self, needs, overrides, record)
        self._pending.append(pending)
        pending.begin()
        return pending

    def _start_pool(self) -> None:
        if self._pool is None and self.max_workers > 1:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="pytest-warmup")

    def preview(
        self,
        needs: Needs,
        *,
        overrides: OverridesArgument = None,
        record: PrepareRecord | None = None,
    ) -> PrepareRecord:
        """What :meth:`prepare` would do, without calling any plan: the record gets the graph,
        the instances, the overrides and :attr:`~PrepareRecord.planned`, the batches in the
        order one worker would run them (the batches are the same for any number of workers).
        Errors are raised and recorded as for :meth:`prepare`."""
        if record is None:
            record = self.new_record()
        try:
            instances, _, _ = _build(needs, overrides, record, self._graphs)
        except BaseException as exc:
            record.error = exc
            raise
        record.planned = [(batch.plan, tuple(batch.nodes)) for batch in planned_batches(instances)]
        return record

    def _started(self, preparation: Preparation) -> None:
        self._running = preparation

    def request_stop(self) -> bool:
        """Ask the preparation running now to start no more batches and to raise
        ``KeyboardInterrupt`` once the running ones end (what they create is cleaned up).

        Meant for a signal handler of the thread that calls :meth:`prepare`: it takes no lock.
        Returns whether the preparation takes care of stopping; ``False`` when nothing is
        preparing or it is already stopping, and interrupting is up to the caller (a second
        interrupt makes it stop waiting: the batches still running are cleaned up when they
        end, and :meth:`close` waits for that).
        """
        preparation = self._running
        if preparation is None and self._waiting is not None:
            preparation = self._waiting.preparation
        return preparation is not None and preparation.request_stop()

    @property
    def settled(self) -> bool:
        """Nothing left to clean up: no preparation open, none running, and no batch still
        running after an interrupt."""
        return (
            not self._open
            and self._running is None
            and not self._pending
            and all(preparation.settled for preparation in self._unsettled)
        )

    def _forget(self, prepared: Prepared) -> None:
        self._open.pop(prepared, None)

    def open(self) -> list[Prepared]:
        """The preparations neither closed nor kept yet, oldest first."""
        return list(self._open)

    def close(self) -> list[Prepared]:
        """Clean up every preparation still open (an interrupted run), wait for the batches
        an interrupt stopped waiting for to end and be cleaned up, and stop the event loop.

        Returns those whose cleanup raised; their errors are on their records. An interrupt
        raised by a cleanup is raised again once every preparation is cleaned up.
        """
        self._closed = True
        failed: list[Prepared] = []
        interrupts: list[BaseException] = []
        for pending in list(self._pending):
            try:
                pending.cancel()
            except BaseException as interrupt:  # raised once its own cleanup was done
                interrupts.append(interrupt)
        for prepared in list(self._open):
            try:
                if prepared.close():
                    failed.append(prepared)
            except BaseException as interrupt:  # raised once its own cleanup was done
                failed.append(prepared)
                interrupts.append(interrupt)
        # Batches an interrupt stopped waiting for clean up after themselves when they end,
        # on this run's event loop when they are async: it stops once they are done.
        for preparation in self._unsettled:
            preparation.wait_settled()
        self._unsettled.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._loop.close()
        _raise_interrupt(interrupts)
        return failed

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@final
class Pending:
    """A preparation running in a thread of its own (:meth:`Run.start`).

    Take its result with :meth:`result` (in the thread that would have called
    :meth:`Run.prepare`), or stop it with :meth:`cancel`: either way, once it returns, nothing
    of it runs any more and whatever it created is open (taken) or cleaned up (cancelled).
    """

    #: the record its preparation fills in, as :meth:`Run.prepare` would
    record: PrepareRecord

    def __init__(
        self, run: Run, needs: Needs, overrides: Overrides | None, record: PrepareRecord
    ) -> None:
        self.record = record
        self._run = run
        self._needs = needs
        self._overrides = overrides
        #: its preparation, once it started (read by :meth:`Run.request_stop`)
        self.preparation: Preparation | None = None
        self._prepared: Prepared | None = None
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(
            target=self._work, name="pytest-warmup-background", daemon=True
        )

    def __repr__(self) -> str:
        return f"<Pending {self.record.scope_id}>"

    def begin(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether its thread still runs (batches, or the cleanup after a stop)."""
        return self._thread.is_alive()

    def _work(self) -> None:
        if self._cancelled:
            return
        run = self._run
        try:
            self._prepared = _prepare(
                self._needs,
                self._overrides,
                self.record,
                run.max_workers,
                run._loop,
                pool=run._pool,
                on_close=run._forget,
                on_start=self._started,
                notify=self._tell,
            )
        except BaseException as error:  # raised again by result(); cleaned up already
            self._error = error

    def _started(self, preparation: Preparation) -> None:
        self.preparation = preparation

    def _tell(self, message: str) -> None:
        if not self._cancelled:  # a cancel is the caller's to tell about
            notify = self._run._notify
            (notify or tell_stderr)(message)

    def wait(self) -> None:
        """Wait for it to end, leaving its result to :meth:`result` or :meth:`cancel`.
        :meth:`Run.request_stop` stops it while this waits."""
        run = self._run
        run._waiting = self
        try:
            self._thread.join()
        finally:
            run._waiting = None

    @property
    def stopped(self) -> bool:
        """Whether it ended with an interrupt (what it created is cleaned up)."""
        error = self._error
        return not self._thread.is_alive() and error is not None and is_interrupt(error)

    def result(self) -> Prepared:
        """Wait for it to end; its :class:`Prepared`, open as from :meth:`Run.prepare` (errors
        are raised as :meth:`Run.prepare` raises them). :meth:`Run.request_stop` stops it
        while this waits, as it stops a preparation of the calling thread."""
        self.wait()
        run = self._run
        run._pending.remove(self)
        if self._error is not None:
            raise self._error
        assert self._prepared is not None, "a preparation without error has a result"
        run._open[self._prepared] = None
        return self._prepared

    def cancel(self, *, keep: str | None = None) -> list[tuple[str, BaseException]]:
        """Start no more batches, wait for the running ones, and clean up everything it
        created (or, with ``keep``, the reason, leave it in place). Returns the cleanup errors;
        an interrupt raised by a cleanup is raised again once all of it ran."""
        self._cancelled = True
        asked = False
        while self._thread.is_alive():
            preparation = self.preparation
            if preparation is not None and not asked:
                asked = preparation.request_stop()
            self._thread.join(_CANCEL_CHECK_SECONDS)
        if self in self._run._pending:
            self._run._pending.remove(self)
        prepared = self._prepared
        if prepared is None:  # never started, or stopped: what it created is cleaned up
            if asked and isinstance(self._error, KeyboardInterrupt):
                self.record.error = None  # stopped by this cancel, which is no failure
            return []
        if keep is not None:
            prepared.keep(keep)
            return []
        return prepared.close()


#: how often a cancel asks a preparation that had not started yet to stop
_CANCEL_CHECK_SECONDS = 0.02


def prepare(
    needs: Needs,
    *,
    overrides: OverridesArgument = None,
    max_workers: int = 1,
    name: str = "prepare",
) -> Prepared:
    """Prepare what ``needs`` lists (consumer id -> requirements), in one preparation.

    ``max_workers`` independent batches run at the same time (1: one after the other, in a
    deterministic order). ``name`` labels the record and messages. Close the result, or use it
    in a ``with`` block, to clean up. See :meth:`Run.prepare` for ``overrides`` and errors.
    """
    _check_workers(max_workers)
    record = PrepareRecord(name=name, scope="session", scope_id=name)
    # No event loop given: one starts for async plan methods and stops when they are done.
    return _prepare(needs, overrides, record, max_workers, None)


def _prepare(
    needs: Needs,
    overrides: OverridesArgument,
    record: PrepareRecord,
    max_workers: int,
    loop: EventLoopThread | None,
    pool: ThreadPoolExecutor | None = None,
    on_close: Callable[[Prepared], object] | None = None,
    on_start: Callable[[Preparation], object] | None = None,
    notify: Callable[[str], object] | None = None,
    progress: Callable[[PrepareRecord, Progress], object] | None = None,
    batch_times: BatchTimes | None = None,
    graphs: GraphCache | None = None,
) -> Prepared:
    preparation: Preparation | None = None
    began = time.perf_counter()
    tell = None if progress is None else _told(progress, record)
    told = False  # "begin" was told: "done" is told too, however it ends
    try:
        instances, runtime, presets = _build(needs, overrides, record, graphs)
        planned = None
        if graphs is not None and batch_times is not None and presets is None:
            planned = _replayable(graphs, batch_times, record, instances)
        preparation = Preparation(
            instances,
            runtime,
            max_workers=max_workers,
            loop=loop,
            pool=pool,
            notify=notify,
            progress=tell,
            began=began,
            batch_times=batch_times,
            planned=planned,
        )
        if presets is not None:
            preparation.adopt(presets)
        if on_start is not None:
            on_start(preparation)
        if tell is not None:
            tell(Progress("begin", node_count=sum(1 for node in instances if not node.is_resolved)))
            told = True
        preparation.run()
    except BaseException as exc:
        record.error = exc
        if preparation is not None:  # what run() cleaned up before raising
            record.cleanup_errors = preparation.cleanup_errors
        raise
    finally:
        record.duration_ms = round((time.perf_counter() - began) * 1000, 3)
        if tell is not None and told:
            tell(Progress("done", duration_ms=record.duration_ms))
    return Prepared(record, preparation, on_close)


def _replayable(
    graphs: GraphCache, batch_times: BatchTimes, record: PrepareRecord, instances: Instances
) -> list[PlannedBatch] | None:
    """The batches to hand out again (:class:`~._scheduler.Replay`) when this preparation is
    one of many alike: one consumer, a small graph seen before, nothing overridden, and plans
    whose batches end quickly (they run one after the other, as they would anyway)."""
    graph, consumers, order = record.graph, record.roots.consumer_ids, instances.order
    if graph is None or len(graph.nodes) > GraphCache.SMALL:
        return None  # a broad producer's graph: prepared once or a few times
    if not consumers or consumers.count(consumers[0]) != len(consumers):
        return None
    if len(order) != len(graph.nodes) or any(node.is_resolved for node in order):
        return None
    if not all(batch_times.quick(node.requirement.owner_plan) for node in graph.nodes):
        return None
    return graphs.planned(graph, order)


def _told(
    progress: Callable[[PrepareRecord, Progress], object], record: PrepareRecord
) -> Callable[[Progress], object]:
    def tell(event: Progress) -> object:
        return progress(record, event)

    return tell


def _build(
    needs: Needs,
    overrides: OverridesArgument,
    record: PrepareRecord,
    graphs: GraphCache | None = None,
) -> tuple[Instances, WarmupRuntime, list[WarmupNode] | None]:
    """Roots, graph, overrides chosen and checked, instances, overrides applied: everything
    before the first batch. Returns the instances, the runtime, and the overridden instances
    when the overrides are owned (their cleanup is this preparation's)."""
    roots = _as_roots(needs)
    record.roots = roots
    if not record.consumers:
        record.consumers = tuple(dict.fromkeys(roots.consumer_ids))
    graph = (
        normalise(roots.requirements) if graphs is None else graphs.normalise(roots.requirements)
    )
    record.graph = graph
    try:
        chosen = overrides(graph) if callable(overrides) else overrides
        if chosen is not None:
            _checked(chosen)
        local = _local_nodes(graph, roots, chosen) if chosen else []
    except BaseException:
        # The record still shows what would have been prepared (reports, templates).
        record.instances = instantiate(graph, roots)
        raise
    record.instances = instances = instantiate(graph, roots, local=local)
    record.runtime = runtime = WarmupRuntime(record.scope, record.consumers)
    presets = None
    if chosen:
        record.overrides, applied = _apply(instances, runtime, chosen)
        if chosen.owned:
            presets = applied
    return instances, runtime, presets


def _checked(overrides: object) -> Overrides:
    if not isinstance(overrides, Overrides):
        raise WarmupError(
            f"overrides must be an Overrides(shared=..., local=...), or a function of the graph "
            f"that returns one, got {type(overrides).__name__}"
        )
    for name in ("shared", "given", "failed"):
        if not isinstance(getattr(overrides, name), Mapping):
            raise WarmupError(
                f"Overrides.{name} must map requirements to "
                f"{'errors' if name == 'failed' else 'values'}, got "
                f"{type(getattr(overrides, name)).__name__}"
            )
    for requirement, error in overrides.failed.items():
        if not isinstance(error, BaseException):
            raise WarmupError(
                f"Overrides.failed maps requirements to exceptions, got {error!r} for "
                f"{describe(requirement)}"
            )
    local = overrides.local
    if not isinstance(local, Mapping) or not all(
        isinstance(consumer, str) and isinstance(values, Mapping)
        for consumer, values in local.items()
    ):
        raise WarmupError(
            f"Overrides.local must map consumer ids to {{requirement: value}}, got {local!r}"
        )
    return overrides


def _check_workers(max_workers: object) -> None:
    if type(max_workers) is not int or max_workers < 1:
        raise WarmupError(f"max_workers must be a whole number of at least 1, got {max_workers!r}")


def _as_roots(needs: Needs) -> RootTable:
    if isinstance(needs, RootTable):
        for consumer, requirement in zip(needs.consumer_ids, needs.requirements, strict=True):
            if not isinstance(requirement, WarmupRequirement):
                raise _not_needed_requirement(consumer, requirement)
        return needs
    if not isinstance(needs, Mapping):
        raise WarmupError(
            f"needs must map consumer ids to requirements, got {type(needs).__name__}"
        )
    roots = RootTable()
    for consumer, requirements in needs.items():
        if not isinstance(consumer, str):
            raise WarmupError(f"consumer ids must be strings, got {consumer!r}")
        if isinstance(requirements, WarmupRequirement):
            requirements = (requirements,)  # one requirement counts as a list of one
        elif not isinstance(requirements, Iterable) or isinstance(requirements, (str, bytes)):
            raise WarmupError(
                f"consumer '{consumer}' needs must be a list of requirements, got "
                f"{type(requirements).__name__}"
            )
        for requirement in requirements:
            if not isinstance(requirement, WarmupRequirement):
                raise _not_needed_requirement(consumer, requirement)
            roots.append(consumer, "", "", "", requirement)
    return roots


def _not_needed_requirement(consumer: str, requirement: object) -> WarmupError:
    return WarmupError(
        f"consumer '{consumer}' needs {requirement!r}, which is not a WarmupRequirement; list "
        "the objects that plan.require(...) returned"
    )


def _node_of(graph: Graph, requirement: object, role: str) -> GraphNode:
    if not isinstance(requirement, WarmupRequirement):
        raise WarmupError(
            f"{role}: overrides are keyed by WarmupRequirement objects, got {requirement!r}"
        )
    node = graph.by_requirement.get(requirement)
    if node is None:
        raise WarmupError(
            f"{role} {describe(requirement)} is not needed by any consumer of this preparation; "
            "override only what is prepared"
        )
    return node


def _local_nodes(
    graph: Graph, roots: RootTable, overrides: Overrides
) -> list[tuple[GraphNode, str]]:
    """Check ``overrides`` against the graph and the consumers' needs; the shared nodes that
    need a consumer-local instance, in order (consumer, then graph order)."""
    for role, requirements in (
        ("shared override", overrides.shared),
        ("given value", overrides.given),
        ("failed requirement", overrides.failed),
    ):
        for requirement in requirements:
            node = _node_of(graph, requirement, role)
            if node.per_test:
                raise WarmupError(
                    f"{role} {describe(requirement)} targets a per-test requirement; "
                    "override it for each consumer under local instead"
                )
    needs: dict[str, list[WarmupRequirement]] = {}
    for consumer, requirement in zip(roots.consumer_ids, roots.requirements, strict=True):
        needs.setdefault(consumer, []).append(requirement)
    order = {node: index for index, node in enumerate(graph.nodes)}
    local: list[tuple[GraphNode, str]] = []
    for consumer in sorted(overrides.local):
        if consumer not in needs:
            raise WarmupError(
                f"override for consumer '{consumer}', which needs nothing in this preparation; "
                f"its consumers are {', '.join(map(repr, needs)) or 'none'}"
            )
        reached = reachable(needs[consumer])
        role = f"override for consumer '{consumer}' of"
        nodes = []
        for requirement in overrides.local[consumer]:
            node = _node_of(graph, requirement, role)
            if requirement not in reached:
                raise WarmupError(f"{role} {describe(requirement)}: that consumer does not need it")
            nodes.append(node)
        nodes.sort(key=order.__getitem__)
        local.extend((node, consumer) for node in nodes if not node.per_test)
    return local


def _apply(
    instances: Instances, runtime: WarmupRuntime, overrides: Overrides
) -> tuple[dict[str, Any], list[WarmupNode]]:
    """Preset the overridden instances, before any batch: what the record shows for them, and
    the instances."""
    graph = instances.graph
    order = {node: index for index, node in enumerate(graph.nodes)}
    shown: dict[str, Any] = {"shared": {}, "tests": {}}
    presets: list[WarmupNode] = []
    for node, value in sorted(
        ((graph.by_requirement[r], v) for r, v in overrides.shared.items()),
        key=lambda item: order[item[0]],
    ):
        instances.shared[node].preset(value)
        presets.append(instances.shared[node])
        runtime.record(f"override_shared:{node.label}")
        shown["shared"][node.label] = value
    for requirement, value in overrides.given.items():
        node = graph.by_requirement[requirement]
        instances.shared[node].preset(value)
        instances.shared[node].given = True
        runtime.record(f"given_shared:{node.label}")
    for requirement, error in overrides.failed.items():
        node = graph.by_requirement[requirement]
        instances.shared[node].preset_failure(error)
        instances.shared[node].given = True
        runtime.record(f"failed_elsewhere:{node.label}:{type(error).__name__}")
    for consumer in sorted(overrides.local):
        for node, value in sorted(
            ((graph.by_requirement[r], v) for r, v in overrides.local[consumer].items()),
            key=lambda item: order[item[0]],
        ):
            instance = instances.per_test[(node, consumer)]  # _local_nodes checked it
            instance.preset(value)
            presets.append(instance)
            runtime.record(f"override_test:{consumer}:{node.label}")
            shown["tests"].setdefault(consumer, {})[node.label] = value
    return (overrides.raw if overrides.raw is not None else shown), presets
