"""The value a bound argument receives: which producer a binding reads from, and its value.

Resolution order: an explicit ``producer_fixture``; else the one prepared scope among the
callable's own arguments; else the one producer in the request's fixture closure.
:func:`inject` is the :class:`~pytest_warmup._binding.Injector` the plugin hands to every bound
callable it sets up (``_binding`` never imports this module).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import Any, Protocol, final

import pytest

from . import _pytest_compat as compat
from ._binding import Binding, callable_name_of, not_called_by_pytest
from ._declarations import WarmupRequirement, declaration_site, requirement_label
from ._items import name_of_test
from ._session import WarmupSession, session_of
from ._text import did_you_mean
from .engine import Prepared
from .errors import NotPreparedError, WarmupError

__all__ = ["inject", "producer_for_item", "resolve_producer"]


def inject(
    function: Callable[..., Any],
    bindings: tuple[Binding, ...],
    pass_request: bool,
    caller: object,
    arguments: dict[str, Any],
) -> dict[str, Any]:
    """The keyword arguments for ``function``, a callable bound by ``warmup_param`` that pytest
    called (through its wrapper) with ``arguments``: the prepared values of its bindings added.

    ``caller`` is whom the plugin set the wrapper up for (see ``binding.set_caller``): a test
    item or a fixture's request. ``pass_request``: ``function`` takes ``request`` itself, so
    pytest passed it among ``arguments``. This runs once for every bound test and fixture.
    """
    request, node = _request_and_node(arguments["request"] if pass_request else caller)
    if request is None:  # the test it was set up for has finished
        raise not_called_by_pytest(function)
    session = session_of(node.config)
    try:
        # Which fixtures a test sees depends on the collectors above it, not on the test
        # itself: collisions are checked per collector (a module of 50 tests asks once).
        kind: type = type(node)
        anchor = node.parent if _is_item_class(kind) else node
        _check_collisions(session, request, anchor, bindings, function)
        named = _named_producer(bindings)
        if named is not None:
            _check_named_visible(request, named)
        scope = resolve_producer(named, arguments, _RequestChain(request, session))
        plans = scope.record.plans
        test_id = node.nodeid
        for binding in bindings:
            requirement = binding.requirement
            if not isinstance(requirement, WarmupRequirement):  # a catalog id
                fixture = request.fixturename
                if fixture is None:
                    requirement = session.requirement_for("test", name_of_test(node), binding)
                else:
                    requirement = session.requirement_for("fixture", fixture, binding)
            if plans is not None and requirement.owner_plan not in plans:
                # Never looked up: a dependency of another binding may have brought it into
                # the graph, and then the outcome would depend on which tests were selected.
                raise _plan_not_used(requirement, request, scope)
            try:
                if session.sharing is None:
                    arguments[binding.argument_name] = scope.value(requirement, test_id)
                else:  # an xdist worker: per-test nodes are prepared when a test needs them
                    arguments[binding.argument_name] = session.sharing.value(
                        session, scope, requirement, node
                    )
            except NotPreparedError:
                raise _not_prepared(requirement, request, scope) from None
    except WarmupError as error:
        session.error_raised(error)
        raise
    return arguments


def _plan_not_used(
    requirement: WarmupRequirement, request: pytest.FixtureRequest, scope: Prepared
) -> WarmupError:
    record = scope.record
    plans = ", ".join(f"'{plan.name}'" for plan in record.plans or ())
    return WarmupError(
        f"{_no_value(requirement, request)}: its plan '{requirement.owner_plan.name}' is not "
        f"among the plans whose bindings {record.description} prepares ({plans}); add it to "
        f"that producer (warmup_mgr.use(...) in Python, producers.{record.name}.plans in "
        "warmup.yaml), or bind the requirement through a producer that prepares it"
    )


def _not_prepared(
    requirement: WarmupRequirement, request: pytest.FixtureRequest, scope: Prepared
) -> WarmupError:
    node = scope.instances.graph.by_requirement.get(requirement)
    if node is not None and node.per_test and request.scope != "function":
        return WarmupError(
            f"{_no_value(requirement, request)}: the requirement is per-test and fixture "
            f"'{request.fixturename}' has {request.scope} scope; only a test or a "
            "function-scoped fixture receives a per-test value: make the fixture "
            "function-scoped, or bind a shared requirement"
        )
    return WarmupError(
        f"{_no_value(requirement, request)}; {scope.record.description} did not prepare it: "
        f"pass plan '{requirement.owner_plan.name}' to warmup_mgr.use(...) and check the "
        "binding's producer_fixture"
    )


def _no_value(requirement: WarmupRequirement, request: pytest.FixtureRequest) -> str:
    """The contract's words for a lookup that found nothing, with the declaration site."""
    site = declaration_site(requirement)
    where = f" (declared at {site})" if site else ""
    return (
        f"no prepared runtime value for requirement '{requirement_label(requirement)}' and "
        f"test '{request.node.nodeid}'{where}"
    )


