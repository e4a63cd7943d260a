"""``@warmup_param``: bind a prepared requirement to an argument of a test or fixture."""

from __future__ import annotations

import functools
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

from ._declarations import WarmupRequirement
from ._text import did_you_mean
from .errors import WarmupError

__all__ = [
    "Binding",
    "Injector",
    "bindings_of",
    "callable_name_of",
    "names_catalog_id",
    "not_called_by_pytest",
    "original_of",
    "set_caller",
    "warmup_param",
]

# The names of a wrapper's hidden keyword-only parameters (see "the wrapper" below).
_BINDINGS = "__warmup_bindings__"
_ORIGINAL = "__warmup_original__"
_REQUEST = "__warmup_request__"
_CALLER = "__warmup_caller__"
_INJECT = "__warmup_inject__"

_Parameter = inspect.Parameter
_VAR_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS

F = TypeVar("F", bound=Callable[..., Any])


class Binding(NamedTuple):
    """One ``@warmup_param``: an argument, what it receives and (optionally) from which producer.

    Bindings carry no trace of the callable they decorate, so callables bound alike share one
    tuple of them (suites bind thousands of tests the same way).
    """

    argument_name: str
    #: the requirement, or the id of a requirement in a loaded warmup.yaml catalog
    requirement: WarmupRequirement | str
    producer_fixture: str | None


def bindings_of(function: object) -> tuple[Binding, ...]:
    """The bindings on a callable, closest to the function first (empty when none)."""
    defaults = _defaults_of(function)
    if defaults is None:
        return ()
    bindings: tuple[Binding, ...] = defaults[_BINDINGS]
    return bindings


@functools.lru_cache(maxsize=4096)
def names_catalog_id(bindings: tuple[Binding, ...]) -> bool:
    """Whether one of ``bindings`` names a catalog id instead of a requirement object (asked
    for every bound test; callables bound alike share one tuple of bindings)."""
    return any(isinstance(b.requirement, str) for b in bindings)


def original_of(function: Callable[..., Any]) -> Callable[..., Any]:
    """The undecorated function behind a ``warmup_param`` wrapper."""
    defaults = _defaults_of(function)
    if defaults is None:
        return function
    original: Callable[..., Any] = defaults[_ORIGINAL]
    return original


