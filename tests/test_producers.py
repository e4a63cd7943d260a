"""Producer fixtures at every scope: which tests they cover, which roots they prepare, failures."""

from __future__ import annotations

import pytest

from recording_plans import install, prepared_nodes, prepares

PLANS = """
from plans import RecordingPlan

db = RecordingPlan("db")
shared = db.require(id="shared")
mine = db.require(id="mine", is_per_test=True)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    pytester.makepyfile(declared=PLANS)
    return pytester


# -- scopes ---------------------------------------------------------------------------------


def test_session_producer_covers_every_test_using_it(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import pytest
        from plans import produce
        from declared import db

        @pytest.fixture(scope="session")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)
        """
    )
    body = """
        from pytest_warmup import warmup_param
        from declared import shared, mine

        @warmup_param("value", shared)
        @warmup_param("own", mine)
        def test_one(prep, value, own):
            assert value["id"] == "shared"

        @warmup_param("value", shared)
        def test_two(prep, value):
            pass

        @warmup_param("own", mine)
        def test_without_producer(own):
            pass
        """
    suite.makepyfile(test_a=body, test_b=body)
    result = suite.runpytest()
    result.assert_outcomes(passed=4, failed=2)
    [prepare] = prepares(suite)
    assert prepare.scope_id == "session:.::prep"
    assert prepare.selected == [
        "test_a.py::test_one",
        "test_a.py::test_two",
        "test_b.py::test_one",
        "test_b.py::test_two",
    ]
    assert prepare.nodes == ["mine@test_a.py::test_one", "mine@test_b.py::test_one", "shared"]


