"""load_catalog on valid catalogs: the plan and requirement objects it compiles to."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from catalog_support import FULL, PLANS, EchoPlan, python_requirement, shared_plan, write
from pytest_warmup import WarmupError, WarmupPlan, WarmupRequirement
from pytest_warmup._declarations import declaration_site
from pytest_warmup.catalog import (
    Catalog,
    FixtureSpec,
    ProducerSpec,
    load_catalog,
    load_catalogs,
    resolve_catalog_path,
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages and sites name files relative to the cwd


@pytest.fixture
def full() -> Catalog:
    return load_catalog(write(Path("warmup.yaml"), FULL))


def test_a_class_plan_is_instantiated_with_its_catalog_name_and_options(full: Catalog) -> None:
    program = full.plans["program"]
    assert type(program) is EchoPlan
    assert program.name == "program"
    assert program.color == "blue"
    assert full.plans["facility"].color == "plain"  # type: ignore[attr-defined]


def test_an_instance_plan_is_the_python_object_itself(full: Catalog) -> None:
    assert full.plans["shared"] is shared_plan


def test_requirements_are_compiled_with_their_id_plan_payload_and_per_test_flag(
    full: Catalog,
) -> None:
    facility = full.requirement("facility_de")
    assert isinstance(facility, WarmupRequirement)
    assert facility.id == "facility_de"
    assert facility.owner_plan is full.plans["facility"]
    assert facility.payload == {
        "country": "DE",
        "sites": [1, 2],
        "active": True,
        "note": None,
    }
    assert facility.is_per_test is None
    assert full.requirement("facility_fr").is_per_test is False
    assert full.requirement("order_each").is_per_test is True


def test_dependencies_link_catalog_and_python_requirements_in_slot_order(full: Catalog) -> None:
    program = full.requirement("program_main")
    assert list(program.dependencies) == ["facility", "all_facilities", "python"]
    assert program.dependencies["facility"] is full.requirement("facility_de")
    assert program.dependencies["all_facilities"] == (
        full.requirement("facility_de"),
        full.requirement("facility_fr"),
    )
    assert program.dependencies["python"] is python_requirement


def test_merge_keys_fill_in_what_the_mapping_does_not_say(full: Catalog) -> None:
    assert full.requirement("program_main").payload == {"profile": "MAIN"}
    default = full.requirement("program_default")
    assert default.owner_plan is full.plans["program"]
    assert default.payload == {"profile": "DEFAULT"}


def test_requirements_keep_declaration_order_and_point_at_their_yaml_line(full: Catalog) -> None:
    assert list(full.requirements) == [
        "facility_de",
        "facility_fr",
        "program_main",
        "program_default",
        "order_each",
    ]
    assert declaration_site(full.requirement("facility_de")) == "warmup.yaml:9"
    assert declaration_site(full.requirement("program_main")) == "warmup.yaml:11"


def test_producers_and_fixtures_are_described_by_specs(full: Catalog) -> None:
    plans = full.plans
    assert full.producers == {
        "prepare_data": ProducerSpec(
            "prepare_data",
            "module",
            (plans["facility"], plans["program"], plans["shared"]),
            "orders",
            "warmup.yaml:21",
        ),
        "prepare_once": ProducerSpec(
            "prepare_once", "session", (plans["program"],), None, "warmup.yaml:22"
        ),
    }
    assert full.fixtures == {
        "main_program": FixtureSpec(
            "main_program",
            full.requirement("program_main"),
            "prepare_data",
            "function",
            "warmup.yaml:24",
        ),
        "default_program": FixtureSpec(
            "default_program",
            full.requirement("program_default"),
            "prepare_once",
            "session",
            "warmup.yaml:25",
        ),
    }


def test_a_plan_class_may_keep_its_own_require_signature(tmp_path: Path) -> None:
    write(
        Path("typed_plans.py"),
        """
        from pytest_warmup import WarmupPlan

        class ProfilePlan(WarmupPlan):
            def require(self, *, profile):
                return super().require(payload={"profile": profile})
        """,
    )
    write(
        Path("warmup.yaml"),
        """
        version: 1
        plans: {profile: {class: "typed_plans:ProfilePlan"}}
        requirements: {main: {plan: profile, payload: {profile: MAIN}}}
        """,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        catalog = load_catalog("warmup.yaml")
    assert catalog.requirement("main").payload == {"profile": "MAIN"}


def test_yaml_scalars_keep_their_yaml_types_in_payloads() -> None:
    write(
        Path("warmup.yaml"),
        """
        version: 1.0
        plans: {echo: {class: "catalog_support:EchoPlan"}}
        requirements:
          typed:
            plan: echo
            payload:
              decimal: 42
              zero: 0
              octal: 010
              hex: 0x1F
              underscored: 1_000
              negative: -3
              exponent: 1.5e+3
              infinite: .inf
              words: [yes, off, ~, "007", 'true']
        """,
    )
    payload = load_catalog("warmup.yaml").requirement("typed").payload
    assert payload == {
        "decimal": 42,
        "zero": 0,
        "octal": 8,
        "hex": 31,
        "underscored": 1000,
        "negative": -3,
        "exponent": 1500.0,
        "infinite": float("inf"),
        "words": [True, False, None, "007", "true"],
    }


def test_one_anchor_used_many_times_builds_one_value() -> None:
    aliases = ", ".join(["*level"] * 10)
    write(
        Path("warmup.yaml"),
        f"""
        version: 1
        plans: {{echo: {{class: "catalog_support:EchoPlan"}}}}
        x-levels:
          level: &level [a, b, c]
        requirements:
          bomb: {{plan: echo, payload: {{items: [{aliases}]}}}}
        """,
    )
    items = load_catalog("warmup.yaml").requirement("bomb").payload["items"]
    assert len(items) == 10
    assert all(item is items[0] for item in items)


def test_x_keys_at_the_top_hold_anchors_and_are_not_read() -> None:
    write(
        Path("warmup.yaml"),
        """
        version: 1
        x-anything: {whatever: [1, 2], plan: 5}
        """,
    )
    assert load_catalog("warmup.yaml") == Catalog(files=("warmup.yaml",))


def test_a_catalog_with_only_a_version_is_empty() -> None:
    write(Path("warmup.yaml"), "version: 1\n")
    catalog = load_catalog(Path("warmup.yaml"))
    assert (catalog.plans, catalog.requirements, catalog.producers, catalog.fixtures) == (
        {},
        {},
        {},
        {},
    )


def test_several_catalogs_share_one_namespace_and_a_file_is_read_once() -> None:
    write(Path("plans.yaml"), PLANS)
    write(
        Path("more.yaml"),
        """
        version: 1
        requirements: {one: {plan: echo}}
        """,
    )
    catalog = load_catalogs(["plans.yaml", Path("more.yaml"), "./plans.yaml"])
    assert catalog.files == ("plans.yaml", "more.yaml")
    assert catalog.requirement("one").owner_plan is catalog.plans["echo"]


def test_configured_paths_resolve_against_a_base_except_package_files(tmp_path: Path) -> None:
    assert resolve_catalog_path("ci/warmup.yaml", tmp_path) == tmp_path / "ci/warmup.yaml"
    assert resolve_catalog_path("/etc/warmup.yaml", tmp_path) == Path("/etc/warmup.yaml")
    assert resolve_catalog_path("pkg:acme/warmup.yaml", tmp_path) == "pkg:acme/warmup.yaml"


def test_no_paths_give_the_empty_catalog() -> None:
    assert load_catalogs([]) == Catalog()


def test_loading_leaves_garbage_collection_as_it_was() -> None:
    write(Path("warmup.yaml"), PLANS)
    load_catalog("warmup.yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        load_catalog("warmup.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- Catalog.requirement -----------------------------------------------------------------------


def test_requirement_lookup_suggests_the_closest_id(full: Catalog) -> None:
    with pytest.raises(WarmupError) as raised:
        full.requirement("program_mian")
    assert (
        str(raised.value)
        == "unknown catalog requirement 'program_mian' (did you mean 'program_main'?)"
    )


def test_requirement_lookup_without_a_close_id_names_the_catalog_files(full: Catalog) -> None:
    with pytest.raises(WarmupError) as raised:
        full.requirement("zebra")
    assert str(raised.value) == (
        "unknown catalog requirement 'zebra'; declare it under 'requirements' in one of: "
        "warmup.yaml"
    )


def test_requirement_lookup_in_the_empty_catalog_says_where_catalogs_come_from() -> None:
    with pytest.raises(WarmupError) as raised:
        Catalog().requirement("program_main")
    assert str(raised.value) == (
        "unknown catalog requirement 'program_main'; no warmup catalog is loaded "
        "(pytest-warmup reads warmup.yaml in the rootdir, the warmup_catalogs ini option and "
        "--warmup-catalog PATH)"
    )


def test_compiled_requirements_are_ordinary_declarations() -> None:
    write(
        Path("warmup.yaml"),
        """
        version: 1
        plans: {echo: {class: "catalog_support:EchoPlan"}}
        requirements: {a: {plan: echo}}
        """,
    )
    requirement = load_catalog("warmup.yaml").requirement("a")
    python_made = requirement.owner_plan.require(id="b", dependencies={"a": requirement})
    assert isinstance(requirement.owner_plan, WarmupPlan)
    assert python_made.iter_dependency_requirements() == (requirement,)
