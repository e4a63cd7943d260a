"""--warmup-prefetch: a producer's next module instance is prepared while the current one's tests
run, and everything else (values, failures, overrides, cleanup) stays as without it.

The suites wait for events instead of sleeping: a test of module ``a`` waits until module
``b``'s node is created, which only prefetch makes happen before module ``a`` ends.
"""

from __future__ import annotations

import json

import pytest

PLANS = """
import pathlib
import threading
import time

from pytest_warmup import WarmupPlan

LOG = pathlib.Path(__file__).parent / "events.log"
_lock = threading.Lock()


def log(line):
    with _lock, LOG.open("a") as handle:
        handle.write(line + "\\n")


def events():
    return LOG.read_text().splitlines() if LOG.exists() else []


def wait_for(event, timeout=20.0):
    deadline = time.monotonic() + timeout
    while event not in events():
        assert time.monotonic() < deadline, f"never logged {event!r}: {events()}"
        time.sleep(0.005)


class Items(WarmupPlan):
    def prepare_node(self, node):
        log(f"create {node.id}")
        if node.payload.get("fail"):
            raise RuntimeError(f"the API refused {node.id}")
        return f"value-{node.id}"

    def cleanup_node(self, node):
        log(f"delete {node.id}")


items = Items("items")
"""

CONFTEST = """
import pytest
from plans import items


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(items).prepare()
"""

MODULE = """
import pytest
from pytest_warmup import warmup_param
from plans import items, log, wait_for

node = items.require(id="{name}", payload={payload})


@warmup_param("value", node)
def test_{name}(prep, value):
    {body}
    log("test {name}")
    assert value == "value-{name}"
"""

RUN = ("-p", "no:randomly", "-p", "no:cacheprovider")


def make_suite(pytester: pytest.Pytester, **modules: str) -> None:
    """Modules ``test_<name>.py``, each with one test of the module producer ``prep``; the
    value of a module is a dict of format fields (``body``, ``payload``, ``marks``)."""
    pytester.makepyfile(plans=PLANS, conftest=CONFTEST)
    for name, body in modules.items():
        pytester.makepyfile(
            **{f"test_{name}": MODULE.format(name=name, payload="{}", body=body or "pass")}
        )


def events(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "events.log").read_text().splitlines()


def test_the_next_module_is_prepared_while_the_current_module_runs(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a='wait_for("create b")', b='wait_for("create c")', c="")

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["warmup: 4 workers, prefetch", "prefetch: 2 producer instances prepared ahead *"]
    )
    assert events(pytester) == [
        "create a",
        "create b",
        "test a",
        "delete a",
        "create c",
        "test b",
        "delete b",
        "test c",
        "delete c",
    ]


def test_each_instance_is_cleaned_up_at_the_end_of_its_module(pytester: pytest.Pytester) -> None:
    make_suite(pytester, a="", b="", c="")

    result = pytester.runpytest("--warmup-prefetch", "--warmup-workers", "1", *RUN)

    result.assert_outcomes(passed=3)
    log = events(pytester)
    for before, after in (("a", "b"), ("b", "c")):
        assert log.index(f"delete {before}") < log.index(f"test {after}"), log
    assert sorted(e for e in log if e.startswith("delete")) == ["delete a", "delete b", "delete c"]


def test_without_the_option_nothing_is_prepared_ahead(pytester: pytest.Pytester) -> None:
    make_suite(pytester, a="", b="")

    result = pytester.runpytest(*RUN)

    result.assert_outcomes(passed=2)
    assert events(pytester) == ["create a", "test a", "delete a", "create b", "test b", "delete b"]
    result.stdout.no_fnmatch_line("*prefetch*")


def test_an_instance_prepared_ahead_is_cleaned_up_when_x_stops_the_run(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a='wait_for("create b")', b="")
    test_a = pytester.path / "test_a.py"
    test_a.write_text(test_a.read_text().replace('"value-a"', '"something else"'))

    result = pytester.runpytest("--warmup-prefetch", "-x", "-v", *RUN)

    result.assert_outcomes(failed=1)
    assert "test b" not in events(pytester)
    assert sorted(events(pytester)) == ["create a", "create b", "delete a", "delete b", "test a"]
    result.stdout.fnmatch_lines(
        ["prefetch: 1 producer instance prepared ahead *, 1 of them unused*"]
    )


def test_an_instance_whose_tests_are_all_skipped_is_cleaned_up_when_the_run_passes_it(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a='wait_for("create b")', b="", c="")
    test_b = pytester.path / "test_b.py"
    test_b.write_text(
        test_b.read_text().replace(
            "@warmup_param", "@pytest.mark.skipif(True, reason='no')\n@warmup_param"
        )
    )

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=2, skipped=1)
    log = events(pytester)
    assert "test b" not in log
    assert log.index("delete b") < log.index("create c") < log.index("test c"), log


def test_an_unconditionally_skipped_module_is_not_prepared_ahead(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a="", b="", c="")
    test_b = pytester.path / "test_b.py"
    test_b.write_text(
        test_b.read_text().replace("@warmup_param", "@pytest.mark.skip\n@warmup_param")
    )

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=2, skipped=1)
    assert "create b" not in events(pytester)


