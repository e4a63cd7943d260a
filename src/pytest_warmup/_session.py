"""The plugin's state for one pytest run: one :class:`WarmupSession` in ``config.stash``.

It holds the run's settings and engine run (with its run record), the collected tests, which
fixture is being set up (so ``warmup_mgr.use()`` knows its producer), the snapshot state, and
which errors pytest-warmup raised itself. The steps that use it live in their own modules:
preparing (:mod:`._producer`), injecting (:mod:`._injection`), the end of the run
(:mod:`._outputs`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, final

import pytest

from ._pytest_compat import uncaptured
from ._settings import Output, Settings
from ._snapshot_options import SnapshotState
from .errors import WarmupError

# The engine and the steps of a run are loaded when a run first needs them (see ``active``):
# pytest loads this plugin in every run, also in those whose tests never use it.
if TYPE_CHECKING:
    from ._binding import Binding
    from ._coordination import RunDirectory
    from ._declarations import WarmupPlan, WarmupRequirement
    from ._interrupts import Interrupts
    from ._items import Collected
    from ._nodes import WarmupNode
    from ._record import RunRecord
    from ._runtime import Progress
    from ._selection import TestState, TestView
    from ._sharing import Sharing
    from .engine import Prepared, PrepareRecord, Run

__all__ = ["SESSION_KEY", "WarmupSession", "session_of"]


@final
class WarmupSession:
    """Everything pytest-warmup knows about the current run."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        #: the run uses pytest-warmup: an option asks for its work, or a collected test uses
        #: a producer or a binding (until then only the options and the header are handled)
        self.active = False
        self._engine: Run | None = None
        self._interrupts: Interrupts | None = None
        self._collected: Collected | None = None
        self._progress: Callable[[PrepareRecord, Progress], object] | None = None
        self._started = False  # the pytest session started
        self.snapshots = SnapshotState()
        self._deselected: list[pytest.Item] = []
        self.producer_names: set[str] = set()
        self.resolve_catalog_id: Callable[[str], WarmupRequirement] | None = None
        #: (id of a collector, name) -> whether a fixture of that name is visible there
        self.fixture_visibility: dict[tuple[int, str], bool] = {}
        #: a prepare() of this run recorded a node failure (tests then check theirs in setup)
        self.node_failures_seen = False
        #: what xdist workers sent back, by worker id (the controller's side)
        self.worker_outputs: dict[str, dict[str, Any]] = {}
        #: xdist workers that went down without sending their part (a crash)
        self.lost_workers: list[str] = []
        #: an xdist worker's side of preparing shared resources once per run
        self.sharing: Sharing | None = None
        #: the controller's directory where its xdist workers meet
        self.run_directory: RunDirectory | None = None
        self._setups: list[tuple[pytest.FixtureDef[Any], pytest.FixtureRequest]] = []
        self._views: dict[tuple[pytest.FixtureDef[Any], tuple[WarmupPlan, ...]], TestView] = {}
        # The WarmupErrors pytest-warmup raised into tests itself (by id; kept alive so that
        # an id is not reused): reported as their message (plugin.py).
        self._raised: dict[int, WarmupError] = {}
        #: id of a failure's root (see _error_display) -> the test whose report shows it in full
        self.shown_in_full: dict[int, str] = {}
        # Registers the hook that shows those errors: called once, when the first one reaches
        # pytest, so that runs without any pay no hook per report.
        self._show_errors: Callable[[], object] | None = None
        #: the preparations whose cleanup errors were shown as a teardown error
        self._cleanup_shown: set[PrepareRecord] = set()

    # -- the parts made when first needed --------------------------------------------------------

    @property
    def engine(self) -> Run:
        """The run's engine (:class:`~pytest_warmup.engine.Run`)."""
        if self._engine is None:
            from .engine import Run

            self._engine = Run(max_workers=self.settings.max_workers, notify=self.say)
            self._engine.progress = self._progress
        return self._engine

    @property
    def record(self) -> RunRecord:
        """Every prepare() of this process, and what the end of the run adds."""
        return self.engine.record

    @property
    def interrupts(self) -> Interrupts:
        if self._interrupts is None:
            from ._interrupts import Interrupts

            self._interrupts = Interrupts(self.engine, self.say)
        return self._interrupts

    @property
    def collected(self) -> Collected:
        """The tests of the run (none before collection ends)."""
        if self._collected is None:
            from ._items import Collected

            self._collected = Collected()
        return self._collected

    def start(self) -> None:
        """The pytest session starts: a run that uses pytest-warmup handles SIGTERM now."""
        self._started = True
        if self.active:
            self.interrupts.start()

    def activate(self) -> None:
        """The run turns out to use pytest-warmup (after collection, or when a producer asks
        for ``warmup_mgr``): from here on its hooks do their work."""
        if not self.active:
            self.active = True
            if self._started:
                self.interrupts.start()

    def show_progress(self, tell: Callable[[PrepareRecord, Progress], object] | None) -> None:
        """Have ``tell`` called as preparations and their batches begin and end."""
        self._progress = tell
        if self._engine is not None:
            self._engine.progress = tell

    # -- what pytest tells us -------------------------------------------------------------------

    def set_items(self, items: Sequence[pytest.Item]) -> None:
        from ._items import Collected

        self._collected = Collected(items, self._deselected)
        self.fixture_visibility.clear()
        self._views.clear()

    def add_deselected(self, items: Iterable[pytest.Item]) -> None:
        """Tests filtered out by -k, -m, --deselect: not typos in snapshot files."""
        self._deselected.extend(items)
        self._views.clear()

    def enter_setup(self, fixturedef: pytest.FixtureDef[Any], request: Any) -> None:
        self._setups.append((fixturedef, request))

    def leave_setup(self) -> None:
        self._setups.pop()

    def current_setup(self) -> tuple[pytest.FixtureDef[Any], Any] | None:
        return self._setups[-1] if self._setups else None

    # -- errors ---------------------------------------------------------------------------------

    def on_first_error(self, show_errors: Callable[[], object]) -> None:
        """Call ``show_errors`` when the run's first WarmupError reaches pytest."""
        self._show_errors = show_errors

    def error_raised(self, error: WarmupError) -> WarmupError:
        """``error`` is about to reach pytest from one of pytest-warmup's steps: its report
        shows it as its message. Returns ``error``."""
        self._raised[id(error)] = error
        show_errors, self._show_errors = self._show_errors, None
        if show_errors is not None:
            show_errors()
        return error

    def raised_by_plugin(self, error: BaseException) -> bool:
        """Whether pytest-warmup raised ``error`` itself (not code that uses it)."""
        return self._raised.get(id(error)) is error

    # -- requirements ---------------------------------------------------------------------------

    def requirement_of(self, binding: Binding) -> WarmupRequirement:
        """The requirement a binding names (catalog ids resolve here)."""
        from ._declarations import WarmupRequirement

        if isinstance(binding.requirement, WarmupRequirement):
            return binding.requirement
        if self.resolve_catalog_id is None:
            raise WarmupError(
                f"unknown catalog requirement '{binding.requirement}'; no warmup catalog is "
                "loaded (pytest-warmup reads warmup.yaml in the rootdir, the warmup_catalogs "
                "ini option and --warmup-catalog PATH)"
            )
        return self.resolve_catalog_id(binding.requirement)

    def requirement_for(self, kind: str, name: str, binding: Binding) -> WarmupRequirement:
        """requirement_of() for a binding of test or fixture ``name``, which an unknown
        catalog id names in the error."""
        try:
            return self.requirement_of(binding)
        except WarmupError as error:
            raise WarmupError(
                f"{kind} '{name}' binds argument '{binding.argument_name}' to {error}"
            ) from None

    def check_catalog_ids(self, item: pytest.Item, own: tuple[Binding, ...]) -> None:
        """Fail ``item`` when one of its bindings (``own``: the test's) names a catalog id
        that no catalog declares."""
        from ._binding import names_catalog_id

        if not self.collected.fixtures_bound and not (own and names_catalog_id(own)):
            return  # the usual case: no fixture is bound, and the test names no catalog id
        sources = self.collected.record(item).sources
        if not any(names_catalog_id(bindings) for _, _, bindings in sources):
            return
        for kind, name, bindings in sources:
            for binding in bindings:
                self.requirement_for(kind, name, binding)

    def view(self, fixturedef: pytest.FixtureDef[Any], plans: tuple[WarmupPlan, ...]) -> TestView:
        """What the whole run knows about producer ``fixturedef`` preparing ``plans``."""
        key = (fixturedef, plans)
        view = self._views.get(key)
        if view is None:
            from ._selection import TestView

            view = self._views[key] = TestView(
                self.collected.all,
                fixturedef.argname,
                fixturedef,
                set(plans),
                self.requirement_of,
                complete=self.settings.complete,
                state_of=self._test_state(),
            )
        return view

    def _test_state(self) -> Callable[[str], TestState]:
        collected = {test.nodeid for test in self.collected.all}
        files = {nodeid.split("::", 1)[0] for nodeid in collected}
        narrowed, rootpath = self.settings.narrowed, self.settings.rootpath

        def state(test_id: str) -> TestState:
            """For a test id not using the producer: ``collected`` (it exists but does not
            use it), ``missing`` (no such test: a typo) or ``outside`` (its file exists but
            was not collected in this run)."""
            if test_id in collected:
                return "collected"
            file = test_id.split("::", 1)[0]
            if file in files and not narrowed:
                return "missing"
            if file and (rootpath / file).exists():
                return "outside"
            return "missing"

        return state

    # -- cleanup --------------------------------------------------------------------------------

    def finish(self, prepared: Prepared) -> None:
        """A producer's scope ended: clean up what its plans created (or keep it), but for the
        resources a file saved for reuse.

        Cleanup errors become a teardown error of the test that ended the producer's scope; an
        interrupt raised by a cleanup is raised again once all of it ran, and the errors go to
        the end of the run (:meth:`finish_all`).
        """
        record = prepared.record
        if self.settings.keep:
            prepared.keep("--warmup-keep")
            self.release(record)
            return
        with self.interrupts.cleaning():
            errors = self._close(prepared)
        if errors:
            self._cleanup_shown.add(record)
            from .engine import cleanup_error

            error = cleanup_error(record.description, errors)
        self.release(record)
        if errors:
            raise self.error_raised(error)

    def release(self, record: PrepareRecord) -> None:
        """A producer instance is finished with: keep what the run's outputs need of its
        record, as plain data, and let its instances and values go (:func:`._reports.release`).
        """
        if record.cleanup_errors and record not in self._cleanup_shown:
            return  # the end of the run reports them from the record
        from ._reports import release

        release(self.record, record, self.settings.outputs)

    def _close(self, prepared: Prepared) -> list[tuple[str, BaseException]]:
        """Close ``prepared``, but for the resources a file saved for reuse: say so."""
        saved, output = self._saved_for_reuse(prepared.record)
        errors = prepared.close(keep=saved, why=f"saved by {output.flag}" if output else "")
        kept = sum(1 for node in saved if not node.overridden)
        if kept and output is not None:
            path = output.given
            self.record.warn(
                f"{output.flag}: kept {kept} resource{'s' if kept > 1 else ''} of "
                f"{prepared.record.description} that {path!r} lists for reuse; use them with "
                f"--warmup-snapshot {path}, delete them with --warmup-snapshot {path} "
                "--warmup-clean-snapshot"
            )
        return errors

    def _saved_for_reuse(self, record: PrepareRecord) -> tuple[list[WarmupNode], Output | None]:
        """The instances whose values a file offers for reuse, and that file."""
        outputs = self.settings.outputs
        output = outputs.get("save")
        if output is None and record.status == "failed":
            output = outputs.get("save_on_fail")
        if output is None or record.saved is None or record.save_problem is not None:
            return [], None
        instances = record.instances or ()
        saved = [node for node in instances if node.public_id is not None and node.has_value]
        return saved, output

    def finish_all(self) -> bool:
        """The session finishes: clean up what is still open (an interrupted run), holding
        interrupts until everything is clean. Cleanup errors that no teardown error showed
        become problems of the run. Returns whether a cleanup raised an interrupt (raised
        again by nobody: the run is ending). Batches still running are :meth:`finish_late`'s."""
        from ._declarations import is_interrupt

        self.interrupts.hold()
        interrupted = False
        for prepared in self.engine.open():
            if self.settings.keep:
                prepared.keep("--warmup-keep")
                continue
            try:
                self._close(prepared)
            except BaseException as error:
                if not is_interrupt(error):
                    raise
                interrupted = True
        for message in self._unshown_cleanup_errors():
            self.record.problems.append(message)
        return interrupted

    def finish_late(self) -> None:
        """Wait for the batches an interrupt stopped waiting for: they clean up after
        themselves when they end. Then stop the engine and give back the signal handlers."""
        if self._engine is None:
            return  # nothing was ever prepared
        from ._declarations import is_interrupt
        from ._interrupts import FORCE_QUIT

        try:
            if not self.engine.settled:
                self.say(
                    "waiting for the batches still running to end, so that what they create "
                    f"is cleaned up before the run ends ({FORCE_QUIT})"
                )
            try:
                self.engine.close()
            except BaseException as error:
                if not is_interrupt(error):
                    raise
            for message in self._unshown_cleanup_errors():
                self.say(message)
        finally:
            self.interrupts.stop()

    def _unshown_cleanup_errors(self) -> list[str]:
        from .engine import cleanup_error

        messages = []
        for record in self.record.prepares:
            if record.cleanup_errors and record not in self._cleanup_shown:
                self._cleanup_shown.add(record)
                messages.append(str(cleanup_error(record.description, record.cleanup_errors)))
        return messages

    # -- the terminal ---------------------------------------------------------------------------

    def say(self, message: str) -> None:
        """Tell the user ``message`` now, on pytest's terminal (or stderr), past capturing."""
        line = f"pytest-warmup: {message}"
        try:
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            with uncaptured(self.config):
                if reporter is not None:
                    reporter.write_line(line, yellow=True)
                    reporter.flush()
                else:
                    print(line, file=sys.stderr, flush=True)
        except Exception:  # say() may run in a signal handler, in the middle of a write
            os.write(2, f"{line}\n".encode(errors="replace"))


SESSION_KEY = pytest.StashKey[WarmupSession]()


def session_of(config: pytest.Config) -> WarmupSession:
    return config.stash[SESSION_KEY]
