"""How pytest shows a WarmupError: the message and where, never the plugin's traceback."""

from __future__ import annotations

import pytest

CYCLE = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


class Plan(WarmupPlan):
    def prepare_node(self, node):
        return 1


plan = Plan("plan")
a = plan.require(id="a")
b = plan.require(id="b", dependencies={"x": a})
a.dependencies["y"] = b


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(plan).prepare()


@warmup_param("value", a)
def test_a(prep, value):
    pass
"""


def test_producer_failure_names_the_producer_and_hides_plugin_frames(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_cycle=CYCLE)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   DependencyCycleError: dependency cycle detected: a -> b -> a",
            "E   (raised while producer 'prep' (module:test_cycle.py::prep) prepared)",
            "ERROR test_cycle.py::test_a - DependencyCycleError: dependency cycle detected*",
        ]
    )
    assert "pytest_warmup/" not in result.stdout.str()


def test_plan_exception_keeps_the_plan_traceback_without_plugin_frames(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_broken="""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Broken(WarmupPlan):
            def prepare_node(self, node):
                raise LookupError("no such tenant")

        broken = Broken("tenants").require(id="tenant")

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(broken.owner_plan).prepare()

        @warmup_param("value", broken)
        def test_tenant(prep, value):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   NodeFailedError: warmup requirement 'tenant' (plan 'tenants'*) failed: "
            "LookupError: no such tenant",
            "The original exception:",
            "Traceback (most recent call last):",
            '*test_broken.py", line *, in prepare_node',
            "LookupError: no such tenant",
        ]
    )
    assert "pytest_warmup/" not in result.stdout.str()


def test_only_errors_the_plugin_raises_are_shown_as_bare_messages(
    pytester: pytest.Pytester,
) -> None:
    # The first one also registers the report hook: the second, raised by the test's own code
    # afterwards, keeps its traceback, which points at the line to fix.
    pytester.makepyfile(
        """
        from pytest_warmup import WarmupPlan

        plan = WarmupPlan("plan")

        def test_misuses_the_manager(warmup_mgr):
            warmup_mgr.use(plan)

        def test_declares_badly():
            plan.require(payload=1)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_misuses_the_manager _*",
            "E   WarmupError: warmup_mgr.use(...) must be called inside a producer fixture",
            "*_ test_declares_badly _*",
            ">       plan.require(payload=1)",
            "E   *WarmupError: plan 'plan': payload must be a mapping, got int",
        ]
    )
    assert "def test_misuses_the_manager" not in result.stdout.str()


# -- one failure, many tests: shown in full once (issue 13, item 4) ------------------------------

FAILED_NODE = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


class Customers(WarmupPlan):
    def prepare_node(self, node):
        raise RuntimeError("the directory service is down")


customer = Customers("customers").require(id="customer")
order = Customers("orders").require(id="order", dependencies={"customer": customer})


@pytest.fixture(scope="module")
def shop(warmup_mgr):
    return warmup_mgr.use(customer.owner_plan, order.owner_plan).prepare()


@warmup_param("value", customer)
def test_a(shop, value):
    pass


@warmup_param("value", customer)
def test_b(shop, value):
    pass


@warmup_param("value", order)
def test_c(shop, value):
    pass
"""


def test_a_failed_node_is_explained_once_and_every_test_gets_its_one_line_cause(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_shop=FAILED_NODE)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_a _*",
            "E   NodeFailedError: warmup requirement 'customer' (plan 'customers', declared at "
            "test_shop.py:10) failed: RuntimeError: the directory service is down",
            "",
            "The original exception:",
            "Traceback (most recent call last):",
            '  File "*test_shop.py", line 7, in prepare_node',
            "RuntimeError: the directory service is down",
            "*_ ERROR at setup of test_b _*",
            "E   NodeFailedError: warmup requirement 'customer' (plan 'customers', declared at "
            "test_shop.py:10) failed: RuntimeError: the directory service is down",
            "E   (shown in full above, for test_shop.py::test_a)",
            "*_ ERROR at setup of test_c _*",
            "E   NodeFailedError: warmup requirement 'order' (plan 'orders', declared at "
            "test_shop.py:11) was not prepared because dependency 'customer' *",
            "E   (shown in full above, for test_shop.py::test_a)",
        ]
    )
    assert result.stdout.str().count("Traceback (most recent call last)") == 1


def test_a_producer_failure_of_many_lines_is_shown_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=FAILED_NODE)
    (pytester.path / "bad.json").write_text(
        '{"version": 1, "scopes": {"module:test_shop.py::shop": {"shared": '
        '{"custmer": {"value": 1}, "ordr": {"value": 2}}}}}',
        encoding="utf-8",
    )
    result = pytester.runpytest("-p", "no:randomly", "--warmup-snapshot", "bad.json")
    result.assert_outcomes(errors=3)
    output = result.stdout.str()
    assert output.count("unknown shared override id 'ordr'") == 1  # the second line, once
    assert output.count("E   (shown in full above, for test_shop.py::test_a)") == 2
    assert output.count("(raised while producer 'shop'") == 1


def test_two_cleanups_failing_in_one_teardown_show_both_messages_without_tracebacks(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Leaky(WarmupPlan):
            def prepare_node(self, node):
                return node.payload["name"]

            def cleanup_node(self, node):
                raise RuntimeError(f"cannot delete {node.value}")

        shared_plan, own_plan = Leaky("shared"), Leaky("own")
        shared = shared_plan.require(payload={"name": "shared"}, id="shared")
        own = own_plan.require(payload={"name": "own"}, id="own", is_per_test=True)

        @pytest.fixture(scope="module")
        def module_producer(warmup_mgr):
            return warmup_mgr.use(shared_plan).prepare()

        @pytest.fixture(scope="module")
        @warmup_param("value", shared)
        def shared_value(module_producer, value):
            return value

        @pytest.fixture
        def test_producer(warmup_mgr):
            return warmup_mgr.use(own_plan).prepare()

        @warmup_param("mine", own)
        def test_last(shared_value, test_producer, mine):
            assert (shared_value, mine) == ("shared", "own")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    for producer in ("module_producer", "test_producer"):  # in pytest's teardown order
        result.stdout.fnmatch_lines([f"E   WarmupError: cleanup failed for producer '{producer}'*"])
    assert "Exception Group" not in result.stdout.str()
    assert "pytest_warmup/" not in result.stdout.str()
