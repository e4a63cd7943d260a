"""``@warmup_param``: bind a prepared requirement to an argument of a test or fixture."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, final

from .declarations import WarmupRequirement
from .errors import WarmupError

__all__ = ["BINDINGS_ATTRIBUTE", "Binding", "bindings_of", "original_of", "warmup_param"]

BINDINGS_ATTRIBUTE = "__warmup_bindings__"
_ORIGINAL_ATTRIBUTE = "__warmup_original__"
_REQUEST = inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Binding:
    """One ``@warmup_param`` on a callable."""

    argument_name: str
    #: the requirement, or the id of a requirement in a loaded warmup.yaml catalog
    requirement: WarmupRequirement | str
    producer_fixture: str | None
    callable_name: str


def bindings_of(function: object) -> tuple[Binding, ...]:
    """The bindings on a callable, closest to the function first (empty when none)."""
    bindings: tuple[Binding, ...] = getattr(function, BINDINGS_ATTRIBUTE, ())
    return bindings


def original_of(function: Callable[..., Any]) -> Callable[..., Any]:
    """The undecorated function behind a ``warmup_param`` wrapper."""
    original: Callable[..., Any] = getattr(function, _ORIGINAL_ATTRIBUTE, function)
    return original


def warmup_param(
    argument_name: str,
    requirement: WarmupRequirement | str,
    *,
    producer_fixture: str | None = None,
) -> Callable[[F], F]:
    """Inject the prepared value of ``requirement`` as argument ``argument_name``.

    Works on tests and on fixtures (place it below ``@pytest.fixture``), and stacks. The value
    comes from the producer fixture in the callable's pytest dependency chain; name it with
    ``producer_fixture="..."`` when the chain has several. ``requirement`` may also be the id of
    a requirement declared in a loaded ``warmup.yaml`` catalog.
    """
    if not isinstance(requirement, (WarmupRequirement, str)):
        raise TypeError("warmup_param binding requires a WarmupRequirement")
    if producer_fixture is not None and (
        not isinstance(producer_fixture, str) or not producer_fixture
    ):
        raise WarmupError(
            f"warmup_param producer_fixture must be a fixture name, got {producer_fixture!r}"
        )

    def decorate(function: F) -> F:
        if hasattr(function, "_pytestfixturefunction") or hasattr(function, "_fixture_function"):
            raise WarmupError(
                f"warmup_param must be applied below @pytest.fixture (closer to the function) "
                f"on fixture '{getattr(function, '__name__', function)}'"
            )
        original = original_of(function)
        name = getattr(original, "__name__", repr(original))
        existing = bindings_of(function)
        if any(b.argument_name == argument_name for b in existing):
            raise WarmupError(
                f"warmup_param argument '{argument_name}' is already bound on callable '{name}'"
            )
        signature = inspect.signature(original)
        if argument_name not in signature.parameters:
            raise WarmupError(
                f"warmup_param argument '{argument_name}' is missing from callable '{name}'"
            )
        bindings = (*existing, Binding(argument_name, requirement, producer_fixture, name))
        named = {b.producer_fixture for b in bindings if b.producer_fixture is not None}
        if len(named) > 1:
            raise WarmupError(
                f"warmup_param bindings on callable '{name}' must agree on producer_fixture when "
                f"one is specified (found {', '.join(sorted(map(repr, named)))})"
            )
        return _wrap(original, signature, bindings)  # type: ignore[return-value]

    return decorate


def _wrap(
    original: Callable[..., Any], signature: inspect.Signature, bindings: tuple[Binding, ...]
) -> Callable[..., Any]:
    bound = {b.argument_name for b in bindings}
    # A bound ``request`` is the binding's (and a collision, reported at injection).
    wants_request = "request" in signature.parameters and "request" not in bound
    parameters = [p for p in signature.parameters.values() if p.name not in bound]
    if not wants_request:
        position = len(parameters)
        if parameters and parameters[-1].kind is inspect.Parameter.VAR_KEYWORD:
            position -= 1
        parameters.insert(position, _REQUEST)
    visible = _visible_signature(tuple(parameters), signature.return_annotation)
    call = _Call(original, bindings, wants_request)

    wrapper: Callable[..., Any]
    if inspect.isasyncgenfunction(original):

        async def async_generator_wrapper(*args: Any, **kwargs: Any) -> Any:
            async for item in call.original(*args, **call.arguments(kwargs)):
                yield item

        wrapper = async_generator_wrapper
    elif inspect.iscoroutinefunction(original):

        async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await call.original(*args, **call.arguments(kwargs))

        wrapper = coroutine_wrapper
    elif inspect.isgeneratorfunction(original):

        def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
            return (yield from call.original(*args, **call.arguments(kwargs)))

        wrapper = generator_wrapper
    else:

        def function_wrapper(*args: Any, **kwargs: Any) -> Any:
            return call.original(*args, **call.arguments(kwargs))

        wrapper = function_wrapper

    functools.update_wrapper(wrapper, original)
    namespace = vars(wrapper)
    del namespace["__wrapped__"]  # pytest must see the visible signature, not the original's
    namespace["__signature__"] = visible
    namespace[BINDINGS_ATTRIBUTE] = bindings
    namespace[_ORIGINAL_ATTRIBUTE] = original
    return wrapper


def _visible_signature(
    parameters: tuple[inspect.Parameter, ...], returns: Any
) -> inspect.Signature:
    """One shared Signature per shape: suites wrap thousands of tests that look alike, and
    every object a wrapper keeps alive is work for each full garbage collection."""
    try:
        return _shared_signature(parameters, returns)
    except TypeError:  # an unhashable default or annotation: this one stays unshared
        return inspect.Signature(parameters, return_annotation=returns)


@functools.lru_cache(maxsize=4096)
def _shared_signature(parameters: tuple[inspect.Parameter, ...], returns: Any) -> inspect.Signature:
    return inspect.Signature(parameters, return_annotation=returns)


@final
class _Call:
    """What a wrapper needs when it runs. Suites wrap thousands of tests, so each wrapper keeps
    one small object instead of a nest of closures (fewer objects for the garbage collector)."""

    __slots__ = ("bindings", "original", "wants_request")

    def __init__(
        self, original: Callable[..., Any], bindings: tuple[Binding, ...], wants_request: bool
    ) -> None:
        self.original = original
        self.bindings = bindings
        self.wants_request = wants_request

    def arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with the injected values, and without ``request`` unless the original
        asked for it."""
        from .resolution import inject  # imported late: resolution needs the plugin's session

        request = kwargs["request"] if self.wants_request else kwargs.pop("request")
        kwargs.update(inject(request, self.bindings, kwargs))
        return kwargs
