"""Every read of pytest's private attributes, one named function each.

pytest has no public API for these questions. Each function was checked on pytest 8.0.0, 8.4.2
and 9.2.0 (``tests/test_pytest_compat.py`` runs each against the installed pytest) and degrades to
an answer that keeps pytest-warmup correct, if slower or less precise, when an attribute moved.
Nothing else in pytest-warmup reads a private pytest attribute.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest

__all__ = [
    "argument_names",
    "closure_definitions",
    "definitions_by_name",
    "failure_report",
    "fixture_functions",
    "fixture_is_registered",
    "item_of_request",
    "registered_fixture_names",
    "request_of_item",
    "skip_fixture",
    "uncaptured",
    "visible_definitions",
    "xdist_queue",
]

# pytest's fixture registry (name -> definitions): ``_arg2fixturedefs`` up to pytest 8, and
# pytest 9 keeps two more, keyed by node and by node id.
_FIXTURE_REGISTRIES = ("_arg2fixturedefs", "_arg2node2fixturedefs", "_arg2nodeid2fixturedefs")


def _fixture_info(item: object) -> Any:
    # Item._fixtureinfo (pytest 8.0 to 9.x): the test's fixture closure and the definitions
    # that apply to it.
    return getattr(item, "_fixtureinfo", None)


def definitions_by_name(item: object) -> Mapping[str, Sequence[Any]]:
    """Fixture name -> the definitions visible to ``item``, the one that applies last (empty
    when pytest keeps them elsewhere)."""
    info = getattr(item, "_fixtureinfo", None)  # _fixture_info(), inline: read for every test
    return info.name2fixturedefs if info is not None else _NO_DEFINITIONS


_NO_DEFINITIONS: Mapping[str, Sequence[Any]] = {}


def closure_definitions(item: object) -> list[tuple[str, Any]]:
    """``(name, definition that applies)`` for each fixture of ``item``'s closure, in order."""
    info = _fixture_info(item)
    if info is None:
        return []
    found = []
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if definitions:
            found.append((name, definitions[-1]))
    return found


def argument_names(item: object) -> Sequence[str]:
    """The fixture names ``item``'s test function asks for itself (not its fixtures')."""
    info = _fixture_info(item)
    return getattr(info, "argnames", ())


def fixture_functions(session: pytest.Session) -> Iterator[object] | None:
    """The function of every fixture pytest registered for ``session``, or ``None`` when this
    pytest keeps its registry elsewhere (callers then assume any fixture may matter)."""
    manager = getattr(session, "_fixturemanager", None)
    registries = [getattr(manager, name) for name in _FIXTURE_REGISTRIES if hasattr(manager, name)]
    if not registries:
        return None
    return _functions(registries)


def _functions(registries: list[Any]) -> Iterator[object]:
    todo: list[Any] = registries
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, (list, tuple)):
            todo.extend(value)
        else:
            yield getattr(value, "func", None)


def fixture_is_registered(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether any fixture called ``name`` is registered, wherever it is visible."""
    return name in registered_fixture_names(request)


def registered_fixture_names(request: pytest.FixtureRequest) -> set[str]:
    """The name of every fixture pytest registered, wherever it is visible."""
    manager = getattr(request, "_fixturemanager", None)
    names: set[str] = set()
    for registry in _FIXTURE_REGISTRIES:
        names.update(getattr(manager, registry, ()))
    return names


def visible_definitions(request: pytest.FixtureRequest, name: str) -> Sequence[Any]:
    """The definitions of fixture ``name`` that ``request``'s node can see (empty if none).

    FixtureManager.getfixturedefs is the lookup pytest itself uses; it takes a node from
    pytest 8.1 on, a node id before.
    """
    manager = request._fixturemanager
    node = request.node
    try:
        found = manager.getfixturedefs(name, node)
    except (TypeError, AttributeError):
        found = manager.getfixturedefs(name, node.nodeid)
    return found or ()


def request_of_item(item: object) -> Any:
    """The request of a test item while pytest runs it (``False`` once it has finished),
    or ``None`` when ``item`` is not a test item."""
    return getattr(item, "_request", None)


def item_of_request(request: pytest.FixtureRequest) -> Any:
    """The test item a request is for (the requesting node for a broader-scoped request)."""
    return getattr(request, "_pyfuncitem", request.node)


def failure_report(
    item: pytest.Item, call: pytest.CallInfo[None], longrepr: Any
) -> pytest.TestReport:
    """The report of a failed ``call`` of ``item`` with ``longrepr`` as its explanation: what
    ``TestReport.from_item_and_call`` makes, without formatting the traceback it would replace
    (its slowest part). Item._report_sections holds the captured output."""
    sections = [
        (f"Captured {key} {when}", content)
        for when, key, content in getattr(item, "_report_sections", ())
    ]
    return pytest.TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "failed",
        longrepr,
        call.when,  # type: ignore[arg-type]
        sections,
        call.duration,
        call.start,
        call.stop,
        user_properties=item.user_properties,
    )


def uncaptured(config: pytest.Config) -> AbstractContextManager[object]:
    """A block whose output reaches the terminal even while pytest captures (the way
    ``pytest.set_trace`` gets past capturing): pytest's capture manager, suspended."""
    manager = config.pluginmanager.get_plugin("capturemanager")
    suspended = getattr(manager, "global_and_fixture_disabled", None)
    return suspended() if suspended is not None else nullcontext()


def xdist_queue(
    config: pytest.Config, session: pytest.Session, *, queued: bool = True
) -> list[pytest.Item] | None:
    """The tests this pytest-xdist worker runs now and has been handed to run next, in order
    (without ``queued``, only the next one: under ``--dist worksteal`` the others may go to
    another worker); ``None`` when that is unknown (not a worker, or xdist keeps it elsewhere).

    pytest-xdist 3.x: the worker's ``WorkerInteractor`` plugin holds ``item_index`` (running),
    ``nextitem_index`` and ``torun``, a queue of indexes into ``session.items`` (its deque is
    ``_items``, guarded by ``lock()``).
    """
    interactor = next(
        (
            plugin
            for plugin in config.pluginmanager.get_plugins()
            if type(plugin).__name__ == "WorkerInteractor" and hasattr(plugin, "torun")
        ),
        None,
    )
    if interactor is None:
        return None
    try:
        indexes = [getattr(interactor, "item_index", None), interactor.nextitem_index]
        # The next test is off the queue already: nothing takes it away from this worker.
        if queued:
            with interactor.torun.lock() as waiting:
                indexes.extend(waiting)
        items = session.items
        return [items[index] for index in indexes if type(index) is int and index < len(items)]
    except Exception:  # moved or renamed in another xdist version
        return None


def skip_fixture(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> object:
    """Mark ``fixturedef`` set up with the value ``None`` without calling its function, as
    ``--setup-plan`` does (``FixtureDef.cache_key`` and ``cached_result``, pytest 8.0 to 9.x).
    Returns what a ``pytest_fixture_setup`` implementation returns to stop pytest from calling
    it (a value other than ``None``)."""
    key = fixturedef.cache_key(request)  # type: ignore[arg-type]
    fixturedef.cached_result = (None, key, None)
    return fixturedef.cached_result
