"""``include``: relative paths and ``pkg:`` files, read once each, names shared by all files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog_support import PLANS, write, write_distribution
from pytest_warmup._declarations import declaration_site
from pytest_warmup.catalog import load_catalog, load_catalogs
from pytest_warmup.errors import CatalogError


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path for installed distributions; their modules are forgotten after."""
    root = tmp_path / "site"
    root.mkdir()
    modules = set(sys.modules)
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def problems(path: str = "warmup.yaml") -> list[str]:
    with pytest.raises(CatalogError) as raised:
        load_catalog(path)
    return list(raised.value.problems)


def test_relative_includes_start_at_the_including_file() -> None:
    write(
        Path("warmup.yaml"),
        """
        version: 1
        include: [catalogs/orders.yaml]
        requirements: {main: {plan: echo, dependencies: {order: order}}}
        """,
    )
    write(
        Path("catalogs/orders.yaml"),
        """
        version: 1
        include: [common/plans.yaml]
        requirements: {order: {plan: echo}}
        """,
    )
    write(Path("catalogs/common/plans.yaml"), PLANS)
    catalog = load_catalog("warmup.yaml")
    assert catalog.files == ("catalogs/common/plans.yaml", "catalogs/orders.yaml", "warmup.yaml")
    assert catalog.requirement("main").dependencies["order"] is catalog.requirement("order")
    assert declaration_site(catalog.requirement("order")) == "catalogs/orders.yaml:3"


def test_a_file_included_twice_is_read_once() -> None:
    write(Path("plans.yaml"), PLANS)
    for name in ("left", "right"):
        write(
            Path(f"{name}.yaml"),
            f"version: 1\ninclude: [plans.yaml]\nrequirements: {{{name}: {{plan: echo}}}}\n",
        )
    write(Path("warmup.yaml"), "version: 1\ninclude: [left.yaml, right.yaml, ./plans.yaml]\n")
    catalog = load_catalog("warmup.yaml")
    assert catalog.files == ("plans.yaml", "left.yaml", "right.yaml", "warmup.yaml")
    assert catalog.requirement("left").owner_plan is catalog.requirement("right").owner_plan


def test_an_included_catalog_may_use_names_its_includer_declares() -> None:
    write(Path("warmup.yaml"), "version: 1\ninclude: [producers.yaml]\n" + PLANS.split("\n", 2)[2])
    write(
        Path("producers.yaml"),
        """
        version: 1
        producers: {prep: {scope: module, plans: [echo]}}
        """,
    )
    assert load_catalog("warmup.yaml").producers["prep"].plans[0].name == "echo"


def test_include_loops_are_reported_with_the_whole_loop() -> None:
    write(Path("warmup.yaml"), "version: 1\ninclude: [a.yaml]\n")
    write(Path("a.yaml"), "version: 1\ninclude: [b.yaml]\n")
    write(Path("b.yaml"), "version: 1\ninclude: [plans.yaml, a.yaml]\n")
    write(Path("plans.yaml"), "version: 1\ninclude: [plans.yaml]\n")
    assert problems() == [
        "b.yaml:2:23: include[1]: include loop: a.yaml -> b.yaml -> a.yaml; remove one of these "
        "includes",
        "plans.yaml:2:11: include[0]: include loop: plans.yaml -> plans.yaml; remove one of "
        "these includes",
    ]


def test_missing_includes_say_where_they_were_looked_for() -> None:
    write(Path("warmup.yaml"), "version: 1\ninclude: [nothing.yaml, catalogs/x.yaml]\n")
    write(Path("catalogs/x.yaml"), "version: 1\ninclude: [gone.yaml, 5]\n")
    assert problems() == [
        "catalogs/x.yaml:2:11: include[0]: included file 'gone.yaml' not found (looked for "
        "catalogs/gone.yaml)",
        "catalogs/x.yaml:2:22: include[1]: expected a non-empty string, got an integer",
        "warmup.yaml:2:11: include[0]: included file 'nothing.yaml' not found",
    ]


def test_include_is_a_list() -> None:
    write(Path("warmup.yaml"), "version: 1\ninclude: base.yaml\n")
    assert problems() == ["warmup.yaml:2:10: include: expected a list, got a string"]


def test_names_are_unique_across_all_files() -> None:
    write(Path("base.yaml"), PLANS + "requirements: {main: {plan: echo}}\n")
    write(
        Path("warmup.yaml"),
        f"""
        version: 1
        include: [base.yaml]
        plans:
        {PLANS.split(chr(10))[3]}
        requirements: {{main: {{plan: echo}}}}
        """,
    )
    assert problems() == [
        "warmup.yaml:4:3: plans.echo: plan 'echo' is already declared at base.yaml:3:3; names "
        "are shared by all included catalogs, rename one",
        "warmup.yaml:5:16: requirements.main: requirement 'main' is already declared at "
        "base.yaml:4:16; names are shared by all included catalogs, rename one",
    ]


