"""Unit tests of graph building: roots -> normalized nodes -> runtime instances."""

from __future__ import annotations

import gc
from collections.abc import Iterable

import pytest

from graphs import TEST_A, TEST_B, build, root
from pytest_warmup import WarmupError, WarmupPlan, WarmupRequirement
from pytest_warmup._declarations import requirement_label
from pytest_warmup._graph import (
    Graph,
    GraphNode,
    RootTable,
    instantiate,
    normalise,
    reachable,
)
from pytest_warmup._nodes import WarmupNode
from pytest_warmup.errors import DependencyCycleError


def labels(graph: Graph) -> list[str]:
    return [node.label for node in graph.nodes]


def keys(instances: Iterable[WarmupNode]) -> list[str]:
    return [instance.runtime_key for instance in instances]


def node_of(graph: Graph, requirement: WarmupRequirement) -> GraphNode:
    return graph.by_requirement[requirement]


@pytest.fixture
def plan() -> WarmupPlan:
    return WarmupPlan("db")


# -- normalisation ------------------------------------------------------------------------------


def test_nodes_are_emitted_after_their_dependencies_depth_first(plan: WarmupPlan) -> None:
    d = plan.require(id="d")
    b = plan.require(id="b", dependencies={"d": d})
    c = plan.require(id="c")
    a = plan.require(id="a", dependencies={"b": b, "c": c})
    e = plan.require(id="e")

    graph = normalise([a, e])

    assert labels(graph) == ["d", "b", "c", "a", "e"]
    assert [node.key for node in graph.nodes] == ["node-1", "node-2", "node-3", "node-4", "node-5"]


def test_tuple_slots_are_walked_in_order(plan: WarmupPlan) -> None:
    x, y, z = plan.require(id="x"), plan.require(id="y"), plan.require(id="z")
    top = plan.require(id="top", dependencies={"parts": [y, x], "last": z})

    graph = normalise([top])

    assert labels(graph) == ["y", "x", "z", "top"]
    top_node = node_of(graph, top)
    assert top_node.dependencies == {
        "parts": (node_of(graph, y), node_of(graph, x)),
        "last": node_of(graph, z),
    }


def test_node_numbering_starts_afresh_in_every_build(plan: WarmupPlan) -> None:
    first, second = plan.require(id="first"), plan.require(id="second")

    normalise([first])
    graph = normalise([second])

    assert [node.key for node in graph.nodes] == ["node-1"]


def test_only_reachable_requirements_become_nodes(plan: WarmupPlan) -> None:
    used = plan.require(id="used")
    plan.require(id="unused")

    assert labels(normalise([used])) == ["used"]


def test_dependencies_of_other_plans_are_included(plan: WarmupPlan) -> None:
    schema = WarmupPlan("schema").require(id="schema")
    table = plan.require(id="table", dependencies={"schema": schema})

    graph = normalise([table])

    assert [(node.label, node.plan_name) for node in graph.nodes] == [
        ("schema", "schema"),
        ("table", "db"),
    ]


