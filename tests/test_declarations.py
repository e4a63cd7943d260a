"""Unit tests of what users declare: WarmupPlan and WarmupRequirement, no pytest run inside."""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import pytest

from pytest_warmup import WarmupError, WarmupPlan, WarmupRequirement
from pytest_warmup._declarations import declaration_site, set_declaration_site
from pytest_warmup._graph import normalise
from pytest_warmup.errors import DependencyCycleError


def line_here() -> int:
    """The line number of the caller's current line."""
    return sys._getframe(1).f_lineno


def assert_site(requirement: WarmupRequirement, line: int) -> None:
    site = declaration_site(requirement)
    assert site is not None
    path, _, found_line = site.rpartition(":")
    assert os.path.samefile(path, __file__)
    assert int(found_line) == line


# -- WarmupRequirement: shape and identity ------------------------------------------------------


def test_requirement_fields_are_in_the_documented_order() -> None:
    names = [field.name for field in dataclasses.fields(WarmupRequirement)]

    assert names == ["owner_plan", "payload", "dependencies", "id", "is_per_test"]


def test_requirement_is_frozen() -> None:
    requirement = WarmupPlan("db").require(id="main")

    with pytest.raises(dataclasses.FrozenInstanceError):
        requirement.id = "other"  # type: ignore[misc]


def test_requirement_fields_hold_what_require_was_given() -> None:
    plan = WarmupPlan("db")
    dependency = plan.require()

    requirement = plan.require(
        payload={"name": "main"}, dependencies={"dep": dependency}, id="main", is_per_test=True
    )

    assert requirement.owner_plan is plan
    assert requirement.payload == {"name": "main"}
    assert requirement.dependencies == {"dep": dependency}
    assert requirement.id == "main"
    assert requirement.is_per_test is True


def test_require_defaults_are_empty_dicts_no_id_and_inherited_per_test() -> None:
    requirement = WarmupPlan("db").require()

    assert requirement.payload == {}
    assert requirement.dependencies == {}
    assert requirement.id is None
    assert requirement.is_per_test is None


def test_requirements_with_equal_payloads_are_distinct() -> None:
    plan = WarmupPlan("db")
    first = plan.require(payload={"name": "main"})
    second = plan.require(payload={"name": "main"})

    assert first != second
    assert first == first
    assert len({first, second, first}) == 2


def test_requirement_hash_is_identity_based_even_with_unhashable_payload() -> None:
    requirement = WarmupPlan("db").require(payload={"tags": ["a", "b"]})

    assert hash(requirement) == object.__hash__(requirement)
    assert {requirement: 1}[requirement] == 1


def test_requirement_repr_names_id_and_plan_not_the_whole_dataclass() -> None:
    plan = WarmupPlan("db")
    named = plan.require(id="main", payload={"secret": "x" * 50})
    anonymous = plan.require()

    assert repr(named) == "<WarmupRequirement main of plan 'db'>"
    assert repr(anonymous) == f"<WarmupRequirement @{id(anonymous):x} of plan 'db'>"


# -- payload ------------------------------------------------------------------------------------


def test_payload_is_copied_at_declaration() -> None:
    payload = {"name": "main"}

    requirement = WarmupPlan("db").require(payload=payload)
    payload["name"] = "changed"

    assert requirement.payload == {"name": "main"}
    assert requirement.payload is not payload


def test_payload_copy_is_shallow() -> None:
    tags = ["a"]

    requirement = WarmupPlan("db").require(payload={"tags": tags})

    assert requirement.payload["tags"] is tags


def test_payload_may_be_any_mapping_and_becomes_a_dict() -> None:
    requirement = WarmupPlan("db").require(payload=MappingProxyType({"name": "main"}))

    assert type(requirement.payload) is dict
    assert requirement.payload == {"name": "main"}


def test_payload_that_is_not_a_mapping_is_rejected() -> None:
    with pytest.raises(WarmupError, match=r"^plan 'db': payload must be a mapping, got list$"):
        WarmupPlan("db").require(payload=[("name", "main")])  # type: ignore[arg-type]


def test_direct_construction_with_non_dict_payload_is_rejected() -> None:
    with pytest.raises(
        WarmupError, match=r"^requirement 'main': payload must be a dict, got tuple$"
    ):
        WarmupRequirement(WarmupPlan("db"), (), {}, id="main")  # type: ignore[arg-type]


