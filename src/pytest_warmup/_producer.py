"""What a producer fixture does: ``warmup_mgr.use(*plans).prepare()``.

A producer instance selects the tests it covers and the roots they bind (:mod:`._selection`),
hands them to the engine (:class:`~pytest_warmup.engine.Run`) with its snapshot step as the
overrides chooser (:mod:`._overrides`), and registers its cleanup at the end of its scope.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import pytest

from ._declarations import WarmupPlan
from ._graph import Graph, RootTable, normalise
from ._preview import PreviewStop
from ._record import PrepareRecord
from ._reports import saved_section, template_section
from ._scopes import SCOPES, format_scope_id
from ._selection import covered, scope_ids_of, select_roots
from ._session import WarmupSession
from ._text import relative_path
from .engine import Overrides, Prepared
from .errors import WarmupError

if TYPE_CHECKING:
    from ._sharing import Sharing
    from ._snapshots import SnapshotInputs

__all__ = [
    "XDIST_UNSUPPORTED",
    "PrepareBuilder",
    "WarmupManager",
    "scope_id_of",
    "snapshot_step",
]

XDIST_UNSUPPORTED: Final = (
    "debug artifact outputs are not supported when pytest-xdist is active; disable "
    "--warmup-export-template/--warmup-report/--warmup-save-on-fail or run without xdist"
)


@final
class WarmupManager:
    """The ``warmup_mgr`` fixture: ``warmup_mgr.use(*plans).prepare()`` inside a producer."""

    def __init__(self, session: WarmupSession) -> None:
        self._session = session

    def use(self, *plans: WarmupPlan) -> PrepareBuilder:
        """Select the plans whose bound requirements this producer prepares."""
        for plan in plans:
            if not isinstance(plan, WarmupPlan):
                raise self._session.error_raised(
                    WarmupError(
                        f"warmup_mgr.use(...) takes WarmupPlan objects, got "
                        f"{type(plan).__name__}: {plan!r}"
                    )
                )
        setup = self._session.current_setup()
        if setup is None or setup[0].argname == "warmup_mgr":
            # called from a test or a teardown, where no setup hook of ours is running
            raise self._session.error_raised(
                WarmupError("warmup_mgr.use(...) must be called inside a producer fixture")
            )
        fixturedef, request = setup
        return PrepareBuilder(self._session, tuple(plans), fixturedef, request)


@final
class PrepareBuilder:
    """Returned by ``warmup_mgr.use(*plans)``; call :meth:`prepare` to run the batches."""

    def __init__(
        self,
        session: WarmupSession,
        plans: tuple[WarmupPlan, ...],
        fixturedef: pytest.FixtureDef[Any],
        request: Any,
    ) -> None:
        self._session = session
        self._plans = plans
        self._fixturedef = fixturedef
        self._setup_request = request

    def prepare(self, *, snapshot_id: str | None = None) -> Prepared:
        """Prepare the part of the graph the producer's tests need; return the prepared scope."""
        if snapshot_id is not None and (not isinstance(snapshot_id, str) or not snapshot_id):
            raise self._session.error_raised(
                WarmupError(f"snapshot_id must be a non-empty string, got {snapshot_id!r}")
            )
        return prepare_producer(
            self._session, self._plans, self._fixturedef, self._setup_request, snapshot_id
        )