def test_one_requirement_is_one_node_wherever_it_is_used(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    left = plan.require(id="left", dependencies={"base": base})
    right = plan.require(id="right", dependencies={"base": base, "again": [base]})

    graph = normalise([left, right, base, left])

    assert labels(graph) == ["base", "left", "right"]
    assert node_of(graph, right).dependencies["again"] == (node_of(graph, base),)


def test_two_requires_with_equal_payloads_are_two_nodes(plan: WarmupPlan) -> None:
    first = plan.require(payload={"name": "main"})
    second = plan.require(payload={"name": "main"})

    instances = build([root(first), root(second)])

    assert len(instances.graph.nodes) == 2
    assert len(instances) == 2


def test_label_is_the_id_else_plan_name_at_hex_identity(plan: WarmupPlan) -> None:
    named = plan.require(id="main")
    anonymous = plan.require()

    graph = normalise([named, anonymous])

    assert labels(graph) == ["main", f"db@{id(anonymous):x}"]
    assert requirement_label(anonymous) == f"db@{id(anonymous):x}"


def test_graph_indexes_nodes_by_requirement(plan: WarmupPlan) -> None:
    a = plan.require()

    graph = normalise([a])

    assert graph.by_requirement == {a: graph.nodes[0]}
    assert graph.nodes[0].requirement is a


def test_no_roots_give_an_empty_graph() -> None:
    instances = build([])

    assert instances.graph.nodes == []
    assert list(instances) == []


# -- cycles -------------------------------------------------------------------------------------


def test_two_node_cycle_is_reported_with_the_first_node_repeated(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    b = plan.require(id="b", dependencies={"a": a})
    a.dependencies["b"] = b

    with pytest.raises(DependencyCycleError) as info:
        normalise([a])

    assert str(info.value) == "dependency cycle detected: a -> b -> a"
    assert info.value.cycle == ("a", "b", "a")
    assert isinstance(info.value, WarmupError)


def test_cycle_starts_where_the_walk_reentered_the_active_path(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    b = plan.require(id="b", dependencies={"a": a})
    c = plan.require(id="c", dependencies={"b": b})
    a.dependencies["c"] = c
    top = plan.require(id="top", dependencies={"a": a})

    with pytest.raises(DependencyCycleError) as info:
        normalise([top])

    assert str(info.value) == "dependency cycle detected: a -> c -> b -> a"


def test_self_dependency_is_a_cycle(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    a.dependencies["self"] = a

    with pytest.raises(DependencyCycleError, match=r"^dependency cycle detected: a -> a$"):
        normalise([a])


def test_cycle_through_a_tuple_slot_uses_plan_at_hex_labels(plan: WarmupPlan) -> None:
    a = plan.require()
    b = plan.require(dependencies={"parts": [a]})
    a.dependencies["b"] = b
    a_label, b_label = requirement_label(a), requirement_label(b)

    with pytest.raises(DependencyCycleError) as info:
        normalise([b])

    assert info.value.cycle == (b_label, a_label, b_label)


def test_diamond_is_not_a_cycle(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    left = plan.require(id="left", dependencies={"base": base})
    right = plan.require(id="right", dependencies={"base": base})
    top = plan.require(id="top", dependencies={"left": left, "right": right})

    assert labels(normalise([top])) == ["base", "left", "right", "top"]


def test_dependency_that_is_not_a_requirement_is_reported_when_building(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    a.dependencies["bad"] = "oops"  # type: ignore[assignment]

    with pytest.raises(
        WarmupError,
        match=r"^requirement 'a' \(plan 'db', declared at .+:\d+\) has a dependency that is not "
        r"a WarmupRequirement: str; assign requirements \(or tuples of them\) to dependencies$",
    ):
        normalise([a])


# -- duplicate ids ------------------------------------------------------------------------------


def test_two_requirements_with_one_id_are_rejected(plan: WarmupPlan) -> None:
    first = plan.require(id="db")
    second = WarmupPlan("other").require(id="db")

    with pytest.raises(WarmupError) as info:
        normalise([first, second])

    message = str(info.value)
    assert message.startswith(
        "duplicate id 'db' within one producer scope; if this should be the same resource, "
        "import and reuse the same WarmupRequirement object instead of redeclaring it"
    )
    assert " (declared at " in message
    assert "test_graph.py:" in message


def test_duplicate_id_is_found_among_dependencies_too(plan: WarmupPlan) -> None:
    hidden = plan.require(id="db")
    top = plan.require(id="top", dependencies={"hidden": hidden})
    other = plan.require(id="db")

    with pytest.raises(WarmupError, match=r"^duplicate id 'db' within one producer scope"):
        normalise([top, other])


def test_one_requirement_reused_is_not_a_duplicate(plan: WarmupPlan) -> None:
    shared = plan.require(id="db")

    graph = normalise([shared, shared])

    assert labels(graph) == ["db"]


def test_one_id_in_separate_builds_is_fine(plan: WarmupPlan) -> None:
    first, second = plan.require(id="db"), plan.require(id="db")

    assert labels(normalise([first])) == labels(normalise([second])) == ["db"]


def test_requirements_without_ids_are_never_duplicates(plan: WarmupPlan) -> None:
    graph = normalise([plan.require(), plan.require()])

    assert len(graph.nodes) == 2


# -- shared or per-test -------------------------------------------------------------------------


def per_test_flags(graph: Graph) -> dict[str, bool]:
    return {node.label: node.per_test for node in graph.nodes}


def test_declared_per_test_and_shared_flags_are_kept(plan: WarmupPlan) -> None:
    per_test = plan.require(id="per_test", is_per_test=True)
    shared = plan.require(id="shared", is_per_test=False)
    default = plan.require(id="default")

    graph = normalise([per_test, shared, default])

    assert per_test_flags(graph) == {"per_test": True, "shared": False, "default": False}


def test_unset_flag_inherits_per_test_from_a_direct_dependency(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    shared = plan.require(id="shared")
    user = plan.require(id="user", dependencies={"context": context, "shared": shared})
    only_shared = plan.require(id="only_shared", dependencies={"shared": shared})

    graph = normalise([user, only_shared])

    assert per_test_flags(graph) == {
        "context": True,
        "shared": False,
        "user": True,
        "only_shared": False,
    }


def test_per_test_is_inherited_transitively_and_through_tuple_slots(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    middle = plan.require(id="middle", dependencies={"parts": [context]})
    top = plan.require(id="top", dependencies={"middle": middle})

    graph = normalise([top])

    assert per_test_flags(graph) == {"context": True, "middle": True, "top": True}


def test_declared_per_test_stays_per_test_with_shared_dependencies(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared", is_per_test=False)
    session = plan.require(id="session", is_per_test=True, dependencies={"shared": shared})

    assert per_test_flags(normalise([session])) == {"shared": False, "session": True}


def test_shared_requirement_with_a_per_test_dependency_is_rejected(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    pool = plan.require(id="pool", is_per_test=False, dependencies={"context": context})

    with pytest.raises(WarmupError) as info:
        normalise([pool])

    message = str(info.value)
    assert message.startswith("pool cannot be shared because dependency context is per-test")
    assert "leave its is_per_test unset to inherit per-test" in message
    assert "declared at " in message


def test_shared_conflict_lists_every_per_test_dependency_once(plan: WarmupPlan) -> None:
    first = plan.require(id="first", is_per_test=True)
    inherited = plan.require(id="inherited", dependencies={"first": first})
    shared = plan.require(id="shared")
    pool = plan.require(
        id="pool",
        is_per_test=False,
        dependencies={"a": first, "b": [shared, inherited], "c": first},
    )

    with pytest.raises(
        WarmupError,
        match=r"^pool cannot be shared because dependency first, inherited is per-test",
    ):
        normalise([pool])


def test_shared_conflict_uses_plan_at_hex_labels_without_ids(plan: WarmupPlan) -> None:
    context = plan.require(is_per_test=True)
    pool = plan.require(is_per_test=False, dependencies={"context": context})
    expected = (
        f"{requirement_label(pool)} cannot be shared because dependency "
        f"{requirement_label(context)} is per-test"
    )

    with pytest.raises(WarmupError) as info:
        normalise([pool])

    assert str(info.value).startswith(expected)


# -- runtime instances --------------------------------------------------------------------------


def test_shared_node_has_one_shared_instance(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")

    instances = build([root(shared, TEST_A), root(shared, TEST_B)])

    assert keys(instances) == ["node-1:shared"]
    instance = instances[0]
    assert instances.shared[node_of(instances.graph, shared)] is instance
    assert instance.test_id is None
    assert instance.graph_node is node_of(instances.graph, shared)
    assert instance.requirement is shared
    assert not instance.is_resolved


def test_per_test_node_has_one_instance_per_consumer_test(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)

    instances = build([root(context, TEST_B), root(context, TEST_A), root(context, TEST_A)])

    assert keys(instances) == [f"node-1:{TEST_A}", f"node-1:{TEST_B}"]
    assert [instance.test_id for instance in instances] == [TEST_A, TEST_B]
    node = node_of(instances.graph, context)
    assert instances.per_test[(node, TEST_A)] is instances[0]
    assert node not in instances.shared


def test_per_test_instances_are_ordered_by_lexicographically_sorted_test_id(
    plan: WarmupPlan,
) -> None:
    context = plan.require(id="context", is_per_test=True)
    test_ids = [f"test_x.py::test_case[{number}]" for number in (2, 10, 1)]

    instances = build([root(context, test_id) for test_id in test_ids])

    assert [instance.test_id for instance in instances] == [
        "test_x.py::test_case[10]",
        "test_x.py::test_case[1]",
        "test_x.py::test_case[2]",
    ]


def test_instances_follow_node_emission_order(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"shared": shared, "context": context})
    other = plan.require(id="other")

    instances = build([root(user, TEST_B), root(other, TEST_B), root(user, TEST_A)])

    assert keys(instances) == [
        "node-1:shared",
        f"node-2:{TEST_A}",
        f"node-2:{TEST_B}",
        f"node-3:{TEST_A}",
        f"node-3:{TEST_B}",
        "node-4:shared",
    ]


def test_per_test_instances_exist_only_for_tests_whose_roots_reach_them(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"context": context})
    shared = plan.require(id="shared")

    instances = build([root(user, TEST_A), root(shared, TEST_B)])

    assert keys(instances) == [
        f"node-1:{TEST_A}",
        f"node-2:{TEST_A}",
        "node-3:shared",
    ]


def test_per_test_instance_depends_on_the_same_tests_per_test_instances(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"shared": shared, "parts": [context, shared]})

    instances = build([root(user, TEST_A), root(user, TEST_B)])

    shared_instance = instances.shared[node_of(instances.graph, shared)]
    for test_id in (TEST_A, TEST_B):
        user_instance = instances.per_test[(node_of(instances.graph, user), test_id)]
        context_instance = instances.per_test[(node_of(instances.graph, context), test_id)]
        assert user_instance.dependencies == {
            "shared": shared_instance,
            "parts": (context_instance, shared_instance),
        }


def test_shared_instance_has_only_shared_dependencies(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    pool = plan.require(id="pool", dependencies={"base": base})

    instances = build([root(pool)])

    assert instances.shared[node_of(instances.graph, pool)].dependencies == {
        "base": instances.shared[node_of(instances.graph, base)]
    }


def test_per_test_flags_are_visible_on_instances(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)

    instances = build([root(shared), root(context)])

    assert [(instance.per_test, instance.is_per_test) for instance in instances] == [
        (False, False),
        (True, True),
    ]


# -- test-local overrides -----------------------------------------------------------------------


def test_test_local_override_gets_its_own_instance_and_the_shared_one_stays(
    plan: WarmupPlan,
) -> None:
    shared = plan.require(id="shared")

    instances = build([root(shared, TEST_A)], local=[(shared, TEST_A)])

    node = node_of(instances.graph, shared)
    override = instances.per_test[(node, TEST_A)]
    assert keys(instances) == ["node-1:shared", f"override:shared:{TEST_A}"]
    assert instances[-1] is override
    assert override.test_id == TEST_A
    assert override.dependencies == {}
    assert instances.shared[node] is instances[0]


def test_test_local_override_reaches_that_tests_per_test_dependants_only(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    user = plan.require(id="user", is_per_test=True, dependencies={"shared": shared})
    pool = plan.require(id="pool", dependencies={"shared": shared})

    instances = build(
        [root(user, TEST_A), root(user, TEST_B), root(pool, TEST_A)],
        local=[(shared, TEST_A), (shared, TEST_A)],
    )

    shared_node = node_of(instances.graph, shared)
    override = instances.per_test[(shared_node, TEST_A)]
    shared_instance = instances.shared[shared_node]
    assert instances.per_test[(node_of(instances.graph, user), TEST_A)].dependencies == {
        "shared": override
    }
    assert instances.per_test[(node_of(instances.graph, user), TEST_B)].dependencies == {
        "shared": shared_instance
    }
    assert instances.shared[node_of(instances.graph, pool)].dependencies == {
        "shared": shared_instance
    }
    assert sum(1 for instance in instances if instance is override) == 1


# -- size ---------------------------------------------------------------------------------------


def test_a_5000_deep_dependency_chain_builds_without_recursion_error(plan: WarmupPlan) -> None:
    requirement = plan.require(id="link-0")
    for number in range(1, 5000):
        requirement = plan.require(id=f"link-{number}", dependencies={"previous": requirement})

    instances = build([root(requirement)])

    assert len(instances.graph.nodes) == 5000
    assert instances.graph.nodes[0].label == "link-0"
    assert instances.graph.nodes[-1].key == "node-5000"


def test_a_5000_deep_cycle_is_reported_without_recursion_error(plan: WarmupPlan) -> None:
    first = plan.require(id="link-0")
    requirement = first
    for number in range(1, 5000):
        requirement = plan.require(id=f"link-{number}", dependencies={"previous": requirement})
    first.dependencies["last"] = requirement

    with pytest.raises(DependencyCycleError) as info:
        build([root(first)])

    assert len(info.value.cycle) == 5001
    assert info.value.cycle[0] == info.value.cycle[-1] == "link-0"


def test_a_wide_graph_of_20000_instances_builds(plan: WarmupPlan) -> None:
    # Linear work: a quadratic walk over this instances would take minutes, not milliseconds.
    shared = [plan.require(id=f"shared-{number}") for number in range(10_000)]
    fanned = [
        plan.require(
            id=f"fan-{number}",
            dependencies={"a": shared[number], "b": shared[number // 2]},
        )
        for number in range(10_000)
    ]
    context = plan.require(id="context", is_per_test=True)
    per_test = plan.require(id="user", dependencies={"context": context, "parts": shared[:100]})
    test_ids = [f"test_x.py::test_case[{number}]" for number in range(500)]
    roots = [root(requirement, test_ids[number % 500]) for number, requirement in enumerate(fanned)]
    roots += [root(per_test, test_id) for test_id in test_ids]

    instances = build(roots)

    assert len(instances.graph.nodes) == 20_002
    assert len(instances) == 20_000 + 2 * 500


# -- the roots of a producer ------------------------------------------------------------------


def test_root_table_reads_like_the_list_of_its_roots(plan: WarmupPlan) -> None:
    roots = [root(plan.require(), TEST_A), root(plan.require(), TEST_B)]
    table = RootTable(roots)

    assert list(table) == roots
    assert len(table) == 2
    assert table[1] == roots[1]
    assert table[-1] == roots[-1]
    assert table[0:1] == roots[0:1]
    with pytest.raises(IndexError):
        table[2]
    assert table.consumer_ids == [TEST_A, TEST_B]
    assert table.requirements == [r.requirement for r in roots]


def test_root_table_adds_no_object_per_root(plan: WarmupPlan) -> None:
    requirement = plan.require()
    test_ids = [f"test_x.py::test_{number}" for number in range(1000)]
    table = RootTable()
    gc.collect()
    before = len(gc.get_objects())
    for test_id in test_ids:
        table.append(test_id, "test", test_id, "value", requirement)
    gc.collect()
    assert len(table) == 1000
    assert len(gc.get_objects()) - before < 10


def test_a_root_table_and_a_list_of_roots_build_the_same_graph(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    own = plan.require(id="own", is_per_test=True, dependencies={"base": shared})
    roots = [root(shared, TEST_A), root(own, TEST_A), root(own, TEST_B)]

    from_list = build(roots)
    from_table = build(RootTable(roots))

    assert labels(from_table.graph) == labels(from_list.graph)
    assert keys(from_table) == keys(from_list)


# -- the two phases ---------------------------------------------------------------------------


def own_over_shared(plan: WarmupPlan) -> tuple[WarmupRequirement, WarmupRequirement, RootTable]:
    """A per-test requirement over a shared one, bound by two tests."""
    shared = plan.require(id="shared")
    own = plan.require(id="own", is_per_test=True, dependencies={"base": shared})
    return shared, own, RootTable([root(own, TEST_A), root(own, TEST_B)])


def test_normalising_creates_no_instance_and_one_graph_instantiates_twice(
    plan: WarmupPlan,
) -> None:
    _, _, roots = own_over_shared(plan)

    graph = normalise(roots.requirements)
    first = instantiate(graph, roots)
    second = instantiate(graph, roots)

    assert [node.per_test for node in graph.nodes] == [False, True]
    assert keys(first) == keys(second) == ["node-1:shared", f"node-2:{TEST_A}", f"node-2:{TEST_B}"]
    assert not set(first) & set(second)
    assert first.graph is second.graph is graph


def test_a_local_instance_is_chosen_between_the_phases_without_rebuilding(
    plan: WarmupPlan,
) -> None:
    shared, own, roots = own_over_shared(plan)
    graph = normalise(roots.requirements)
    shared_node = node_of(graph, shared)

    instances = instantiate(graph, roots, local=[(shared_node, TEST_B)])

    local = instances.per_test[(shared_node, TEST_B)]
    assert instances.graph is graph
    assert instances.per_test[(node_of(graph, own), TEST_B)].dependencies == {"base": local}
    assert instances.find(shared, TEST_B) is local
    assert instances.find(shared, TEST_A) is instances.shared[shared_node]
    assert instances.find(plan.require(), TEST_A) is None


def test_reachable_is_every_dependency_once_even_through_a_cycle(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    left = plan.require(id="left", dependencies={"base": base})
    top = plan.require(id="top", dependencies={"both": [left, base]})
    base.dependencies["back"] = top

    assert reachable([top]) == {top, left, base}
    assert reachable([left]) == {top, left, base}
    assert reachable([]) == set()
