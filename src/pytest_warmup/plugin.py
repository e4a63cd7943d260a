"""pytest hooks, options and the ``warmup_mgr`` fixture: thin glue over :mod:`.session`."""

from __future__ import annotations

import argparse
import os
import traceback
import types
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .binding import Binding, bindings_of, set_caller
from .errors import NodeFailedError, WarmupError
from .resolution import producer_for_item
from .session import (
    SESSION_KEY,
    SHOWN_AS_MESSAGE,
    WORKER_OUTPUT_KEY,
    WarmupManager,
    WarmupSession,
)
from .snapshots import check_target_spec, given, parse_targets

__all__: list[str] = []

DEFAULT_MAX_WORKERS = 4


def worker_count(value: str) -> int:
    """argparse type for ``--warmup-workers``: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1 (1 = strictly sequential), got {value!r}"
        )
    return number


def snapshot_file(value: str) -> str:
    """argparse type for ``--warmup-snapshot``: an existing file (empty = not given)."""
    if given(value) and not Path(value.strip()).is_file():
        raise argparse.ArgumentTypeError(f"snapshot file does not exist: {value!r}")
    return value


def snapshot_target(value: str) -> str:
    """argparse type for ``--warmup-snapshot-for``: ``SNAPSHOT_ID=PATH`` naming an existing file."""
    try:
        return check_target_spec(value)
    except WarmupError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def output_file(value: str) -> str:
    """argparse type for the debug outputs: a file path, not a directory."""
    if given(value) and Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"expected a file path, got the directory {value!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pytest-warmup", "batch preparation of expensive test resources")
    group.addoption(
        "--warmup-workers",
        dest="warmup_workers",
        type=worker_count,
        default=None,
        metavar="N",
        help="prepare up to N independent plan batches at the same time "
        f"(default: ini warmup_max_workers, else {DEFAULT_MAX_WORKERS}; 1 = sequential)",
    )
    group.addoption(
        "--warmup-keep",
        dest="warmup_keep",
        action="store_true",
        default=None,
        help="keep prepared resources: skip the plans' cleanup (for debugging)",
    )
    parser.addini(
        "warmup_max_workers",
        help=f"default for --warmup-workers (default {DEFAULT_MAX_WORKERS})",
        default=str(DEFAULT_MAX_WORKERS),
    )
    parser.addini("warmup_keep", help="default for --warmup-keep", type="bool", default=False)
    group.addoption(
        "--warmup-snapshot",
        dest="warmup_snapshot",
        type=snapshot_file,
        default=None,
        metavar="PATH",
        help="override prepared values from a snapshot bundle (JSON, or YAML by .yaml/.yml), "
        "one section per producer scope id",
    )
    group.addoption(
        "--warmup-snapshot-for",
        dest="warmup_snapshot_for",
        type=snapshot_target,
        action="append",
        default=[],
        metavar="SNAPSHOT_ID=PATH",
        help="override the values of the producer that calls prepare(snapshot_id=SNAPSHOT_ID) "
        "from one snapshot fragment (repeatable)",
    )
    group.addoption(
        "--warmup-export-template",
        dest="warmup_export_template",
        type=output_file,
        default=None,
        metavar="PATH",
        help="write a snapshot template (an empty entry per addressable node) to fill in and "
        "pass back with --warmup-snapshot; the run continues",
    )
    group.addoption(
        "--warmup-report",
        dest="warmup_report",
        type=output_file,
        default=None,
        metavar="PATH",
        help="write what every producer selected, built and ran: roots, nodes, instances, "
        "overrides, trace, batch timings, error",
    )
    group.addoption(
        "--warmup-save-on-fail",
        dest="warmup_save_on_fail",
        type=output_file,
        default=None,
        metavar="PATH",
        help="when a producer fails, write a snapshot with every value it had already prepared",
    )
    group.addoption(
        "--warmup-catalog",
        dest="warmup_catalog",
        action="append",
        default=[],
        metavar="PATH",
        help="load a warmup.yaml catalog (repeatable; a path or pkg:<package>/<file>); "
        "default: warmup.yaml in the rootdir",
    )
    # linelist, not paths: "pkg:..." entries are not file system paths.
    parser.addini(
        "warmup_catalogs",
        help="warmup.yaml catalogs to load, relative to the ini file (or pkg:<package>/<file>)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "warmup_snapshot_strict",
        help="treat snapshot entries and scopes that match nothing as errors, not warnings",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    workers = config.option.warmup_workers
    if workers is None:
        raw = config.getini("warmup_max_workers")
        try:
            workers = worker_count(str(raw))
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"ini option warmup_max_workers: {exc}") from None
    keep = config.option.warmup_keep
    if keep is None:
        keep = bool(config.getini("warmup_keep"))
    _check_debug_options(config)
    session = WarmupSession(
        config,
        max_workers=workers,
        keep=keep,
        strict_snapshots=bool(config.getini("warmup_snapshot_strict")),
    )
    if _catalogs_configured(config):
        # Imported here: runs without catalogs do not pay for the YAML machinery.
        from .catalog_fixtures import catalog_plugin, load_run_catalog

        catalog = load_run_catalog(config)
        session.resolve_catalog_id = catalog.requirement
        if catalog.producers or catalog.fixtures:
            config.pluginmanager.register(catalog_plugin(catalog), "warmup-catalog")
    config.stash[SESSION_KEY] = session
    manager = config.pluginmanager
    manager.register(_run_plugin(session), "pytest-warmup-run")
    manager.register(_setup_plugin(session), _SETUP_PLUGIN)

    def show_errors() -> None:
        manager.register(_error_plugin(), "pytest-warmup-errors")

    session.on_first_error(show_errors)


def _catalogs_configured(config: pytest.Config) -> bool:
    return bool(
        config.getini("warmup_catalogs")
        or config.option.warmup_catalog
        or (config.rootpath / "warmup.yaml").is_file()
    )


def _check_debug_options(config: pytest.Config) -> None:
    """Relations between options that argparse checks one by one."""
    try:
        parse_targets(config.option.warmup_snapshot_for)
    except WarmupError as exc:
        raise pytest.UsageError(str(exc)) from None
    flags: dict[Path, str] = {}
    for flag in ("--warmup-export-template", "--warmup-report", "--warmup-save-on-fail"):
        value = getattr(config.option, flag[2:].replace("-", "_"))
        if not given(value):
            continue
        path = Path(config.invocation_params.dir, value).resolve()
        if path in flags:
            raise pytest.UsageError(
                f"{flags[path]} and {flag} both write {value!r}; give each its own file"
            )
        flags[path] = flag


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[SESSION_KEY]
    state.set_items(session.items)
    manager = session.config.pluginmanager
    if not state.binds_anything() and manager.has_plugin(_SETUP_PLUGIN):
        # Nothing to check or tell in any test's setup: spare every test that hook call.
        manager.unregister(name=_SETUP_PLUGIN)


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    if items:
        items[0].config.stash[SESSION_KEY].add_deselected(items)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    state = request.config.stash[SESSION_KEY]
    state.enter_setup(fixturedef, request)
    # A bound fixture's wrapper reads its request from here (binding.set_caller).
    bound = bool(bindings_of(fixturedef.func))
    previous = set_caller(fixturedef.func, request) if bound else None
    try:
        return (yield)
    except WarmupError as error:
        state.error_raised(error)
        raise
    finally:
        if bound:
            set_caller(fixturedef.func, previous)
        state.leave_setup()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[SESSION_KEY]
    state.finish_all()
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes and checks
        workeroutput[WORKER_OUTPUT_KEY] = state.worker_output()
        return
    usage_error = state.end_run(check_targets=not config.option.collectonly)
    if usage_error and session.exitstatus in (0, 1, 5):
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    node.config.stash[SESSION_KEY].add_worker_output(node.gateway.id, output)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash[SESSION_KEY].summary
    if not lines:
        return
    red = any(error for _, error in lines)
    terminalreporter.write_sep("=", "pytest-warmup", red=red, yellow=not red)
    for text, error in lines:
        terminalreporter.line(text, red=error, yellow=not error)


# Hooks that run for every test are plain functions rather than wrappers (on suites of thousands
# of tests, the generator a wrapper costs is measurable with benchmarks/bench_overhead.py). They
# live in plugin modules made at configure time, which close over the run's session and can be
# registered only when needed: every hook implementation costs pytest a call for every test.

_SETUP_PLUGIN = "pytest-warmup-setup"


def _run_plugin(session: WarmupSession) -> types.ModuleType:
    """The ``warmup_mgr`` fixture of a run.

    ``warmup_mgr`` needs no ``request``: every test under a producer has it in its fixture
    closure, and pytest does work per test for each fixture there and for each of their
    dependencies.
    """

    @pytest.fixture(scope="session")
    def warmup_mgr() -> WarmupManager:
        """Call ``warmup_mgr.use(*plans).prepare()`` in a producer fixture; return its result."""
        return WarmupManager(session)

    plugin = types.ModuleType("pytest_warmup.run", "pytest-warmup's fixtures of a run.")
    vars(plugin).update(warmup_mgr=warmup_mgr)
    return plugin


def _setup_plugin(session: WarmupSession) -> types.ModuleType:
    """The setup hook of a run's bound tests (unregistered after collection when no test or
    fixture is bound)."""

    @pytest.hookimpl(trylast=True, specname="pytest_runtest_setup")
    def after_fixtures(item: pytest.Item) -> None:
        """After the fixtures are set up: a test binding an unknown catalog id, or needing a
        node that failed, errors in setup, as a failing fixture would. A bound test's wrapper
        learns which item it runs for (binding.set_caller)."""
        function = getattr(item, "obj", None)
        bindings = bindings_of(function)
        try:
            session.check_catalog_ids(item, bindings)
            if not bindings:
                return
            set_caller(function, item)
            if session.node_failures_seen:
                _check_node_failures(session, item, bindings)
        except WarmupError as error:
            session.error_raised(error)
            raise

    plugin = types.ModuleType("pytest_warmup.setup", "pytest-warmup's setup hook of a run.")
    # pytest only looks at names that start with "pytest_" (specname gives the hook).
    vars(plugin).update(pytest_runtest_setup_after_fixtures=after_fixtures)
    return plugin


def _error_plugin() -> types.ModuleType:
    """The hook that shows WarmupErrors in test reports, registered when a run raises its
    first one (WarmupSession.error_raised)."""
    plugin = types.ModuleType("pytest_warmup.errors", "pytest-warmup's report of its errors.")
    vars(plugin).update(pytest_runtest_makereport=_makereport)
    return plugin


@pytest.hookimpl(tryfirst=True)
def _makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A failure from a ``WarmupError`` that pytest-warmup raised is reported as its message,
    without plugin frames; every other report is left to pytest (``None``)."""
    excinfo = call.excinfo
    if excinfo is None or not isinstance(excinfo.value, WarmupError):
        return None
    if not vars(excinfo.value).get(SHOWN_AS_MESSAGE):
        return None  # raised by code that uses pytest-warmup: its traceback is the help
    report = pytest.TestReport.from_item_and_call(item, call)
    if report.failed:
        report.longrepr = WarmupErrorRepr.of(excinfo.value)  # type: ignore[assignment]
    return report


