"""Runs the batches of one preparation through the plans, records what happened, cleans up.

The scheduler (:mod:`._scheduler`) hands out batches in dependency order: a plan gets all its
pending instances at once as soon as they are all ready, so each plan is called once per
preparation whenever the graph allows it. Independent batches run at the same time, up to
``max_workers``; with one worker everything runs in the calling thread in a deterministic order.
``async def`` plan methods run on an event loop the caller owns (:class:`EventLoopThread`).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    import asyncio

from ._declarations import WarmupPlan, describe
from ._graph import Instances
from ._nodes import WarmupNode
from ._scheduler import Batch, Scheduler
from ._slots import map_slots
from .errors import NodeFailedError, WarmupError

__all__ = [
    "BatchReport",
    "EventLoopThread",
    "Preparation",
    "WarmupRuntime",
    "failure_of",
]


@dataclass(frozen=True)
class BatchReport:
    """One call of a plan: which nodes, how long."""

    plan: str
    node_count: int
    runtime_keys: tuple[str, ...]
    duration_ms: float


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
        self.selected_test_ids = tuple(selected_test_ids)
        #: engine events in order; plans may append their own strings
        self.trace: list[str] = []
        self.batch_reports: list[BatchReport] = []
        self._active_batches = 0
        self._lock = threading.Lock()

    def set(self, node: WarmupNode, value: Any) -> None:
        """Complete ``node`` with ``value``."""
        self._check(node, "set")
        node.set_value(value)

    def set_exception(self, node: WarmupNode, exc: BaseException) -> None:
        """Record that preparing ``node`` failed."""
        self._check(node, "set_exception")
        node.set_exception(exc)

    def record(self, event: str) -> None:
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


@final
class Preparation:
    """Prepares every pending instance of an :class:`~pytest_warmup._graph.Instances`."""

    def __init__(
        self,
        instances: Instances,
        runtime: WarmupRuntime,
        *,
        max_workers: int = 1,
        loop: EventLoopThread | None = None,
    ) -> None:
        self.instances = instances
        self.runtime = runtime
        self.max_workers = max(1, max_workers)
        self._loop = loop
        self._own_loop = loop is None
        #: completed batches in completion order; cleanup walks them backwards
        self.completed: list[Batch] = []
        #: (plan name, error) for every cleanup that raised
        self.cleanup_errors: list[tuple[str, BaseException]] = []
        self._cleaned = False

    # -- scheduling -----------------------------------------------------------------------------

    def run(self) -> None:
        """Prepare every pending instance. Node failures are recorded on the nodes.

        A ``BaseException`` (KeyboardInterrupt) stops the run: what was created is cleaned up
        before it propagates.
        """
        scheduler = Scheduler(self.instances.order)
        try:
            if self.max_workers == 1:
                self._run_inline(scheduler)
            else:
                self._run_pooled(scheduler)
        except BaseException:
            self.cleanup()
            raise
        finally:
            if self._own_loop and self._loop is not None:
                self._loop.close()
                self._loop = None

    def _run_inline(self, scheduler: Scheduler) -> None:
        while True:
            batches = scheduler.take(running=0, limit=1)
            if not batches:
                break
            for batch in batches:
                self._finish(scheduler, batch, self._execute(batch))

    def _run_pooled(self, scheduler: Scheduler) -> None:
        running: dict[Future[BaseException | None], Batch] = {}
        pool: ThreadPoolExecutor | None = None
        try:
            while True:
                free = self.max_workers - len(running)
                batches = scheduler.take(running=len(running), limit=free)
                if len(batches) == 1 and not running:
                    # Nothing to overlap with: no thread hop for the common one-plan case.
                    self._finish(scheduler, batches[0], self._execute(batches[0]))
                    continue
                for batch in batches:
                    if pool is None:
                        pool = ThreadPoolExecutor(
                            self.max_workers, thread_name_prefix="pytest-warmup"
                        )
                    running[pool.submit(self._execute, batch)] = batch
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    self._finish(scheduler, running.pop(future), future.result())
        except BaseException:
            # Let the batches already running finish, so what they create is cleaned up.
            for future, batch in running.items():
                future.cancel()
                if not future.cancelled():
                    _result_or_error(future)  # wait: what it creates must be cleaned up
                    self._finish(scheduler, batch, None)
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)

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
            duration = (time.perf_counter() - batch.started) * 1000
            with self.runtime._lock:
                self.runtime._active_batches -= 1
            for node in nodes:
                node._active = False
        if interrupt is None:
            for node in nodes:
                if not node.is_resolved:
                    node.record_exception(
                        WarmupError(
                            f"plan '{plan.name}' did not set a value or exception for node "
                            f"'{node.runtime_key}'"
                        )
                    )
        batch.created = [node for node in nodes if node.created]
        self.runtime.batch_reports.append(
            BatchReport(
                plan=plan.name,
                node_count=len(nodes),
                runtime_keys=tuple(node.runtime_key for node in nodes),
                duration_ms=round(duration, 3),
            )
        )
        return interrupt

    def _finish(self, scheduler: Scheduler, batch: Batch, interrupt: BaseException | None) -> None:
        self.completed.append(batch)
        for node in batch.nodes:
            if node.has_exception:
                self.runtime.record(f"exception:{node.runtime_key}:{type(node.exception).__name__}")
        for blocked in scheduler.complete(batch.nodes):
            self.runtime.record(f"blocked:{blocked.runtime_key}")
        if interrupt is not None:
            raise interrupt

    def _event_loop(self) -> EventLoopThread:
        if self._loop is None:
            self._loop = EventLoopThread()
        return self._loop

    # -- teardown -------------------------------------------------------------------------------

    def cleanup(self) -> list[tuple[str, BaseException]]:
        """Call ``plan.cleanup`` for what each batch created, newest batch first.

        Runs once; returns ``(plan name, error)`` for every cleanup that raised, whatever it
        raised: an interrupt (see :func:`~._declarations.is_interrupt`) is among them, for the
        caller to raise again once everything else is cleaned up.
        """
        if self._cleaned:
            return []
        self._cleaned = True
        errors = self.cleanup_errors
        for batch in reversed(self.completed):
            if not batch.created or not batch.plan.has_cleanup():
                continue
            try:
                result = batch.plan.cleanup(batch.created)
                if inspect.isawaitable(result):
                    self._event_loop().run(result)
            except BaseException as exc:  # pytest.fail, Ctrl-C: the other batches first
                errors.append((batch.plan.name, exc))
            self.runtime.record(f"cleanup:{batch.plan.name}:{len(batch.created)}")
        if self._own_loop and self._loop is not None:
            self._loop.close()
            self._loop = None
        return errors

    @property
    def created_count(self) -> int:
        return sum(len(batch.created) for batch in self.completed)


def _result_or_error(future: Future[BaseException | None]) -> BaseException | None:
    try:
        return future.result()
    except BaseException as exc:
        return exc


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