def callable_name_of(function: Callable[..., Any]) -> str:
    """The name error messages use for a bound callable: its undecorated function's name."""
    original = original_of(function)
    return str(getattr(original, "__name__", repr(original)))


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

    Python's type system cannot tie ``argument_name`` to a parameter of the decorated
    callable, so the argument's type is not checked against the requirement's value type
    (``T`` of a ``WarmupRequirement[T]``): annotate the parameter with that type yourself.
    """
    if not isinstance(requirement, (WarmupRequirement, str)):
        raise TypeError(
            "warmup_param binding requires a WarmupRequirement (what plan.require(...) returns, "
            "or the id of one in a loaded warmup.yaml catalog), got "
            f"{type(requirement).__name__}: {requirement!r}"
        )
    if producer_fixture is not None and (
        not isinstance(producer_fixture, str) or not producer_fixture
    ):
        raise WarmupError(
            f"warmup_param producer_fixture must be a fixture name, got {producer_fixture!r}"
        )

    try:
        return _decorator(argument_name, requirement, producer_fixture)
    except TypeError:  # an argument name that cannot be hashed (and is missing, below)
        return _decorator.__wrapped__(argument_name, requirement, producer_fixture)


@functools.lru_cache(maxsize=4096)
def _decorator(
    argument_name: str, requirement: WarmupRequirement | str, producer_fixture: str | None
) -> Callable[[F], F]:
    """One decorator per distinct binding: suites repeat the same ``@warmup_param`` line on
    thousands of tests."""
    binding = Binding(argument_name, requirement, producer_fixture)

    def decorate(function: F) -> F:
        if type(function) is types.FunctionType and not function.__dict__:
            # The usual case: a plain function, neither a fixture nor decorated already.
            wrapper = _wrap_plain(cast(types.FunctionType, function), binding)
            if wrapper is not None:
                return wrapper  # type: ignore[return-value]
        if _is_fixture(function):
            raise WarmupError(
                f"warmup_param must be applied below @pytest.fixture (closer to the function) "
                f"on fixture '{getattr(function, '__name__', function)}'"
            )
        defaults = _defaults_of(function)  # an earlier warmup_param's, when stacked
        original = function if defaults is None else defaults[_ORIGINAL]
        existing = () if defaults is None else defaults[_BINDINGS]
        shape = _shape_of(original)
        names = shape[0] if shape is not None else inspect.signature(original).parameters
        if argument_name not in names:
            hint = did_you_mean(argument_name, names) if isinstance(argument_name, str) else ""
            raise WarmupError(
                f"warmup_param argument '{argument_name}' is missing from callable "
                f"'{callable_name_of(original)}'{hint}"
            )
        bindings = _chain(existing, binding)
        if existing:  # stacked: the usual single binding has nothing to agree with
            _check_stacked(bindings, original)
        visible, wants_request = _signature_for(original, shape, _bound_names(bindings))
        return _wrap(function, original, bindings, visible, wants_request)  # type: ignore[return-value]

    return decorate


def _check_stacked(bindings: tuple[Binding, ...], original: Callable[..., Any]) -> None:
    """Stacked bindings: each argument bound once, and at most one producer named."""
    *earlier, newest = bindings
    if any(b.argument_name == newest.argument_name for b in earlier):
        raise WarmupError(
            f"warmup_param argument '{newest.argument_name}' is already bound on callable "
            f"'{callable_name_of(original)}'"
        )
    named = {b.producer_fixture for b in bindings if b.producer_fixture is not None}
    if len(named) > 1:
        raise WarmupError(
            f"warmup_param bindings on callable '{callable_name_of(original)}' must agree "
            f"on producer_fixture when one is specified "
            f"(found {', '.join(sorted(map(repr, named)))})"
        )


@functools.lru_cache(maxsize=4096)
def _bound_names(bindings: tuple[Binding, ...]) -> tuple[str, ...]:
    return tuple(b.argument_name for b in bindings)


def _is_fixture(function: object) -> bool:
    """Whether ``@pytest.fixture`` was applied already (pytest 8 marks the function, pytest 9
    returns a definition object)."""
    if type(function) is types.FunctionType:  # look in its namespace: no failing lookups
        attributes = function.__dict__
        return "_pytestfixturefunction" in attributes or "_fixture_function" in attributes
    return hasattr(function, "_pytestfixturefunction") or hasattr(function, "_fixture_function")


# -- signatures ---------------------------------------------------------------------------------
#
# Suites decorate thousands of tests that look alike, and ``inspect.signature`` is the main cost
# of decorating one. A plain function without defaults has a signature that its code object and
# annotations fully determine (its "shape"), so functions of one shape share one computed
# signature; anything else (defaults, ``__wrapped__``, a callable object) takes inspect's path.

_Shape = tuple[tuple[str, ...], int, int, int, int, tuple[tuple[str, Any], ...]]


def _shape_of(function: object) -> _Shape | None:
    if type(function) is not types.FunctionType:
        return None
    if function.__defaults__ is not None or function.__kwdefaults__ is not None:
        return None
    attributes = function.__dict__
    if "__wrapped__" in attributes or "__signature__" in attributes:
        return None
    code = function.__code__
    flags = code.co_flags & _VAR_FLAGS
    count = code.co_argcount + code.co_kwonlyargcount
    if flags:
        count += bool(flags & inspect.CO_VARARGS) + bool(flags & inspect.CO_VARKEYWORDS)
    annotations = function.__annotations__
    return (
        code.co_varnames[:count],
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        flags,
        tuple(annotations.items()) if annotations else (),
    )


def signature_of_shape(shape: _Shape) -> inspect.Signature:
    """What ``inspect.signature`` returns for a plain function of this shape."""
    names, positional, positional_only, keyword_only, flags, notes = shape
    annotations = dict(notes)
    empty = _Parameter.empty

    def parameter(name: str, kind: Any) -> inspect.Parameter:
        return _Parameter(name, kind, annotation=annotations.get(name, empty))

    parameters = [
        parameter(
            name,
            _Parameter.POSITIONAL_ONLY
            if index < positional_only
            else _Parameter.POSITIONAL_OR_KEYWORD,
        )
        for index, name in enumerate(names[:positional])
    ]
    rest = positional + keyword_only
    if flags & inspect.CO_VARARGS:
        parameters.append(parameter(names[rest], _Parameter.VAR_POSITIONAL))
        rest += 1
    parameters += [
        parameter(name, _Parameter.KEYWORD_ONLY)
        for name in names[positional : positional + keyword_only]
    ]
    if flags & inspect.CO_VARKEYWORDS:
        parameters.append(parameter(names[rest], _Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters, return_annotation=annotations.get("return", empty))


def _signature_for(
    original: Callable[..., Any], shape: _Shape | None, bound: tuple[str, ...]
) -> tuple[inspect.Signature, bool]:
    """What _visible_signature() returns for ``original``: shared between functions of one
    hashable shape."""
    if shape is not None:
        try:
            return _shaped_signature(shape, bound)
        except TypeError:  # an annotation that is not hashable: this shape cannot be shared
            pass
    return _visible_signature(inspect.signature(original), bound)


@functools.lru_cache(maxsize=4096)
def _shaped_signature(shape: _Shape, bound: tuple[str, ...]) -> tuple[inspect.Signature, bool]:
    return _visible_signature(signature_of_shape(shape), bound)


def _visible_signature(
    signature: inspect.Signature, bound: tuple[str, ...]
) -> tuple[inspect.Signature, bool]:
    """The signature pytest sees (bound arguments dropped) and whether the original function
    takes ``request`` itself."""
    # A bound ``request`` is the binding's (and a collision, reported at injection).
    wants_request = "request" in signature.parameters and "request" not in bound
    parameters = [p for p in signature.parameters.values() if p.name not in bound]
    return signature.replace(parameters=parameters), wants_request


@functools.lru_cache(maxsize=4096)
def _chain(existing: tuple[Binding, ...], binding: Binding) -> tuple[Binding, ...]:
    """``existing + (binding,)``, one shared tuple per distinct chain."""
    return (*existing, binding)


# -- the wrapper --------------------------------------------------------------------------------
#
# A wrapper gets what it needs when it runs as hidden keyword-only defaults, which its visible
# signature does not show: the original function, its bindings, whether the original takes
# ``request``, its caller (the test item or fixture request pytest runs it for) and the injector
# that fills in its values. The plugin sets the last two just before pytest calls the wrapper
# (set_caller(), from its setup hooks), so the visible signature needs no ``request``: each name
# in a test's fixture closure costs pytest work for every test, at collection and at setup
# (benchmarks/bench_overhead.py measures it). Declaring bindings never imports the plugin.
#
# The defaults dictionary is also where bindings_of() and original_of() look. The wrapper's
# attribute dictionary holds only what pytest reads (``__wrapped__`` and ``__signature__``) and
# what the decorated function carried (marks): pytest copies every attribute of a test function
# into its item's keywords, and again into each of the item's three reports. So a wrapped test
# costs one function and two dictionaries: no closure cells, no helper object.


#: What fills in a bound callable's values when pytest calls it (the plugin's injection):
#: called with the undecorated function, its bindings, whether it takes ``request`` itself,
#: its caller (see :func:`set_caller`) and the keyword arguments pytest passed; returns them
#: with the bound values added.
Injector = Callable[
    [Callable[..., Any], tuple[Binding, ...], bool, object, dict[str, Any]], dict[str, Any]
]


def not_called_by_pytest(function: Callable[..., Any]) -> WarmupError:
    """The error for a bound callable that code called directly instead of pytest."""
    return WarmupError(
        f"callable '{callable_name_of(function)}' is bound with warmup_param and gets its "
        "values from pytest: let pytest call it as a test or fixture"
    )


def _not_set_up(function: Callable[..., Any], *args: object) -> dict[str, Any]:
    """The injector of a wrapper that pytest-warmup did not set up: called directly."""
    raise not_called_by_pytest(function)


def _function_wrapper(
    *args: Any,
    __warmup_original__: Any = None,
    __warmup_bindings__: Any = None,
    __warmup_request__: bool = False,
    __warmup_caller__: Any = None,
    __warmup_inject__: Any = _not_set_up,
    **kwargs: Any,
) -> Any:
    injected = __warmup_inject__(
        __warmup_original__, __warmup_bindings__, __warmup_request__, __warmup_caller__, kwargs
    )
    return __warmup_original__(*args, **injected)


def _generator_wrapper(
    *args: Any,
    __warmup_original__: Any = None,
    __warmup_bindings__: Any = None,
    __warmup_request__: bool = False,
    __warmup_caller__: Any = None,
    __warmup_inject__: Any = _not_set_up,
    **kwargs: Any,
) -> Any:
    injected = __warmup_inject__(
        __warmup_original__, __warmup_bindings__, __warmup_request__, __warmup_caller__, kwargs
    )
    return (yield from __warmup_original__(*args, **injected))


async def _coroutine_wrapper(
    *args: Any,
    __warmup_original__: Any = None,
    __warmup_bindings__: Any = None,
    __warmup_request__: bool = False,
    __warmup_caller__: Any = None,
    __warmup_inject__: Any = _not_set_up,
    **kwargs: Any,
) -> Any:
    injected = __warmup_inject__(
        __warmup_original__, __warmup_bindings__, __warmup_request__, __warmup_caller__, kwargs
    )
    return await __warmup_original__(*args, **injected)


async def _async_generator_wrapper(
    *args: Any,
    __warmup_original__: Any = None,
    __warmup_bindings__: Any = None,
    __warmup_request__: bool = False,
    __warmup_caller__: Any = None,
    __warmup_inject__: Any = _not_set_up,
    **kwargs: Any,
) -> Any:
    injected = __warmup_inject__(
        __warmup_original__, __warmup_bindings__, __warmup_request__, __warmup_caller__, kwargs
    )
    async for item in __warmup_original__(*args, **injected):
        yield item


# By identity: a code object computes its hash from its contents on every lookup.
_TEMPLATE_CODES = frozenset(
    id(template.__code__)
    for template in (
        _function_wrapper,
        _generator_wrapper,
        _coroutine_wrapper,
        _async_generator_wrapper,
    )
)


def set_caller(function: object, caller: object, inject: Injector) -> object:
    """Tell the ``warmup_param`` wrapper behind ``function`` whom pytest runs it for next (a
    test item, or the request of a fixture being set up) and what fills in its values. Returns
    the caller it had before.

    ``function`` may be the wrapper itself, a method of it, or a decorator's wrapper around it
    (``functools.wraps``); without a ``warmup_param`` wrapper behind it, nothing happens.
    """
    defaults = _defaults_of(function)
    if defaults is None:
        return None
    previous = defaults[_CALLER]
    defaults[_CALLER] = caller
    defaults[_INJECT] = inject
    return previous


def _defaults_of(function: object) -> dict[str, Any] | None:
    """The hidden defaults of the ``warmup_param`` wrapper behind ``function``: the wrapper
    itself, a method of it, or a decorator's wrapper around it (``functools.wraps``)."""
    steps = 0
    while function is not None and steps < 100:  # a chain of __wrapped__, as inspect.unwrap's
        if type(function) is types.MethodType:  # a test or fixture in a class
            function = function.__func__
        if type(function) is types.FunctionType and id(function.__code__) in _TEMPLATE_CODES:
            return function.__kwdefaults__
        function = getattr(function, "__wrapped__", None)
        steps += 1
    return None


