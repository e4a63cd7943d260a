"""A test's outcome does not depend on which other tests run (issue 13, item 1).

Each suite runs once whole and once test by test; every test must end the same way, with the
same message. ``use(...)`` selects roots: a test that binds a requirement of a plan its producer
does not prepare fails always, even when another test's dependency brought that requirement
into the graph.
"""

from __future__ import annotations

import pytest

PLANS = """
from pytest_warmup import WarmupPlan


class Named(WarmupPlan):
    def prepare_node(self, node):
        if node.payload.get("fail"):
            raise RuntimeError("boom")
        return f"{self.name}:{node.id}"
"""

SUITE = """
import pytest
from pytest_warmup import warmup_param
from plans import Named

a_plan, b_plan = Named("a_plan"), Named("b_plan")
b = b_plan.require(id="b")
a = a_plan.require(id="a", dependencies={"b": b})
broken = b_plan.require(id="broken", payload={"fail": True})
above = a_plan.require(id="above", dependencies={"broken": broken})
own = a_plan.require(id="own", is_per_test=True, dependencies={"b": b})


@pytest.fixture(scope="module")
def prod(warmup_mgr):
    return warmup_mgr.use(a_plan).prepare()


@pytest.fixture(scope="module")
@warmup_param("value", own)
def module_fixture(prod, value):
    return value


@warmup_param("v", a)
def test_1_binds_a(prod, v):
    assert v == "a_plan:a"


@warmup_param("v", b)
def test_2_binds_a_dependency_of_another_plan(prod, v):
    pass


@warmup_param("v", above)
def test_3_binds_what_a_failed_node_blocks(prod, v):
    pass


@warmup_param("v", broken)
def test_4_binds_the_failed_node_of_another_plan(prod, v):
    pass


@warmup_param("v", own)
def test_5_binds_a_per_test_value(prod, v):
    assert v == "a_plan:own"


def test_6_per_test_value_through_a_module_fixture(module_fixture):
    pass


def test_7_binds_nothing(prod):
    pass
"""

CATALOG = """
version: 1
plans:
  a_plan: {instance: "plans:A"}
  b_plan: {instance: "plans:B"}
requirements:
  b: {plan: b_plan}
  a: {plan: a_plan, dependencies: {b: b}}
producers:
  shop: {scope: module, plans: [a_plan]}
"""

CATALOG_SUITE = """
from pytest_warmup import warmup_param


@warmup_param("v", "a")
def test_1_binds_a(shop, v):
    assert v == "a_plan:a"


@warmup_param("v", "b")
def test_2_binds_a_dependency_of_another_plan(shop, v):
    pass
"""


def _outcomes(pytester: pytest.Pytester, *args: str) -> dict[str, tuple[str, str]]:
    """test node id -> (outcome, first line of the failure) of one in-process run."""
    found: dict[str, tuple[str, str]] = {}
    for report in pytester.inline_run("-p", "no:cacheprovider", *args).getreports(
        "pytest_runtest_logreport"
    ):
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = "error" if report.when == "setup" and report.failed else report.outcome
            crash = getattr(report.longrepr, "reprcrash", None)
            found[report.nodeid] = (outcome, getattr(crash, "message", ""))
    return found


def _assert_independent(pytester: pytest.Pytester) -> dict[str, tuple[str, str]]:
    whole = _outcomes(pytester)
    alone = {}
    for nodeid in whole:
        alone.update(_outcomes(pytester, nodeid))
    assert alone == whole
    return whole


def test_every_outcome_is_the_same_whole_and_test_by_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(plans=PLANS, test_suite=SUITE)

    whole = _assert_independent(pytester)

    assert {nodeid.split("::")[1]: outcome for nodeid, (outcome, _) in whole.items()} == {
        "test_1_binds_a": "passed",
        "test_2_binds_a_dependency_of_another_plan": "failed",
        "test_3_binds_what_a_failed_node_blocks": "error",
        "test_4_binds_the_failed_node_of_another_plan": "failed",
        "test_5_binds_a_per_test_value": "passed",
        "test_6_per_test_value_through_a_module_fixture": "error",
        "test_7_binds_nothing": "passed",
    }


def test_a_binding_of_a_plan_the_producer_does_not_prepare_says_how_to_add_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=PLANS, test_suite=SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "test_2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: no prepared runtime value for requirement 'b' and test "
            "'test_suite.py::test_2_binds_a_dependency_of_another_plan' (declared at "
            "test_suite.py:*): its plan 'b_plan' is not among the plans whose bindings producer "
            "'prod' (module:test_suite.py::prod) prepares ('a_plan'); add it to that producer "
            "(warmup_mgr.use(...) in Python, producers.prod.plans in warmup.yaml), or bind the "
            "requirement through a producer that prepares it"
        ]
    )


def test_a_per_test_value_in_a_broader_fixture_names_the_fixture_and_its_scope(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=PLANS, test_suite=SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "test_6")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: no prepared runtime value for requirement 'own' and test "
            "'test_suite.py' (declared at test_suite.py:*): the requirement is per-test and "
            "fixture 'module_fixture' has module scope; only a test or a function-scoped fixture "
            "receives a per-test value: make the fixture function-scoped, or bind a shared "
            "requirement"
        ]
    )


def test_a_catalog_producer_gets_the_same_independence_and_its_own_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        plans=PLANS + "\nA = Named('a_plan')\nB = Named('b_plan')\n", test_catalog=CATALOG_SUITE
    )
    pytester.makefile(".yaml", warmup=CATALOG)

    whole = _assert_independent(pytester)

    assert [outcome for outcome, _ in whole.values()] == ["passed", "failed"]
    message = whole["test_catalog.py::test_2_binds_a_dependency_of_another_plan"][1]
    assert "add it to that producer (warmup_mgr.use(...) in Python, producers.shop.plans" in message