# -- dependencies -------------------------------------------------------------------------------


def test_single_requirement_dependency_stays_a_requirement() -> None:
    plan = WarmupPlan("db")
    base = plan.require()

    requirement = plan.require(dependencies={"base": base})

    assert requirement.dependencies["base"] is base


def test_list_dependency_becomes_a_tuple() -> None:
    plan = WarmupPlan("db")
    first, second = plan.require(), plan.require()

    requirement = plan.require(dependencies={"parts": [first, second]})

    assert requirement.dependencies["parts"] == (first, second)
    assert type(requirement.dependencies["parts"]) is tuple


def test_generator_and_tuple_dependencies_become_tuples() -> None:
    plan = WarmupPlan("db")
    first, second = plan.require(), plan.require()

    requirement = plan.require(
        dependencies={"gen": (item for item in [first, second]), "tup": (second,), "empty": []}
    )

    assert requirement.dependencies == {"gen": (first, second), "tup": (second,), "empty": ()}


def test_dependencies_keep_slot_order() -> None:
    plan = WarmupPlan("db")
    a, b, c = plan.require(), plan.require(), plan.require()

    requirement = plan.require(dependencies={"z": a, "a": b, "m": c})

    assert list(requirement.dependencies) == ["z", "a", "m"]


def test_dependencies_given_as_any_mapping_become_a_plain_dict() -> None:
    plan = WarmupPlan("db")
    base = plan.require()

    requirement = plan.require(dependencies=MappingProxyType({"base": base}))

    assert type(requirement.dependencies) is dict


def test_dependency_that_is_not_a_requirement_is_rejected_by_require() -> None:
    with pytest.raises(
        WarmupError,
        match=r"^plan 'db': dependency 'base' must be a WarmupRequirement or a list of them, "
        r"got str$",
    ):
        WarmupPlan("db").require(dependencies={"base": "other"})  # type: ignore[dict-item]


def test_dependency_list_member_that_is_not_a_requirement_is_rejected() -> None:
    plan = WarmupPlan("db")

    with pytest.raises(
        WarmupError,
        match=r"^requirement 'main': dependency 'parts' must be a WarmupRequirement or a tuple "
        r"of them, got int$",
    ):
        plan.require(id="main", dependencies={"parts": [plan.require(), 3]})  # type: ignore[list-item]


def test_dependencies_that_are_not_a_mapping_are_rejected() -> None:
    with pytest.raises(
        WarmupError,
        match=r"^plan 'db': dependencies must be a mapping of slot -> requirement, got list$",
    ):
        WarmupPlan("db").require(dependencies=[])  # type: ignore[arg-type]


def test_dependency_slot_names_must_be_strings() -> None:
    plan = WarmupPlan("db")

    with pytest.raises(
        WarmupError, match=r"^requirement 'db': dependency slot names must be strings, got 1$"
    ):
        plan.require(dependencies={1: plan.require()})  # type: ignore[dict-item]


def test_iter_dependency_requirements_expands_tuple_slots_in_place() -> None:
    plan = WarmupPlan("db")
    a, b, c, d = (plan.require() for _ in range(4))

    requirement = plan.require(dependencies={"one": a, "many": [b, c], "last": d})

    assert requirement.iter_dependency_requirements() == (a, b, c, d)


def test_iter_dependency_requirements_of_no_dependencies_is_an_empty_tuple() -> None:
    assert WarmupPlan("db").require().iter_dependency_requirements() == ()


def test_iter_dependency_requirements_keeps_repeats() -> None:
    plan = WarmupPlan("db")
    base = plan.require()

    requirement = plan.require(dependencies={"x": base, "y": [base, base]})

    assert requirement.iter_dependency_requirements() == (base, base, base)


def test_dependencies_dict_is_the_same_mutable_dict_after_creation() -> None:
    plan = WarmupPlan("db")
    requirement = plan.require()
    later = plan.require()

    requirement.dependencies["later"] = later

    assert requirement.iter_dependency_requirements() == (later,)


def test_dependency_assigned_after_creation_is_prepared() -> None:
    plan = WarmupPlan("db")
    requirement = plan.require(id="main")
    later = plan.require(id="later")
    requirement.dependencies["later"] = later

    graph = normalise([requirement])

    assert [node.label for node in graph.nodes] == ["later", "main"]