def _template_for(original: Callable[..., Any]) -> Callable[..., Any]:
    if type(original) is types.FunctionType and "_is_coroutine_marker" not in original.__dict__:
        return _template_of_kind(original.__code__.co_flags)
    # a partial, a marked coroutine function...: inspect knows how to look at them
    if inspect.isasyncgenfunction(original):
        return _async_generator_wrapper
    if inspect.iscoroutinefunction(original):
        return _coroutine_wrapper
    if inspect.isgeneratorfunction(original):
        return _generator_wrapper
    return _function_wrapper


def _template_of_kind(flags: int) -> Callable[..., Any]:
    """The template for a function whose code object has ``flags``."""
    if flags & inspect.CO_ASYNC_GENERATOR:
        return _async_generator_wrapper
    if flags & inspect.CO_COROUTINE:
        return _coroutine_wrapper
    if flags & inspect.CO_GENERATOR:
        return _generator_wrapper
    return _function_wrapper


# -- the usual case, quickly ----------------------------------------------------------------------
#
# Most bound callables are plain functions decorated once, and a suite has thousands of them that
# differ only in name: what their wrappers share is worked out once per shape and binding.

_HAS_TYPE_PARAMETERS = sys.version_info >= (3, 12)
_KIND_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class _PlainPlan(NamedTuple):
    """What the wrappers of plain functions of one shape and binding share."""

    bindings: tuple[Binding, ...]
    visible: inspect.Signature
    wants_request: bool
    template: Callable[..., Any]


