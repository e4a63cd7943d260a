"""``@warmup_param``: checks when it is applied, the signature pytest sees, and injection."""

from __future__ import annotations

import functools
import gc
import inspect
import sys
from typing import Any

import pytest

from pytest_warmup import WarmupError, WarmupPlan, WarmupRequirement, warmup_param
from pytest_warmup import _binding as binding
from pytest_warmup._binding import Binding, bindings_of
from recording_plans import install

PLAN = WarmupPlan("plan")
REQUIREMENT = PLAN.require(id="req")

SUITE_HEADER = """
import pytest
from pytest_warmup import warmup_param
from plans import RecordingPlan, produce

db = RecordingPlan("db")
shared = db.require(id="shared")
other = db.require(id="other")
mine = db.require(id="mine", is_per_test=True)

@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return produce(warmup_mgr, db)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def write_suite(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_suite=SUITE_HEADER + inspect.cleandoc(body))


# -- when warmup_param(...) is called and applied -------------------------------------------


@pytest.mark.parametrize("not_a_requirement", [object(), 42, None, {"id": "req"}])
def test_non_requirement_fails_with_type_error_when_warmup_param_is_called(
    not_a_requirement: Any,
) -> None:
    with pytest.raises(TypeError) as excinfo:
        warmup_param("value", not_a_requirement)
    assert str(excinfo.value) == (
        "warmup_param binding requires a WarmupRequirement (what plan.require(...) returns, or "
        "the id of one in a loaded warmup.yaml catalog), got "
        f"{type(not_a_requirement).__name__}: {not_a_requirement!r}"
    )


def test_argument_bound_twice_is_a_collection_error(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        @warmup_param("value", other)
        def test_twice(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *WarmupError: warmup_param argument 'value' is already bound on callable "
            "'test_twice'"
        ]
    )


def test_argument_missing_from_the_function_is_a_collection_error(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("valeu", shared)
        def test_typo(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *WarmupError: warmup_param argument 'valeu' is missing from callable 'test_typo' "
            "(did you mean 'value'?)"
        ]
    )


def test_missing_argument_is_checked_against_the_original_signature_when_stacked(
    suite: pytest.Pytester,
) -> None:
    # The outer layer sees the original signature, not the one the inner layer made visible.
    write_suite(
        suite,
        """
        @warmup_param("request", shared)
        @warmup_param("value", other)
        def test_no_request_parameter(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *WarmupError: warmup_param argument 'request' is missing from callable "
            "'test_no_request_parameter'"
        ]
    )


def test_two_different_producer_fixtures_on_one_callable_are_a_collection_error(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("first", shared, producer_fixture="prep")
        @warmup_param("second", other, producer_fixture="other_prep")
        def test_disagree(prep, first, second):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *WarmupError: warmup_param bindings on callable 'test_disagree' must agree on "
            "producer_fixture when one is specified*"
        ]
    )


def test_one_named_producer_and_other_unnamed_bindings_are_accepted(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="module")
        def second_prep(warmup_mgr):
            return produce(warmup_mgr, db)

        @warmup_param("first", shared, producer_fixture="prep")
        @warmup_param("second", other)
        def test_named_resolves_every_binding(prep, second_prep, first, second):
            assert first["id"] == "shared"
            assert second["id"] == "other"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_warmup_param_above_pytest_fixture_is_rejected(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        @pytest.fixture
        def wrong_order(value):
            return value
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   *WarmupError: warmup_param must be applied below @pytest.fixture*"]
    )


# -- the wrapped callable -------------------------------------------------------------------


def test_visible_signature_drops_bound_arguments_and_adds_nothing() -> None:
    @warmup_param("first", REQUIREMENT)
    @warmup_param("second", PLAN.require())
    def test_function(producer: object, first: object, other: object, second: object) -> None:
        pass

    assert list(inspect.signature(test_function).parameters) == ["producer", "other"]


def test_visible_signature_keeps_a_request_the_function_already_takes() -> None:
    @warmup_param("value", REQUIREMENT)
    def test_function(request: object, value: object) -> None:
        pass

    assert list(inspect.signature(test_function).parameters) == ["request"]


def test_visible_signature_keeps_var_keyword_arguments() -> None:
    @warmup_param("value", REQUIREMENT)
    def helper(value: object, **extra: object) -> None:
        pass

    assert list(inspect.signature(helper).parameters) == ["extra"]


