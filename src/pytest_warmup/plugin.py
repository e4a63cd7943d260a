"""pytest hooks, options and the ``warmup_mgr`` fixture: thin glue over the plugin's modules.

Options become a frozen :class:`~pytest_warmup._settings.Settings` at configure time; the run's
state is one :class:`~pytest_warmup._session.WarmupSession` in ``config.stash``.

pytest loads this module in every run, also in runs whose tests never use pytest-warmup: it
imports only what options and the header need. The engine and the steps of a run are loaded
when the run turns out to use them (:attr:`~pytest_warmup._session.WarmupSession.active`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import types
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from ._display import CATALOG_KEY, header_lines, show_progress, write_summary
from ._session import SESSION_KEY, WarmupSession, session_of
from ._settings import DEFAULT_MAX_WORKERS, INTEGER_INI, Settings, worker_count
from ._snapshot_options import check_target_spec, given
from .errors import WarmupError

if TYPE_CHECKING:
    from ._binding import Binding
    from ._producer import WarmupManager

__all__: list[str] = []


def snapshot_file(value: str) -> str:
    """argparse type for ``--warmup-snapshot``: an existing file (empty = not given)."""
    if given(value) and not Path(value.strip()).is_file():
        if Path(value.strip()).is_dir():
            raise argparse.ArgumentTypeError(
                f"expected a snapshot file, got the directory {value!r}"
            )
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


def graph_file(value: str) -> str:
    """argparse type for ``--warmup-graph``: a file path whose suffix names a format."""
    from ._diagrams import GRAPH_SUFFIXES  # loaded only by runs that ask for a graph

    value = output_file(value)
    if given(value) and Path(value).suffix.lower() not in GRAPH_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"expected a path ending in {', '.join(GRAPH_SUFFIXES)} (Mermaid, Mermaid in "
            f"Markdown, Graphviz DOT, HTML page), got {value!r}"
        )
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "pytest-warmup", "pytest-warmup: batch preparation of expensive test resources"
    )
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
        type=INTEGER_INI,
        default=DEFAULT_MAX_WORKERS if INTEGER_INI == "int" else str(DEFAULT_MAX_WORKERS),
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
        "--warmup-save",
        dest="warmup_save",
        type=output_file,
        default=None,
        metavar="PATH",
        help="write a snapshot with every value the run prepared and keep those resources, to "
        "reuse them with --warmup-snapshot PATH",
    )
    group.addoption(
        "--warmup-save-on-fail",
        dest="warmup_save_on_fail",
        type=output_file,
        default=None,
        metavar="PATH",
        help="when a producer fails, write a snapshot with every value it had already prepared "
        "and keep those resources",
    )
    group.addoption(
        "--warmup-clean-snapshot",
        dest="warmup_clean_snapshot",
        action="store_true",
        default=False,
        help="clean up the resources the snapshot values stand for, as if this run had created "
        "them (ends a --warmup-save round trip)",
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
    group.addoption(
        "--warmup-graph",
        dest="warmup_graph",
        type=graph_file,
        default=None,
        metavar="PATH",
        help="write the selected graph of every producer instance, overridden and failed "
        "nodes marked: Mermaid (.mmd, or .md for Markdown), Graphviz DOT (.dot), or one "
        "self-contained HTML page with a timeline of the batches (.html)",
    )
    group.addoption(
        "--warmup-plan",
        dest="warmup_plan",
        action="store_true",
        default=False,
        help="show what each producer would prepare (roots, batches in order, snapshot "
        "overrides) without calling any plan, fixture or test; like --setup-plan",
    )
    group.addoption(
        "--warmup-prefetch",
        dest="warmup_prefetch",
        action="store_true",
        default=None,
        help="prepare the next module's (or class's) instance of a producer in the background "
        "while the current one's tests run (default: ini warmup_prefetch; off under "
        "pytest-xdist)",
    )
    parser.addini(
        "warmup_prefetch", help="default for --warmup-prefetch", type="bool", default=False
    )
    parser.addini(
        "warmup_snapshot_strict",
        help="treat snapshot entries and scopes that match nothing as errors, not warnings",
        type="bool",
        default=False,
    )


#: what the xdist controller adds to each worker's ``workerinput``: the directory where the
#: workers of the run meet (:mod:`._sharing`), and the ``--dist`` mode (a worker's own
#: configuration says ``no``)
_RUN_DIRECTORY_KEY: Final = "pytest_warmup_run_directory"
_DIST_KEY: Final = "pytest_warmup_dist"


def pytest_configure(config: pytest.Config) -> None:
    settings = Settings.from_config(config)
    session = WarmupSession(config, settings)
    # Options that ask for pytest-warmup's work make the run use it, whatever it collects.
    option = config.option
    session.active = bool(
        settings.catalogs
        or settings.outputs
        or settings.preview
        or given(getattr(option, "warmup_snapshot", None))
        or getattr(option, "warmup_snapshot_for", None)
    )
    if settings.catalogs:
        # Imported here: runs without catalogs do not pay for the YAML machinery.
        from ._catalog_fixtures import catalog_plugin, load_run_catalog

        catalog = load_run_catalog(settings.catalogs, settings.rootpath)
        config.stash[CATALOG_KEY] = catalog
        session.resolve_catalog_id = catalog.requirement
        if catalog.producers or catalog.fixtures:
            config.pluginmanager.register(catalog_plugin(catalog), "warmup-catalog")
    config.stash[SESSION_KEY] = session
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _RUN_DIRECTORY_KEY in workerinput:  # an xdist worker
        from ._coordination import RunDirectory
        from ._sharing import Sharing

        session.active = True
        session.sharing = Sharing(
            RunDirectory(workerinput[_RUN_DIRECTORY_KEY]),
            workerinput["workerid"],
            int(workerinput.get("workercount", 1)),
            stealing=workerinput.get(_DIST_KEY) == "worksteal",
        )
    elif settings.prefetch and workerinput is None:  # under xdist, sharing prepares instead
        from ._prefetch import Prefetch

        session.prefetch = Prefetch(session)
    manager = config.pluginmanager
    if settings.preview:
        from ._preview import preview_plugin

        config.option.setuponly = True  # set up, never call, each test
        manager.register(preview_plugin(), "pytest-warmup-preview")
    if config.get_verbosity() >= 0 and not hasattr(config, "workerinput"):
        show_progress(session)  # an xdist worker's output is not shown
    manager.register(_run_plugin(session), "pytest-warmup-run")
    session.on_first_error(lambda: manager.register(_error_plugin(session), "pytest-warmup-errors"))


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session_of(session.config)
    if not state.active and not _uses_warmup(session.items):
        return  # nothing to prepare, check or tell
    state.activate()
    state.set_items(session.items)
    manager = session.config.pluginmanager
    if state.collected.binds_anything() and not manager.has_plugin(_SETUP_PLUGIN):
        # Only then is there something to check or tell in a test's setup: runs without
        # bindings spare every test that hook call.
        manager.register(_setup_plugin(state), _SETUP_PLUGIN)


def _uses_warmup(items: Sequence[pytest.Item]) -> bool:
    """Whether a collected test uses a producer (``warmup_mgr`` is in its fixture closure), or
    can bind a requirement: bindings come from ``warmup_param``, so none exists before its
    module is imported."""
    return _bindings_module() is not None or any(
        "warmup_mgr" in getattr(item, "fixturenames", ()) for item in items
    )


def _bindings_module() -> types.ModuleType | None:
    """:mod:`pytest_warmup._binding`, once something imported it (``warmup_param`` lives
    there: until then no callable carries a binding)."""
    return sys.modules.get(f"{__package__}._binding")


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    if items:
        session_of(items[0].config).add_deselected(items)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    state = session_of(request.config)
    state.enter_setup(fixturedef, request)
    # A bound fixture's wrapper reads its request and injector from here (set_caller).
    binding = _bindings_module()
    bound = binding is not None and bool(binding.bindings_of(fixturedef.func))
    if bound:
        from ._injection import inject

        previous = binding.set_caller(fixturedef.func, request, inject)  # type: ignore[union-attr]
    try:
        return (yield)
    except WarmupError as error:
        state.error_raised(error)
        raise
    finally:
        if bound:
            binding.set_caller(fixturedef.func, previous, inject)  # type: ignore[union-attr]
        state.leave_setup()


def pytest_sessionstart(session: pytest.Session) -> None:
    session_of(session.config).start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = session_of(config)
    if not state.active:
        return
    from ._outputs import WORKER_OUTPUT_KEY, end_run, worker_part

    if state.sharing is not None:
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        state.sharing.finish_worker(state, wait=not interrupted)
    if state.finish_all():
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes and checks
        workeroutput[WORKER_OUTPUT_KEY] = worker_part(state)
        return
    usage_error = end_run(state, check_targets=not state.settings.collect_only)
    if usage_error and session.exitstatus in (0, 1, 5):
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(SESSION_KEY, None)
    if state is not None:
        try:
            state.finish_late()
        finally:
            if state.run_directory is not None:
                shutil.rmtree(state.run_directory.path, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """The xdist controller starts a worker: tell it where the workers of this run meet."""
    state = session_of(node.config)
    state.activate()  # it merges the parts its workers send
    if state.run_directory is None:
        from ._coordination import RunDirectory

        uid = str(node.workerinput.get("testrunuid", ""))[:12]
        state.run_directory = RunDirectory(tempfile.mkdtemp(prefix=f"pytest-warmup-{uid}-"))
    node.workerinput[_RUN_DIRECTORY_KEY] = str(state.run_directory.path)
    node.workerinput[_DIST_KEY] = str(getattr(node.config.option, "dist", ""))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    from ._outputs import WORKER_OUTPUT_KEY, add_worker_part

    state = session_of(node.config)
    part = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    worker = node.gateway.id
    add_worker_part(state, worker, part)
    directory = state.run_directory
    if directory is not None and part is None:  # it crashed: nobody will clean up after it
        from ._sharing import leftovers

        directory.gone(worker)
        lines = leftovers(directory, worker)
        if lines:
            state.record.problems.append(
                f"xdist worker {worker} went down before cleaning up what it had created; "
                "these resources were not cleaned up (delete them by hand):\n" + "\n".join(lines)
            )


def pytest_report_header(config: pytest.Config) -> list[str]:
    return header_lines(session_of(config))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = session_of(terminalreporter.config)
    if state.active:
        write_summary(terminalreporter, state)


# Hooks that run for every test are plain functions rather than wrappers (on suites of thousands
# of tests, the generator a wrapper costs is measurable with benchmarks/bench_overhead.py). They
# live in plugin modules made at configure time, which close over the run's session and can be
# registered only when needed: every hook implementation costs pytest a call for every test.

_SETUP_PLUGIN = "pytest-warmup-setup"


def _run_plugin(session: WarmupSession) -> types.ModuleType:
    """The ``warmup_mgr`` fixture of a run, and its hook at an interrupt.

    ``warmup_mgr`` needs no ``request``: every test under a producer has it in its fixture
    closure, and pytest does work per test for each fixture there and for each of their
    dependencies.
    """

    @pytest.fixture(scope="session")
    def warmup_mgr() -> WarmupManager:
        """Call ``warmup_mgr.use(*plans).prepare()`` in a producer fixture; return its result."""
        from ._producer import WarmupManager

        session.activate()  # a fixture may ask for it by getfixturevalue()
        return WarmupManager(session)

    def interrupted() -> None:
        """The run was interrupted: hold further interrupts until all is cleaned up (pytest
        tells this hook no config: it closes over its run's session)."""
        session.interrupts.hold()

    plugin = types.ModuleType("pytest_warmup.run", "pytest-warmup's fixtures of a run.")
    vars(plugin).update(warmup_mgr=warmup_mgr, pytest_keyboard_interrupt=interrupted)
    return plugin


def _setup_plugin(session: WarmupSession) -> types.ModuleType:
    """The setup hook of a run's bound tests (registered after collection when a test or a
    fixture is bound)."""
    from ._binding import bindings_of, set_caller
    from ._injection import inject

    @pytest.hookimpl(trylast=True, specname="pytest_runtest_setup")
    def after_fixtures(item: pytest.Item) -> None:
        """After the fixtures are set up: a test binding an unknown catalog id, or needing a
        node that failed, errors in setup, as a failing fixture would. A bound test's wrapper
        learns which item it runs for (set_caller)."""
        function = getattr(item, "obj", None)
        bindings = bindings_of(function)
        try:
            session.check_catalog_ids(item, bindings)
            if not bindings:
                return
            set_caller(function, item, inject)
            # Under xdist a test's per-test nodes are prepared when it needs them: here, in
            # its setup, so that a failed one errors there as without workers.
            if session.node_failures_seen or session.sharing is not None:
                _check_node_failures(session, item, bindings)
        except WarmupError as error:
            session.error_raised(error)
            raise

    plugin = types.ModuleType("pytest_warmup.setup", "pytest-warmup's setup hook of a run.")
    # pytest only looks at names that start with "pytest_" (specname gives the hook).
    vars(plugin).update(pytest_runtest_setup_after_fixtures=after_fixtures)
    return plugin


def _error_plugin(session: WarmupSession) -> types.ModuleType:
    """The hook that shows WarmupErrors in test reports, registered when a run raises its
    first one (WarmupSession.error_raised)."""
    from ._error_display import report_plugin_errors  # runs without errors never load it

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
    def makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
        return report_plugin_errors(session, item, call)

    plugin = types.ModuleType("pytest_warmup.errors", "pytest-warmup's report of its errors.")
    vars(plugin).update(pytest_runtest_makereport=makereport)
    return plugin


def _check_node_failures(
    session: WarmupSession, item: pytest.Item, bindings: tuple[Binding, ...]
) -> None:
    from ._injection import producer_for_item

    prepared = producer_for_item(item, bindings, session)
    if prepared is None:
        return
    plans = prepared.record.plans
    for binding in bindings:
        try:
            requirement = session.requirement_of(binding)
        except WarmupError:
            continue  # lookup problems are the call phase's to report
        if plans is not None and requirement.owner_plan not in plans:
            continue  # never prepared for this binding: the call phase says so
        if session.sharing is None:
            error = prepared.failure(requirement, item.nodeid)
        else:
            error = session.sharing.failure(session, prepared, requirement, item)
        if error is not None:
            raise error