def prepare_producer(
    session: WarmupSession,
    plans: tuple[WarmupPlan, ...],
    fixturedef: pytest.FixtureDef[Any],
    request: Any,
    snapshot_id: str | None,
) -> Prepared:
    """One producer instance prepares: select, hand to the engine, register the cleanup."""
    scope, name = request.scope, fixturedef.argname
    if scope not in SCOPES:
        raise WarmupError(f"unsupported producer scope '{scope}'")
    _check_can_report(session)
    session.producer_names.add(name)
    scope_id = scope_id_of(scope, request.node, fixturedef, session.settings.rootpath)
    prefetch = session.prefetch  # --warmup-prefetch: this instance may be prepared already
    record = None
    if prefetch is not None:
        record = prefetch.take(fixturedef, request.node, scope_id, plans, snapshot_id)
    if record is None:
        record = session.engine.new_record(
            name, scope=scope, scope_id=scope_id, snapshot_id=snapshot_id, kind="producer"
        )
    record.plans = plans
    try:
        option = session.config.option
        session.snapshots.use_options(
            getattr(option, "warmup_snapshot", None), getattr(option, "warmup_snapshot_for", [])
        )
        if snapshot_id is not None:
            session.snapshots.claim(snapshot_id, fixturedef, _describe_producer(fixturedef))
        tests = covered(session.collected.in_scope(scope, request.node), name, fixturedef)
        record.consumers = tuple([test.nodeid for test in tests])
        roots = select_roots(tests, set(plans), name, session.requirement_of)
        choose = snapshot_step(session, record, plans, fixturedef)
        if session.settings.preview:  # --warmup-plan: no plan is called
            session.engine.preview(roots, overrides=choose, record=record)
            raise PreviewStop(record.description)
        if session.sharing is not None and scope != "function":  # an xdist worker
            from ._sharing import shares

            graph = normalise(roots.requirements)
            if shares(graph):
                return _prepare_shared(
                    session, session.sharing, record, roots, graph, choose, request
                )
        with session.interrupts.preparing():
            if prefetch is not None:
                prepared = prefetch.prepare(record, roots, choose)
                record = prepared.record
            else:
                prepared = session.engine.prepare(roots, overrides=choose, record=record)
    except PreviewStop:
        raise
    except BaseException as exc:
        record.error = exc
        if isinstance(exc, WarmupError):
            session.error_raised(exc)
            if exc.producer is None:  # shown under the message: which producer was preparing
                exc.producer = record.description
        # What it created is cleaned up already: no value may be offered for reuse.
        _save(session, record, "save_on_fail", values=False)
        raise
    if record.status == "failed":
        session.node_failures_seen = True
    _save(session, record, "save" if record.status == "prepared" else "save_on_fail")
    request.addfinalizer(lambda: session.finish(prepared))
    if prefetch is not None:
        prefetch.prepared(fixturedef, request, plans, snapshot_id)
    return prepared


def _prepare_shared(
    session: WarmupSession,
    sharing: Sharing,
    record: PrepareRecord,
    roots: RootTable,
    graph: Graph,
    choose: Callable[[Graph], Overrides | None] | None,
    request: Any,
) -> Prepared:
    """Under pytest-xdist: the shared nodes once per run, per-test nodes for this worker's
    tests (:mod:`._sharing`). Errors are the caller's to record."""

    def prepared_for_own_tests(own: PrepareRecord) -> None:
        if own.status == "failed":
            session.node_failures_seen = True
        _save(session, own, "save" if own.status == "prepared" else "save_on_fail")

    sharing.on_prepared = prepared_for_own_tests
    prepared = sharing.prepare(session, record, roots, graph, choose, request.node.session)
    prepared_for_own_tests(record)
    request.addfinalizer(lambda: sharing.finish_scope(session, prepared))
    return prepared


def _check_can_report(session: WarmupSession) -> None:
    # An xdist worker hands its sections to the controller through workeroutput; a
    # distributed run without it has no way to get them into one file.
    config = session.config
    worker = hasattr(config, "workerinput")
    if worker and not hasattr(config, "workeroutput") and session.settings.outputs:
        raise WarmupError(XDIST_UNSUPPORTED)