def test_wrapper_keeps_name_and_docstring_and_leads_to_the_original() -> None:
    def test_documented(value: object) -> None:
        """Says what it checks."""

    wrapped = warmup_param("value", REQUIREMENT)(test_documented)
    assert wrapped.__name__ == "test_documented"
    assert wrapped.__doc__ == "Says what it checks."
    assert inspect.unwrap(wrapped) is test_documented  # where pytest finds file and line
    assert list(inspect.signature(wrapped).parameters) == []  # what pytest requests


def test_generators_and_coroutine_functions_keep_their_kind() -> None:
    def generator(value: object) -> Any:
        yield value

    async def coroutine(value: object) -> None:
        pass

    async def async_generator(value: object) -> Any:
        yield value

    assert inspect.isgeneratorfunction(warmup_param("value", REQUIREMENT)(generator))
    assert inspect.iscoroutinefunction(warmup_param("value", REQUIREMENT)(coroutine))
    assert inspect.isasyncgenfunction(warmup_param("value", REQUIREMENT)(async_generator))


def _positional_only(a: int, b: str, /, c: object, *rest: int, d: bytes, **extra: float) -> int:
    return 0


def _keyword_only(*, first: object, second: object) -> None:
    pass


def _bare(value, other):  # type: ignore[no-untyped-def]
    pass


def _variadic(value, *args, **kwargs):  # type: ignore[no-untyped-def]
    pass


@pytest.mark.parametrize("function", [_positional_only, _keyword_only, _bare, _variadic])
def test_signature_from_the_code_object_matches_inspect(function: Any) -> None:
    shape = binding._shape_of(function)
    assert shape is not None
    assert binding.signature_of_shape(shape) == inspect.signature(function)


def _with_default(value: object, option: int = 3) -> None:
    pass


def _with_keyword_default(value: object, *, option: int = 3) -> None:
    pass


@functools.wraps(_bare)
def _decorated(*args: Any, **kwargs: Any) -> None:
    pass


@pytest.mark.parametrize("function", [_with_default, _with_keyword_default, _decorated])
def test_functions_a_code_object_cannot_describe_take_inspects_path(function: Any) -> None:
    assert binding._shape_of(function) is None
    wrapped = warmup_param("value", REQUIREMENT)(function)
    expected = [p for p in inspect.signature(function).parameters if p != "value"]
    assert list(inspect.signature(wrapped).parameters) == expected


def _annotated(prepared: object, value: int) -> None:
    """A docstring, carried over."""


def _generator(prepared, value):  # type: ignore[no-untyped-def]
    yield value


async def _coroutine(prepared, value):  # type: ignore[no-untyped-def]
    return value


async def _async_generator(prepared, value):  # type: ignore[no-untyped-def]
    yield value


def _request_taking(request, value):  # type: ignore[no-untyped-def]
    pass


def _keyword_only_value(prepared, *, value):  # type: ignore[no-untyped-def]
    pass