def _request_and_node(caller: object) -> tuple[Any, Any]:
    """The request behind ``caller`` and the node it runs for: ``(None, None)`` when pytest
    is not running a test or fixture for it."""
    # A test item: its request lives while pytest runs the test (False afterwards).
    request = compat.request_of_item(caller)
    if request is not None:
        return (request, caller) if request else (None, None)
    if isinstance(caller, pytest.FixtureRequest):
        return caller, caller.node
    return None, None


@functools.lru_cache(maxsize=64)
def _is_item_class(kind: type) -> bool:
    # pytest's nodes are abstract classes, whose isinstance() runs Python code: asked once per
    # node class.
    return issubclass(kind, pytest.Item)


def _check_collisions(
    session: WarmupSession,
    request: pytest.FixtureRequest,
    anchor: object,
    bindings: Sequence[Binding],
    function: Callable[..., Any],
) -> None:
    visibility = session.fixture_visibility
    for binding in bindings:
        name = binding.argument_name
        key = (id(anchor), name)
        visible = visibility.get(key)
        if visible is None:
            visible = visibility[key] = _fixture_visible(request, name)
        if visible:
            raise WarmupError(
                f"warmup_param-injected argument '{name}' collides with ordinary pytest fixture "
                f"resolution; rename the argument of callable '{callable_name_of(function)}' or "
                "the fixture"
            )


class _Chain(Protocol):
    """The pytest dependency chain a binding's producer is looked for in."""

    def names(self) -> Iterable[str]:
        """The fixture names of the chain."""

    def value(self, name: str) -> Any:
        """The value of fixture ``name`` of the chain."""

    def producers(self) -> Container[str]:
        """The names in the chain that may be producers."""


def resolve_producer(named: str | None, arguments: Mapping[str, Any], chain: _Chain) -> Prepared:
    """Pick the prepared scope a callable's bindings read from (contract section 8).

    The common case, one producer among the callable's own ``arguments``, never looks at the
    ``chain``.
    """
    found = _distinct_scopes(arguments.values())
    if len(found) > 1 and named is None:
        raise WarmupError(_multiple(found))
    if named is not None:
        if named not in chain.names():
            raise WarmupError(
                f"producer fixture '{named}' is not in this dependency chain; request it as an "
                "argument of the test or of one of its fixtures"
            )
        value = chain.value(named)
        if not isinstance(value, Prepared):
            raise WarmupError(
                f"producer fixture '{named}' must return a prepared warmup scope: return "
                f"warmup_mgr.use(...).prepare() from it (it returned {type(value).__name__})"
            )
        return value
    if len(found) == 1:
        return found[0]
    known = chain.producers()
    values = {name: chain.value(name) for name in chain.names() if name in known}
    candidates = _distinct_scopes(values.values())
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise WarmupError(_multiple(candidates))
    from ._producer import PrepareBuilder  # a producer that forgot .prepare()

    for name, value in [*arguments.items(), *values.items()]:
        if isinstance(value, PrepareBuilder):
            raise WarmupError(
                f"producer fixture '{name}' returned warmup_mgr.use(...) without calling "
                "prepare(): return warmup_mgr.use(...).prepare() from it"
            )
    raise WarmupError(
        "no producer fixture found in pytest dependency chain; request a fixture that returns "
        "warmup_mgr.use(...).prepare() from this test or fixture"
    )