def test_names_are_unique_across_catalogs_loaded_together() -> None:
    write(Path("one.yaml"), PLANS)
    write(Path("two.yaml"), PLANS)
    with pytest.raises(CatalogError) as raised:
        load_catalogs(["one.yaml", "two.yaml"])
    assert raised.value.problems == (
        "two.yaml:3:3: plans.echo: plan 'echo' is already declared at one.yaml:3:3; names are "
        "shared by all included catalogs, rename one",
    )


def test_a_cycle_across_files_names_the_file_of_each_step() -> None:
    write(
        Path("warmup.yaml"),
        PLANS + "include: [more.yaml]\nrequirements: {a: {plan: echo, dependencies: {b: b}}}\n",
    )
    write(Path("more.yaml"), "version: 1\nrequirements:\n  b: {plan: echo, dependencies: {a: a}}\n")
    assert problems() == [
        "warmup.yaml:5:50: requirements.a.dependencies.b: dependency cycle: 'b' (more.yaml:3) -> "
        "'a' (warmup.yaml:5) -> 'b'; remove one of these dependencies"
    ]


def test_problems_in_several_files_are_reported_together_sorted_by_file() -> None:
    write(Path("warmup.yaml"), "version: 1\ninclude: [more.yaml]\nplans: 5\n")
    write(Path("more.yaml"), "version: 1\nfixtures: 6\n")
    assert problems() == [
        "more.yaml:2:11: fixtures: expected a mapping, got an integer",
        "warmup.yaml:3:8: plans: expected a mapping, got an integer",
    ]


# -- pkg: files inside installed packages --------------------------------------------------------

TESTKIT = {
    "acme_testkit/__init__.py": "",
    "acme_testkit/warmup.yaml": """
        version: 1
        include: [catalogs/plans.yaml]
        requirements:
          facility_de: {plan: facility, payload: {country: DE}}
    """,
    "acme_testkit/catalogs/plans.yaml": """
        version: 1
        plans:
          facility: {class: "catalog_support:EchoPlan"}
    """,
}


def test_a_pkg_include_reads_a_file_shipped_inside_a_package(site: Path) -> None:
    write_distribution(site, "acme-testkit", files=TESTKIT)
    write(
        Path("warmup.yaml"),
        """
        version: 1
        include: ["pkg:acme_testkit/warmup.yaml"]
        requirements: {program: {plan: facility, dependencies: {facility: facility_de}}}
        """,
    )
    catalog = load_catalog("warmup.yaml")
    assert catalog.files == (
        "site/acme_testkit/catalogs/plans.yaml",
        "site/acme_testkit/warmup.yaml",
        "warmup.yaml",
    )
    assert catalog.requirement("facility_de").payload == {"country": "DE"}
    assert declaration_site(catalog.requirement("facility_de")) == "site/acme_testkit/warmup.yaml:4"


def test_a_pkg_path_can_be_loaded_directly(site: Path) -> None:
    write_distribution(site, "acme-testkit", files=TESTKIT)
    assert list(load_catalog("pkg:acme_testkit/warmup.yaml").requirements) == ["facility_de"]


def test_pkg_includes_that_name_no_file_are_reported(site: Path) -> None:
    write_distribution(site, "acme-testkit", files=TESTKIT)
    write(
        Path("warmup.yaml"),
        """
        version: 1
        include:
          - pkg:acme_tstkit/warmup.yaml
          - pkg:acme_testkit/warmup.yml
          - pkg:acme_testkit
        """,
    )
    assert problems() == [
        "warmup.yaml:3:5: include[0]: cannot import package 'acme_tstkit' for "
        "'pkg:acme_tstkit/warmup.yaml': ModuleNotFoundError: No module named 'acme_tstkit'",
        f"warmup.yaml:4:5: include[1]: package 'acme_testkit' has no file 'warmup.yml' "
        f"(looked in {site / 'acme_testkit'})",
        "warmup.yaml:5:5: include[2]: expected 'pkg:<package>/<path inside it>', got "
        "'pkg:acme_testkit'",
    ]


def test_problems_inside_a_package_catalog_name_its_file(site: Path) -> None:
    write_distribution(
        site,
        "acme-testkit",
        files={
            "acme_testkit/__init__.py": "",
            "acme_testkit/warmup.yaml": "version: 1\nplans: []\n",
        },
    )
    assert problems("pkg:acme_testkit/warmup.yaml") == [
        "site/acme_testkit/warmup.yaml:2:8: plans: expected a mapping, got a list"
    ]
