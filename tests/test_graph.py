"""Unit tests of graph building: roots -> normalized nodes -> runtime instances."""

from __future__ import annotations

import gc

import pytest

from pytest_warmup import WarmupError, WarmupPlan, WarmupRequirement
from pytest_warmup.errors import DependencyCycleError
from pytest_warmup.graph import (
    Graph,
    GraphNode,
    Root,
    RootTable,
    build_graph,
    requirement_label,
)
from pytest_warmup.nodes import WarmupNode

TEST_A = "test_x.py::test_a"
TEST_B = "test_x.py::test_b"


def root(requirement: WarmupRequirement, test_id: str = TEST_A) -> Root:
    return Root(
        consumer_id=test_id,
        source_kind="test",
        source_name=test_id.rpartition("::")[2],
        argument_name="value",
        requirement=requirement,
    )


def labels(graph: Graph) -> list[str]:
    return [node.label for node in graph.nodes]


def keys(instances: list[WarmupNode]) -> list[str]:
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

    graph = build_graph([root(a), root(e)])

    assert labels(graph) == ["d", "b", "c", "a", "e"]
    assert [node.key for node in graph.nodes] == ["node-1", "node-2", "node-3", "node-4", "node-5"]


def test_tuple_slots_are_walked_in_order(plan: WarmupPlan) -> None:
    x, y, z = plan.require(id="x"), plan.require(id="y"), plan.require(id="z")
    top = plan.require(id="top", dependencies={"parts": [y, x], "last": z})

    graph = build_graph([root(top)])

    assert labels(graph) == ["y", "x", "z", "top"]
    top_node = node_of(graph, top)
    assert top_node.dependencies == {
        "parts": (node_of(graph, y), node_of(graph, x)),
        "last": node_of(graph, z),
    }


def test_node_numbering_starts_afresh_in_every_build(plan: WarmupPlan) -> None:
    first, second = plan.require(id="first"), plan.require(id="second")

    build_graph([root(first)])
    graph = build_graph([root(second)])

    assert [node.key for node in graph.nodes] == ["node-1"]


def test_only_reachable_requirements_become_nodes(plan: WarmupPlan) -> None:
    used = plan.require(id="used")
    plan.require(id="unused")

    assert labels(build_graph([root(used)])) == ["used"]


def test_dependencies_of_other_plans_are_included(plan: WarmupPlan) -> None:
    schema = WarmupPlan("schema").require(id="schema")
    table = plan.require(id="table", dependencies={"schema": schema})

    graph = build_graph([root(table)])

    assert [(node.label, node.plan_name) for node in graph.nodes] == [
        ("schema", "schema"),
        ("table", "db"),
    ]