@pytest.mark.parametrize(
    "function",
    [
        _annotated,
        _bare,
        _generator,
        _coroutine,
        _async_generator,
        _request_taking,
        _keyword_only_value,
        _variadic,
    ],
)
def test_the_quick_path_for_plain_functions_wraps_as_the_general_path_does(
    function: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert binding._wrap_plain(function, Binding("value", REQUIREMENT, None)) is not None
    quick = warmup_param("value", REQUIREMENT)(function)
    monkeypatch.setattr(binding, "_wrap_plain", lambda function, binding: None)
    general = warmup_param("value", REQUIREMENT)(function)

    assert quick.__code__ is general.__code__
    assert vars(quick) == vars(general)
    assert quick.__kwdefaults__ == general.__kwdefaults__
    for name in ("__name__", "__qualname__", "__module__", "__doc__", "__annotations__"):
        assert getattr(quick, name) == getattr(general, name), name
    assert inspect.signature(quick) == inspect.signature(general)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type parameters came in Python 3.12")
def test_a_generic_function_keeps_its_type_parameters() -> None:
    namespace: dict[str, Any] = {}
    exec("def generic[T](prepared, value: T) -> T:\n    return value", namespace)
    function = namespace["generic"]
    wrapped = warmup_param("value", REQUIREMENT)(function)
    assert wrapped.__type_params__ == function.__type_params__
    assert len(wrapped.__type_params__) == 1


def test_an_argument_name_that_cannot_be_hashed_is_reported_as_missing() -> None:
    def test_function(value: object) -> None:
        pass

    decorator = warmup_param(["value"], REQUIREMENT)  # type: ignore[arg-type]
    with pytest.raises(WarmupError, match=r"argument '\['value'\]' is missing"):
        decorator(test_function)


def test_callables_bound_alike_share_their_bindings() -> None:
    def test_one(value: object) -> None:
        pass

    def test_two(value: object) -> None:
        pass

    first = warmup_param("value", REQUIREMENT)(test_one)
    second = warmup_param("value", REQUIREMENT)(test_two)
    assert bindings_of(first) is bindings_of(second)
    assert bindings_of(first) == (Binding("value", REQUIREMENT, None),)


def test_requirement_type_is_the_public_one() -> None:
    assert isinstance(REQUIREMENT, WarmupRequirement)


# -- where pytest says a bound callable is ---------------------------------------------------


def test_a_failing_bound_test_shows_its_own_frame_only(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_compares(prep, value):
            assert value == "wrong"
        """,
    )
    result = suite.runpytest("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["    def test_compares(prep, value):", "test_suite.py:*: AssertionError"]
    )
    output = result.stdout.str()
    assert "_function_wrapper" not in output
    assert "__warmup_" not in output
    assert "binding.py" not in output


def test_bound_test_reports_its_own_file_and_line(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_located(prep, value):
            pass
        """,
    )
    items, _ = suite.inline_genitems()
    path, line, name = items[0].location
    assert (path, name) == ("test_suite.py", "test_located")
    written = (suite.path / "test_suite.py").read_text().splitlines()
    assert line == written.index('@warmup_param("value", shared)')  # as for any decorated test


def test_bound_fixture_is_listed_and_shown_where_it_is_written(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        @pytest.fixture
        @warmup_param("value", WarmupPlan("p").require())
        def bound(value, not_a_fixture):
            \"\"\"A bound fixture.\"\"\"
            return value
        """
    )
    suite.makepyfile("def test_uses(bound):\n    pass\n")
    listing = suite.runpytest("--fixtures")
    listing.stdout.fnmatch_lines(["bound -- conftest.py:*", "    A bound fixture."])
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["  def bound(value, not_a_fixture):", "E       fixture 'not_a_fixture' not found"],
        consecutive=False,
    )
    assert "_function_wrapper" not in result.stdout.str()


# -- injection ------------------------------------------------------------------------------


def test_stacked_bindings_inject_every_argument(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        def ordinary():
            return "ordinary"

        @warmup_param("first", shared)
        @warmup_param("second", other)
        @warmup_param("own", mine)
        def test_stacked(first, ordinary, second, own, prep):
            assert first["id"] == "shared"
            assert second["id"] == "other"
            assert own == {"id": "mine", "test_id": "test_suite.py::test_stacked", "deps": {}}
            assert ordinary == "ordinary"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_request_is_passed_on_only_when_the_function_asks_for_it(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_with_request(request, prep, value):
            assert request.node.name == "test_with_request"
            assert value["id"] == "shared"

        @warmup_param("value", shared)
        def test_without_request(prep, value):
            assert value["id"] == "shared"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)


def test_test_wrapped_again_by_another_decorator_still_gets_its_values(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        import functools

        def logged(function):
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                return function(*args, **kwargs)
            return wrapper

        @logged
        @warmup_param("value", shared)
        @warmup_param("own", mine)
        def test_outer(prep, value, own):
            assert value["id"] == "shared"
            assert own["test_id"] == "test_suite.py::test_outer"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_each_parametrized_run_of_a_bound_test_reads_its_own_instances(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.mark.parametrize("number", [1, 2, 3])
        @warmup_param("own", mine)
        def test_numbered(prep, number, own):
            assert own["test_id"] == f"test_suite.py::test_numbered[{number}]"
        """,
    )
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_bound_helper_called_by_a_test_fails_with_the_how_to(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def helper(value):
            return value

        def test_calls_helper(prep):
            helper()
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *WarmupError: callable 'helper' is bound with warmup_param and gets its values "
            "from pytest: let pytest call it as a test or fixture"
        ]
    )