def test_dependency_assigned_after_creation_can_close_a_cycle() -> None:
    plan = WarmupPlan("db")
    a = plan.require(id="a")
    b = plan.require(id="b", dependencies={"a": a})
    a.dependencies["b"] = b

    with pytest.raises(DependencyCycleError, match=r"^dependency cycle detected: a -> b -> a$"):
        normalise([a])


# -- id and is_per_test -------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["", 3, b"main"])
def test_id_must_be_a_non_empty_string_or_none(bad_id: Any) -> None:
    with pytest.raises(
        WarmupError,
        match=rf"^requirement id must be a non-empty string or None, got {bad_id!r}$",
    ):
        WarmupPlan("db").require(id=bad_id)


@pytest.mark.parametrize("flag", [True, False, None])
def test_is_per_test_accepts_true_false_and_none(flag: bool | None) -> None:
    assert WarmupPlan("db").require(is_per_test=flag).is_per_test is flag


@pytest.mark.parametrize("bad_flag", ["yes", 1, 0, 1.0])
def test_is_per_test_rejects_anything_else(bad_flag: Any) -> None:
    with pytest.raises(
        WarmupError,
        match=rf"^requirement 'main': is_per_test must be True, False or None, got {bad_flag!r}$",
    ):
        WarmupPlan("db").require(id="main", is_per_test=bad_flag)


def test_is_per_test_message_names_the_plan_when_there_is_no_id() -> None:
    with pytest.raises(WarmupError, match=r"^requirement 'db': is_per_test must be"):
        WarmupPlan("db").require(is_per_test="always")  # type: ignore[arg-type]


def test_owner_plan_must_be_a_plan() -> None:
    with pytest.raises(
        WarmupError, match=r"^requirement owner_plan must be a WarmupPlan, got str$"
    ):
        WarmupRequirement("db", {}, {})  # type: ignore[arg-type]


def test_validation_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="requirement id must be a non-empty string"):
        WarmupPlan("db").require(id="")


# -- declaration site ---------------------------------------------------------------------------


def test_declaration_site_is_the_line_calling_require() -> None:
    plan = WarmupPlan("db")

    requirement = plan.require(id="main")
    line = line_here() - 1

    assert_site(requirement, line)


def test_declaration_site_is_not_a_dataclass_field() -> None:
    requirement = WarmupPlan("db").require()

    assert "_site" not in {field.name for field in dataclasses.fields(requirement)}
    assert declaration_site(requirement) is not None


def test_declaration_site_of_direct_construction_is_the_calling_line() -> None:
    requirement = WarmupRequirement(WarmupPlan("db"), {}, {})
    line = line_here() - 1

    assert_site(requirement, line)


class TypedPlan(WarmupPlan):
    """A plan as users write them: a typed ``require`` wrapper and a second factory method."""

    def require(  # type: ignore[override]
        self, *, name: str = "main", is_per_test: bool | None = None
    ) -> WarmupRequirement:
        return super().require(payload={"name": name}, is_per_test=is_per_test)

    def replica(self, of: WarmupRequirement) -> WarmupRequirement:
        return super().require(dependencies={"of": of})


def test_declaration_site_skips_require_wrappers_of_plan_subclasses() -> None:
    plan = TypedPlan("db")

    requirement = plan.require(name="main")
    line = line_here() - 1

    assert requirement.payload == {"name": "main"}
    assert_site(requirement, line)


def test_declaration_site_skips_other_factory_methods_of_plan_subclasses() -> None:
    plan = TypedPlan("db")
    primary = plan.require()

    replica = plan.replica(primary)
    line = line_here() - 1

    assert_site(replica, line)


def helper_declaring(plan: WarmupPlan) -> tuple[WarmupRequirement, int]:
    return plan.require(), line_here()


def test_declaration_site_of_a_plain_helper_function_is_inside_the_helper() -> None:
    requirement, line = helper_declaring(WarmupPlan("db"))

    assert_site(requirement, line)


def test_set_declaration_site_overrides_the_recorded_site() -> None:
    requirement = WarmupPlan("db").require()

    set_declaration_site(requirement, "warmup.yaml:14")

    assert declaration_site(requirement) == "warmup.yaml:14"


# -- WarmupPlan ---------------------------------------------------------------------------------


def test_plan_stores_its_name_and_names_need_not_be_unique() -> None:
    first, second = WarmupPlan("db"), WarmupPlan("db")

    assert first.name == second.name == "db"
    assert first.require().owner_plan is first