def _check_node_failures(
    session: WarmupSession, item: pytest.Item, bindings: tuple[Binding, ...]
) -> None:
    prepared = producer_for_item(item, bindings)
    if prepared is None:
        return
    for binding in bindings:
        try:
            prepared.value(session.requirement_of(binding), item.nodeid)
        except NodeFailedError:
            raise
        except WarmupError:
            continue  # lookup problems are the call phase's to report


@dataclass(frozen=True)
class _Crash:
    message: str
    path: str = ""
    lineno: int = 0


@dataclass(frozen=True)
class WarmupErrorRepr:
    """A WarmupError shown as its message, without the plugin's traceback.

    A chained exception from user code (a plan that raised) keeps its traceback below.
    """

    text: str
    reprcrash: _Crash

    @classmethod
    def of(cls, error: WarmupError) -> WarmupErrorRepr:
        message = str(error).splitlines() or [""]
        lines = [f"E   {type(error).__name__}: {message[0]}"]
        lines.extend(f"E   {line}" for line in message[1:])
        producer = vars(error).get("producer")
        if producer:
            lines.append(f"E   (raised while {producer} prepared)")
        cause = error.__cause__
        if cause is not None and not isinstance(cause, WarmupError):
            lines.append("")
            lines.append("The original exception:")
            lines.extend(_user_traceback(cause))
        return cls("\n".join(lines), _Crash(f"{type(error).__name__}: {message[0]}"))

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line, red=line.startswith("E "))

    def __str__(self) -> str:
        return self.text


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_traceback(error: BaseException) -> list[str]:
    """``error``'s traceback without pytest-warmup's own frames (they only relay the call)."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR)
    ]
    text = ["Traceback (most recent call last):", *traceback.format_list(frames)]
    text.extend(traceback.format_exception_only(type(error), error))
    return [line for chunk in text for line in chunk.rstrip("\n").splitlines()]
