"""Which producer a binding reads from, and every message when that is unclear (section 8)."""

from __future__ import annotations

import inspect

import pytest

from recording_plans import install, prepares

SUITE_HEADER = """
import pytest
from pytest_warmup import warmup_param
from plans import RecordingPlan, produce

db = RecordingPlan("db")
shared = db.require(id="shared")
other = db.require(id="other")

@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return produce(warmup_mgr, db)

@pytest.fixture(scope="module")
def second_prep(warmup_mgr):
    return produce(warmup_mgr, db)

@pytest.fixture
def not_a_producer():
    return 42
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def write_suite(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_suite=SUITE_HEADER + inspect.cleandoc(body))


MULTIPLE = "multiple producer fixtures found in pytest dependency chain"


# -- one producer ---------------------------------------------------------------------------


def test_the_one_producer_among_the_arguments_is_used(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_direct(prep, value):
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_the_one_producer_in_the_closure_is_used(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        def indirect(prep):
            return "indirect"

        @warmup_param("value", shared)
        def test_through_a_fixture(indirect, value):
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_producer_requested_with_usefixtures_is_used(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.mark.usefixtures("prep")
        @warmup_param("value", shared)
        def test_usefixtures(value):
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)
    assert [p.nodes for p in prepares(suite)] == [["shared"]]


def test_autouse_producer_is_used(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="module", autouse=True)
        def auto_prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("value", shared)
        def test_autouse(value):
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)
    assert [(p.scope_id, p.nodes) for p in prepares(suite)] == [
        ("module:test_suite.py::auto_prep", ["shared"])
    ]


def test_one_producer_value_reached_through_two_fixtures_counts_once(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="module")
        def alias(prep):
            return prep

        @warmup_param("value", shared)
        def test_same_value_twice(prep, alias, value):
            assert prep is alias
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_fixture_binding_finds_a_producer_that_is_set_up_after_it(
    suite: pytest.Pytester,
) -> None:
    # Within one scope pytest sets up fixtures in argument order: the bound fixture runs
    # before the producer, which has not prepared anything yet at that point.
    write_suite(
        suite,
        """
        @pytest.fixture(scope="module")
        @warmup_param("value", shared)
        def early(value):
            return value["id"]

        def test_bound_fixture_first(early, prep):
            assert early == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)


# -- several producers ----------------------------------------------------------------------


def test_two_producers_among_the_test_arguments_fail_the_test(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_ambiguous(prep, second_prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"E   WarmupError: {MULTIPLE}*"])


def test_two_producers_in_the_closure_error_a_bound_fixture(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared)
        def client(value):
            return value

        def test_ambiguous_closure(prep, second_prep, client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"E   WarmupError: {MULTIPLE}*"])


def test_producer_fixture_picks_one_of_several_producers(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="second_prep")
        def test_named(prep, second_prep, value):
            assert value["id"] == "shared"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_producer_fixture_constrains_root_selection_between_producers_of_one_plan(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="prep")
        def test_from_prep(prep, second_prep, value):
            assert value["id"] == "shared"

        @warmup_param("value", other, producer_fixture="second_prep")
        def test_from_second_prep(prep, second_prep, value):
            assert value["id"] == "other"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    assert sorted((p.scope_id, tuple(p.nodes)) for p in prepares(suite)) == [
        ("module:test_suite.py::prep", ("shared",)),
        ("module:test_suite.py::second_prep", ("other",)),
    ]


# -- producer_fixture problems --------------------------------------------------------------


def test_unknown_producer_fixture_fails_the_test(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="nope")
        def test_unknown(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E   WarmupError: producer fixture 'nope' was not found*"])


def test_a_misspelled_producer_fixture_gets_a_suggestion(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="prepp")
        def test_misspelled(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: producer fixture 'prepp' was not found (did you mean 'prep'?); "
            "check the fixture name"
        ]
    )


def test_producer_fixture_defined_elsewhere_is_not_available(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_elsewhere="""
        import pytest

        @pytest.fixture(scope="module")
        def elsewhere_prep(warmup_mgr):
            pass

        def test_other_module():
            pass
        """
    )
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="elsewhere_prep")
        def test_not_visible(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: producer fixture 'elsewhere_prep' is defined but not available for "
            "this pytest request scope*"
        ]
    )


def test_producer_fixture_outside_the_dependency_chain_fails_the_test(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="second_prep")
        def test_not_requested(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: producer fixture 'second_prep' is not in this dependency chain*"]
    )


def test_producer_fixture_that_returns_something_else_fails_the_test(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared, producer_fixture="not_a_producer")
        def test_wrong_fixture(not_a_producer, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: producer fixture 'not_a_producer' must return a prepared warmup scope*"]
    )


def test_producer_fixture_problem_in_a_fixture_binding_is_an_error(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared, producer_fixture="not_a_producer")
        def client(not_a_producer, value):
            return value

        def test_uses_client(client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: producer fixture 'not_a_producer' must return a prepared warmup scope*"]
    )


# -- no producer ----------------------------------------------------------------------------


def test_binding_without_any_producer_fails_the_test(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_orphan(not_a_producer, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: no producer fixture found in pytest dependency chain*"]
    )


def test_fixture_binding_without_any_producer_is_an_error(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared)
        def client(value):
            return value

        def test_uses_client(client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: no producer fixture found in pytest dependency chain*"]
    )


# -- pytest's own scope check ---------------------------------------------------------------

SCOPE_MISMATCH = (
    "*ScopeMismatch: You tried to access the module scoped fixture prep with a session scoped "
    "request object*"
)


def test_session_fixture_binding_that_requests_a_module_producer_gets_scope_mismatch(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="session")
        @warmup_param("value", shared)
        def session_client(prep, value):
            return value

        def test_uses_session_client(session_client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([SCOPE_MISMATCH])
    assert "WarmupError" not in result.stdout.str()


def test_session_fixture_binding_with_a_module_producer_in_the_closure_gets_scope_mismatch(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="session")
        @warmup_param("value", shared)
        def session_client(value):
            return value

        def test_uses_session_client(prep, session_client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([SCOPE_MISMATCH])


def test_a_producer_that_forgot_prepare_is_named_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        plan = Plan("plan")
        need = plan.require(id="need")

        @pytest.fixture
        def unprepared(warmup_mgr):
            return warmup_mgr.use(plan)

        @warmup_param("value", need)
        def test_value(unprepared, value):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: producer fixture 'unprepared' returned warmup_mgr.use(...) "
            "without calling prepare(): return warmup_mgr.use(...).prepare() from it"
        ]
    )
