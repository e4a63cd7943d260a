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
