"""Runs the batches of one preparation through the plans, records what happened, cleans up.

The scheduler (:mod:`._scheduler`) hands out batches in dependency order: a plan gets all its
pending instances at once as soon as they are all ready, so each plan is called once per
preparation whenever the graph allows it. Independent batches run at the same time, up to
``max_workers``; with one worker everything runs in the calling thread in a deterministic order.
``async def`` plan methods run on an event loop the caller owns (:class:`EventLoopThread`).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any, Final, Literal, final

if TYPE_CHECKING:
    import asyncio

from ._declarations import ValueT, WarmupPlan, describe
from ._graph import Instances
from ._nodes import WarmupNode
from ._scheduler import Batch, PlannedBatch, Replay, Scheduler
from ._slots import map_slots, slot_members
from .errors import NodeFailedError, WarmupError

__all__ = [
    "BatchReport",
    "EventLoopThread",
    "Preparation",
    "Progress",
    "WarmupRuntime",
    "failure_of",
    "tell_stderr",
]


@dataclass(frozen=True)
class BatchReport:
    """One call of a plan: which nodes, when it started and how long it took."""

    plan: str
    """The plan's name."""
    node_count: int
    """How many nodes the call received."""
    runtime_keys: tuple[str, ...]
    """The ``runtime_key`` of each node, in the order the plan received them."""
    duration_ms: float
    """How long the call took, in milliseconds (wall time)."""
    started_ms: float = 0.0
    """When the plan call started, in milliseconds after the preparation began."""
    waits: tuple[int, ...] = ()
    """The earlier reports (their positions) of the batches this one waited on: those that
    prepared its nodes' dependencies, and its plan's batch before it (a plan runs one batch
    at a time unless it declares ``concurrent_chunks``)."""


@dataclass(frozen=True)
class Progress:
    """What a preparation reports as it goes, in the thread that called it.

    ``begin``: it starts preparing ``node_count`` instances; ``start`` and ``end``: a batch of
    ``plan`` (``failed``: its nodes that failed); ``wait``: batches run in other threads, about
    ten times a second; ``done``: it ended (or stopped) after ``duration_ms``.
    """

    kind: Literal["begin", "start", "end", "wait", "done"]
    plan: str = ""
    node_count: int = 0
    duration_ms: float = 0.0
    failed: int = 0


