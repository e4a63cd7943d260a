"""Roots -> normalised graph -> runtime instances, in two explicit phases.

Pure and pytest-free. :func:`normalise` walks the requirements the roots name and returns the
reachable subgraph, checked for cycles, duplicate ids and shared-depends-on-per-test, with each
node marked shared or per-test. :func:`instantiate` then creates one
:class:`~pytest_warmup._nodes.WarmupNode` per shared node and per (per-test node, consumer), plus
the consumer-local instances that overrides ask for. Whoever chooses overrides looks at the
graph between the two. Every walk is iterative and linear in the size of what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, final, overload

from ._declarations import WarmupRequirement, declaration_site, describe, requirement_label
from ._nodes import WarmupNode
from ._scheduler import PlannedBatch, planned_positions
from ._slots import map_slots, slot_members
from .errors import DependencyCycleError, WarmupError

__all__ = [
    "Graph",
    "GraphCache",
    "GraphNode",
    "Instances",
    "Root",
    "RootTable",
    "instantiate",
    "normalise",
    "reachable",
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

    def iter_dependencies(self) -> Iterator[GraphNode]:
        return slot_members(self.dependencies)

    @property
    def plan_name(self) -> str:
        return self.requirement.owner_plan.name

    def __repr__(self) -> str:
        # Not the dataclass repr: it would recurse through the dependencies, which fails on
        # deep chains (RecursionError) and floods tracebacks shown with --showlocals.
        return f"<GraphNode {self.key} {self.label}>"


@dataclass(eq=False)
class Graph:
    """The normalised subgraph of one preparation: its nodes, dependencies first."""

    nodes: list[GraphNode]
    by_requirement: dict[WarmupRequirement, GraphNode]

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes>"


@final
@dataclass(eq=False)
class Instances(Sequence[WarmupNode]):
    """The runtime instances of a graph for one preparation, in instance order: shared and
    per-test instances in node order (a node's per-test ones by consumer id), then the
    consumer-local ones."""

    graph: Graph
    order: list[WarmupNode] = field(default_factory=list)
    shared: dict[GraphNode, WarmupNode] = field(default_factory=dict)
    per_test: dict[tuple[GraphNode, str], WarmupNode] = field(default_factory=dict)
    """(graph node, consumer id) -> the consumer's own instance: per-test, or consumer-local."""

    def __iter__(self) -> Iterator[WarmupNode]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, index: int) -> WarmupNode: ...

    @overload
    def __getitem__(self, index: slice) -> list[WarmupNode]: ...

    def __getitem__(self, index: int | slice) -> WarmupNode | list[WarmupNode]:
        return self.order[index]

    def __repr__(self) -> str:
        return f"<Instances {len(self.order)} of {len(self.graph.nodes)} nodes>"

    def find(self, requirement: WarmupRequirement, consumer: str | None) -> WarmupNode | None:
        """The instance ``consumer`` receives for ``requirement``: its own (per-test, or a
        consumer-local override) first, then the shared one; ``None`` when there is none."""
        node = self.graph.by_requirement.get(requirement)
        if node is None:
            return None
        if consumer is not None and self.per_test:
            own = self.per_test.get((node, consumer))
            if own is not None:
                return own
        return self.shared.get(node)


_WHITE: Final = 0
_GRAY: Final = 1
_BLACK: Final = 2


def normalise(requirements: Iterable[WarmupRequirement]) -> Graph:
    """Phase one: the subgraph reachable from ``requirements`` (the roots' requirements, in
    order), every node marked shared or per-test. Raises :class:`WarmupError` for a cycle, two
    requirements with one id, or a shared requirement that depends on a per-test one."""
    nodes = _normalize(requirements)
    _check_duplicate_ids(nodes)
    _assign_per_test(nodes)
    return Graph(nodes, {node.requirement: node for node in nodes})