def _wrap_plain(function: types.FunctionType, binding: Binding) -> Callable[..., Any] | None:
    """decorate()'s result for a plain function without attributes, or ``None`` when this
    function takes the general path (defaults, type parameters, a missing argument, an
    annotation that cannot be hashed)."""
    shape = _shape_of(function)
    if shape is None or (_HAS_TYPE_PARAMETERS and function.__type_params__):  # type: ignore[attr-defined,unused-ignore]
        return None
    try:
        plan = _plain_plan(shape, function.__code__.co_flags & _KIND_FLAGS, binding)
    except TypeError:  # an annotation that cannot be hashed
        return None
    if plan is None:
        return None
    namespace = {"__wrapped__": function, "__signature__": plan.visible}
    return _plain_wrapper(plan.template, function, namespace, plan.bindings, plan.wants_request)


@functools.lru_cache(maxsize=4096)
def _plain_plan(shape: _Shape, kind: int, binding: Binding) -> _PlainPlan | None:
    if binding.argument_name not in shape[0]:
        return None  # the general path raises the error
    bindings = _chain((), binding)
    visible, wants_request = _shaped_signature(shape, _bound_names(bindings))
    return _PlainPlan(bindings, visible, wants_request, _template_of_kind(kind))


_GLOBALS = globals()
_MISSING = object()
_COPIED = (
    "__module__",
    "__name__",
    "__qualname__",
    "__doc__",
    "__annotations__",
    "__type_params__",
)


