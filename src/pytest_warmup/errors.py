"""The one error type users see, and the few subclasses that carry data."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CatalogError",
    "DependencyCycleError",
    "NodeFailedError",
    "NotPreparedError",
    "WarmupError",
]


class WarmupError(ValueError):
    """A mistake in a warmup declaration, file, producer or binding.

    The message says what is wrong, where, and how to fix it. pytest-warmup turns it into a
    clean pytest error without the plugin's own traceback.
    """

    producer: str | None = None
    """The producer that was preparing when pytest-warmup raised this error, as ``producer 'name'
    (scope id)``; shown under the message. ``None`` elsewhere."""


class DependencyCycleError(WarmupError):
    """The requirement graph has a cycle; ``cycle`` lists its labels, first one repeated last."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        """The labels of the requirements in the loop, the first one repeated last."""
        super().__init__("dependency cycle detected: " + " -> ".join(self.cycle))


class NodeFailedError(WarmupError):
    """A test needs a prepared value whose preparation (or an ancestor's) raised.

    The original exception is chained as ``__cause__``.
    """


class NotPreparedError(WarmupError):
    """A value was asked for a requirement that the preparation did not prepare for the
    consumer that asked; ``requirement`` and ``consumer`` say which."""

    def __init__(self, message: str, requirement: object, consumer: str | None) -> None:
        super().__init__(message)
        self.requirement = requirement
        """The :class:`~pytest_warmup.WarmupRequirement` whose value was asked for."""
        self.consumer = consumer
        """The consumer it was asked for, or ``None`` when none was named."""


class CatalogError(WarmupError):
    """A warmup catalog (``warmup.yaml``) has problems; ``problems`` holds one line each.

    Each line reads ``file:line:col: path.to.key: what is wrong``, sorted by file and position,
    so every problem of every loaded file is reported at once.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        """One line per problem, ``file:line:col: path.to.key: what is wrong``."""
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[type[CatalogError], tuple[tuple[str, ...]]]:
        return (type(self), (self.problems,))