@final
class EventLoopThread:
    """An asyncio event loop running in a daemon thread, for ``async def`` plan methods."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, awaitable: Any) -> Any:
        """Run ``awaitable`` to completion on the loop and return its result."""
        loop = self._ensure_loop()
        import asyncio  # only plans with async methods need the loop

        return asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), loop).result()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                import asyncio

                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=_serve, args=(loop,), name="pytest-warmup-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    # A task raising KeyboardInterrupt or SystemExit stores it on its future and re-raises it
    # out of run_forever. Keep serving, so the waiting caller receives it instead of hanging.
    while True:
        try:
            loop.run_forever()
        except BaseException:
            continue
        return


async def _as_coroutine(awaitable: Any) -> Any:
    return await awaitable


@final
class WarmupRuntime:
    """What ``prepare(nodes, runtime)`` receives: the producer's context and a trace.

    ``set(node, value)`` and ``set_exception(node, exc)`` are the older spelling of
    ``node.set_value`` / ``node.set_exception``.
    """

    def __init__(self, producer_scope: str, selected_test_ids: Sequence[str]) -> None:
        self.producer_scope = producer_scope
        """The producer's pytest scope name (``"module"``, ...); the engine's own kind elsewhere."""
        self.selected_test_ids = tuple(selected_test_ids)
        """The node ids of the tests (consumers) the producer covers, in run order."""
        self.trace: list[str] = []
        """Engine events in order; plans may append their own strings."""
        self.batch_reports: list[BatchReport] = []
        """One :class:`~pytest_warmup.engine.BatchReport` per plan call, in completion order."""
        self._active_batches = 0
        self._lock = threading.Lock()

    def set(self, node: WarmupNode[ValueT], value: ValueT) -> None:
        """Complete ``node`` with ``value``."""
        self._check(node, "set")
        node.set_value(value)

    def set_exception(self, node: WarmupNode, exc: BaseException) -> None:
        """Record that preparing ``node`` failed."""
        self._check(node, "set_exception")
        node.set_exception(exc)

    def record(self, event: str) -> None:
        """Append ``event`` to :attr:`trace` (thread-safe)."""
        with self._lock:
            self.trace.append(event)

    def _check(self, node: WarmupNode, operation: str) -> None:
        if self._active_batches == 0:
            raise WarmupError(
                f"runtime.{operation}(...) may only be used during active plan.prepare(...)"
            )
        if not isinstance(node, WarmupNode) or not node._active:
            key = getattr(node, "runtime_key", repr(node))
            raise WarmupError(
                f"runtime operation targets unknown node '{key}' outside active batch"
            )


_PREPARE_TAKES_RUNTIME: dict[type, bool] = {}


def _prepare_takes_runtime(plan: WarmupPlan) -> bool:
    """Whether ``plan.prepare`` accepts a second positional argument (the 0.1.6 style)."""
    cls = type(plan)
    known = _PREPARE_TAKES_RUNTIME.get(cls)
    if known is None:
        try:
            parameters = list(inspect.signature(plan.prepare).parameters.values())
        except (TypeError, ValueError):  # builtins without a signature: call the simple form
            parameters = []
        positional = [
            p
            for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        known = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in positional)
        _PREPARE_TAKES_RUNTIME[cls] = known
    return known


_SIGNAL_CHECK_SECONDS: Final = 0.1
"""How long the thread that waits for batches may take to notice an interrupt."""

FORCE_QUIT: Final = "Ctrl-\\ or kill -9 quits at once and leaves it behind"
"""What quits at once, leaving what was created behind."""

#: a plan whose last batch ended within this time runs its next batch in the calling thread
#: when that batch is the only one to run: handing a batch to a worker thread and back costs
#: tens of microseconds, more than a quick plan call (function-scoped producers make thousands)
QUICK_BATCH_SECONDS: Final = 0.005


@final
class BatchTimes:
    """How long each plan's last batch took, over every preparation of a run (a plan's first
    calls pay for imports and warm-up: its last batch says more about the next one)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[WarmupPlan, float] = {}  # one store per batch: threads need no lock

    def add(self, plan: WarmupPlan, seconds: float) -> None:
        self._last[plan] = seconds

    def quick(self, plan: WarmupPlan) -> bool:
        """The last batch of ``plan`` ended within :data:`QUICK_BATCH_SECONDS`."""
        last = self._last.get(plan)
        return last is not None and last < QUICK_BATCH_SECONDS


