"""Ctrl-C and SIGTERM during a session of a :class:`~pytest_warmup.engine.Run` (a pytest run,
for the plugin): nothing a plan created is left behind.

While a session runs, SIGTERM (how CI systems cancel a job) is handled like Ctrl-C: the run
stops, what was created is cleaned up, the files are written, and pytest exits with status 2.
Around pytest-warmup's own steps, Ctrl-C does more than raise ``KeyboardInterrupt``:

- while a producer prepares, the first one lets the running batches end and starts no other
  (the engine says so on the terminal); the next one stops waiting
  (:meth:`~pytest_warmup.engine.Run.request_stop`);
- while pytest-warmup cleans up, and after an interrupt until everything is cleaned up, they
  are held: a line says what is going on, and a held one is raised once cleanup is done.

Handlers are installed in the main thread only, only over Python's default ones (or those of
an enclosing session, for pytester's in-process runs), and put back as they were when the
session ends. The SIGINT handler stays from the first preparation on (installing and restoring
it around each of thousands of per-test preparations costs more than they do); outside
pytest-warmup's steps it raises ``KeyboardInterrupt`` where the interrupt landed, as Python's
own handler does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, final

from ._runtime import FORCE_QUIT
from .engine import Run

__all__ = ["FORCE_QUIT", "Interrupts"]


@final
class Interrupts:
    """The signal handling of one pytest session (see the module)."""

    def __init__(self, engine: Run, say: Callable[[str], object]) -> None:
        self._engine = engine
        self._say = say
        self._previous: dict[int, Any] = {}  # signal -> the handler ours replaced
        self._sigint_users = 0  # windows that need our SIGINT handler
        self._cleaning = 0
        self._holding = False  # the run is ending: interrupts wait for the cleanup
        self._held = False  # an interrupt came while cleaning, to be raised afterwards

    # -- the session ----------------------------------------------------------------------------

    def start(self) -> None:
        """The session starts: SIGTERM stops it as Ctrl-C does."""
        self._install(signal.SIGTERM, signal.SIG_DFL)

    def stop(self) -> None:
        """The session ended: put back the handlers ours replaced."""
        for signum in list(self._previous):
            self._restore(signum)
        self._sigint_users = 0

    def hold(self) -> None:
        """The run ends (pytest saw an interrupt, or the session finishes): from now on hold
        interrupts while anything is left to clean up."""
        if not self._holding:
            self._holding = True
            self._use_sigint()

    @property
    def holding(self) -> bool:
        """Whether the run is ending after an interrupt (or at its end)."""
        return self._holding

    # -- pytest-warmup's steps ------------------------------------------------------------------

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """While a producer prepares: Ctrl-C first asks the engine to stop scheduling."""
        self._use_sigint()
        try:
            yield
        finally:
            self._release_sigint()

    @contextmanager
    def cleaning(self) -> Iterator[None]:
        """While pytest-warmup cleans up: interrupts are held, and the first is raised after."""
        self._use_sigint()
        self._cleaning += 1
        try:
            yield
        finally:
            self._cleaning -= 1
            self._release_sigint()
        if self._held and not self._cleaning:
            self._held = False
            self.hold()
            raise KeyboardInterrupt

    # -- the handler ----------------------------------------------------------------------------

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True  # pytest shows where the interrupt landed, not this frame
        what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        if self._cleaning or (self._holding and not self._engine.settled):
            self._held = self._held or not self._holding
            self._say(
                f"{what}: cleaning up what the plans created before the run ends ({FORCE_QUIT})"
            )
            return
        if signum == signal.SIGINT and not self._sigint_users:
            # Outside pytest-warmup's steps: as Python's own handler. Holding here would make
            # a KeyboardInterrupt that a test catches (one that tests a CLI's Ctrl-C) hold every
            # later Ctrl-C; pytest's interrupt hook holds them once the run really stops.
            raise KeyboardInterrupt
        if signum == signal.SIGTERM:
            self._say("SIGTERM: the run stops as on Ctrl-C, once what was created is cleaned up")
        if self._engine.request_stop():
            return
        self.hold()
        raise KeyboardInterrupt

    # -- installing handlers --------------------------------------------------------------------

    def _use_sigint(self) -> None:
        if self._sigint_users == 0 and signal.SIGINT not in self._previous:
            self._install(signal.SIGINT, signal.default_int_handler)
        self._sigint_users += 1

    def _release_sigint(self) -> None:
        self._sigint_users -= 1  # the handler stays until stop(): see the module

    def _install(self, signum: int, default: Any) -> None:
        """Handle ``signum``, if this is the main thread and its handler is ``default`` or
        another session's of ours."""
        if threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signum)
        ours = isinstance(getattr(current, "__self__", None), Interrupts)
        if current is not default and not ours:
            return  # someone else's: leave it alone
        self._previous[signum] = current
        signal.signal(signum, self._handle)

    def _restore(self, signum: int) -> None:
        previous = self._previous.pop(signum, None)
        if previous is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signum) == self._handle:  # unless someone replaced ours since
            signal.signal(signum, previous)
