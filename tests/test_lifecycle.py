"""Plan lifecycle through real pytest runs: cleanup, --warmup-keep, workers, async plans."""

from __future__ import annotations

import pytest

# A plan family that logs every phase to events.log in the pytester directory.
LOGGING_PLANS = """
import pathlib
from pytest_warmup import WarmupPlan

LOG = pathlib.Path(__file__).parent / "events.log"


def log(line):
    with LOG.open("a") as handle:
        handle.write(line + "\\n")


class LoggingPlan(WarmupPlan):
    fail_on = ()
    cleanup_fails = False

    def prepare_node(self, node):
        if node.id in self.fail_on:
            raise RuntimeError(f"cannot create {node.id}")
        log(f"create:{self.name}:{node.id}")
        return f"{self.name}:{node.id}"

    def cleanup_node(self, node):
        if self.cleanup_fails:
            raise RuntimeError(f"cannot delete {node.id}")
        log(f"delete:{self.name}:{node.id}")
"""


def events(pytester: pytest.Pytester) -> list[str]:
    log = pytester.path / "events.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def chain_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_chain="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan, log

        facility = LoggingPlan("facility")
        program = LoggingPlan("program")
        order = LoggingPlan("order")
        facility_de = facility.require(id="facility_de")
        program_main = program.require(id="program_main", dependencies={"f": facility_de})
        order_each = order.require(
            id="order_each", dependencies={"p": program_main}, is_per_test=True
        )

        @pytest.fixture(scope="module")
        def prepare_data(warmup_mgr):
            return warmup_mgr.use(facility, program, order).prepare()

        @warmup_param("order", order_each)
        def test_one(prepare_data, order):
            log("test_one")
            assert order == "order:order_each"

        @warmup_param("order", order_each)
        def test_two(prepare_data, order):
            log("test_two")
            assert order == "order:order_each"
        """
    )
    return pytester


def test_cleanup_runs_at_scope_end_in_reverse_dependency_order(
    chain_suite: pytest.Pytester,
) -> None:
    result = chain_suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert events(chain_suite) == [
        "create:facility:facility_de",
        "create:program:program_main",
        "create:order:order_each",
        "create:order:order_each",
        "test_one",
        "test_two",
        "delete:order:order_each",
        "delete:order:order_each",
        "delete:program:program_main",
        "delete:facility:facility_de",
    ]


def test_warmup_keep_skips_cleanup(chain_suite: pytest.Pytester) -> None:
    result = chain_suite.runpytest("--warmup-keep")
    result.assert_outcomes(passed=2)
    assert not [line for line in events(chain_suite) if line.startswith("delete:")]


def test_ini_warmup_keep_skips_cleanup(chain_suite: pytest.Pytester) -> None:
    chain_suite.makeini("[pytest]\nwarmup_keep = true\n")
    chain_suite.runpytest().assert_outcomes(passed=2)
    assert not [line for line in events(chain_suite) if line.startswith("delete:")]


def test_cleanup_still_runs_when_x_stops_the_run(chain_suite: pytest.Pytester) -> None:
    chain_suite.makepyfile(
        test_zz_late="""
        def test_late():
            pass
        """
    )
    chain_suite.makepyfile(
        conftest="""
        def pytest_runtest_call(item):
            if item.name == "test_one":
                raise AssertionError("stop here")
        """
    )
    result = chain_suite.runpytest("-x", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    created = [line for line in events(chain_suite) if line.startswith("create:")]
    deleted = [line for line in events(chain_suite) if line.startswith("delete:")]
    assert len(created) == len(deleted) == 4


def test_failed_and_blocked_nodes_are_not_cleaned_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_failing="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Flaky(LoggingPlan):
            fail_on = ("broken",)

        base = LoggingPlan("base")
        flaky = Flaky("flaky")
        fine = flaky.require(id="fine")
        broken = flaky.require(id="broken")
        above_broken = base.require(id="above_broken", dependencies={"x": broken})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(base, flaky).prepare()

        @warmup_param("value", fine)
        def test_fine(prep, value):
            assert value == "flaky:fine"

        @warmup_param("value", above_broken)
        def test_needs_broken(prep, value):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*NodeFailedError: warmup requirement 'above_broken' (plan 'base'*) was not "
            "prepared because dependency 'broken' (plan 'flaky'*) failed: "
            "RuntimeError: cannot create broken",
        ]
    )
    assert events(pytester) == ["create:flaky:fine", "delete:flaky:fine"]


def test_nodes_that_after_prepare_failed_are_deleted_at_scope_end(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_indexing="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Documents(LoggingPlan):
            def after_prepare(self, nodes):
                raise TimeoutError("index never ready")

        documents = Documents("documents")
        manual = documents.require(id="manual")

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(documents).prepare()

        @warmup_param("doc", manual)
        def test_manual(prep, doc):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TimeoutError: index never ready"])
    assert events(pytester) == ["create:documents:manual", "delete:documents:manual"]


def test_cleanup_error_is_one_teardown_error_and_other_plans_are_still_cleaned(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_cleanup_error="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Sticky(LoggingPlan):
            cleanup_fails = True

        first = LoggingPlan("first")
        sticky = Sticky("sticky")
        first_one = first.require(id="first_one")
        sticky_one = sticky.require(id="sticky_one", dependencies={"x": first_one})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(first, sticky).prepare()

        @warmup_param("value", sticky_one)
        def test_a(prep, value):
            pass

        def test_b(prep):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_b*",
            "E   WarmupError: cleanup failed for producer 'prep' "
            "(module:test_cleanup_error.py::prep):",
            "E     plan 'sticky': RuntimeError: cannot delete sticky_one",
        ]
    )
    assert "delete:first:first_one" in events(pytester)


def test_a_cleanup_calling_pytest_fail_is_a_cleanup_error_and_others_are_still_cleaned(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_fail_in_cleanup="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Failing(LoggingPlan):
            def cleanup_node(self, node):
                pytest.fail(f"cannot delete {node.id}")

        first = LoggingPlan("first")
        failing = Failing("failing")
        first_one = first.require(id="first_one")
        failing_one = failing.require(id="failing_one", dependencies={"x": first_one})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(first, failing).prepare()

        @warmup_param("value", failing_one)
        def test_a(prep, value):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: cleanup failed for producer 'prep' "
            "(module:test_fail_in_cleanup.py::prep):",
            "E     plan 'failing': Failed: cannot delete failing_one",
        ]
    )
    assert events(pytester)[-1] == "delete:first:first_one"


def test_an_interrupt_in_a_cleanup_ends_the_run_after_every_producer_is_cleaned_up(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_interrupt_in_cleanup="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Interrupted(LoggingPlan):
            def cleanup_node(self, node):
                raise KeyboardInterrupt

        session_plan = LoggingPlan("session_plan")
        interrupted = Interrupted("interrupted")
        kept = session_plan.require(id="kept")
        gone = interrupted.require(id="gone")

        @pytest.fixture(scope="session")
        def whole_run(warmup_mgr):
            return warmup_mgr.use(session_plan).prepare()

        @pytest.fixture(scope="module")
        def module_prep(warmup_mgr):
            return warmup_mgr.use(interrupted).prepare()

        @warmup_param("value", kept)
        def test_session(whole_run, value):
            pass

        @warmup_param("value", gone)
        def test_module(module_prep, value):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "delete:session_plan:kept" in events(pytester)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "cleanup failed for producer 'module_prep' (module:test_interrupt_in_cleanup.py::"
            "module_prep):",
            "  plan 'interrupted': KeyboardInterrupt: ",
        ]
    )


def test_keyboard_interrupt_during_preparation_cleans_up_what_was_created(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(plans=LOGGING_PLANS)
    pytester.makepyfile(
        test_interrupt="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import LoggingPlan

        class Interrupting(LoggingPlan):
            def prepare_node(self, node):
                raise KeyboardInterrupt

        early = LoggingPlan("a_early")
        late = Interrupting("b_late")
        early_one = early.require(id="early_one")
        late_one = late.require(id="late_one", dependencies={"x": early_one})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(early, late).prepare()

        @warmup_param("value", late_one)
        def test_a(prep, value):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--warmup-workers", "1")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert events(pytester) == ["create:a_early:early_one", "delete:a_early:early_one"]


@pytest.mark.parametrize("workers", ["1", "4"])
def test_async_plans_mix_with_sync_plans(pytester: pytest.Pytester, workers: str) -> None:
    pytester.makepyfile(
        test_async_plans="""
        import asyncio
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class AsyncAccounts(WarmupPlan):
            async def prepare_node(self, node):
                await asyncio.sleep(0)
                return {"account": node.payload["name"]}

            async def cleanup_node(self, node):
                await asyncio.sleep(0)

        class SyncOrders(WarmupPlan):
            def prepare_node(self, node):
                return {"order_for": node.deps["account"]["account"]}

        accounts = AsyncAccounts("accounts")
        orders = SyncOrders("orders")
        alice = accounts.require(payload={"name": "alice"}, id="alice")
        order = orders.require(dependencies={"account": alice}, id="order")

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(accounts, orders).prepare()

        @warmup_param("value", order)
        def test_order(prep, value):
            assert value == {"order_for": "alice"}
        """
    )
    pytester.runpytest("--warmup-workers", workers).assert_outcomes(passed=1)


@pytest.mark.parametrize("value", ["0", "two", "-3"])
def test_bad_worker_count_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    result = pytester.runpytest(f"--warmup-workers={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*argument --warmup-workers: expected a whole number of at least 1 "
            f"(1 = strictly sequential), got '{value}'"
        ]
    )


def test_bad_ini_worker_count_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwarmup_max_workers = lots\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini option warmup_max_workers: expected a whole number of at least 1*got 'lots'"]
    )