@final
class _Flag:
    """A :class:`threading.Event` that starts set and makes the real one when first cleared
    (set it again without holding a lock only after a clear that happened under one): most
    preparations are never interrupted, and thousands of them make one each."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event: threading.Event | None = None

    def is_set(self) -> bool:
        return self._event is None or self._event.is_set()

    def set(self) -> None:
        if self._event is not None:
            self._event.set()

    def clear(self) -> None:
        if self._event is None:
            self._event = threading.Event()
        else:
            self._event.clear()

    def wait(self, timeout: float) -> bool:
        return self._event is None or self._event.wait(timeout)


@final
class Preparation:
    """Prepares every pending instance of an :class:`~pytest_warmup._graph.Instances`.

    Stopping (an interrupt: Ctrl-C, or :meth:`request_stop`) never loses what a plan creates:
    the first request stops scheduling and waits for the running batches; a second one stops
    waiting, and the batches still running are cleaned up when the last of them ends, in its
    thread, together with everything else (cleanup still goes newest batch first). With one
    worker the batches run in the calling thread, where a second interrupt stops the plan at
    whatever it was doing; what it had completed is cleaned up.
    """

    def __init__(
        self,
        instances: Instances,
        runtime: WarmupRuntime,
        *,
        max_workers: int = 1,
        loop: EventLoopThread | None = None,
        pool: ThreadPoolExecutor | None = None,
        notify: Callable[[str], object] | None = None,
        progress: Callable[[Progress], object] | None = None,
        began: float | None = None,
        batch_times: BatchTimes | None = None,
        planned: Sequence[PlannedBatch] | None = None,
    ) -> None:
        self.instances = instances
        self.batch_times = BatchTimes() if batch_times is None else batch_times
        """How long the run's batches took so far, per plan (see :class:`BatchTimes`)."""
        self.planned = planned
        """The batches an earlier preparation of instances built the same way ran (Replay)."""
        self.began = time.perf_counter() if began is None else began
        """When the preparation began (``time.perf_counter()``): batch start times count from it."""
        self._pool = pool  # the caller's worker threads (a Run's), else one of its own
        self.runtime = runtime
        self.max_workers = max(1, max_workers)
        self._loop = loop
        self._own_loop = loop is None
        self._notify = notify or tell_stderr
        self._progress = progress
        self.cleaned_count = 0
        """Instances handed to the plans' cleanup, and those left in place (kept)."""
        self.kept_count = 0
        self.completed: list[Batch] = []
        """Completed batches in completion order; cleanup walks them backwards."""
        self.cleanup_errors: list[tuple[str, BaseException]] = []
        """(plan name, error) for every cleanup that raised."""
        self._phase = "new"  # "running", "cleaning", "done"
        self._stopping = False
        self._in_place: Batch | None = None  # a quick batch running in the calling thread
        # Batches are tracked by the threads that run them, under this lock, so that an
        # interrupt at any point of the calling thread loses none.
        self._lock = threading.Lock()
        self._unfinished: dict[Batch, None] = {}  # handed out, not ended
        self._started: set[Batch] = set()
        self._abandoned = False  # nobody waits for the unfinished batches any more
        self._cleanup_due = False  # cleanup was asked for while batches still ran
        self._cleaned = False
        self._settled = _Flag()  # nothing runs, and cleanup (once due) is done
        # which report prepared each instance, and each plan's last report (BatchReport.waits)
        self._report_of: dict[WarmupNode, int] = {}
        self._last_report_of_plan: dict[str, int] = {}

    # -- scheduling -----------------------------------------------------------------------------

    def run(self) -> None:
        """Prepare every pending instance. Node failures are recorded on the nodes.

        An interrupt stops the run (see the class): what was created is cleaned up before the
        interrupt propagates, or when the last batch still running ends.
        """
        order = self.instances.order
        scheduler = Scheduler(order) if self.planned is None else Replay(order, self.planned)
        self._phase = "running"
        try:
            if self.max_workers == 1:
                self._run_inline(scheduler)
            else:
                self._run_pooled(scheduler)
        except BaseException:
            # A second interrupt, wherever it landed (a signal may even land where no except
            # clause of the loop sees it): stop waiting for what still runs.
            self._phase = "cleaning"
            self._abandon()
            self.cleanup()
            raise
        finally:
            self._phase = "done"
            if self._own_loop and self.settled:
                self._close_own_loop()

    def request_stop(self) -> bool:
        """Start no more batches: :meth:`run` raises ``KeyboardInterrupt`` once the running
        ones end. For a signal handler of the thread that called :meth:`run` (it takes no
        lock). Returns whether the run takes care of stopping; ``False`` when it is not running
        or already stopping, and interrupting it is up to the caller."""
        if self._phase == "cleaning":
            self._notify("cleaning up what was created; the run stops right after")
            return True
        if self._phase == "running" and self._stopping and self._in_place is not None:
            # A batch running in this very thread cannot be left to end on its own: it ends
            # first (a plan interrupted in place could leave what it was creating behind).
            self._notify(
                f"the batch of plan '{self._in_place.plan.name}' runs in pytest's thread: it "
                f"ends first, then what was created is cleaned up ({FORCE_QUIT})"
            )
            return True
        if self._phase != "running" or self._stopping:
            return False
        self._stopping = True
        running = list(self._unfinished)
        if running:
            self._notify(
                f"interrupted: no new batch starts; waiting for {_batches(running)} to end, "
                f"so that what {'it creates' if len(running) == 1 else 'they create'} is "
                "cleaned up (interrupt again to stop waiting)"
            )
        return True

    @property
    def settled(self) -> bool:
        """No batch of this preparation runs, and its cleanup, once asked for, is done."""
        return self._settled.is_set()

    def wait_settled(self) -> None:
        """Wait until the batches still running after an interrupt ended and were cleaned up."""
        # Python runs a signal handler in the main thread only between two bytecodes: a wait
        # without a timeout would hold a Ctrl-C that came to another thread, or just before
        # the wait began, until the batches end (and the handler says what goes on).
        while not self._settled.wait(_SIGNAL_CHECK_SECONDS):
            pass

    def _run_inline(self, scheduler: Scheduler | Replay) -> None:
        while not self._stopping:
            batches = scheduler.take(running=0, limit=1)
            if not batches:
                return
            (batch,) = batches
            self._unfinished[batch] = None
            self._tell("start", batch)
            self._run_batch(batch, None)
            self._finish(scheduler, batch)
            if batch.interrupt is not None:
                raise batch.interrupt
        raise KeyboardInterrupt

    def _run_pooled(self, scheduler: Scheduler | Replay) -> None:
        ended: SimpleQueue[Batch] = SimpleQueue()
        pool = self._pool or ThreadPoolExecutor(
            self.max_workers, thread_name_prefix="pytest-warmup"
        )
        try:
            try:
                stop = self._schedule(scheduler, pool, ended)
            except BaseException as interrupt:  # Ctrl-C in this thread; the batches run on
                if self._stopping:
                    raise  # the second one: run() stops waiting
                stop = interrupt
            if stop is None and not self._stopping:
                return
            self.request_stop()
            self._drain(scheduler, ended)
            raise stop if stop is not None else KeyboardInterrupt()
        finally:
            if pool is not self._pool:
                pool.shutdown(wait=False)  # a batch that never started: see _run_batch

    def _schedule(
        self, scheduler: Scheduler | Replay, pool: ThreadPoolExecutor, ended: SimpleQueue[Batch]
    ) -> BaseException | None:
        """Start batches as they become ready until none is left, or until a stop is
        requested; returns what interrupted a plan, if one was."""
        # Handed out and not completed in the scheduler yet: a batch that ended but waits in
        # ``ended`` still counts, or the scheduler would think nothing runs and start a partial
        # batch that waiting for it would have made whole.
        running = 0
        while not self._stopping:
            batches = scheduler.take(running=running, limit=self.max_workers - running)
            if not running and len(batches) == 1 and self.batch_times.quick(batches[0].plan):
                # The only batch to run, of a plan whose last batch ended quickly: run it
                # here. An interrupt does not stop it in place (request_stop): it ends first.
                (batch,) = batches
                with self._lock:
                    self._unfinished[batch] = None
                self._tell("start", batch)
                self._in_place = batch
                try:
                    self._run_batch(batch, None)
                finally:
                    self._in_place = None
                self._finish(scheduler, batch)
                if batch.interrupt is not None:
                    return batch.interrupt
                continue
            for batch in batches:
                with self._lock:
                    self._unfinished[batch] = None
                self._tell("start", batch)
                pool.submit(self._run_batch, batch, ended)
                running += 1
            done = self._next_ended(ended)
            if done is None:
                return None
            running -= 1
            self._finish(scheduler, done)
            if done.interrupt is not None:
                return done.interrupt
        return None

    def _drain(self, scheduler: Scheduler | Replay, ended: SimpleQueue[Batch]) -> None:
        """Wait for the batches still running (an interrupt here goes to run())."""
        while True:
            batch = self._next_ended(ended)
            if batch is None:
                return
            self._finish(scheduler, batch)

    def _next_ended(self, ended: SimpleQueue[Batch]) -> Batch | None:
        """The next batch to end, or ``None`` when none is running any more."""
        while True:
            with self._lock:
                if not self._unfinished and ended.empty():
                    return None
            try:
                # A signal that comes just before a blocking get() would wait for the next
                # batch to end: wake up now and then to handle it.
                return ended.get(timeout=_SIGNAL_CHECK_SECONDS)
            except Empty:
                if self._progress is not None:
                    self._progress(Progress("wait"))

    def _run_batch(self, batch: Batch, ended: SimpleQueue[Batch] | None) -> None:
        """Run ``batch`` and track it (in the thread that runs it)."""
        with self._lock:
            if self._abandoned:  # it never started: _abandon forgot it
                return
            self._started.add(batch)
        try:
            batch.interrupt = self._execute(batch)
        except BaseException as error:  # a bug of ours: stop as for an interrupt
            batch.interrupt = error
        finally:
            with self._lock:
                self.completed.append(batch)
                del self._unfinished[batch]
                if ended is not None and not self._abandoned:
                    ended.put(batch)
                last = not self._unfinished and not self._settled.is_set()
                clean_now = last and self._cleanup_due and not self._cleaned
            if self._abandoned:
                self._record_exceptions(batch)
            if clean_now:
                try:
                    self._clean()
                finally:
                    self._settled.set()
            elif last:
                self._settled.set()

    def _abandon(self) -> None:
        """Stop waiting: the batches still running are cleaned up when the last one ends."""
        with self._lock:
            self._abandoned = True
            for batch in [b for b in self._unfinished if b not in self._started]:
                del self._unfinished[batch]  # never started, never will
            late = list(self._unfinished)
            if late:
                self._settled.clear()
        if late:
            they = "it ends" if len(late) == 1 else "they end"
            self._notify(
                f"stopped waiting: what {_batches(late)} create{'s' if len(late) == 1 else ''} "
                f"is cleaned up when {they}, before the process exits"
            )

    def _execute(self, batch: Batch) -> BaseException | None:
        """Run one plan call; return an interrupting ``BaseException`` instead of raising it."""
        plan, nodes = batch.plan, batch.nodes
        for node in nodes:
            node.deps = map_slots(node.dependencies, _value_of)
            node._active = True
        with self.runtime._lock:
            self.runtime._active_batches += 1
        batch.started = time.perf_counter()
        interrupt: BaseException | None = None
        try:
            if _prepare_takes_runtime(plan):
                result = plan.prepare(nodes, self.runtime)
            else:
                result = plan.prepare(nodes)
            if inspect.isawaitable(result):
                self._event_loop().run(result)
        except Exception as exc:
            for node in nodes:
                if not node.is_resolved:
                    node.record_exception(exc)
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: stop after bookkeeping
            interrupt = exc
        finally:
            seconds = time.perf_counter() - batch.started
            duration = seconds * 1000
            self.batch_times.add(plan, seconds)
            with self.runtime._lock:
                self.runtime._active_batches -= 1
            for node in nodes:
                node._active = False
        if interrupt is None:
            for node in nodes:
                if not node.is_resolved:
                    node.record_exception(
                        WarmupError(
                            f"plan '{plan.name}' did not set a value or exception for "
                            f"requirement {describe(node.requirement)}, node "
                            f"'{node.runtime_key}'; complete every node it receives"
                        )
                    )
        batch.created = [node for node in nodes if node.created]
        self._report(batch, duration)
        return interrupt

    def _report(self, batch: Batch, duration_ms: float) -> None:
        """Add the :class:`BatchReport` of a batch that ended."""
        plan, nodes = batch.plan, batch.nodes
        report_of = self._report_of
        with self._lock:
            reports = self.runtime.batch_reports
            index = len(reports)
            waits = {
                report_of[dependency]
                for node in nodes
                if node.dependencies
                for dependency in slot_members(node.dependencies)
                if dependency in report_of
            }
            for node in nodes:
                report_of[node] = index
            if plan.concurrent_chunks is not True and plan.name in self._last_report_of_plan:
                waits.add(self._last_report_of_plan[plan.name])
            self._last_report_of_plan[plan.name] = index
            reports.append(
                BatchReport(
                    plan=plan.name,
                    node_count=len(nodes),
                    runtime_keys=tuple([node.runtime_key for node in nodes]),
                    duration_ms=round(duration_ms, 3),
                    started_ms=round((batch.started - self.began) * 1000, 3),
                    waits=tuple(sorted(waits)),
                )
            )

    def _tell(self, kind: Literal["start", "end"], batch: Batch) -> None:
        if self._progress is None:
            return
        if kind == "start":
            self._progress(Progress(kind, batch.plan.name, len(batch.nodes)))
            return
        failed = sum(1 for node in batch.nodes if node.has_exception)
        duration = (time.perf_counter() - batch.started) * 1000 if batch.started else 0.0
        self._progress(Progress(kind, batch.plan.name, len(batch.nodes), duration, failed))

    def _finish(self, scheduler: Scheduler | Replay, batch: Batch) -> None:
        self._tell("end", batch)
        self._record_exceptions(batch)
        # A replayed batch that turned out slow: a Scheduler takes over, so that independent
        # batches run side by side again.
        hand_over = isinstance(scheduler, Replay) and not self.batch_times.quick(batch.plan)
        for blocked in scheduler.complete(batch.nodes, hand_over=hand_over):
            self.runtime.record(f"blocked:{blocked.runtime_key}")

    def _record_exceptions(self, batch: Batch) -> None:
        for node in batch.nodes:
            if node.has_exception:
                self.runtime.record(f"exception:{node.runtime_key}:{type(node.exception).__name__}")

    def _event_loop(self) -> EventLoopThread:
        with self._lock:  # batches of several threads may ask at once
            if self._loop is None:
                self._loop = EventLoopThread()
            return self._loop

    def _close_own_loop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()

    # -- teardown -------------------------------------------------------------------------------

    def cleanup(self) -> list[tuple[str, BaseException]]:
        """Call ``plan.cleanup`` for what each batch created, newest batch first.

        Runs once; returns ``(plan name, error)`` for every cleanup that raised, whatever it
        raised: an interrupt (see :func:`~._declarations.is_interrupt`) is among them, for the
        caller to raise again once everything else is cleaned up. While batches still run
        after an interrupt, the last of them to end runs the cleanup, in its thread; this
        returns nothing then (see :attr:`cleanup_errors` once :attr:`settled`).
        """
        with self._lock:
            if self._cleaned or self._cleanup_due:
                return []
            if self._unfinished:
                self._cleanup_due = True
                self._settled.clear()
                return []
            self._cleaned = True
        return self._clean()

    def _clean(self) -> list[tuple[str, BaseException]]:
        with self._lock:
            self._cleaned = True
            completed = list(self.completed)
        errors = self.cleanup_errors
        for batch in reversed(completed):
            if not batch.created or not batch.plan.has_cleanup():
                continue
            try:
                result = batch.plan.cleanup(batch.created)
                if inspect.isawaitable(result):
                    self._event_loop().run(result)
            except BaseException as exc:  # pytest.fail, Ctrl-C: the other batches first
                errors.append((batch.plan.name, exc))
            self.cleaned_count += len(batch.created)
            self.runtime.record(f"cleanup:{batch.plan.name}:{len(batch.created)}")
        if self._own_loop:
            self._close_own_loop()
        return errors

    @property
    def created_count(self) -> int:
        return sum(len(batch.created) for batch in self.completed)

    def leave(self, nodes: Collection[WarmupNode], reason: str) -> int:
        """Take ``nodes`` out of the cleanup: what they stand for stays. Returns how many of
        them this preparation had created."""
        left = 0
        with self._lock:
            for batch in self.completed:
                remaining = [node for node in batch.created if node not in nodes]
                left += len(batch.created) - len(remaining)
                if batch.plan.has_cleanup():
                    self.kept_count += len(batch.created) - len(remaining)
                batch.created = remaining
        if left:
            self.runtime.record(f"keep:{left} left in place ({reason})")
        return left

    def keep_all(self) -> int:
        """Count what cleanup would have received as kept (cleanup is skipped for good).
        Returns how many instances the plans created."""
        with self._lock:
            self.kept_count += sum(
                len(batch.created) for batch in self.completed if batch.plan.has_cleanup()
            )
        return self.created_count

    def adopt(self, nodes: Sequence[WarmupNode]) -> None:
        """Clean ``nodes`` up as if this preparation had created them (they hold values it was
        given), after everything it did create."""
        by_plan: dict[WarmupPlan, list[WarmupNode]] = {}
        for node in nodes:
            by_plan.setdefault(node.requirement.owner_plan, []).append(node)
        with self._lock:
            self.completed[:0] = [
                Batch(plan, group, list(group)) for plan, group in by_plan.items()
            ]


