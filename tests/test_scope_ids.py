"""``<scope>:<anchor>::<producer name>``: the address of every producer scope (section 9)."""

from __future__ import annotations

import inspect

import pytest

PRODUCER = """
import pytest
from pytest_warmup import WarmupPlan

class Plan(WarmupPlan):
    def prepare_node(self, node):
        return node.payload

PLAN = Plan("plan")

@pytest.fixture(scope="{scope}")
def {name}(warmup_mgr):
    return warmup_mgr.use(PLAN).prepare()
"""


def producer(scope: str, name: str = "prep") -> str:
    return PRODUCER.replace("{scope}", scope).replace("{name}", name)


@pytest.fixture
def rooted(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


def check_scope_id(name: str, expected: str) -> str:
    return inspect.cleandoc(
        f"""
        def test_scope_id_{name}({name}):
            assert {name}.scope_id == {expected!r}
        """
    )


def test_module_scope_id_is_the_module_node_id(rooted: pytest.Pytester) -> None:
    rooted.makepyfile(
        **{
            "tests/test_module.py": producer("module", "prepare_data")
            + check_scope_id("prepare_data", "module:tests/test_module.py::prepare_data")
        }
    )
    rooted.runpytest().assert_outcomes(passed=1)


def test_module_scope_id_of_a_conftest_producer_names_each_module(
    rooted: pytest.Pytester,
) -> None:
    rooted.makeconftest(producer("module"))
    rooted.makepyfile(
        test_one=check_scope_id("prep", "module:test_one.py::prep"),
        test_two=check_scope_id("prep", "module:test_two.py::prep"),
    )
    rooted.runpytest().assert_outcomes(passed=2)


def test_class_scope_id_is_the_class_node_id(rooted: pytest.Pytester) -> None:
    rooted.makepyfile(
        test_x=producer("class")
        + inspect.cleandoc(
            """
            class TestK:
                def test_in_class(self, prep):
                    assert prep.scope_id == "class:test_x.py::TestK::prep"
            """
        )
    )
    rooted.runpytest().assert_outcomes(passed=1)


def test_class_scope_id_outside_a_class_is_the_test_node_id(rooted: pytest.Pytester) -> None:
    rooted.makepyfile(
        test_x=producer("class")
        + inspect.cleandoc(
            """
            def test_fn(prep):
                assert prep.scope_id == "class:test_x.py::test_fn::prep"
            """
        )
    )
    rooted.runpytest().assert_outcomes(passed=1)


def test_function_scope_id_is_the_test_node_id(rooted: pytest.Pytester) -> None:
    rooted.makepyfile(
        test_x=producer("function")
        + inspect.cleandoc(
            """
            import pytest

            def test_f(prep):
                assert prep.scope_id == "function:test_x.py::test_f::prep"

            @pytest.mark.parametrize("n", [1, 2])
            def test_c(prep, n):
                assert prep.scope_id == f"function:test_x.py::test_c[{n}]::prep"
            """
        )
    )
    rooted.runpytest().assert_outcomes(passed=3)


def test_package_scope_id_is_the_package_directory(rooted: pytest.Pytester) -> None:
    rooted.makepyfile(
        **{
            "pkg/__init__.py": "",
            "pkg/conftest.py": producer("package", "prepare_data"),
            "pkg/test_p.py": check_scope_id("prepare_data", "package:pkg::prepare_data"),
            "pkg/deeper/__init__.py": "",
            "pkg/deeper/test_d.py": check_scope_id("prepare_data", "package:pkg::prepare_data"),
            "pkg/sub/__init__.py": "",
            "pkg/sub/conftest.py": producer("package", "prepare_data"),
            "pkg/sub/test_s.py": check_scope_id("prepare_data", "package:pkg/sub::prepare_data"),
        }
    )
    rooted.runpytest().assert_outcomes(passed=3)


def test_session_scope_id_of_a_root_conftest_producer_is_dot(rooted: pytest.Pytester) -> None:
    rooted.makeconftest(producer("session"))
    rooted.makepyfile(test_x=check_scope_id("prep", "session:.::prep"))
    rooted.runpytest().assert_outcomes(passed=1)


def test_session_scope_id_of_a_conftest_in_a_directory_is_that_directory(
    rooted: pytest.Pytester,
) -> None:
    rooted.makepyfile(
        **{
            "sub/conftest.py": producer("session"),
            "sub/test_x.py": check_scope_id("prep", "session:sub::prep"),
            "sub/deeper/test_y.py": check_scope_id("prep", "session:sub::prep"),
        }
    )
    rooted.runpytest().assert_outcomes(passed=2)


def test_session_scope_id_of_a_producer_in_a_test_module_is_that_module(
    rooted: pytest.Pytester,
) -> None:
    rooted.makepyfile(
        test_x=producer("session") + check_scope_id("prep", "session:test_x.py::prep")
    )
    rooted.runpytest().assert_outcomes(passed=1)
