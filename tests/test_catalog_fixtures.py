"""Suites whose resources are declared in YAML: generated producers and value fixtures."""

from __future__ import annotations

import pytest

from catalog_example import install, prepared
from catalog_support import write
from pytest_warmup.catalog import load_catalog

EXAMPLE_TESTS = """
from conftest import CATALOG
from pytest_warmup import warmup_param


def test_main_program(main_program):
    assert main_program == {
        "plan": "program",
        "id": "program_main",
        "payload": {"profile": "MAIN"},
        "test": None,
        "deps": {"facility": "facility_de"},
    }


def test_order(an_order, main_program):
    assert an_order["test"] == "test_example.py::test_order"
    assert an_order["currency"] == "EUR"
    assert an_order["deps"] == {
        "program": "program_main",
        "customer": "customer_vip",
        "audits": ["audit_trail", "python_audit"],
    }


def test_eu_program(eu_program):
    assert eu_program["payload"] == {"profile": "EU", "region": "eu-west"}
    assert eu_program["deps"] == {"facility": "facility_de"}


@warmup_param("order", CATALOG.requirement("order_each"))
def test_a_python_test_binds_a_yaml_requirement(order, prepare_data):
    assert order["test"] == "test_example.py::test_a_python_test_binds_a_yaml_requirement"
"""

EXAMPLE_PREPARED = [
    "audit:audit_trail",
    "audit:python_audit",
    "customer:customer_vip",
    "facility:facility_de",
    "order:order_each@test_example.py::test_a_python_test_binds_a_yaml_requirement",
    "order:order_each@test_example.py::test_order",
    "program:program_eu",
    "program:program_main",
]


def test_the_example_catalog_runs_a_suite(pytester: pytest.Pytester) -> None:
    install(pytester)
    pytester.makepyfile(test_example=EXAMPLE_TESTS)
    pytester.runpytest().assert_outcomes(passed=4)
    assert sorted(prepared(pytester)) == EXAMPLE_PREPARED


def test_the_example_catalog_compiles_in_process(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(pytester)
    monkeypatch.chdir(pytester.path)
    catalog = load_catalog("example.yaml")
    assert catalog.files == (
        "acme_testkit/warmup.yaml",
        "catalogs/customers.yaml",
        "example.yaml",
    )
    assert sorted(catalog.plans) == ["audit", "customer", "facility", "order", "program"]
    assert list(catalog.fixtures) == ["main_program", "an_order", "eu_program"]


def test_the_example_catalog_runs_under_xdist(pytester: pytest.Pytester) -> None:
    install(pytester)
    pytester.makepyfile(test_example=EXAMPLE_TESTS)
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=4)
    # Each worker prepares what its own tests need: everything at least once, per-test once.
    assert set(prepared(pytester)) == set(EXAMPLE_PREPARED)


def test_generated_fixtures_are_listed_with_where_they_were_declared(
    pytester: pytest.Pytester,
) -> None:
    install(pytester)
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "main_program*",
            "    Prepared value of requirement 'program_main' from producer 'prepare_data', "
            "declared at example.yaml:*.",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "prepare_data [[]module scope[]]*",
            "    Producer declared at example.yaml:*: prepares plans 'facility', 'program', "
            "'order', 'audit'.",
        ],
        consecutive=True,
    )


YAML_ONLY = """
version: 1
plans:
  db: {class: "plans:DbPlan"}
requirements:
  customer: {plan: db, payload: {name: ada}}
  cart: {plan: db, dependencies: {owner: customer}, per_test: true}
producers:
  prepare_data: {scope: module, plans: [db]}
fixtures:
  customer: {requirement: customer, producer: prepare_data}
  cart: {requirement: cart, producer: prepare_data}
"""

DB_PLAN = """
import pathlib

from pytest_warmup import WarmupPlan


class DbPlan(WarmupPlan):
    def prepare(self, nodes, runtime=None):
        with pathlib.Path("batches.log").open("a") as log:
            log.write(" ".join(f"{n.id}@{n.test_id}" for n in nodes) + "\\n")
        for node in nodes:
            owner = node.deps.get("owner")
            node.set_value({"id": node.id, "test": node.test_id, "owner": owner})
"""

CONFTEST = """
from pytest_warmup.catalog import load_catalog
from pytest_warmup._catalog_fixtures import catalog_plugin

CATALOG = load_catalog("catalog.yaml")


def pytest_configure(config):
    config.pluginmanager.register(catalog_plugin(CATALOG), "test-catalog")
"""


@pytest.fixture
def yaml_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    write(pytester.path / "catalog.yaml", YAML_ONLY)
    pytester.makepyfile(plans=DB_PLAN)
    pytester.makeconftest(CONFTEST)
    pytester.syspathinsert()
    return pytester


def test_a_yaml_only_suite_gets_values_prepared_in_one_batch_per_module(
    yaml_suite: pytest.Pytester,
) -> None:
    body = """
    def test_one(customer, cart):
        assert customer == {"id": "customer", "test": None, "owner": None}
        assert cart["owner"] is customer
        assert cart["test"].endswith("::test_one")

    def test_two(cart):
        assert cart["test"].endswith("::test_two")
        assert cart["owner"]["id"] == "customer"
    """
    yaml_suite.makepyfile(test_a=body, test_b=body)
    yaml_suite.runpytest().assert_outcomes(passed=4)
    assert (yaml_suite.path / "batches.log").read_text().splitlines() == [
        "customer@None",
        "cart@test_a.py::test_one cart@test_a.py::test_two",
        "customer@None",
        "cart@test_b.py::test_one cart@test_b.py::test_two",
    ]


def test_python_producers_and_requirements_mix_with_catalog_ones(
    yaml_suite: pytest.Pytester,
) -> None:
    yaml_suite.makepyfile(
        test_mixed="""
        import pytest
        from conftest import CATALOG
        from pytest_warmup import warmup_param

        db = CATALOG.plans["db"]
        order = db.require(id="order", dependencies={"owner": CATALOG.requirement("customer")})

        @pytest.fixture
        def prepare_mine(warmup_mgr):
            return warmup_mgr.use(db).prepare()

        @warmup_param("value", order, producer_fixture="prepare_mine")
        def test_python_requirement_depends_on_a_yaml_one(value, prepare_mine):
            assert value["owner"]["id"] == "customer"

        @warmup_param("value", CATALOG.requirement("cart"), producer_fixture="prepare_mine")
        def test_python_producer_prepares_a_yaml_requirement(value, prepare_mine):
            assert value["test"].endswith("::test_python_producer_prepares_a_yaml_requirement")
        """
    )
    yaml_suite.runpytest().assert_outcomes(passed=2)


def test_a_conftest_fixture_overrides_a_catalog_fixture_of_the_same_name(
    yaml_suite: pytest.Pytester,
) -> None:
    yaml_suite.makepyfile(
        test_override="""
        import pytest

        @pytest.fixture
        def customer():
            return "local"

        def test_local(customer):
            assert customer == "local"
        """
    )
    yaml_suite.runpytest().assert_outcomes(passed=1)
