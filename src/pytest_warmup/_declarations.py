"""What users write: plans and the requirements they declare.

A :class:`WarmupPlan` knows how to create one kind of resource in batches; each call to
:meth:`WarmupPlan.require` declares one :class:`WarmupRequirement`, a node of the graph.
Requirements compare and hash by identity: one object is one resource wherever it is used.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Union, cast

from ._slots import slot_members
from ._text import relative_path
from .errors import WarmupError

if TYPE_CHECKING:  # annotations only: a plan's methods receive its nodes
    # A default of Any (PEP 696) lets ``class MyPlan(WarmupPlan):`` and a bare ``WarmupNode``
    # stay valid under mypy --strict. Type checkers ship typing_extensions' stubs; at run
    # time it is neither imported nor a dependency, and the plain TypeVar below has no default.
    from typing_extensions import TypeVar

    from ._nodes import WarmupNode

    ValueT = TypeVar("ValueT", default=Any)
else:
    from typing import TypeVar

    ValueT = TypeVar("ValueT")

__all__ = [
    "Dependency",
    "ValueT",
    "WarmupPlan",
    "WarmupRequirement",
    "declaration_site",
    "describe",
    "is_interrupt",
    "requirement_label",
    "set_declaration_site",
]

Dependency = Union["WarmupRequirement", tuple["WarmupRequirement", ...]]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True, eq=False)
class WarmupRequirement(Generic[ValueT]):
    """One declared resource: created by ``owner_plan`` from ``payload`` and ``dependencies``.

    Generic in the value its plan prepares: ``WarmupPlan[T].require(...)`` returns a
    ``WarmupRequirement[T]``, and ``Prepared.value`` of it is a ``T``.

    Build requirements with :meth:`WarmupPlan.require` (or a plan's own factory method).
    Equality and hashing are by identity, so two declarations with equal payloads are two
    resources; ``id`` is a debug and snapshot address, not a merge key. ``is_per_test`` is
    ``True`` (one value per test), ``False`` (one value per producer scope) or ``None``
    (per-test exactly when a direct dependency is).

    ``dependencies`` stays an ordinary dict that is read when ``prepare()`` runs.
    """

    owner_plan: WarmupPlan[ValueT]
    """The plan that prepares it."""
    payload: dict[str, Any]
    """What the plan reads as ``node.payload``: any data the plan understands."""
    dependencies: dict[str, Dependency]
    """Slot -> the requirement (or tuple of requirements) prepared first; the plan reads their
    values as ``node.deps[slot]``."""
    id: str | None = None
    """A stable address for reports, snapshot files and messages; ``None`` leaves it
    unaddressable. Unique within one producer, never a merge key."""
    is_per_test: bool | None = None
    """``True``: one value per test; ``False``: one per producer scope; ``None``: per-test
    exactly when a direct dependency is."""

    def __post_init__(self) -> None:
        if not isinstance(self.owner_plan, WarmupPlan):
            raise WarmupError(
                f"requirement owner_plan must be a WarmupPlan, got {type(self.owner_plan).__name__}"
            )
        where = self.id if self.id is not None else self.owner_plan.name
        if not isinstance(self.payload, dict):
            raise WarmupError(
                f"requirement {where!r}: payload must be a dict, got {type(self.payload).__name__}"
            )
        if not isinstance(self.dependencies, dict):
            raise WarmupError(
                f"requirement {where!r}: dependencies must be a dict of slot -> requirement, "
                f"got {type(self.dependencies).__name__}"
            )
        for slot, value in self.dependencies.items():
            if not isinstance(slot, str):
                raise WarmupError(
                    f"requirement {where!r}: dependency slot names must be strings, got {slot!r}"
                )
            members = value if isinstance(value, tuple) else (value,)
            for member in members:
                if not isinstance(member, WarmupRequirement):
                    raise WarmupError(
                        f"requirement {where!r}: dependency {slot!r} must be a WarmupRequirement "
                        f"or a tuple of them, got {type(member).__name__}"
                    )
        if self.id is not None and (not isinstance(self.id, str) or not self.id):
            raise WarmupError(f"requirement id must be a non-empty string or None, got {self.id!r}")
        if self.is_per_test is not None and not isinstance(self.is_per_test, bool):
            raise WarmupError(
                f"requirement {where!r}: is_per_test must be True, False or None, "
                f"got {self.is_per_test!r}"
            )
        object.__setattr__(self, "_site", _caller_site())

    def iter_dependency_requirements(self) -> tuple[WarmupRequirement, ...]:
        """All dependencies as one tuple, in slot order, tuple slots expanded in place."""
        return tuple(slot_members(self.dependencies))

    def __repr__(self) -> str:
        label = self.id if self.id is not None else f"@{id(self):x}"
        return f"<WarmupRequirement {label} of plan {self.owner_plan.name!r}>"


def declaration_site(requirement: WarmupRequirement) -> str | None:
    """Where ``requirement`` was declared, as ``file:line``, when known."""
    site: str | tuple[str, int] | None = getattr(requirement, "_site", None)
    if isinstance(site, tuple):
        filename, line = site
        return f"{relative_path(filename)}:{line}"
    return site


def requirement_label(requirement: WarmupRequirement) -> str:
    """The requirement's ``id``, else ``<plan name>@<hex of its identity>``."""
    if requirement.id is not None:
        return requirement.id
    return f"{requirement.owner_plan.name}@{id(requirement):x}"


def describe(requirement: WarmupRequirement) -> str:
    """``'label' (plan 'name', declared at file:line)`` for messages."""
    site = declaration_site(requirement)
    where = f", declared at {site}" if site else ""
    return f"'{requirement_label(requirement)}' (plan '{requirement.owner_plan.name}'{where})"


def set_declaration_site(requirement: WarmupRequirement, site: str) -> None:
    """Record where a requirement was declared (the YAML loader points at its file:line)."""
    object.__setattr__(requirement, "_site", site)


def _caller_site() -> tuple[str, int] | None:
    # The first frame outside this package and outside ``require`` wrappers and other factory
    # methods of plan subclasses is the line a user would look for. Frame 3 is the caller of
    # the dataclass-generated ``__init__`` (``<string>``), which calls ``__post_init__``.
    # Only the file name and line are kept here; making them relative waits until a message
    # needs them, so declaring 10,000 requirements stays cheap.
    frame = sys._getframe(3)
    while frame is not None:
        code = frame.f_code
        if (
            not _is_internal(code.co_filename)
            and code.co_name != "require"
            and not (
                code.co_argcount
                and code.co_varnames[0] == "self"
                and isinstance(frame.f_locals.get("self"), WarmupPlan)
            )
        ):
            return code.co_filename, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


@functools.lru_cache(maxsize=256)
def _is_internal(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


class WarmupPlan(Generic[ValueT]):
    """Creates one kind of resource, a batch at a time.

    Generic in the value it prepares: ``class AccountPlan(WarmupPlan[Account])`` makes
    ``prepare_node`` return an ``Account``, ``node.set_value`` take one and ``require`` return
    a ``WarmupRequirement[Account]``. A plain ``class AccountPlan(WarmupPlan)`` prepares
    ``Any``.

    Subclass it and either implement :meth:`prepare_node` (one value per node, with optional
    :meth:`before_prepare` / :meth:`after_prepare` around the batch) or override
    :meth:`prepare` for full control of the batch, completing every node with
    ``node.set_value(...)`` / ``node.set_exception(...)`` (or the older
    ``runtime.set(node, value)``). Any of these methods may be ``async def``.

    Optional teardown: :meth:`cleanup` (default: :meth:`cleanup_node` per node) runs when the
    producer's scope ends, for the nodes this plan really created.

    ``name`` appears in reports and messages and orders batches; it need not be unique.
    ``max_batch_size`` splits large batches into several calls (*chunks*), made one after the
    other, so that ``before_prepare`` may keep per-batch state on ``self``. A plan whose calls
    share nothing through ``self`` may set ``concurrent_chunks = True`` to let the chunks of
    one batch run at the same time (with ``--warmup-workers`` above 1).

    Under pytest-xdist, shared values are prepared once per run and handed to the other
    workers (pickled, or through :meth:`serialize_snapshot_value` and
    :meth:`deserialize_snapshot_value` when the plan defines them). ``per_worker = True`` opts
    out: a producer instance that prepares this plan is prepared by each worker on its own.
    """

    max_batch_size: int | None = None
    """At most this many nodes per call of the plan; a larger batch is split into chunks.
    ``None``: the whole batch in one call."""
    concurrent_chunks: bool = False
    """``True`` lets the chunks of one batch run at the same time on this plan object (only for
    plans whose calls share nothing through ``self``)."""
    per_worker: bool = False
    """``True``: under pytest-xdist, each worker prepares its own values of this plan instead of
    receiving them from the worker that prepared them first (for values that cannot cross
    processes, such as open clients)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, meaning in (
            (
                "concurrent_chunks",
                "only when the chunks of one batch may run at the same time on one plan object",
            ),
            ("per_worker", "when each pytest-xdist worker must prepare its own values"),
        ):
            flag = cls.__dict__.get(name, False)
            if not isinstance(flag, bool):
                raise WarmupError(
                    f"{cls.__module__}.{cls.__qualname__}.{name} must be True or False, "
                    f"got {flag!r}; set it to True {meaning}"
                )

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise WarmupError(f"plan name must be a non-empty string, got {name!r}")
        self.name = name
        """Names the plan in reports and messages (a catalog plan's name is its catalog key)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def require(
        self,
        *,
        payload: Mapping[str, Any] | None = None,
        dependencies: Mapping[str, WarmupRequirement | Iterable[WarmupRequirement]] | None = None,
        id: str | None = None,
        is_per_test: bool | None = None,
    ) -> WarmupRequirement[ValueT]:
        """Declare one requirement of this plan.

        ``payload`` is copied. A dependency value that is not a single requirement (a list or
        tuple of them) becomes a tuple slot. Subclasses usually wrap this with typed keyword
        arguments and call ``super().require(...)``.
        """
        if payload is not None and not isinstance(payload, Mapping):
            raise WarmupError(
                f"plan {self.name!r}: payload must be a mapping, got {type(payload).__name__}"
            )
        if dependencies is not None and not isinstance(dependencies, Mapping):
            raise WarmupError(
                f"plan {self.name!r}: dependencies must be a mapping of slot -> requirement, "
                f"got {type(dependencies).__name__}"
            )
        normalized: dict[str, Dependency] = {}
        for slot, value in (dependencies or {}).items():
            if isinstance(value, WarmupRequirement):
                normalized[slot] = value
            elif isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
                normalized[slot] = tuple(value)
            else:
                raise WarmupError(
                    f"plan {self.name!r}: dependency {slot!r} must be a WarmupRequirement or a "
                    f"list of them, got {type(value).__name__}"
                )
        return WarmupRequirement(
            owner_plan=self,
            payload=dict(payload or {}),
            dependencies=normalized,
            id=id,
            is_per_test=is_per_test,
        )

    # -- preparation -------------------------------------------------------------------------

    # ``*args, **kwargs`` so that subclasses may override with ``prepare(self, nodes)``,
    # ``prepare(self, nodes, runtime)`` or ``async def prepare(...)`` under mypy --strict.
    def prepare(self, *args: Any, **kwargs: Any) -> Awaitable[None] | None:
        """Prepare one batch; the engine calls it as ``prepare(nodes, runtime)``.

        The default runs ``before_prepare(nodes)``, ``prepare_node(node)`` per node and
        ``after_prepare(nodes)``. A raise in ``before_prepare`` fails every node; a raise in
        ``prepare_node`` fails that node; a raise in ``after_prepare`` fails every node that had
        a value (they are still cleaned up). When any of the three is ``async def`` the whole
        template runs on the plugin's event loop, and the ``prepare_node`` calls of one batch
        run concurrently.

        Override it as ``prepare(self, nodes)`` to handle the batch yourself, completing every
        node with ``node.set_value(...)`` / ``node.set_exception(...)``.
        """
        nodes: Sequence[WarmupNode[ValueT]] = args[0] if args else kwargs["nodes"]
        if _template_is_async(self):
            return self._prepare_async(nodes)
        try:
            self.before_prepare(nodes)
        except Exception as exc:
            for node in nodes:
                node.set_exception(exc)
            return None
        for node in nodes:
            try:
                # Not awaitable: a plan with an async prepare_node took the branch above.
                node.set_value(cast("ValueT", self.prepare_node(node)))
            except Exception as exc:
                node.set_exception(exc)
        try:
            self.after_prepare(nodes)
        except Exception as exc:
            _fail_valued(nodes, exc)
        return None

    async def _prepare_async(self, nodes: Sequence[WarmupNode[ValueT]]) -> None:
        try:
            await _maybe_await(self.before_prepare(nodes))
        except Exception as exc:
            for node in nodes:
                node.set_exception(exc)
            return

        async def one(node: WarmupNode[ValueT]) -> None:
            try:
                node.set_value(await _maybe_await(self.prepare_node(node)))
            except Exception as exc:
                node.set_exception(exc)

        import asyncio  # only plans with async methods need it

        await asyncio.gather(*(one(node) for node in nodes))
        try:
            await _maybe_await(self.after_prepare(nodes))
        except Exception as exc:
            _fail_valued(nodes, exc)

    def before_prepare(self, nodes: Sequence[WarmupNode[ValueT]]) -> Any:
        """Called once before ``prepare_node`` for a batch (e.g. open a client). Default: no-op."""
        return None

    def prepare_node(self, node: WarmupNode[ValueT]) -> ValueT | Awaitable[ValueT]:
        """Return the prepared value for one node (or, ``async def``, an awaitable of it).
        Implement this or :meth:`prepare`."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement prepare_node(...) or prepare(...)"
        )

    def after_prepare(self, nodes: Sequence[WarmupNode[ValueT]]) -> Any:
        """Called once after ``prepare_node`` for a batch (e.g. wait for indexing).

        Not a teardown: see :meth:`cleanup`. Default: no-op.
        """
        return None

    # -- teardown ----------------------------------------------------------------------------

    def cleanup(self, nodes: Sequence[WarmupNode[ValueT]]) -> Awaitable[None] | None:
        """Delete what one batch created, when the producer's scope ends.

        Receives the nodes this plan gave a value in that batch, even those the batch failed
        afterwards (``after_prepare`` raised): their ``value`` is what was created. Never
        snapshot overrides, nodes that failed before they had a value, or blocked nodes.
        Default: :meth:`cleanup_node` for each node; every node is tried and the first error is
        raised afterwards (the first interrupt, when one of them was ``KeyboardInterrupt`` or
        ``SystemExit``).
        """
        if _any_coroutine(self.cleanup_node):
            return self._cleanup_async(nodes)
        errors: list[BaseException] = []
        for node in nodes:
            try:
                self.cleanup_node(node)
            except BaseException as exc:  # pytest.fail or Ctrl-C too: the other nodes first
                errors.append(exc)
        _raise_first(errors)
        return None

    async def _cleanup_async(self, nodes: Sequence[WarmupNode[ValueT]]) -> None:
        import asyncio  # only plans with async methods need it

        results = await asyncio.gather(
            *(_maybe_await(self.cleanup_node(node)) for node in nodes), return_exceptions=True
        )
        _raise_first([result for result in results if isinstance(result, BaseException)])

    def cleanup_node(self, node: WarmupNode[ValueT]) -> Any:
        """Delete one created resource. Default: nothing to delete."""
        return None

    def has_cleanup(self) -> bool:
        """Whether this plan overrides :meth:`cleanup` or :meth:`cleanup_node`."""
        cls = type(self)
        return (
            cls.cleanup is not WarmupPlan.cleanup or cls.cleanup_node is not WarmupPlan.cleanup_node
        )

    # -- snapshot values ---------------------------------------------------------------------

    def validate_snapshot_value(self, requirement: WarmupRequirement[ValueT], raw: object) -> None:
        """Check a value read from a snapshot file. Default: it must be JSON-serializable."""
        try:
            json.dumps(raw)
        except (TypeError, ValueError) as exc:
            raise WarmupError("snapshot value is not JSON-serializable") from exc

    def deserialize_snapshot_value(
        self, requirement: WarmupRequirement[ValueT], raw: object
    ) -> ValueT:
        """Turn a snapshot file value into the value tests receive. Default: validate, keep
        (the file holds the value as it is)."""
        self.validate_snapshot_value(requirement, raw)
        return cast("ValueT", raw)

    def serialize_snapshot_value(
        self, requirement: WarmupRequirement[ValueT], value: ValueT
    ) -> object:
        """Turn a prepared value into something a snapshot file can hold. Default: as is."""
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise WarmupError("prepared runtime value is not JSON-serializable") from exc
        return value


def _any_coroutine(*methods: object) -> bool:
    return any(inspect.iscoroutinefunction(method) for method in methods)


#: (before_prepare, prepare_node, after_prepare) functions -> whether one is ``async def``
_ASYNC_TEMPLATES: dict[tuple[object, ...], bool] = {}


def _template_is_async(plan: WarmupPlan) -> bool:
    """Whether ``before_prepare``, ``prepare_node`` or ``after_prepare`` of ``plan`` is
    ``async def``: asked per batch, answered once per set of functions."""
    own = getattr(plan, "__dict__", None)
    if own is None or "before_prepare" in own or "prepare_node" in own or "after_prepare" in own:
        return _any_coroutine(plan.before_prepare, plan.prepare_node, plan.after_prepare)
    cls = type(plan)
    key = (cls.before_prepare, cls.prepare_node, cls.after_prepare)
    known = _ASYNC_TEMPLATES.get(key)
    if known is None:
        known = _ASYNC_TEMPLATES[key] = _any_coroutine(*key)
    return known


async def _maybe_await(result: Any) -> Any:
    if inspect.isawaitable(result):
        return await result
    return result


def is_interrupt(error: BaseException) -> bool:
    """Whether ``error`` asks the process to stop (Ctrl-C, ``sys.exit``): it is raised again
    once what was created is cleaned up, never taken as a result."""
    return isinstance(error, (KeyboardInterrupt, SystemExit))


def _raise_first(errors: Sequence[BaseException]) -> None:
    for error in errors:
        if is_interrupt(error):
            raise error
    if errors:
        raise errors[0]


def _fail_valued(nodes: Sequence[WarmupNode[Any]], exc: Exception) -> None:
    for node in nodes:
        if node.has_value:
            node.set_exception(exc)