def snapshot_step(
    session: WarmupSession,
    record: PrepareRecord,
    plans: tuple[WarmupPlan, ...],
    fixturedef: pytest.FixtureDef[Any],
) -> Callable[[Graph], Overrides | None] | None:
    """What the engine calls between its two phases to choose this producer's overrides:
    take its section of the snapshot files, check it against the run, convert the values."""
    if not session.snapshots.active:
        return None
    # Only runs that give snapshot files load what reads and checks them.
    from ._overrides import overrides_for
    from ._snapshots import choose_section

    def choose(graph: Graph) -> Overrides | None:
        inputs = session.snapshots.inputs(lambda inputs: _check_scopes(session, inputs))
        section = choose_section(inputs, record.scope_id, record.snapshot_id)
        if section is None:
            return None
        overrides = overrides_for(
            section,
            graph,
            frozenset(record.consumers),
            session.view(fixturedef, plans),
            strict=session.settings.strict_snapshots,
            warn=session.record.warn,
        )
        overrides.owned = session.settings.clean_snapshot
        return overrides

    return choose


def _check_scopes(session: WarmupSession, inputs: SnapshotInputs) -> None:
    """Bundle sections that no producer of this run could ever have: errors when they carry a
    value (or in strict mode), warnings when they are empty."""
    if inputs.bundle_path is None or not inputs.scopes:
        return
    from ._snapshots import CollectedTest, unknown_scopes

    names = {scope_id.rpartition("::")[2] for scope_id in inputs.scopes}
    collected = []
    for test in session.collected.all:
        fixtures = frozenset(test.fixturenames)
        scope_ids = [found for name in names & fixtures for found in scope_ids_of(test, name)]
        collected.append(CollectedTest(test.nodeid, fixtures, frozenset(scope_ids)))
    rootpath = session.settings.rootpath
    found = unknown_scopes(
        inputs.scopes,
        collected,
        lambda path: (rootpath / path).exists(),
        inputs.bundle_path,
        narrowed=session.settings.narrowed,
    )
    strict = session.settings.strict_snapshots
    errors = [message for message, certain in found if certain or strict]
    for message, certain in found:
        if not (certain or strict):
            session.record.warn(message)
    if errors:
        raise WarmupError("\n".join(errors))


def _save(session: WarmupSession, record: PrepareRecord, kind: str, *, values: bool = True) -> None:
    """Capture the saved section now, while the values are as the preparation left them, when
    a file of ``kind`` (or ``--warmup-save``) asks for it. Best effort: nothing here may hide
    a failure of the producer."""
    outputs = session.settings.outputs
    if kind not in outputs and "save" not in outputs:
        return
    output = outputs.get(kind) or outputs["save"]
    if values:
        try:
            record.saved, record.save_problem = saved_section(record)
        except Exception as exc:  # a bug in our own code must not mask the producer's error
            record.saved, record.save_problem = {"shared": {}, "tests": {}}, f"{exc!r}"
    else:
        record.saved = template_section(record) or {"shared": {}, "tests": {}}
        if any(node.has_value and not node.overridden for node in record.instances or ()):
            record.save_problem = (
                "the preparation was stopped and what it created is cleaned up already"
            )
    if record.save_problem is not None:
        session.record.warn(
            f"{output.flag}: scope {record.scope_id!r} is saved without values: "
            f"{record.save_problem}"
        )


def scope_id_of(scope: str, node: Any, fixturedef: pytest.FixtureDef[Any], rootpath: Path) -> str:
    """``<scope>:<anchor>::<producer name>``: the address of a producer in snapshot files."""
    anchor = getattr(node, "nodeid", "") or fixturedef.baseid
    if not anchor:
        path = getattr(node, "path", None)
        if path is not None:
            anchor = Path(relative_path(path, rootpath)).as_posix()
    return format_scope_id(scope, anchor, fixturedef.argname)


def _describe_producer(fixturedef: pytest.FixtureDef[Any]) -> str:
    code = getattr(inspect.unwrap(fixturedef.func), "__code__", None)
    if code is None:
        return repr(fixturedef.argname)
    site = f"{relative_path(code.co_filename)}:{code.co_firstlineno}"
    return f"{fixturedef.argname!r} (defined at {site})"