def tell_stderr(message: str) -> None:
    """How an interrupted preparation tells the user what it does, by default."""
    print(f"pytest-warmup: {message}", file=sys.stderr, flush=True)


def _batches(batches: Sequence[Batch]) -> str:
    plans = sorted({batch.plan.name for batch in batches})
    count = f"{len(batches)} running batch" + ("" if len(batches) == 1 else "es")
    names = ", ".join(f"'{name}'" for name in plans)
    return f"{count} (plan{'' if len(plans) == 1 else 's'} {names})"


def _value_of(node: WarmupNode) -> Any:
    return node.value


def failure_of(node: WarmupNode) -> NodeFailedError | None:
    """The error a test needing ``node`` gets, or ``None`` when the node has its value."""
    if node.has_exception:
        original = node.exception
        error = NodeFailedError(
            f"warmup requirement {_name(node)} failed: {type(original).__name__}: {original}"
        )
        error.__cause__ = original
        return error
    failed = node.blocked_by
    if failed is not None:
        original = failed.exception
        error = NodeFailedError(
            f"warmup requirement {_name(node)} was not prepared because dependency "
            f"{_name(failed)} failed: {type(original).__name__}: {original}"
        )
        error.__cause__ = original
        return error
    return None


def _name(node: WarmupNode) -> str:
    return describe(node.requirement)