def test_package_producer_covers_tests_under_its_package_and_subpackages(
    suite: pytest.Pytester,
) -> None:
    test_body = """
        from pytest_warmup import warmup_param
        from declared import mine

        @warmup_param("own", mine)
        def test_in_package(prep, own):
            pass
        """
    suite.makepyfile(
        **{
            "pkg/__init__.py": "",
            "pkg/conftest.py": """
                import pytest
                from plans import produce
                from declared import db

                @pytest.fixture(scope="package")
                def prep(warmup_mgr):
                    return produce(warmup_mgr, db)
                """,
            "pkg/test_top.py": test_body,
            "pkg/sub/__init__.py": "",
            "pkg/sub/test_nested.py": test_body,
            "other/__init__.py": "",
            "other/test_outside.py": """
                def test_outside():
                    pass
                """,
        }
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    [prepare] = prepares(suite)
    assert prepare.scope_id == "package:pkg::prep"
    assert sorted(prepare.selected) == [
        "pkg/sub/test_nested.py::test_in_package",
        "pkg/test_top.py::test_in_package",
    ]


def test_module_producer_covers_the_tests_of_its_module(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import pytest
        from plans import produce
        from declared import db

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)
        """
    )
    body = """
        from pytest_warmup import warmup_param
        from declared import mine

        @warmup_param("own", mine)
        def test_first(prep, own):
            pass

        @warmup_param("own", mine)
        def test_second(prep, own):
            pass
        """
    suite.makepyfile(test_a=body, test_b=body)
    result = suite.runpytest()
    result.assert_outcomes(passed=4)
    assert [(p.scope_id, p.selected) for p in prepares(suite)] == [
        ("module:test_a.py::prep", ["test_a.py::test_first", "test_a.py::test_second"]),
        ("module:test_b.py::prep", ["test_b.py::test_first", "test_b.py::test_second"]),
    ]


def test_class_producer_covers_the_tests_of_its_class(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_classes="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, mine

        @pytest.fixture(scope="class")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        class TestFirst:
            @warmup_param("own", mine)
            def test_a(self, prep, own):
                pass

            @warmup_param("own", mine)
            def test_b(self, prep, own):
                pass

        class TestSecond:
            @warmup_param("own", mine)
            def test_c(self, prep, own):
                pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    assert [(p.scope_id, p.selected) for p in prepares(suite)] == [
        (
            "class:test_classes.py::TestFirst::prep",
            ["test_classes.py::TestFirst::test_a", "test_classes.py::TestFirst::test_b"],
        ),
        ("class:test_classes.py::TestSecond::prep", ["test_classes.py::TestSecond::test_c"]),
    ]


def test_class_producer_used_by_a_module_level_test_covers_only_that_test(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        test_loose="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, mine

        @pytest.fixture(scope="class")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("own", mine)
        def test_first(prep, own):
            assert own["test_id"] == "test_loose.py::test_first"

        @warmup_param("own", mine)
        def test_second(prep, own):
            assert own["test_id"] == "test_loose.py::test_second"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    assert [(p.selected, p.nodes) for p in prepares(suite)] == [
        (["test_loose.py::test_first"], ["mine@test_loose.py::test_first"]),
        (["test_loose.py::test_second"], ["mine@test_loose.py::test_second"]),
    ]


def test_function_producer_covers_only_the_requesting_test(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_functions="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, shared

        @pytest.fixture
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("value", shared)
        def test_first(prep, value):
            pass

        @pytest.mark.parametrize("n", [1, 2])
        @warmup_param("value", shared)
        def test_param(prep, value, n):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    assert [(p.scope_id, p.selected, p.nodes) for p in prepares(suite)] == [
        (
            "function:test_functions.py::test_first::prep",
            ["test_functions.py::test_first"],
            ["shared"],
        ),
        (
            "function:test_functions.py::test_param[1]::prep",
            ["test_functions.py::test_param[1]"],
            ["shared"],
        ),
        (
            "function:test_functions.py::test_param[2]::prep",
            ["test_functions.py::test_param[2]"],
            ["shared"],
        ),
    ]


# -- roots ----------------------------------------------------------------------------------


def test_only_tests_with_the_producer_in_their_closure_contribute_roots(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        test_two_producers="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db

        first = db.require(id="first")
        second = db.require(id="second")
        through_fixture = db.require(id="through_fixture")

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @pytest.fixture(scope="module")
        def other_prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @pytest.fixture
        def uses_prep(prep):
            return prep

        @warmup_param("value", first)
        def test_with_prep(prep, value):
            assert value["id"] == "first"

        @warmup_param("value", through_fixture)
        def test_with_prep_through_a_fixture(uses_prep, value):
            assert value["id"] == "through_fixture"

        @warmup_param("value", second)
        def test_with_other_prep(other_prep, value):
            assert value["id"] == "second"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    assert [(p.scope_id, p.selected, p.nodes) for p in prepares(suite)] == [
        (
            "module:test_two_producers.py::prep",
            [
                "test_two_producers.py::test_with_prep",
                "test_two_producers.py::test_with_prep_through_a_fixture",
            ],
            ["first", "through_fixture"],
        ),
        (
            "module:test_two_producers.py::other_prep",
            ["test_two_producers.py::test_with_other_prep"],
            ["second"],
        ),
    ]


def test_producer_overridden_in_a_module_does_not_cover_that_modules_tests(
    suite: pytest.Pytester,
) -> None:
    suite.makeconftest(
        """
        import pytest
        from plans import produce
        from declared import db

        @pytest.fixture(scope="session")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)
        """
    )
    suite.makepyfile(
        test_a="""
        from pytest_warmup import warmup_param
        from declared import shared

        @warmup_param("value", shared)
        def test_session_prep(prep, value):
            pass
        """,
        test_b="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, mine

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("own", mine)
        def test_module_prep(prep, own):
            pass
        """,
    )
    suite.runpytest().assert_outcomes(passed=2)
    assert [(p.scope_id, p.selected) for p in prepares(suite)] == [
        ("session:.::prep", ["test_a.py::test_session_prep"]),
        ("module:test_b.py::prep", ["test_b.py::test_module_prep"]),
    ]


def test_producer_extended_in_a_module_covers_that_modules_tests(
    suite: pytest.Pytester,
) -> None:
    suite.makeconftest(
        """
        import pytest
        from plans import produce
        from declared import db

        @pytest.fixture(scope="session")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)
        """
    )
    suite.makepyfile(
        test_b="""
        import pytest
        from pytest_warmup import warmup_param
        from declared import mine

        @pytest.fixture
        def prep(prep):
            return prep

        @warmup_param("own", mine)
        def test_extended_prep(prep, own):
            assert own["test_id"] == "test_b.py::test_extended_prep"
        """,
    )
    suite.runpytest().assert_outcomes(passed=1)
    assert [(p.scope_id, p.nodes) for p in prepares(suite)] == [
        ("session:.::prep", ["mine@test_b.py::test_extended_prep"]),
    ]