def test_a_failure_in_the_background_reaches_the_same_tests_with_the_same_text(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a="", b="", c="")
    test_b = pytester.path / "test_b.py"
    test_b.write_text(test_b.read_text().replace("payload={}", 'payload={"fail": True}'))

    without = pytester.runpytest(*RUN)
    (pytester.path / "events.log").unlink()
    prefetched = pytester.runpytest("--warmup-prefetch", *RUN)

    without.assert_outcomes(passed=2, errors=1)
    prefetched.assert_outcomes(passed=2, errors=1)
    errors = [
        [line for line in result.outlines if line.startswith(("E ", "ERROR "))]
        for result in (without, prefetched)
    ]
    assert errors[0] == errors[1]
    assert any("the API refused b" in line for line in errors[1]), errors[1]


def test_snapshot_values_replace_what_a_prefetched_instance_would_create(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a="", b="")
    test_b = pytester.path / "test_b.py"
    test_b.write_text(test_b.read_text().replace('"value-b"', '"from the file"'))
    bundle = {
        "version": 1,
        "scopes": {"module:test_b.py::prep": {"shared": {"b": {"value": "from the file"}}}},
    }
    (pytester.path / "bundle.json").write_text(json.dumps(bundle))

    result = pytester.runpytest("--warmup-prefetch", "--warmup-snapshot", "bundle.json", *RUN)

    result.assert_outcomes(passed=2)
    assert events(pytester) == ["create a", "test a", "delete a", "test b"]


def test_a_producer_that_changes_its_plans_gets_what_it_asks_for_and_a_warning(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester, a='wait_for("create b")', b="")
    pytester.makeconftest(
        """
        import pytest
        from plans import Items, items

        others = Items("others")


        @pytest.fixture(scope="module")
        def prep(warmup_mgr, request):
            plans = (items,) if request.module.__name__ == "test_a" else (items, others)
            return warmup_mgr.use(*plans).prepare()
        """
    )

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=2)
    assert events(pytester) == [
        "create a",
        "create b",
        "test a",
        "delete a",
        "delete b",
        "create b",
        "test b",
        "delete b",
    ]
    result.stdout.fnmatch_lines(
        [
            "--warmup-prefetch: producer 'prep' (module:test_b.py::prep) was prepared ahead of "
            "its tests but its producer called warmup_mgr.use(...) with other plans; it was "
            "cleaned up and prepared again. *"
        ]
    )


def test_a_class_producer_is_prepared_ahead_for_the_next_class(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(plans=PLANS)
    pytester.makepyfile(
        test_classes="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import items, log, wait_for

        one, two = items.require(id="one"), items.require(id="two")


        @pytest.fixture(scope="class")
        def prep(warmup_mgr):
            return warmup_mgr.use(items).prepare()


        class TestOne:
            @warmup_param("value", one)
            def test_one(self, prep, value):
                wait_for("create two")
                assert value == "value-one"


        class TestTwo:
            @warmup_param("value", two)
            def test_two(self, prep, value):
                assert value == "value-two"
        """
    )

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=2)
    assert events(pytester) == ["create one", "create two", "delete one", "delete two"]


def test_xdist_workers_prepare_as_without_prefetch_and_the_header_says_so(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    make_suite(pytester, a="", b="", c="", d="")

    result = pytester.runpytest_subprocess("--warmup-prefetch", "-n", "2", *RUN)

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["warmup: 4 workers, prefetch off under pytest-xdist"])
    log = events(pytester)
    created = sorted(e.split()[1] for e in log if e.startswith("create"))
    deleted = sorted(e.split()[1] for e in log if e.startswith("delete"))
    assert created == deleted == ["a", "b", "c", "d"]


def test_the_ini_option_turns_prefetch_on(pytester: pytest.Pytester) -> None:
    make_suite(pytester, a='wait_for("create b")', b="")
    pytester.makeini("[pytest]\nwarmup_prefetch = true\n")

    result = pytester.runpytest(*RUN)

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["warmup: 4 workers, prefetch"])


def test_an_ini_value_that_is_not_a_boolean_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwarmup_prefetch = sometimes\n")

    result = pytester.runpytest(*RUN)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option warmup_prefetch: *; expected true or false"])


def test_prefetch_with_the_plan_preview_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmup-prefetch", "--warmup-plan", *RUN)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--warmup-plan prepares nothing but --warmup-prefetch prepares producers ahead of "
            "their tests; run without --warmup-plan to prepare them"
        ]
    )


def test_a_plan_is_never_called_by_the_instance_ahead_and_another_preparation_at_once(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        plans=PLANS
        + """

class Watched(Items):
    active = 0

    def prepare_node(self, node):
        Watched.active += 1
        if Watched.active > 1:
            log("two calls at once")
        log(f"start {node.id}")
        time.sleep(0.2)
        Watched.active -= 1
        return super().prepare_node(node)


items = Watched("items")
"""
    )
    pytester.makeconftest(
        """
        import pytest
        from plans import items


        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(items).prepare()


        @pytest.fixture
        def each(warmup_mgr):
            return warmup_mgr.use(items).prepare()
        """
    )
    pytester.makepyfile(
        test_a="""
        from pytest_warmup import warmup_param
        from plans import items

        a, own = items.require(id="a"), items.require(id="own")


        @warmup_param("value", a)
        def test_a(prep, value):
            pass


        @warmup_param("value", own, producer_fixture="each")
        def test_own(each, value):
            assert value == "value-own"
        """,
        test_b="""
        from pytest_warmup import warmup_param
        from plans import items

        b = items.require(id="b")


        @warmup_param("value", b)
        def test_b(prep, value):
            assert value == "value-b"
        """,
    )

    result = pytester.runpytest("--warmup-prefetch", *RUN)

    result.assert_outcomes(passed=3)
    log = events(pytester)
    assert "two calls at once" not in log
    assert log.index("create b") < log.index("start own"), log  # own waited for b's batch
