"""What a plan receives: one runtime instance of a requirement, to be completed with a value."""

from __future__ import annotations

from typing import Any, Final, Generic, final

from ._declarations import ValueT, WarmupRequirement
from .errors import WarmupError

__all__ = ["NodeStatus", "WarmupNode"]

NodeStatus = str  # "pending" | "value" | "exception"

_UNSET: Final = object()


@final
class WarmupNode(Generic[ValueT]):
    """One runtime instance of a requirement: shared in its producer scope, or one test's own.

    Generic in its plan's value type: a ``WarmupPlan[T]`` receives ``WarmupNode[T]`` nodes,
    whose :meth:`set_value` takes a ``T`` and whose :attr:`value` is one. ``deps`` holds values
    of other plans and stays untyped.

    Plans read ``payload`` and ``deps`` (slot -> prepared dependency value; tuple slots give a
    tuple of values) and complete the node with :meth:`set_value` or :meth:`set_exception`
    while their batch runs. The last call wins. Nodes compare and hash by identity.

    ``runtime_key`` is ``node-<n>:shared`` or ``node-<n>:<test node id>``; ``test_id`` is the
    test of a per-test instance, else ``None``.
    """

    __slots__ = (
        "_active",
        "_exception",
        "_value",
        "blocked_by",
        "dependencies",
        "deps",
        "given",
        "graph_node",
        "overridden",
        "runtime_key",
        "test_id",
    )

    def __init__(
        self,
        runtime_key: str,
        graph_node: Any,
        test_id: str | None,
        dependencies: dict[str, WarmupNode[Any] | tuple[WarmupNode[Any], ...]],
    ) -> None:
        self.runtime_key = runtime_key
        """This instance's address in reports and messages: ``node-<n>:shared`` for a shared
        instance, ``node-<n>:<test node id>`` for one test's own."""
        self.graph_node = graph_node
        """The graph node this instance belongs to (:class:`pytest_warmup.engine.GraphNode`)."""
        self.test_id = test_id
        """The test (or, in the engine, the consumer) that owns this per-test instance; ``None``
        for a shared one."""
        self.dependencies = dependencies
        """Slot -> dependency instance(s)."""
        self.deps: dict[str, Any] = {}
        """Slot -> the prepared value of that dependency, filled in before the plan is called:
        ``node.deps["customer"]`` is the customer's value, a tuple slot gives a tuple of values.
        The values of the requirement's ``dependencies``, whatever their plans."""
        self.overridden = False
        """Its value came from a snapshot file or an override, not from the plan: the plan is
        not called for it and its cleanup never receives it."""
        self.given = False
        """Its value or failure came from another preparation (``Overrides.given``/``failed``)."""
        self.blocked_by: WarmupNode[Any] | None = None
        """The failed ancestor that kept this node from being prepared."""
        self._value: Any = _UNSET
        self._exception: BaseException | None = None
        self._active = False

    def __repr__(self) -> str:
        return f"<WarmupNode {self.runtime_key} {self.graph_node.label}>"

    # -- what the requirement declared --------------------------------------------------------

    @property
    def requirement(self) -> WarmupRequirement[ValueT]:
        """The declaration this node prepares."""
        requirement: WarmupRequirement[ValueT] = self.graph_node.requirement
        return requirement

    @property
    def payload(self) -> dict[str, Any]:
        """The requirement's payload (the same dict object, not a copy)."""
        return self.requirement.payload

    @property
    def public_id(self) -> str | None:
        """The requirement's ``id``, or ``None``."""
        return self.requirement.id

    @property
    def id(self) -> str | None:
        """Alias of :attr:`public_id`."""
        return self.requirement.id

    @property
    def per_test(self) -> bool:
        """Whether this node is effectively per-test (declared, or inherited from a dependency)."""
        per_test: bool = self.graph_node.per_test
        return per_test

    @property
    def is_per_test(self) -> bool:
        """Alias of :attr:`per_test`."""
        return self.per_test

    # -- result ---------------------------------------------------------------------------------

    @property
    def has_value(self) -> bool:
        """A value has been set, and no exception after it."""
        return self._value is not _UNSET and self._exception is None

    @property
    def has_exception(self) -> bool:
        """An exception has been recorded."""
        return self._exception is not None

    @property
    def is_resolved(self) -> bool:
        """A value or an exception has been recorded."""
        return self.has_value or self.has_exception

    @property
    def value(self) -> ValueT:
        """The prepared value; raises :class:`WarmupError` when none was set.

        A node that failed after it got its value (``after_prepare`` raised) keeps it here, so
        that its cleanup can delete what was created; consumers get the failure.
        """
        if self._value is _UNSET:
            raise WarmupError(f"node '{self.runtime_key}' has no prepared value")
        value: ValueT = self._value  # only set_value and preset store it
        return value

    @property
    def exception(self) -> BaseException | None:
        """The recorded exception, or ``None``."""
        return self._exception

    @property
    def status(self) -> NodeStatus:
        """``"value"``, ``"exception"`` or ``"pending"`` (never prepared)."""
        if self.has_value:
            return "value"
        if self.has_exception:
            return "exception"
        return "pending"

    def set_value(self, value: ValueT) -> None:
        """Complete this node with ``value`` (only while its batch runs)."""
        self._check_active()
        self._value = value
        self._exception = None

    def set_exception(self, exc: BaseException) -> None:
        """Record that preparing this node failed (only while its batch runs)."""
        self._check_active()
        self.record_exception(exc)

    def _check_active(self) -> None:
        if not self._active:
            raise WarmupError("warmup node values may only be set during active plan.prepare(...)")

    # -- engine side ----------------------------------------------------------------------------

    def record_exception(self, exc: BaseException) -> None:
        """Record ``exc`` without the active-batch check (engine use). A value set before stays
        readable as :attr:`value`, for cleanup."""
        self._exception = exc

    @property
    def created(self) -> bool:
        """The plan gave this node a value in its batch: its cleanup receives the node, even
        when the batch failed it afterwards (engine use)."""
        return self._value is not _UNSET and not self.overridden

    def preset(self, value: Any) -> None:
        """Give this node an override value before any batch runs (engine use)."""
        self._value = value
        self._exception = None
        self.overridden = True

    def preset_failure(self, exc: BaseException) -> None:
        """Record, before any batch runs, that this node failed elsewhere (engine use)."""
        self._value = _UNSET
        self._exception = exc
        self.overridden = True