def test_one_requirement_is_one_node_wherever_it_is_used(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    left = plan.require(id="left", dependencies={"base": base})
    right = plan.require(id="right", dependencies={"base": base, "again": [base]})

    graph = build_graph([root(left), root(right, TEST_B), root(base), root(left, TEST_B)])

    assert labels(graph) == ["base", "left", "right"]
    assert node_of(graph, right).dependencies["again"] == (node_of(graph, base),)


def test_two_requires_with_equal_payloads_are_two_nodes(plan: WarmupPlan) -> None:
    first = plan.require(payload={"name": "main"})
    second = plan.require(payload={"name": "main"})

    graph = build_graph([root(first), root(second)])

    assert len(graph.nodes) == 2
    assert len(graph.instances) == 2


def test_label_is_the_id_else_plan_name_at_hex_identity(plan: WarmupPlan) -> None:
    named = plan.require(id="main")
    anonymous = plan.require()

    graph = build_graph([root(named), root(anonymous)])

    assert labels(graph) == ["main", f"db@{id(anonymous):x}"]
    assert requirement_label(anonymous) == f"db@{id(anonymous):x}"


def test_graph_indexes_nodes_by_requirement(plan: WarmupPlan) -> None:
    a = plan.require()

    graph = build_graph([root(a)])

    assert graph.by_requirement == {a: graph.nodes[0]}
    assert graph.nodes[0].requirement is a


def test_no_roots_give_an_empty_graph() -> None:
    graph = build_graph([])

    assert graph.nodes == []
    assert graph.instances == []


# -- cycles -------------------------------------------------------------------------------------


def test_two_node_cycle_is_reported_with_the_first_node_repeated(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    b = plan.require(id="b", dependencies={"a": a})
    a.dependencies["b"] = b

    with pytest.raises(DependencyCycleError) as info:
        build_graph([root(a)])

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
        build_graph([root(top)])

    assert str(info.value) == "dependency cycle detected: a -> c -> b -> a"


def test_self_dependency_is_a_cycle(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    a.dependencies["self"] = a

    with pytest.raises(DependencyCycleError, match=r"^dependency cycle detected: a -> a$"):
        build_graph([root(a)])


def test_cycle_through_a_tuple_slot_uses_plan_at_hex_labels(plan: WarmupPlan) -> None:
    a = plan.require()
    b = plan.require(dependencies={"parts": [a]})
    a.dependencies["b"] = b
    a_label, b_label = requirement_label(a), requirement_label(b)

    with pytest.raises(DependencyCycleError) as info:
        build_graph([root(b)])

    assert info.value.cycle == (b_label, a_label, b_label)


def test_diamond_is_not_a_cycle(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    left = plan.require(id="left", dependencies={"base": base})
    right = plan.require(id="right", dependencies={"base": base})
    top = plan.require(id="top", dependencies={"left": left, "right": right})

    assert labels(build_graph([root(top)])) == ["base", "left", "right", "top"]


def test_dependency_that_is_not_a_requirement_is_reported_when_building(plan: WarmupPlan) -> None:
    a = plan.require(id="a")
    a.dependencies["bad"] = "oops"  # type: ignore[assignment]

    with pytest.raises(
        WarmupError,
        match=r"^requirement 'a' \(plan 'db', declared at .+:\d+\) has a dependency that is not "
        r"a WarmupRequirement: str; assign requirements \(or tuples of them\) to dependencies$",
    ):
        build_graph([root(a)])


# -- duplicate ids ------------------------------------------------------------------------------


def test_two_requirements_with_one_id_are_rejected(plan: WarmupPlan) -> None:
    first = plan.require(id="db")
    second = WarmupPlan("other").require(id="db")

    with pytest.raises(WarmupError) as info:
        build_graph([root(first), root(second, TEST_B)])

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
        build_graph([root(top), root(other)])


def test_one_requirement_reused_is_not_a_duplicate(plan: WarmupPlan) -> None:
    shared = plan.require(id="db")

    graph = build_graph([root(shared), root(shared, TEST_B)])

    assert labels(graph) == ["db"]


def test_one_id_in_separate_builds_is_fine(plan: WarmupPlan) -> None:
    first, second = plan.require(id="db"), plan.require(id="db")

    assert labels(build_graph([root(first)])) == labels(build_graph([root(second)])) == ["db"]


def test_requirements_without_ids_are_never_duplicates(plan: WarmupPlan) -> None:
    graph = build_graph([root(plan.require()), root(plan.require())])

    assert len(graph.nodes) == 2


# -- shared or per-test -------------------------------------------------------------------------


def per_test_flags(graph: Graph) -> dict[str, bool]:
    return {node.label: node.per_test for node in graph.nodes}


def test_declared_per_test_and_shared_flags_are_kept(plan: WarmupPlan) -> None:
    per_test = plan.require(id="per_test", is_per_test=True)
    shared = plan.require(id="shared", is_per_test=False)
    default = plan.require(id="default")

    graph = build_graph([root(per_test), root(shared), root(default)])

    assert per_test_flags(graph) == {"per_test": True, "shared": False, "default": False}


def test_unset_flag_inherits_per_test_from_a_direct_dependency(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    shared = plan.require(id="shared")
    user = plan.require(id="user", dependencies={"context": context, "shared": shared})
    only_shared = plan.require(id="only_shared", dependencies={"shared": shared})

    graph = build_graph([root(user), root(only_shared)])

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

    graph = build_graph([root(top)])

    assert per_test_flags(graph) == {"context": True, "middle": True, "top": True}


def test_declared_per_test_stays_per_test_with_shared_dependencies(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared", is_per_test=False)
    session = plan.require(id="session", is_per_test=True, dependencies={"shared": shared})

    assert per_test_flags(build_graph([root(session)])) == {"shared": False, "session": True}


def test_shared_requirement_with_a_per_test_dependency_is_rejected(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)
    pool = plan.require(id="pool", is_per_test=False, dependencies={"context": context})

    with pytest.raises(WarmupError) as info:
        build_graph([root(pool)])

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
        build_graph([root(pool)])


def test_shared_conflict_uses_plan_at_hex_labels_without_ids(plan: WarmupPlan) -> None:
    context = plan.require(is_per_test=True)
    pool = plan.require(is_per_test=False, dependencies={"context": context})
    expected = (
        f"{requirement_label(pool)} cannot be shared because dependency "
        f"{requirement_label(context)} is per-test"
    )

    with pytest.raises(WarmupError) as info:
        build_graph([root(pool)])

    assert str(info.value).startswith(expected)


# -- runtime instances --------------------------------------------------------------------------


def test_shared_node_has_one_shared_instance(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")

    graph = build_graph([root(shared, TEST_A), root(shared, TEST_B)])

    assert keys(graph.instances) == ["node-1:shared"]
    instance = graph.instances[0]
    assert graph.shared[node_of(graph, shared)] is instance
    assert instance.test_id is None
    assert instance.graph_node is node_of(graph, shared)
    assert instance.requirement is shared
    assert not instance.is_resolved


def test_per_test_node_has_one_instance_per_consumer_test(plan: WarmupPlan) -> None:
    context = plan.require(id="context", is_per_test=True)

    graph = build_graph([root(context, TEST_B), root(context, TEST_A), root(context, TEST_A)])

    assert keys(graph.instances) == [f"node-1:{TEST_A}", f"node-1:{TEST_B}"]
    assert [instance.test_id for instance in graph.instances] == [TEST_A, TEST_B]
    node = node_of(graph, context)
    assert graph.per_test[(node, TEST_A)] is graph.instances[0]
    assert node not in graph.shared


def test_per_test_instances_are_ordered_by_lexicographically_sorted_test_id(
    plan: WarmupPlan,
) -> None:
    context = plan.require(id="context", is_per_test=True)
    test_ids = [f"test_x.py::test_case[{number}]" for number in (2, 10, 1)]

    graph = build_graph([root(context, test_id) for test_id in test_ids])

    assert [instance.test_id for instance in graph.instances] == [
        "test_x.py::test_case[10]",
        "test_x.py::test_case[1]",
        "test_x.py::test_case[2]",
    ]


def test_instances_follow_node_emission_order(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"shared": shared, "context": context})
    other = plan.require(id="other")

    graph = build_graph([root(user, TEST_B), root(other, TEST_B), root(user, TEST_A)])

    assert keys(graph.instances) == [
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

    graph = build_graph([root(user, TEST_A), root(shared, TEST_B)])

    assert keys(graph.instances) == [
        f"node-1:{TEST_A}",
        f"node-2:{TEST_A}",
        "node-3:shared",
    ]


def test_per_test_instance_depends_on_the_same_tests_per_test_instances(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"shared": shared, "parts": [context, shared]})

    graph = build_graph([root(user, TEST_A), root(user, TEST_B)])

    shared_instance = graph.shared[node_of(graph, shared)]
    for test_id in (TEST_A, TEST_B):
        user_instance = graph.per_test[(node_of(graph, user), test_id)]
        context_instance = graph.per_test[(node_of(graph, context), test_id)]
        assert user_instance.dependencies == {
            "shared": shared_instance,
            "parts": (context_instance, shared_instance),
        }


def test_shared_instance_has_only_shared_dependencies(plan: WarmupPlan) -> None:
    base = plan.require(id="base")
    pool = plan.require(id="pool", dependencies={"base": base})

    graph = build_graph([root(pool)])

    assert graph.shared[node_of(graph, pool)].dependencies == {
        "base": graph.shared[node_of(graph, base)]
    }


def test_per_test_flags_are_visible_on_instances(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    context = plan.require(id="context", is_per_test=True)

    graph = build_graph([root(shared), root(context)])

    assert [(instance.per_test, instance.is_per_test) for instance in graph.instances] == [
        (False, False),
        (True, True),
    ]


# -- test-local overrides -----------------------------------------------------------------------


def test_test_local_override_gets_its_own_instance_and_the_shared_one_stays(
    plan: WarmupPlan,
) -> None:
    shared = plan.require(id="shared")

    graph = build_graph([root(shared, TEST_A)], test_local=[(shared, TEST_A)])

    node = node_of(graph, shared)
    override = graph.per_test[(node, TEST_A)]
    assert keys(graph.instances) == ["node-1:shared", f"override:shared:{TEST_A}"]
    assert graph.instances[-1] is override
    assert override.test_id == TEST_A
    assert override.dependencies == {}
    assert graph.shared[node] is graph.instances[0]


def test_test_local_override_reaches_that_tests_per_test_dependants_only(plan: WarmupPlan) -> None:
    shared = plan.require(id="shared")
    user = plan.require(id="user", is_per_test=True, dependencies={"shared": shared})
    pool = plan.require(id="pool", dependencies={"shared": shared})

    graph = build_graph(
        [root(user, TEST_A), root(user, TEST_B), root(pool, TEST_A)],
        test_local=[(shared, TEST_A), (shared, TEST_A)],
    )

    shared_node = node_of(graph, shared)
    override = graph.per_test[(shared_node, TEST_A)]
    shared_instance = graph.shared[shared_node]
    assert graph.per_test[(node_of(graph, user), TEST_A)].dependencies == {"shared": override}
    assert graph.per_test[(node_of(graph, user), TEST_B)].dependencies == {
        "shared": shared_instance
    }
    assert graph.shared[node_of(graph, pool)].dependencies == {"shared": shared_instance}
    assert sum(1 for instance in graph.instances if instance is override) == 1


# -- size ---------------------------------------------------------------------------------------


def test_a_5000_deep_dependency_chain_builds_without_recursion_error(plan: WarmupPlan) -> None:
    requirement = plan.require(id="link-0")
    for number in range(1, 5000):
        requirement = plan.require(id=f"link-{number}", dependencies={"previous": requirement})

    graph = build_graph([root(requirement)])

    assert len(graph.nodes) == 5000
    assert graph.nodes[0].label == "link-0"
    assert graph.nodes[-1].key == "node-5000"


def test_a_5000_deep_cycle_is_reported_without_recursion_error(plan: WarmupPlan) -> None:
    first = plan.require(id="link-0")
    requirement = first
    for number in range(1, 5000):
        requirement = plan.require(id=f"link-{number}", dependencies={"previous": requirement})
    first.dependencies["last"] = requirement

    with pytest.raises(DependencyCycleError) as info:
        build_graph([root(first)])

    assert len(info.value.cycle) == 5001
    assert info.value.cycle[0] == info.value.cycle[-1] == "link-0"


def test_a_wide_graph_of_20000_instances_builds(plan: WarmupPlan) -> None:
    # Linear work: a quadratic walk over this graph would take minutes, not milliseconds.
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

    graph = build_graph(roots)

    assert len(graph.nodes) == 20_002
    assert len(graph.instances) == 20_000 + 2 * 500


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

    from_list = build_graph(roots)
    from_table = build_graph(RootTable(roots))

    assert labels(from_table) == labels(from_list)
    assert keys(from_table.instances) == keys(from_list.instances)
