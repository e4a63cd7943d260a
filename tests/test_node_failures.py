"""A node whose preparation failed errors only the tests that need it (sections 5, 6, 15.2)."""

from __future__ import annotations

import inspect

import pytest

SUITE_HEADER = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param

class QuotaExceeded(Exception):
    pass

class Database(WarmupPlan):
    def prepare_node(self, node):
        if "fail_for" in node.payload and node.test_id == node.payload["fail_for"]:
            raise QuotaExceeded(f"no quota left for {node.test_id}")
        if node.payload.get("fail"):
            raise QuotaExceeded(f"no quota left for {node.id}")
        return node.id

class Service(WarmupPlan):
    def prepare_node(self, node):
        return {slot: value for slot, value in node.deps.items()}

database = Database("database")
service = Service("service")
healthy = database.require(id="healthy")
broken = database.require(id="broken", payload={"fail": True})
api = service.require(id="api", dependencies={"db": broken})
standalone = service.require(id="standalone")

@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(database, service).prepare()
"""


def run_suite(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(test_suite=SUITE_HEADER + inspect.cleandoc(body))
    result = pytester.runpytest()
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    return result


def test_test_needing_a_failed_node_errors_in_setup_with_the_original_exception(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        @warmup_param("value", broken)
        def test_needs_broken(prep, value):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_needs_broken*",
            "E   *warmup requirement 'broken' (plan 'database', declared at test_suite.py:*) "
            "failed: QuotaExceeded: no quota left for broken",
            "The original exception:",
            "Traceback (most recent call last):",
            '*raise QuotaExceeded(f"no quota left for {node.id}")',
            "*QuotaExceeded: no quota left for broken",
        ]
    )


def test_unrelated_tests_pass_next_to_a_failed_node(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        @warmup_param("value", broken)
        def test_needs_broken(prep, value):
            pass

        @warmup_param("value", healthy)
        def test_needs_healthy(prep, value):
            assert value == "healthy"

        @warmup_param("value", standalone)
        def test_needs_other_plan(prep, value):
            assert value == {}

        def test_needs_only_the_producer(prep):
            pass
        """,
    )
    result.assert_outcomes(passed=3, errors=1)


def test_dependant_of_a_failed_node_names_the_failed_ancestor(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        @warmup_param("value", api)
        def test_needs_api(prep, value):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_needs_api*",
            "E   *warmup requirement 'api' (plan 'service', declared at test_suite.py:*) was not "
            "prepared because dependency 'broken' (plan 'database', declared at "
            "test_suite.py:*) failed: QuotaExceeded: no quota left for broken",
        ]
    )


def test_fixture_binding_to_a_failed_node_errors_the_test(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        @pytest.fixture
        @warmup_param("value", broken)
        def client(prep, value):
            return value

        def test_uses_client(client):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_uses_client*",
            "E   *warmup requirement 'broken' (plan 'database'*failed: QuotaExceeded: no quota "
            "left for broken",
        ]
    )


def test_failed_per_test_instance_errors_only_its_own_test(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        account = database.require(
            id="account", is_per_test=True, payload={"fail_for": "test_suite.py::test_second"}
        )

        @warmup_param("value", account)
        def test_first(prep, value):
            assert value == "account"

        @warmup_param("value", account)
        def test_second(prep, value):
            pass

        @warmup_param("value", account)
        def test_third(prep, value):
            assert value == "account"
        """,
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_second*",
            "E   *warmup requirement 'account' (plan 'database'*failed: QuotaExceeded: no quota "
            "left for test_suite.py::test_second",
        ]
    )


def test_before_prepare_failure_fails_every_node_of_the_batch(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class Unreachable(WarmupPlan):
            def before_prepare(self, nodes):
                raise ConnectionError("server unreachable")

            def prepare_node(self, node):
                return node.id

        unreachable = Unreachable("unreachable")
        first = unreachable.require(id="first")
        second = unreachable.require(id="second")

        @pytest.fixture(scope="module")
        def unreachable_prep(warmup_mgr):
            return warmup_mgr.use(unreachable, database).prepare()

        @warmup_param("value", first)
        def test_first(unreachable_prep, value):
            pass

        @warmup_param("value", second)
        def test_second(unreachable_prep, value):
            pass

        @warmup_param("value", healthy)
        def test_other_plan(unreachable_prep, value):
            assert value == "healthy"
        """,
    )
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "E   *warmup requirement 'first' (plan 'unreachable'*failed: ConnectionError: "
            "server unreachable",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E   *warmup requirement 'second' (plan 'unreachable'*failed: ConnectionError: "
            "server unreachable",
        ]
    )


def test_prepare_that_raises_keeps_the_values_already_set(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class HalfDone(WarmupPlan):
            def prepare(self, nodes, runtime):
                runtime.set(nodes[0], "done")
                raise TimeoutError("gave up after the first")

        half = HalfDone("half")
        done = half.require(id="done")
        not_done = half.require(id="not_done")

        @pytest.fixture(scope="module")
        def half_prep(warmup_mgr):
            return warmup_mgr.use(half).prepare()

        @warmup_param("value", done)
        def test_done(half_prep, value):
            assert value == "done"

        @warmup_param("value", not_done)
        def test_not_done(half_prep, value):
            pass
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *warmup requirement 'not_done' (plan 'half'*failed: TimeoutError: gave up "
            "after the first",
        ]
    )


def test_node_left_without_a_result_fails_only_its_tests(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class Forgetful(WarmupPlan):
            def prepare(self, nodes, runtime):
                for node in nodes:
                    if node.id != "forgotten":
                        runtime.set(node, node.id)

        forgetful = Forgetful("forgetful")
        forgotten = forgetful.require(id="forgotten")
        remembered = forgetful.require(id="remembered")

        @pytest.fixture(scope="module")
        def forgetful_prep(warmup_mgr):
            return warmup_mgr.use(forgetful).prepare()

        @warmup_param("value", forgotten)
        def test_forgotten(forgetful_prep, value):
            pass

        @warmup_param("value", remembered)
        def test_remembered(forgetful_prep, value):
            assert value == "remembered"
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *warmup requirement 'forgotten' (plan 'forgetful'*failed: *plan 'forgetful' "
            "did not set a value or exception for requirement 'forgotten' (*), "
            "node 'node-1:shared'*",
        ]
    )