def _wrap(
    function: Callable[..., Any],
    original: Callable[..., Any],
    bindings: tuple[Binding, ...],
    visible: inspect.Signature,
    wants_request: bool,
) -> Callable[..., Any]:
    """A new wrapper around ``original``; ``function`` is what is being decorated (``original``
    or the wrapper of an earlier ``warmup_param``, whose attributes, marks included, carry on)."""
    template = _template_for(original)
    # What functools.update_wrapper copies. __wrapped__ leads pytest to the original for its
    # file and line (test locations, --fixtures, fixture errors, traceback cuts), while
    # __signature__ stops inspect.signature() at the wrapper: pytest sees the visible signature.
    namespace = dict(getattr(function, "__dict__", None) or ())
    namespace["__wrapped__"] = original
    namespace["__signature__"] = visible
    if type(original) is types.FunctionType:
        wrapper = _plain_wrapper(template, original, namespace, bindings, wants_request)
        if _HAS_TYPE_PARAMETERS:
            wrapper.__type_params__ = original.__type_params__  # type: ignore[attr-defined,unused-ignore]
        return wrapper
    wrapper = types.FunctionType(template.__code__, _GLOBALS)
    for name in _COPIED:
        value = getattr(original, name, _MISSING)
        if value is not _MISSING:
            setattr(wrapper, name, value)
    wrapper.__dict__ = namespace
    wrapper.__kwdefaults__ = _hidden_defaults(original, bindings, wants_request)
    return wrapper


def _plain_wrapper(
    template: Callable[..., Any],
    original: types.FunctionType,
    namespace: dict[str, Any],
    bindings: tuple[Binding, ...],
    wants_request: bool,
) -> Callable[..., Any]:
    """A wrapper made from ``template`` around a plain function, with attributes
    ``namespace``: the plain function's name, doc and annotations copied."""
    wrapper = types.FunctionType(template.__code__, _GLOBALS, original.__name__)
    wrapper.__qualname__ = original.__qualname__
    wrapper.__module__ = original.__module__
    if original.__doc__ is not None:
        wrapper.__doc__ = original.__doc__
    annotations = original.__annotations__
    if annotations:
        wrapper.__annotations__ = annotations
    wrapper.__dict__ = namespace
    wrapper.__kwdefaults__ = _hidden_defaults(original, bindings, wants_request)
    return wrapper


def _hidden_defaults(
    original: Callable[..., Any], bindings: tuple[Binding, ...], wants_request: bool
) -> dict[str, Any]:
    return {
        _ORIGINAL: original,
        _BINDINGS: bindings,
        _REQUEST: wants_request,
        _CALLER: None,
        _INJECT: _not_set_up,
    }