def test_fixture_bindings_of_covered_tests_are_roots(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_fixture_roots="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, mine

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @pytest.fixture
        @warmup_param("own", mine)
        def client(prep, own):
            return own

        def test_through_fixture(client):
            assert client["test_id"] == "test_fixture_roots.py::test_through_fixture"

        def test_without_fixture(prep):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    assert prepared_nodes(suite) == ["mine@test_fixture_roots.py::test_through_fixture"]


def test_use_filter_applies_to_roots_and_dependencies_of_other_plans_are_prepared(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        test_filter="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import RecordingPlan, produce

        db = RecordingPlan("db")
        app = RecordingPlan("app")
        database = db.require(id="database")
        unrelated = db.require(id="unrelated")
        service = app.require(id="service", dependencies={"database": database})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, app)

        @warmup_param("value", service)
        def test_app_root(prep, value):
            assert value["deps"]["database"]["id"] == "database"

        @warmup_param("value", unrelated)
        def test_root_of_a_plan_not_in_use(prep, value):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    [prepare] = prepares(suite)
    assert [(batch["plan"], batch["nodes"]) for batch in prepare.batches] == [
        ("db", ["database"]),
        ("app", ["service"]),
    ]
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: no prepared runtime value for requirement 'unrelated' and test "
            "'test_filter.py::test_root_of_a_plan_not_in_use' (declared at *): its plan 'db' is "
            "not among the plans whose bindings producer 'prep' (*) prepares ('app'); add it *"
        ]
    )


def test_use_outside_a_producer_fixture_fails(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_outside="""
        from declared import db

        def test_calls_use_in_the_test(warmup_mgr):
            warmup_mgr.use(db)
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: warmup_mgr.use(...) must be called inside a producer fixture*"]
    )


def test_use_in_a_fixture_teardown_fails(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_teardown="""
        import pytest
        from declared import db

        @pytest.fixture
        def late(warmup_mgr):
            yield
            warmup_mgr.use(db)

        def test_uses_late(late):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: warmup_mgr.use(...) must be called inside a producer fixture*"]
    )


# -- failures and instances -----------------------------------------------------------------


def test_failing_prepare_errors_every_test_using_the_producer(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_cycle="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db

        a = db.require(id="a")
        b = db.require(id="b", dependencies={"dep": a})
        a.dependencies["dep"] = b
        plain = db.require(id="plain")

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("value", a)
        def test_bound_to_the_cycle(prep, value):
            pass

        @warmup_param("value", plain)
        def test_bound_elsewhere(prep, value):
            pass

        def test_only_the_producer(prep):
            pass

        def test_without_producer():
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines(["E   *: dependency cycle detected: a -> b -> a*"])
    assert prepares(suite) == []


def test_shared_requirement_is_prepared_once_per_module(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import pytest
        from plans import produce
        from declared import db

        SEEN = {}

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)
        """
    )
    body = """
        import conftest
        from pytest_warmup import warmup_param
        from declared import shared

        @warmup_param("value", shared)
        def test_first(prep, value):
            conftest.SEEN.setdefault(__name__, []).append(value)

        @warmup_param("value", shared)
        def test_second(prep, value):
            conftest.SEEN.setdefault(__name__, []).append(value)
            first, second = conftest.SEEN[__name__]
            assert first is second
        """
    suite.makepyfile(test_a=body, test_b=body)
    result = suite.runpytest()
    result.assert_outcomes(passed=4)
    assert [p.nodes for p in prepares(suite)] == [["shared"], ["shared"]]


def test_per_test_requirement_gets_one_instance_per_test(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_per_test="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import produce
        from declared import db, mine

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @pytest.mark.parametrize("n", [1, 2, 10])
        @warmup_param("own", mine)
        def test_param(prep, own, n):
            assert own["test_id"] == f"test_per_test.py::test_param[{n}]"

        @warmup_param("own", mine)
        def test_plain(prep, own):
            assert own["test_id"] == "test_per_test.py::test_plain"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=4)
    [prepare] = prepares(suite)
    assert len(prepare.batches) == 1
    assert prepare.nodes == [  # sorted by test id: [10] before [2]
        "mine@test_per_test.py::test_param[10]",
        "mine@test_per_test.py::test_param[1]",
        "mine@test_per_test.py::test_param[2]",
        "mine@test_per_test.py::test_plain",
    ]