@final
class _RequestChain:
    """The chain of a test or fixture that pytest is calling: its request's closure."""

    __slots__ = ("request", "session")

    def __init__(self, request: pytest.FixtureRequest, session: WarmupSession) -> None:
        self.request = request
        self.session = session

    def names(self) -> Iterable[str]:
        return self.request.fixturenames

    def value(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def producers(self) -> set[str]:
        # A producer that pytest sets up after this fixture has not prepared yet, so the
        # record of producers cannot know it: fixtures that request warmup_mgr are candidates
        # as well.
        request = self.request
        item = compat.item_of_request(request)
        names = set(self.session.producer_names)
        for name, definitions in compat.definitions_by_name(item).items():
            if any("warmup_mgr" in d.argnames for d in definitions):
                names.add(name)
        names.discard(request.fixturename)  # the fixture being set up cannot be its own producer
        return names


@final
class _SetUpChain:
    """The chain of a test whose fixtures are set up: the values pytest holds for it."""

    __slots__ = ("item", "session", "values")

    def __init__(self, item: pytest.Item, session: WarmupSession) -> None:
        self.item = item
        self.session = session
        self.values: dict[str, Any] = getattr(item, "funcargs", {})

    def names(self) -> list[str]:
        closure = getattr(self.item, "fixturenames", ())
        return [name for name in self.values if name in closure]

    def value(self, name: str) -> Any:
        return self.values[name]

    def producers(self) -> set[str]:
        return self.session.producer_names


def producer_for_item(
    item: pytest.Item, bindings: Sequence[Binding], session: WarmupSession
) -> Prepared | None:
    """The producer of a test's own bindings after setup, or ``None`` when it is unclear
    (the call phase then reports the problem)."""
    chain = _SetUpChain(item, session)
    values = chain.values
    direct = {name: values[name] for name in compat.argument_names(item) if name in values}
    try:
        return resolve_producer(_named_producer(bindings), direct, chain)
    except (WarmupError, KeyError):
        return None


def _named_producer(bindings: Sequence[Binding]) -> str | None:
    for binding in bindings:
        if binding.producer_fixture is not None:
            return binding.producer_fixture
    return None


def _distinct_scopes(values: Iterable[object]) -> list[Prepared]:
    """The prepared scopes among ``values``, each once, in order (a plain loop: this runs for
    every bound test, and there are one or two values)."""
    found: list[Prepared] = []
    for value in values:
        if isinstance(value, Prepared) and value not in found:  # identity: no __eq__
            found.append(value)
    return found


def _multiple(scopes: Sequence[Prepared]) -> str:
    names = ", ".join(sorted({f"'{scope.record.name}'" for scope in scopes}))
    return (
        "multiple producer fixtures found in pytest dependency chain "
        f"({names}); pick one with warmup_param(..., producer_fixture='...')"
    )


def _fixture_visible(request: pytest.FixtureRequest, name: str) -> bool:
    # pytest resolves ``request`` itself, without a fixture definition.
    return name == "request" or bool(compat.visible_definitions(request, name))


def _check_named_visible(request: pytest.FixtureRequest, name: str) -> None:
    if compat.visible_definitions(request, name):
        return
    registered = compat.registered_fixture_names(request)
    if name in registered:
        raise WarmupError(
            f"producer fixture '{name}' is defined but not available for this pytest request "
            "scope; move the fixture where this test can see it (a conftest.py above it)"
        )
    visible = [found for found in registered if compat.visible_definitions(request, found)]
    raise WarmupError(
        f"producer fixture '{name}' was not found{did_you_mean(name, visible)}; check the "
        "fixture name"
    )
