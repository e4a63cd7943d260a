"""Which entries of a snapshot section one preparation applies, checked against the run.

:func:`overrides_for` is the snapshot step of a producer: it runs between the two phases of the
engine, when the normalised graph is known, and turns a section into the engine's
:class:`~pytest_warmup.engine.Overrides`, values converted by their plans' snapshot hooks.
What the whole run knows about the producer (deselected tests included) comes in through a
:class:`ProducerView`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from ._graph import Graph, GraphNode
from ._selection import TestState
from ._snapshots import Section
from ._text import did_you_mean
from .engine import Overrides
from .errors import WarmupError

__all__ = [
    "ProducerView",
    "Selected",
    "deserialize_overrides",
    "overrides_for",
    "select_overrides",
]

_MAX_LISTED: Final = 10


def _listed(names: Iterable[str]) -> str:
    ordered = sorted(names)
    if not ordered:
        return "none"
    shown = ", ".join(map(repr, ordered[:_MAX_LISTED]))
    if len(ordered) > _MAX_LISTED:
        shown += f", ... ({len(ordered)} in total)"
    return shown


class ProducerView(Protocol):
    """What the whole run knows about one producer fixture definition (deselected tests too)."""

    @property
    def producer(self) -> str: ...

    #: whether the run collected its usual set of tests (no path arguments, no --lf)
    @property
    def complete(self) -> bool: ...

    def ids_of_test(self, test_id: str) -> frozenset[str] | None:
        """Ids the bindings of a collected test reach through this producer, or ``None`` when
        the test was not collected or does not use this producer."""

    def shared_ids(self) -> frozenset[str]:
        """Ids reached through this producer by any collected test."""

    def test_ids(self) -> frozenset[str]:
        """Collected tests that use this producer."""

    def test_state(self, test_id: str) -> TestState:
        """For a test id not using this producer: ``collected`` (it exists but does not use
        the producer), ``missing`` (no such test: a typo) or ``outside`` (its file exists but
        was not collected in this run)."""


@dataclass
class Selected:
    """The entries of one section that apply to one ``prepare()``, values still raw."""

    shared: list[tuple[GraphNode, Any]] = field(default_factory=list)
    tests: list[tuple[GraphNode, str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def overrides_for(
    section: Section,
    graph: Graph,
    selected: Container[str],
    view: ProducerView,
    *,
    strict: bool,
    warn: Callable[[str], None],
) -> Overrides:
    """The overrides a section gives one preparation; every problem is reported at once
    (warnings through ``warn``, errors raised together)."""
    chosen = select_overrides(section, graph, selected, view, strict=strict)
    for warning in chosen.warnings:
        warn(warning)
    if chosen.errors:
        raise WarmupError("\n".join(chosen.errors))
    shared, tests = deserialize_overrides(chosen, section.where)
    overrides = Overrides(raw={"shared": {}, "tests": {}})
    assert overrides.raw is not None
    for (node, raw), value in zip(chosen.shared, shared, strict=True):
        overrides.shared[node.requirement] = value
        overrides.raw["shared"][node.label] = raw
    for (node, test_id, raw), value in zip(chosen.tests, tests, strict=True):
        overrides.local.setdefault(test_id, {})[node.requirement] = value
        overrides.raw["tests"].setdefault(test_id, {})[node.label] = raw
    return overrides


def select_overrides(
    section: Section,
    graph: Graph,
    selected: Container[str],
    view: ProducerView,
    *,
    strict: bool,
) -> Selected:
    """Check a section against the run and pick the entries this ``prepare()`` applies.

    ``selected``: the tests of this ``prepare()``. Entries for known tests and ids outside this
    graph (deselected tests, other instances of the producer) are skipped. An unknown entry
    with a value is an error; an empty one (``{}``) a warning; an unknown shared id is only a
    warning when the run collected part of the suite. ``strict`` makes every warning an error.
    """
    result = Selected()
    by_id = {node.requirement.id: node for node in graph.nodes if node.requirement.id is not None}
    where = section.where

    def unknown(message: str, *, certain: bool) -> None:
        (result.errors if certain or strict else result.warnings).append(message)

    for public_id, entry in section.shared.items():
        node = by_id.get(public_id)
        if node is not None:
            if node.per_test:
                result.errors.append(
                    f"shared override {public_id!r} targets a per-test runtime node in {where}; "
                    "address it per test under 'tests' instead"
                )
            elif entry.has_value:
                result.shared.append((node, entry.value))
            continue
        known = view.shared_ids()
        if public_id in known:
            continue
        hint = "" if view.complete else "; this run collected only part of the suite"
        unknown(
            f"unknown shared override id {public_id!r} in {where}"
            f"{did_you_mean(public_id, known, n=3)}; "
            f"known ids of producer {view.producer!r}: {_listed(known)}{hint}",
            certain=entry.has_value and view.complete,
        )

    for test_id, entries in section.tests.items():
        known_ids = view.ids_of_test(test_id)
        if known_ids is not None:
            own = test_id in selected
            for public_id, entry in entries.items():
                if public_id not in known_ids:
                    unknown(
                        f"unknown per-test override id {public_id!r} for test {test_id!r} in "
                        f"{where}{did_you_mean(public_id, known_ids, n=3)}; known ids for this "
                        f"test: {_listed(known_ids)}",
                        certain=entry.has_value,
                    )
                elif own and entry.has_value:
                    result.tests.append((by_id[public_id], test_id, entry.value))
            continue
        state = view.test_state(test_id)
        if state == "outside":
            continue
        reason = {
            "collected": f"the test does not use producer {view.producer!r}",
            "missing": "no such test was collected",
        }[state]
        tests = view.test_ids()
        unknown(
            f"unknown test id in overrides: {test_id!r} in {where}: {reason}"
            f"{did_you_mean(test_id, tests, n=3)}; known test ids "
            f"of producer {view.producer!r}: {_listed(tests)}",
            certain=any(entry.has_value for entry in entries.values()),
        )
    order = {node: index for index, node in enumerate(graph.nodes)}
    result.shared.sort(key=lambda item: order[item[0]])
    result.tests.sort(key=lambda item: (item[1], order[item[0]]))
    return result


def deserialize_overrides(overrides: Selected, where: str) -> tuple[list[Any], list[Any]]:
    """Run each raw value through its plan's ``validate_snapshot_value`` and
    ``deserialize_snapshot_value``; report every rejected value at once."""
    problems: list[str] = []
    first_cause: BaseException | None = None

    def convert(node: GraphNode, raw: Any, what: str) -> Any:
        nonlocal first_cause
        requirement = node.requirement
        plan = requirement.owner_plan
        try:
            plan.validate_snapshot_value(requirement, raw)
            return plan.deserialize_snapshot_value(requirement, raw)
        except WarmupError as exc:
            problems.append(f"{exc} ({what} in {where})")
        except Exception as exc:
            first_cause = first_cause or exc
            problems.append(
                f"plan {plan.name!r} rejected the snapshot value of {what} in {where}: "
                f"{type(exc).__name__}: {exc}"
            )
        return None

    shared = [
        convert(node, raw, f"shared override {node.label!r}") for node, raw in overrides.shared
    ]
    tests = [
        convert(node, raw, f"override {node.label!r} of test {test_id!r}")
        for node, test_id, raw in overrides.tests
    ]
    if problems:
        raise WarmupError("\n".join(problems)) from first_cause
    return shared, tests