@pytest.mark.parametrize("bad_name", ["", None, 3])
def test_plan_name_must_be_a_non_empty_string(bad_name: Any) -> None:
    with pytest.raises(
        WarmupError, match=rf"^plan name must be a non-empty string, got {bad_name!r}$"
    ):
        WarmupPlan(bad_name)


def test_plan_repr_shows_class_and_name() -> None:
    assert repr(TypedPlan("db")) == "TypedPlan('db')"


def test_max_batch_size_defaults_to_unlimited() -> None:
    assert WarmupPlan("db").max_batch_size is None


def test_require_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        WarmupPlan("db").require({"name": "main"})  # type: ignore[call-arg]


def test_has_cleanup_is_false_for_the_base_plan_and_true_for_overrides() -> None:
    class WithCleanupNode(WarmupPlan):
        def cleanup_node(self, node: Any) -> None:
            pass

    class WithCleanup(WarmupPlan):
        def cleanup(self, nodes: Any) -> None:
            pass

    assert not WarmupPlan("db").has_cleanup()
    assert WithCleanupNode("db").has_cleanup()
    assert WithCleanup("db").has_cleanup()


# -- snapshot hooks -----------------------------------------------------------------------------


@pytest.fixture
def requirement() -> WarmupRequirement:
    return WarmupPlan("db").require(id="main")


@pytest.mark.parametrize("raw", [{"a": [1, 2.5, None, True, "x"]}, "dsn", 3, None, []])
def test_json_values_pass_validation_and_deserialize_unchanged(
    requirement: WarmupRequirement, raw: object
) -> None:
    assert requirement.owner_plan.deserialize_snapshot_value(requirement, raw) is raw


@pytest.mark.parametrize("raw", [object(), {1, 2}, b"bytes"])
def test_validate_snapshot_value_rejects_non_json_values(
    requirement: WarmupRequirement, raw: Any
) -> None:
    with pytest.raises(WarmupError, match=r"^snapshot value is not JSON-serializable$") as info:
        requirement.owner_plan.validate_snapshot_value(requirement, raw)

    assert isinstance(info.value.__cause__, TypeError)


def test_validate_snapshot_value_rejects_circular_values(requirement: WarmupRequirement) -> None:
    circular: list[Any] = []
    circular.append(circular)

    with pytest.raises(WarmupError, match=r"^snapshot value is not JSON-serializable$"):
        requirement.owner_plan.validate_snapshot_value(requirement, circular)


def test_deserialize_snapshot_value_returns_the_raw_object(requirement: WarmupRequirement) -> None:
    raw = {"dsn": "postgres://"}

    assert requirement.owner_plan.deserialize_snapshot_value(requirement, raw) is raw


def test_deserialize_snapshot_value_validates_first(requirement: WarmupRequirement) -> None:
    with pytest.raises(WarmupError, match=r"^snapshot value is not JSON-serializable$"):
        requirement.owner_plan.deserialize_snapshot_value(requirement, object())


def test_deserialize_snapshot_value_uses_an_overridden_validator() -> None:
    class Strict(WarmupPlan):
        def validate_snapshot_value(self, requirement: WarmupRequirement, raw: object) -> None:
            if not isinstance(raw, str):
                raise WarmupError("expected a DSN string")

    plan = Strict("db")

    with pytest.raises(WarmupError, match=r"^expected a DSN string$"):
        plan.deserialize_snapshot_value(plan.require(), 3)


def test_serialize_snapshot_value_returns_the_value(requirement: WarmupRequirement) -> None:
    value = {"dsn": "postgres://", "port": 5432}

    assert requirement.owner_plan.serialize_snapshot_value(requirement, value) is value


def test_serialize_snapshot_value_accepts_nan_like_json_dumps(
    requirement: WarmupRequirement,
) -> None:
    value = requirement.owner_plan.serialize_snapshot_value(requirement, math.nan)

    assert math.isnan(value)  # type: ignore[arg-type]


def test_serialize_snapshot_value_rejects_non_json_values(requirement: WarmupRequirement) -> None:
    def generator() -> Iterator[int]:
        yield 1

    with pytest.raises(
        WarmupError, match=r"^prepared runtime value is not JSON-serializable$"
    ) as info:
        requirement.owner_plan.serialize_snapshot_value(requirement, generator())

    assert isinstance(info.value.__cause__, TypeError)