def test_fixture_side_binding_injects_into_the_fixture(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared)
        def client(prep, value):
            return {"client for": value["id"]}

        @pytest.fixture
        @warmup_param("own", mine)
        def own_value(prep, own):
            return own

        def test_uses_fixture(client, own_value):
            assert client == {"client for": "shared"}
            assert own_value["test_id"] == "test_suite.py::test_uses_fixture"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_fixture_side_binding_on_parametrized_and_class_fixtures(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(params=[1, 2])
        @warmup_param("own", mine)
        def numbered(request, prep, own):
            return request.param, own["test_id"]

        def test_parametrized_fixture(numbered):
            n, test_id = numbered
            assert test_id == f"test_suite.py::test_parametrized_fixture[{n}]"

        class TestInClass:
            @pytest.fixture
            @warmup_param("own", mine)
            def method_fixture(self, prep, own):
                return own["test_id"]

            def test_method_fixture(self, method_fixture):
                assert method_fixture == "test_suite.py::TestInClass::test_method_fixture"
        """,
    )
    suite.runpytest().assert_outcomes(passed=3)


def test_fixture_side_binding_finds_the_producer_in_the_tests_closure(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared)
        def client(value):
            return value["id"]

        def test_producer_requested_by_the_test(prep, client):
            assert client == "shared"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_module_fixture_binding_sees_shared_values_only(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture(scope="module")
        @warmup_param("own", mine)
        def module_client(prep, own):
            return own

        def test_needs_per_test_value_from_module_fixture(module_client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*no prepared runtime value for requirement 'mine' and test 'test_suite.py'*"]
    )


def test_generator_fixture_with_binding_runs_its_teardown(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        EVENTS = []

        @pytest.fixture
        @warmup_param("value", shared)
        def session_like(prep, value):
            EVENTS.append("setup " + value["id"])
            yield value["id"]
            EVENTS.append("teardown")

        def test_uses_generator_fixture(session_like):
            assert session_like == "shared"

        def test_teardown_ran():
            assert EVENTS == ["setup shared", "teardown"]
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)


def test_generator_test_function_keeps_pytests_own_handling(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_plain="""
        def test_generator():
            yield 1
        """,
        test_bound=SUITE_HEADER
        + inspect.cleandoc(
            """
            @warmup_param("value", shared)
            def test_generator(prep, value):
                yield value
            """
        ),
    )
    plain = suite.runpytest("test_plain.py")
    bound = suite.runpytest("test_bound.py")
    assert plain.parseoutcomes() == bound.parseoutcomes()
    assert plain.ret == bound.ret
    assert "yield" in bound.stdout.str()  # pytest's own message about yield tests
    assert "WarmupError" not in bound.stdout.str()


def test_async_test_without_an_async_plugin_gets_pytests_own_outcome(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        async def test_bound_coroutine(prep, value):
            pass

        async def test_plain_coroutine():
            pass
        """,
    )
    outcomes = suite.runpytest()
    counts = outcomes.parseoutcomes()
    counts.pop("warnings", None)
    assert list(counts.values()) == [2], counts  # both tests get the same outcome
    outcomes.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
    assert "INTERNALERROR" not in outcomes.stdout.str()


