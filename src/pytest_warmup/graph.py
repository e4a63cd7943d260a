"""Selected roots -> normalized nodes -> runtime instances.

Pure and pytest-free: a producer hands in the roots its covered tests bind, in order, and gets
back the reachable subgraph (checked for cycles, duplicate ids and shared-depends-on-per-test)
and one :class:`~pytest_warmup.nodes.WarmupNode` per shared node and per (per-test node, test).
Every walk is iterative and linear in the size of what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, final, overload

from .declarations import WarmupRequirement, declaration_site
from .errors import DependencyCycleError, WarmupError
from .nodes import WarmupNode

__all__ = [
    "Graph",
    "GraphNode",
    "Root",
    "RootTable",
    "build_graph",
    "describe",
    "requirement_label",
]


class Root(NamedTuple):
    """One binding of a covered test that this producer prepares (a tuple: producers make
    one for every covered test)."""

    consumer_id: str
    source_kind: str  # "test" or "fixture"
    source_name: str
    argument_name: str
    requirement: WarmupRequirement
    producer_fixture: str | None = None


@final
class RootTable(Sequence[Root]):
    """A producer's roots, kept by column.

    A producer has a root for every binding of every test it covers. As tuples they would be
    thousands of objects that every full garbage collection of the run scans again; here they
    are six lists, and reading a row makes its :class:`Root` on the fly. The graph engine reads
    the two columns it needs, ``consumer_ids`` and ``requirements``, directly.
    """

    __slots__ = (
        "argument_names",
        "consumer_ids",
        "producer_fixtures",
        "requirements",
        "source_kinds",
        "source_names",
    )

    def __init__(self, roots: Iterable[Root] = ()) -> None:
        self.consumer_ids: list[str] = []
        self.source_kinds: list[str] = []
        self.source_names: list[str] = []
        self.argument_names: list[str] = []
        self.requirements: list[WarmupRequirement] = []
        self.producer_fixtures: list[str | None] = []
        for root in roots:
            self.append(*root)

    def append(
        self,
        consumer_id: str,
        source_kind: str,
        source_name: str,
        argument_name: str,
        requirement: WarmupRequirement,
        producer_fixture: str | None = None,
    ) -> None:
        self.consumer_ids.append(consumer_id)
        self.source_kinds.append(source_kind)
        self.source_names.append(source_name)
        self.argument_names.append(argument_name)
        self.requirements.append(requirement)
        self.producer_fixtures.append(producer_fixture)

    def __len__(self) -> int:
        return len(self.consumer_ids)

    @overload
    def __getitem__(self, index: int) -> Root: ...

    @overload
    def __getitem__(self, index: slice) -> list[Root]: ...

    def __getitem__(self, index: int | slice) -> Root | list[Root]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        position = range(len(self))[index]  # negative indexes and IndexError, as a list does
        return Root._make(column[position] for column in self._columns())

    def __iter__(self) -> Iterator[Root]:
        return map(Root, *self._columns())

    def __repr__(self) -> str:
        return f"RootTable({list(self)!r})"

    def _columns(self) -> tuple[list[Any], ...]:
        return (
            self.consumer_ids,
            self.source_kinds,
            self.source_names,
            self.argument_names,
            self.requirements,
            self.producer_fixtures,
        )


@dataclass(eq=False, slots=True)
class GraphNode:
    """One requirement of the reachable subgraph, numbered in emission order."""

    key: str
    requirement: WarmupRequirement
    label: str
    dependencies: dict[str, GraphNode | tuple[GraphNode, ...]]
    per_test: bool = False

    def iter_dependencies(self) -> Iterable[GraphNode]:
        for value in self.dependencies.values():
            if isinstance(value, GraphNode):
                yield value
            else:
                yield from value

    @property
    def plan_name(self) -> str:
        return self.requirement.owner_plan.name

    def __repr__(self) -> str:
        # Not the dataclass repr: it would recurse through the dependencies, which fails on
        # deep chains (RecursionError) and floods tracebacks shown with --showlocals.
        return f"<GraphNode {self.key} {self.label}>"


@dataclass(eq=False)
class Graph:
    """The normalized subgraph of one ``prepare()`` and its runtime instances, in order."""

    nodes: list[GraphNode]
    instances: list[WarmupNode]
    shared: dict[GraphNode, WarmupNode] = field(default_factory=dict)
    #: (graph node, test id) -> the test's own instance: per-test, or a test-local override
    per_test: dict[tuple[GraphNode, str], WarmupNode] = field(default_factory=dict)
    by_requirement: dict[WarmupRequirement, GraphNode] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.instances)} instances>"


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


_WHITE: Final = 0
_GRAY: Final = 1
_BLACK: Final = 2


def build_graph(
    roots: Iterable[Root],
    *,
    test_local: Iterable[tuple[WarmupRequirement, str]] = (),
) -> Graph:
    """Normalize the subgraph reachable from ``roots`` and create its runtime instances.

    ``test_local`` names shared requirements that get a test-local instance for one test
    (a snapshot override); that test's per-test instances depend on it instead of the shared one.
    """
    table = roots if isinstance(roots, RootTable) else RootTable(roots)
    nodes = _normalize(table.requirements)
    by_requirement = {node.requirement: node for node in nodes}
    _check_duplicate_ids(nodes)
    _assign_per_test(nodes)
    graph = Graph(nodes=nodes, instances=[], by_requirement=by_requirement)
    _build_instances(graph, table, test_local)
    return graph


def _normalize(root_requirements: Sequence[WarmupRequirement]) -> list[GraphNode]:
    color: dict[WarmupRequirement, int] = {}
    emitted: dict[WarmupRequirement, GraphNode] = {}
    order: list[GraphNode] = []
    for root in root_requirements:
        if color.get(root, _WHITE) != _WHITE:
            continue
        path: list[WarmupRequirement] = [root]
        stack = [iter(root.iter_dependency_requirements())]
        color[root] = _GRAY
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done = path.pop()
                color[done] = _BLACK
                order.append(_emit(done, emitted, len(order) + 1))
                continue
            if not isinstance(child, WarmupRequirement):
                raise WarmupError(
                    f"requirement {describe(path[-1])} has a dependency that is not a "
                    f"WarmupRequirement: {type(child).__name__}; assign requirements (or "
                    "tuples of them) to dependencies"
                )
            state = color.get(child, _WHITE)
            if state == _BLACK:
                continue
            if state == _GRAY:
                start = path.index(child)
                raise DependencyCycleError(
                    [requirement_label(item) for item in [*path[start:], child]]
                )
            color[child] = _GRAY
            path.append(child)
            stack.append(iter(child.iter_dependency_requirements()))
    return order


def _emit(
    requirement: WarmupRequirement, emitted: dict[WarmupRequirement, GraphNode], number: int
) -> GraphNode:
    dependencies: dict[str, GraphNode | tuple[GraphNode, ...]] = {}
    for slot, value in requirement.dependencies.items():
        if isinstance(value, WarmupRequirement):
            dependencies[slot] = emitted[value]
        else:
            dependencies[slot] = tuple(emitted[member] for member in value)
    node = GraphNode(
        key=f"node-{number}",
        requirement=requirement,
        label=requirement_label(requirement),
        dependencies=dependencies,
    )
    emitted[requirement] = node
    return node


def _check_duplicate_ids(nodes: Sequence[GraphNode]) -> None:
    seen: dict[str, GraphNode] = {}
    for node in nodes:
        public_id = node.requirement.id
        if public_id is None:
            continue
        if public_id in seen:
            sites = [
                site
                for site in (
                    declaration_site(seen[public_id].requirement),
                    declaration_site(node.requirement),
                )
                if site
            ]
            where = f" (declared at {' and '.join(sites)})" if sites else ""
            raise WarmupError(
                f"duplicate id '{public_id}' within one producer scope; if this should be the "
                "same resource, import and reuse the same WarmupRequirement object instead of "
                f"redeclaring it{where}"
            )
        seen[public_id] = node


def _assign_per_test(nodes: Sequence[GraphNode]) -> None:
    for node in nodes:
        declared = node.requirement.is_per_test
        per_test_deps = [dep for dep in _unique(node.iter_dependencies()) if dep.per_test]
        if declared is True:
            node.per_test = True
        elif declared is None:
            node.per_test = bool(per_test_deps)
        elif per_test_deps:
            site = declaration_site(node.requirement)
            where = f" (declared at {site})" if site else ""
            raise WarmupError(
                f"{node.label} cannot be shared because dependency "
                f"{', '.join(dep.label for dep in per_test_deps)} is per-test; leave its "
                f"is_per_test unset to inherit per-test, or make the dependency shared{where}"
            )


def _unique(nodes: Iterable[GraphNode]) -> list[GraphNode]:
    return list(dict.fromkeys(nodes))


def _build_instances(
    graph: Graph, roots: RootTable, test_local: Iterable[tuple[WarmupRequirement, str]]
) -> None:
    by_requirement = graph.by_requirement
    # Which tests reach each per-test node: walk from each test's per-test roots through
    # per-test dependencies only (a shared node never has per-test dependencies).
    tests_by_node: dict[GraphNode, set[str]] = {}
    for consumer_id, requirement in zip(roots.consumer_ids, roots.requirements, strict=True):
        start = by_requirement[requirement]
        if not start.per_test:
            continue
        todo = [start]
        while todo:
            node = todo.pop()
            tests = tests_by_node.setdefault(node, set())
            if consumer_id in tests:
                continue
            tests.add(consumer_id)
            todo.extend(dep for dep in node.iter_dependencies() if dep.per_test)

    local: dict[tuple[GraphNode, str], WarmupNode] = {}
    for requirement, test_id in test_local:
        node = by_requirement[requirement]
        key = (node, test_id)
        if key not in local:
            local[key] = WarmupNode(f"override:{node.label}:{test_id}", node, test_id, {})
    graph.per_test.update(local)

    def link(dep: GraphNode, test_id: str | None) -> WarmupNode:
        if test_id is not None:
            own = graph.per_test.get((dep, test_id))
            if own is not None:
                return own
        return graph.shared[dep]

    for node in graph.nodes:
        if not node.per_test:
            instance = WarmupNode(f"{node.key}:shared", node, None, _link_slots(node, None, link))
            graph.shared[node] = instance
            graph.instances.append(instance)
            continue
        for test_id in sorted(tests_by_node.get(node, ())):
            instance = WarmupNode(
                f"{node.key}:{test_id}", node, test_id, _link_slots(node, test_id, link)
            )
            graph.per_test[(node, test_id)] = instance
            graph.instances.append(instance)
    graph.instances.extend(local.values())


def _link_slots(
    node: GraphNode, test_id: str | None, link: Any
) -> dict[str, WarmupNode | tuple[WarmupNode, ...]]:
    slots: dict[str, WarmupNode | tuple[WarmupNode, ...]] = {}
    for slot, value in node.dependencies.items():
        if isinstance(value, GraphNode):
            slots[slot] = link(value, test_id)
        else:
            slots[slot] = tuple(link(member, test_id) for member in value)
    return slots
