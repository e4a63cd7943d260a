"""Plans by name from the ``pytest_warmup.plans`` entry-point group of installed distributions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from catalog_support import EchoPlan, write, write_distribution
from pytest_warmup.catalog import load_catalog
from pytest_warmup.errors import CatalogError

PLANS_MODULE = """
from catalog_support import EchoPlan

class FacilityPlan(EchoPlan):
    pass

facility_plan = FacilityPlan("facility-instance")

def not_a_plan():
    pass
"""


@pytest.fixture(autouse=True)
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty directory on sys.path for installed distributions, and the cwd."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "site"
    root.mkdir()
    modules = set(sys.modules)
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def install_acme(site: Path, **entry_points: str) -> None:
    files = {"acme_plans/__init__.py": PLANS_MODULE}
    write_distribution(site, "acme-plans", entry_points=entry_points, files=files)


def catalog_with(plan_spec: str) -> str:
    return f"version: 1\nplans:\n  facility: {plan_spec}\n"


def load(text: str) -> Any:
    return load_catalog(write(Path("warmup.yaml"), text))


def problems(text: str) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        load(text)
    return list(raised.value.problems)


def test_an_entry_point_class_is_instantiated_like_a_class_plan(site: Path) -> None:
    install_acme(site, facility="acme_plans:FacilityPlan")
    plan = load(catalog_with("{entry_point: facility, options: {color: red}}")).plans["facility"]
    assert type(plan).__name__ == "FacilityPlan"
    assert isinstance(plan, EchoPlan)
    assert (plan.name, plan.color) == ("facility", "red")


def test_an_entry_point_instance_is_used_as_it_is(site: Path) -> None:
    install_acme(site, facility="acme_plans:facility_plan")
    plan = load(catalog_with("{entry_point: facility}")).plans["facility"]
    assert plan is sys.modules["acme_plans"].facility_plan


def test_an_entry_point_instance_takes_no_options(site: Path) -> None:
    install_acme(site, facility="acme_plans:facility_plan")
    assert problems(catalog_with("{entry_point: facility, options: {color: red}}")) == [
        "warmup.yaml:3:37: plans.facility.options: entry point 'facility' of acme-plans "
        "(acme_plans:facility_plan) is a plan instance, which takes no options; remove 'options'"
    ]


def test_an_unknown_entry_point_gets_a_suggestion(site: Path) -> None:
    install_acme(site, facility="acme_plans:FacilityPlan")
    assert problems(catalog_with("{entry_point: facilty}")) == [
        "warmup.yaml:3:27: plans.facility.entry_point: no entry point 'facilty' in group "
        "'pytest_warmup.plans' (did you mean 'facility'?)"
    ]


def test_an_unknown_entry_point_without_a_close_name_lists_the_installed_ones(
    site: Path,
) -> None:
    install_acme(site, facility="acme_plans:FacilityPlan", zoo="acme_plans:FacilityPlan")
    assert problems(catalog_with("{entry_point: program}")) == [
        "warmup.yaml:3:27: plans.facility.entry_point: no entry point 'program' in group "
        "'pytest_warmup.plans'; installed plans: facility, zoo"
    ]


def test_a_name_provided_by_two_distributions_names_both(site: Path) -> None:
    install_acme(site, facility="acme_plans:FacilityPlan")
    write_distribution(site, "beta-plans", entry_points={"facility": "beta_plans:Facility"})
    assert problems(catalog_with("{entry_point: facility}")) == [
        "warmup.yaml:3:27: plans.facility.entry_point: entry point 'facility' in group "
        "'pytest_warmup.plans' is provided by 2 distributions: acme-plans "
        "(acme_plans:FacilityPlan) and beta-plans (beta_plans:Facility); uninstall one, or name "
        "the plan with 'class: module:attribute'"
    ]


def test_an_entry_point_that_fails_to_load_is_reported(site: Path) -> None:
    install_acme(site, facility="acme_plans.missing:FacilityPlan")
    assert problems(catalog_with("{entry_point: facility}")) == [
        "warmup.yaml:3:27: plans.facility.entry_point: entry point 'facility' of acme-plans "
        "(acme_plans.missing:FacilityPlan) failed to load: ModuleNotFoundError: No module named "
        "'acme_plans.missing'"
    ]


def test_an_entry_point_that_is_not_a_plan_is_reported(site: Path) -> None:
    install_acme(site, facility="acme_plans:not_a_plan")
    assert problems(catalog_with("{entry_point: facility}")) == [
        "warmup.yaml:3:27: plans.facility.entry_point: entry point 'facility' of acme-plans "
        "(acme_plans:not_a_plan) is not a WarmupPlan subclass or instance (got function)"
    ]


def test_the_group_is_scanned_once_and_only_named_entries_are_loaded(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_acme(
        site,
        facility="acme_plans:FacilityPlan",
        program="acme_plans:FacilityPlan",
        broken="acme_plans.missing:Plan",
    )
    scans: list[str] = []

    def counting_entry_points(*, group: str) -> Any:
        scans.append(group)
        return entry_points(group=group)

    monkeypatch.setattr("pytest_warmup.catalog.entry_points", counting_entry_points)
    catalog = load(
        "version: 1\n"
        "plans:\n"
        "  facility: {entry_point: facility}\n"
        "  program: {entry_point: program}\n"
    )
    assert scans == ["pytest_warmup.plans"]
    assert sorted(catalog.plans) == ["facility", "program"]  # 'broken' was never loaded