def test_async_test_is_injected_when_an_async_plugin_runs_it(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import asyncio
        import inspect

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_pyfunc_call(pyfuncitem):
            # The smallest async plugin: run coroutine tests on a fresh event loop.
            if not inspect.iscoroutinefunction(pyfuncitem.obj):
                return None
            names = pyfuncitem._fixtureinfo.argnames
            asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
            return True
        """
    )
    write_suite(
        suite,
        """
        import asyncio

        @warmup_param("value", shared)
        @warmup_param("own", mine)
        async def test_coroutine(prep, value, own):
            await asyncio.sleep(0)
            assert value["id"] == "shared"
            assert own["test_id"] == "test_suite.py::test_coroutine"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_async_generator_fixture_binding_is_injected_by_an_async_plugin(
    suite: pytest.Pytester,
) -> None:
    suite.makeconftest(
        """
        import asyncio
        import inspect

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_fixture_setup(fixturedef, request):
            # The smallest async fixture support: drive an async generator on a fresh loop.
            if not inspect.isasyncgenfunction(fixturedef.func):
                return None
            kwargs = {name: request.getfixturevalue(name) for name in fixturedef.argnames}
            generator = fixturedef.func(**kwargs)
            value = asyncio.run(generator.__anext__())
            fixturedef.cached_result = (value, fixturedef.cache_key(request), None)
            return value
        """
    )
    write_suite(
        suite,
        """
        @pytest.fixture
        @warmup_param("value", shared)
        async def async_client(prep, value):
            yield "async " + value["id"]

        def test_uses_async_fixture(async_client):
            assert async_client == "async shared"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


def test_bound_name_that_is_also_a_fixture_fails_in_the_test(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        def value():
            return "from pytest"

        @warmup_param("value", shared)
        def test_collides(prep, value):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: warmup_param-injected argument 'value' collides with ordinary "
            "pytest fixture resolution*"
        ]
    )


def test_bound_name_that_is_also_a_fixture_errors_in_a_fixture(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @pytest.fixture
        def value():
            return "from pytest"

        @pytest.fixture
        @warmup_param("value", shared)
        def client(prep, value):
            return value

        def test_uses_client(client):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: warmup_param-injected argument 'value' collides with ordinary "
            "pytest fixture resolution*"
        ]
    )


def test_bound_request_argument_collides_with_pytests_request(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("request", shared)
        def test_binds_request(prep, request):
            pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: warmup_param-injected argument 'request' collides with ordinary "
            "pytest fixture resolution*"
        ]
    )


def test_bound_test_reports_the_file_and_line_of_its_own_definition(
    suite: pytest.Pytester,
) -> None:
    write_suite(
        suite,
        """
        @warmup_param("value", shared)
        def test_skipped(prep, value):
            pytest.skip("not today")
        """,
    )
    definition = SUITE_HEADER.count("\n") + 2  # the line of ``def test_skipped``
    result = suite.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] test_suite.py:{definition}: not today"])


def test_marks_between_stacked_bindings_are_kept(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        @warmup_param("first", shared)
        @pytest.mark.slow
        @warmup_param("second", other)
        def test_marked(prep, first, second):
            assert (first["id"], second["id"]) == ("shared", "other")

        @warmup_param("first", shared)
        def test_unmarked(prep, first):
            pass
        """,
    )
    result = suite.runpytest("-m", "slow", "-W", "ignore::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=1, deselected=1)


def test_collision_is_judged_where_each_callable_is_defined(suite: pytest.Pytester) -> None:
    write_suite(
        suite,
        """
        class TestWithOwnFixture:
            @pytest.fixture
            def value(self):
                return "from the class"

            @warmup_param("value", shared)
            def test_in_class(self, prep, value):
                pass

        @warmup_param("value", shared)
        def test_in_module(prep, value):
            assert value["id"] == "shared"
        """,
    )
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED test_suite.py::TestWithOwnFixture::test_in_class - WarmupError: warmup*"]
    )


def test_calling_a_bound_function_outside_pytest_says_how_it_gets_its_values() -> None:
    @warmup_param("value", REQUIREMENT)
    def helper(value: object) -> object:
        return value

    unbound: Any = helper  # called directly: no plugin told it whom it runs for
    with pytest.raises(WarmupError, match="callable 'helper' is bound with warmup_param"):
        unbound()


def test_set_caller_reaches_the_wrapper_behind_methods_and_other_decorators() -> None:
    class Holder:
        @warmup_param("value", REQUIREMENT)
        def method(self, value: object) -> None:
            pass

    wrapper = Holder.method
    outer = functools.wraps(wrapper)(lambda *args, **kwargs: wrapper(*args, **kwargs))
    first, second = object(), object()

    def inject(
        function: Any, bindings: Any, pass_request: bool, caller: object, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        return arguments

    assert binding.set_caller(Holder().method, first, inject) is None
    assert binding.set_caller(outer, second, inject) is first
    assert wrapper.__kwdefaults__ is not None
    assert wrapper.__kwdefaults__["__warmup_caller__"] is second
    assert wrapper.__kwdefaults__["__warmup_inject__"] is inject
    assert binding.set_caller(lambda: None, first, inject) is None  # no wrapper: ignored


def test_a_bound_function_keeps_three_objects_alive_for_the_garbage_collector() -> None:
    # The wrapper function, its attributes and its hidden defaults: suites keep thousands of
    # bound tests alive and every full collection scans their objects again
    # (benchmarks/bench_overhead.py).
    def make() -> Any:
        def test_function(producer: object, value: object) -> None:
            pass

        return test_function

    originals = [make() for _ in range(1000)]
    # An annotations dictionary is made on first read: the originals' own, not the wrapper's.
    assert all(function.__annotations__ for function in originals)
    gc.collect()
    before = len(gc.get_objects())
    wrapped = [warmup_param("value", REQUIREMENT)(function) for function in originals]
    gc.collect()
    kept = len(gc.get_objects()) - before - 1  # the list itself
    assert len(wrapped) == 1000
    assert kept <= 3 * 1000 + 50  # plus a few shared caches (signatures, bindings)


def test_a_wrapper_shows_pytest_only_its_place_its_signature_and_what_it_carried() -> None:
    # pytest copies a test function's attributes into the item's keywords and each report's:
    # the wrapper's own state stays out of them.
    @warmup_param("other", REQUIREMENT)
    @warmup_param("value", REQUIREMENT)
    @pytest.mark.usefixtures("producer")
    def test_function(producer: object, value: object, other: object) -> None:
        pass

    assert set(vars(test_function)) == {"__wrapped__", "__signature__", "pytestmark"}
    assert list(inspect.signature(test_function).parameters) == ["producer"]
    assert [b.argument_name for b in bindings_of(test_function)] == ["value", "other"]