@final
class GraphCache:
    """Normalised graphs of small root sets, for reuse: the thousands of instances of a
    function-scoped producer bind the same few sets of requirements.

    ``dependencies`` of a requirement stay an ordinary dict, read when ``prepare()`` runs, so
    a graph is reused only while each of its requirements still has the dependencies it had.
    """

    #: graphs of more nodes than this are normalised each time (a producer of a broad scope
    #: is prepared once or a few times)
    SMALL: Final = 64
    #: at most this many graphs are kept; the oldest goes first
    LIMIT: Final = 256

    __slots__ = ("_graphs", "_planned")

    def __init__(self) -> None:
        self._graphs: dict[tuple[WarmupRequirement, ...], tuple[Graph, list[tuple[Any, Any]]]]
        self._graphs = {}
        # id of a graph -> (the graph, its batches for one consumer, or None: not replayable)
        self._planned: dict[int, tuple[Graph, list[PlannedBatch] | None]] = {}

    def planned(self, graph: Graph, instances: Sequence[WarmupNode]) -> list[PlannedBatch] | None:
        """The batches of ``graph``'s instances for one consumer (``instances``, none
        prepared yet), worked out the first time (:func:`~._scheduler.planned_positions`).
        For small graphs (:attr:`SMALL`): the caller checks."""
        found = self._planned.get(id(graph))
        if found is not None and found[0] is graph:
            return found[1]
        planned = planned_positions(instances)
        if len(self._planned) >= self.LIMIT:
            del self._planned[next(iter(self._planned))]
        self._planned[id(graph)] = (graph, planned)
        return planned

    def normalise(self, requirements: Sequence[WarmupRequirement]) -> Graph:
        """:func:`normalise`, or the graph it gave for the same requirements."""
        key = tuple(requirements)
        found = self._graphs.get(key)
        if found is not None:
            graph, declared = found
            if all(requirement.dependencies == deps for requirement, deps in declared):
                return graph
        graph = normalise(key)
        if len(graph.nodes) <= self.SMALL:
            if len(self._graphs) >= self.LIMIT:
                del self._graphs[next(iter(self._graphs))]
            declared = [
                (node.requirement, dict(node.requirement.dependencies)) for node in graph.nodes
            ]
            self._graphs[key] = (graph, declared)
        return graph


def instantiate(
    graph: Graph,
    roots: RootTable,
    *,
    local: Iterable[tuple[GraphNode, str]] = (),
) -> Instances:
    """Phase two: one instance per shared node, and one per per-test node and consumer whose
    roots reach it.

    ``local`` names shared nodes that get a consumer-local instance for one consumer (an
    override); that consumer's per-test instances depend on it instead of the shared one.
    """
    instances = Instances(graph)
    _build_instances(instances, roots, local)
    return instances


def reachable(roots: Iterable[WarmupRequirement]) -> set[WarmupRequirement]:
    """``roots`` and everything they depend on, directly or not (cycles allowed)."""
    seen: set[WarmupRequirement] = set()
    todo = list(roots)
    while todo:
        requirement = todo.pop()
        if requirement not in seen:
            seen.add(requirement)
            todo.extend(requirement.iter_dependency_requirements())
    return seen


def _normalize(root_requirements: Iterable[WarmupRequirement]) -> list[GraphNode]:
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
    node = GraphNode(
        key=f"node-{number}",
        requirement=requirement,
        label=requirement_label(requirement),
        dependencies=map_slots(requirement.dependencies, emitted.__getitem__),
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
    instances: Instances, roots: RootTable, local: Iterable[tuple[GraphNode, str]]
) -> None:
    by_requirement = instances.graph.by_requirement
    # Which consumers reach each per-test node: walk from each consumer's per-test roots
    # through per-test dependencies only (a shared node never has per-test dependencies).
    consumers_by_node: dict[GraphNode, set[str]] = {}
    for consumer_id, requirement in zip(roots.consumer_ids, roots.requirements, strict=True):
        start = by_requirement[requirement]
        if not start.per_test:
            continue
        todo = [start]
        while todo:
            node = todo.pop()
            consumers = consumers_by_node.setdefault(node, set())
            if consumer_id in consumers:
                continue
            consumers.add(consumer_id)
            todo.extend(dep for dep in node.iter_dependencies() if dep.per_test)

    shared, per_test, order = instances.shared, instances.per_test, instances.order
    own_local: dict[tuple[GraphNode, str], WarmupNode] = {}
    for node, consumer_id in local:
        key = (node, consumer_id)
        if key not in own_local:
            own_local[key] = WarmupNode(
                f"override:{node.label}:{consumer_id}", node, consumer_id, {}
            )
    per_test.update(own_local)

    for node in instances.graph.nodes:
        if not node.per_test:
            instance = WarmupNode(
                f"{node.key}:shared", node, None, map_slots(node.dependencies, shared.__getitem__)
            )
            shared[node] = instance
            order.append(instance)
            continue
        for consumer_id in sorted(consumers_by_node.get(node, ())):

            def link(dependency: GraphNode, consumer_id: str = consumer_id) -> WarmupNode:
                return per_test.get((dependency, consumer_id)) or shared[dependency]

            instance = WarmupNode(
                f"{node.key}:{consumer_id}",
                node,
                consumer_id,
                map_slots(node.dependencies, link),
            )
            per_test[(node, consumer_id)] = instance
            order.append(instance)
    order.extend(own_local.values())
