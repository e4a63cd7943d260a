"""Each private pytest read of ``_pytest_compat`` against the pytest that runs these tests.

These tests look at their own items and requests: real pytest objects, no fakes.
"""

from __future__ import annotations

import pytest

from pytest_warmup import _pytest_compat as compat


@pytest.fixture
def base() -> str:
    return "base"


@pytest.fixture
def extended(base: str) -> str:
    return base + "+"


def test_definitions_by_name_give_the_definition_that_applies(
    request: pytest.FixtureRequest, extended: str
) -> None:
    definitions = compat.definitions_by_name(request.node)
    assert definitions["extended"][-1].argname == "extended"
    assert definitions["extended"][-1].argnames == ("base",)
    assert definitions["base"][-1].argnames == ()


def test_closure_definitions_follow_the_closure_order(
    request: pytest.FixtureRequest, extended: str
) -> None:
    found = compat.closure_definitions(request.node)
    names = [name for name, _ in found]
    assert {"base", "extended"} <= set(names)
    assert all(definition.argname == name for name, definition in found)
    assert names == [n for n in request.node.fixturenames if n in names]


def test_closure_of_something_that_is_not_an_item_is_empty() -> None:
    assert compat.closure_definitions(object()) == []
    assert compat.definitions_by_name(object()) == {}
    assert compat.argument_names(object()) == ()


def test_argument_names_are_the_tests_own(request: pytest.FixtureRequest, extended: str) -> None:
    assert tuple(compat.argument_names(request.node)) == ("request", "extended")


def test_fixture_functions_include_every_registered_fixture(request: pytest.FixtureRequest) -> None:
    functions = compat.fixture_functions(request.session)
    assert functions is not None
    names = {getattr(function, "__name__", None) for function in functions}
    assert {"base", "extended", "tmp_path"} <= names


def test_fixture_functions_of_an_unknown_layout_say_so() -> None:
    assert compat.fixture_functions(object()) is None  # type: ignore[arg-type]


def test_fixture_is_registered_wherever_it_is_visible(request: pytest.FixtureRequest) -> None:
    assert compat.fixture_is_registered(request, "tmp_path")
    assert compat.fixture_is_registered(request, "extended")
    assert not compat.fixture_is_registered(request, "no_such_fixture")


def test_visible_definitions_of_a_name(request: pytest.FixtureRequest) -> None:
    (definition,) = compat.visible_definitions(request, "extended")
    assert definition.argname == "extended"
    assert compat.visible_definitions(request, "no_such_fixture") == ()


def test_a_running_items_request_and_back(request: pytest.FixtureRequest) -> None:
    item = request.node
    assert compat.request_of_item(item) is not None
    assert compat.item_of_request(request) is item
    assert compat.request_of_item(object()) is None


@pytest.fixture(scope="module")
def module_request(request: pytest.FixtureRequest) -> pytest.FixtureRequest:
    return request


def test_a_broader_requests_item_is_the_test_that_set_it_up(
    request: pytest.FixtureRequest, module_request: pytest.FixtureRequest
) -> None:
    assert module_request.node is not request.node  # the module
    assert compat.item_of_request(module_request) is request.node


def test_an_items_request_is_false_once_the_test_has_finished(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_warmup import _pytest_compat as compat

        ITEMS = []

        def pytest_runtest_setup(item):
            ITEMS.append((item, compat.request_of_item(item)))

        def pytest_sessionfinish(session):
            found = [(bool(during), compat.request_of_item(item)) for item, during in ITEMS]
            print(f"requests: {found}")
        """
    )
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*requests: [[](True, False)[]]*"])


def test_uncaptured_output_reaches_the_terminal_while_pytest_captures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from pytest_warmup import _pytest_compat as compat

        def test_print(request):
            print("held back")
            with compat.uncaptured(request.config):
                print("on the terminal")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*on the terminal*"])
    assert "held back" not in result.stdout.str()
