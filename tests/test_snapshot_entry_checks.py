"""Snapshot entries that match nothing are reported with the nearest names (contract 10.5, 15.7).

Judged over the whole run: deselected tests and other instances' tests are known, tests outside
the collected paths are not typos. An unknown entry with a value is an error; an empty one, or an
unknown shared id in a run that collected part of the suite, is a warning; ini
``warmup_snapshot_strict`` turns every warning into an error.
"""

from __future__ import annotations

from typing import Any

import pytest

from snapshot_suite import CASE, MODULE_SCOPE_ID, OTHER, bundle, install, prepared, seen, write

WHERE = f"snapshot scope '{MODULE_SCOPE_ID}' of 'snapshot.json'"
KNOWN_IDS = "known ids of producer 'prepare_data': 'items_alpha', 'profile_main'"
KNOWN_TESTS = f"known test ids of producer 'prepare_data': '{CASE}', '{OTHER}'"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def run_with(pytester: pytest.Pytester, section: dict[str, Any], *args: str) -> pytest.RunResult:
    write(pytester, "snapshot.json", bundle({MODULE_SCOPE_ID: section}))
    return pytester.runpytest("--warmup-snapshot", "snapshot.json", *args)


def strict(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwarmup_snapshot_strict = true\n")


def test_unknown_shared_id_with_a_value_is_an_error_naming_the_nearest_ids(
    suite: pytest.Pytester,
) -> None:
    result = run_with(suite, {"shared": {"profle_main": {"value": 1}}})
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: unknown shared override id 'profle_main' in {WHERE} (did you "
            f"mean 'profile_main'?); {KNOWN_IDS}"
        ]
    )


def test_unknown_empty_shared_entry_is_a_warning(suite: pytest.Pytester) -> None:
    result = run_with(suite, {"shared": {"profle_main": {}}})
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            f"unknown shared override id 'profle_main' in {WHERE} (did you mean "
            f"'profile_main'?); {KNOWN_IDS}",
            "1 warning",  # counted, as pytest's last line counts its warnings
            "*= 2 passed in *",
        ]
    )


def test_unknown_shared_id_is_a_warning_when_the_run_collected_part_of_the_suite(
    suite: pytest.Pytester,
) -> None:
    result = run_with(suite, {"shared": {"db_main": {"value": 1}}}, "test_module.py")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            f"unknown shared override id 'db_main' in {WHERE}; {KNOWN_IDS}; this run "
            "collected only part of the suite"
        ]
    )


def test_strict_ini_turns_warnings_into_errors(suite: pytest.Pytester) -> None:
    strict(suite)
    result = run_with(suite, {"shared": {"profle_main": {}}})
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["E   WarmupError: unknown shared override id 'profle_main' *"])
    section = result.stdout.str().partition("= warmup =")[2].partition("short test summary")[0]
    assert "profle_main" not in section  # an error, not a warning


def test_shared_entry_for_a_per_test_node_is_an_error_even_when_empty(
    suite: pytest.Pytester,
) -> None:
    result = run_with(suite, {"shared": {"items_alpha": {}}})
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: shared override 'items_alpha' targets a per-test runtime node in "
            f"{WHERE}; address it per test under 'tests' instead"
        ]
    )


def test_misspelled_test_id_with_a_value_is_an_error(suite: pytest.Pytester) -> None:
    result = run_with(suite, {"tests": {"test_module.py::test_cse": {"items_alpha": {"value": 1}}}})
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: unknown test id in overrides: 'test_module.py::test_cse' in "
            f"{WHERE}: no such test was collected (did you mean '{CASE}' or '{OTHER}'?); "
            f"{KNOWN_TESTS}"
        ]
    )


def test_misspelled_empty_test_entry_is_a_warning(suite: pytest.Pytester) -> None:
    result = run_with(suite, {"tests": {"test_module.py::test_cse": {"items_alpha": {}}}})
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["unknown test id in overrides: 'test_module.py::test_cse' in * no such test was *"]
    )


def test_test_that_does_not_use_the_producer_is_unknown(suite: pytest.Pytester) -> None:
    source = (suite.path / "test_module.py").read_text(encoding="utf-8")
    suite.makepyfile(test_module=source + "\n\ndef test_free():\n    pass\n")
    result = run_with(suite, {"tests": {"test_module.py::test_free": {"x": {"value": 1}}}})
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: unknown test id in overrides: 'test_module.py::test_free' in "
            f"{WHERE}: the test does not use producer 'prepare_data' (did you mean *?); "
            f"{KNOWN_TESTS}"
        ]
    )


def test_test_in_a_missing_file_is_unknown(suite: pytest.Pytester) -> None:
    result = run_with(suite, {"tests": {"test_gone.py::test_x": {"x": {"value": 1}}}})
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: unknown test id in overrides: 'test_gone.py::test_x' in *"]
    )


def test_tests_outside_the_collected_paths_are_skipped_silently(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_elsewhere="def test_x(prepare_data):\n    pass\n")
    section = {"tests": {"test_elsewhere.py::test_x": {"x": {"value": 1}}}}
    result = run_with(suite, section, "test_module.py")
    result.assert_outcomes(passed=2)
    assert "pytest-warmup" not in result.stdout.str()


def test_tests_not_collected_because_of_a_node_id_selection_are_skipped(
    suite: pytest.Pytester,
) -> None:
    section = {"tests": {OTHER: {"profile_main": {"value": "other"}}}}
    result = run_with(suite, section, CASE)
    result.assert_outcomes(passed=1)
    assert "pytest-warmup" not in result.stdout.str()


def test_entries_of_deselected_tests_are_known_and_skipped(suite: pytest.Pytester) -> None:
    section = {"tests": {OTHER: {"profile_main": {"value": "other"}}}}
    result = run_with(suite, section, "-k", "test_case")
    result.assert_outcomes(passed=1)
    assert "pytest-warmup" not in result.stdout.str()
    assert seen(suite)[CASE]["profile"] == prepared()


def test_misspelled_id_of_a_deselected_test_is_still_an_error(suite: pytest.Pytester) -> None:
    section = {"tests": {OTHER: {"profle_main": {"value": "other"}}}}
    result = run_with(suite, section, "-k", "test_case")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: unknown per-test override id 'profle_main' for test '{OTHER}' in "
            f"{WHERE} (did you mean 'profile_main'?); known ids for this test: 'profile_main'"
        ]
    )


def test_unknown_per_test_id_of_a_known_test(suite: pytest.Pytester) -> None:
    result = run_with(suite, {"tests": {CASE: {"itemz": {}}}})
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            f"unknown per-test override id 'itemz' for test '{CASE}' in {WHERE}; known ids for "
            "this test: 'items_alpha', 'profile_main'"
        ]
    )


def test_ids_of_other_plans_than_the_producer_uses_are_unknown(pytester: pytest.Pytester) -> None:
    install(pytester)
    pytester.makepyfile(
        test_more="""
        from pytest_warmup import WarmupPlan, warmup_param

        class Other(WarmupPlan):
            def prepare_node(self, node):
                return 1

        ELSEWHERE = Other("other").require(id="elsewhere")

        @warmup_param("value", ELSEWHERE, producer_fixture="prepare_data")
        def test_more(prepare_data, value):
            pass
        """
    )
    write(
        pytester,
        "snapshot.json",
        bundle({"module:test_more.py::prepare_data": {"shared": {"elsewhere": {"value": 1}}}}),
    )
    result = pytester.runpytest("--warmup-snapshot", "snapshot.json", "test_more.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["unknown shared override id 'elsewhere' in *; known ids of *: none*"]
    )


class TestBundleScopes:
    def test_scope_with_a_misspelled_producer_name_is_a_warning(
        self, suite: pytest.Pytester
    ) -> None:
        write(suite, "snapshot.json", bundle({"module:test_module.py::prepare_dat": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "unknown snapshot scope 'module:test_module.py::prepare_dat' in "
                "'snapshot.json': no test collected under 'test_module.py' uses a fixture named "
                "'prepare_dat' (did you mean 'module:test_module.py::prepare_data'?)"
            ]
        )

    def test_scope_of_a_missing_file_is_a_warning(self, suite: pytest.Pytester) -> None:
        write(suite, "snapshot.json", bundle({"module:test_modul.py::prepare_data": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "unknown snapshot scope 'module:test_modul.py::prepare_data' in "
                "'snapshot.json': 'test_modul.py' does not exist under the rootdir (did you "
                "mean 'module:test_module.py::prepare_data'?)"
            ]
        )

    def test_scope_that_is_not_a_scope_id_is_a_warning(self, suite: pytest.Pytester) -> None:
        write(suite, "snapshot.json", bundle({"modul:test_module.py::prepare_data": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "unknown snapshot scope 'modul:test_module.py::prepare_data' in "
                "'snapshot.json': expected '<scope>:<anchor>::<producer fixture>' with <scope> "
                "one of session, package, module, class, function"
            ]
        )

    def test_scope_outside_the_collected_paths_is_not_judged(self, suite: pytest.Pytester) -> None:
        suite.makepyfile(test_elsewhere="def test_x():\n    pass\n")
        write(suite, "snapshot.json", bundle({"module:test_elsewhere.py::prepare_data": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json", "test_module.py")
        result.assert_outcomes(passed=2)
        assert "pytest-warmup" not in result.stdout.str()

    def test_scope_of_a_deselected_producer_is_known(self, suite: pytest.Pytester) -> None:
        suite.makepyfile(test_elsewhere="def test_x(prepare_data):\n    pass\n")
        write(suite, "snapshot.json", bundle({"module:test_elsewhere.py::prepare_data": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json", "-k", "not test_x")
        result.assert_outcomes(passed=2)
        assert "pytest-warmup" not in result.stdout.str()

    def test_strict_ini_makes_an_unknown_scope_fail_every_producer(
        self, suite: pytest.Pytester
    ) -> None:
        strict(suite)
        write(suite, "snapshot.json", bundle({"module:test_module.py::prepare_dat": {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json")
        result.assert_outcomes(errors=2)
        result.stdout.fnmatch_lines(
            ["E   WarmupError: unknown snapshot scope 'module:test_module.py::prepare_dat' *"]
        )

    def test_scope_of_a_missing_class_in_a_collected_file_is_a_warning(
        self, suite: pytest.Pytester
    ) -> None:
        scope_id = "class:test_module.py::TestCase::prepare_data"
        write(suite, "snapshot.json", bundle({scope_id: {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                f"unknown snapshot scope '{scope_id}' in 'snapshot.json': no test was collected "
                "under 'test_module.py::TestCase' (did you mean "
                "'class:test_module.py::test_case::prepare_data' or "
                "'class:test_module.py::test_other::prepare_data'?)"
            ]
        )

    def test_scope_in_a_file_collected_in_part_is_not_judged(self, suite: pytest.Pytester) -> None:
        scope_id = "function:test_module.py::test_other::prepare_data"
        write(suite, "snapshot.json", bundle({scope_id: {}}))
        result = suite.runpytest("--warmup-snapshot", "snapshot.json", CASE)
        result.assert_outcomes(passed=1)
        assert "pytest-warmup" not in result.stdout.str()


ORDERS = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


class Accounts(WarmupPlan):
    def prepare_node(self, node):
        with open("calls.txt", "a") as calls:
            calls.write(node.id + "\\n")
        return {"name": node.id}


accounts = Accounts("accounts")
ada = accounts.require(id="ada")


@pytest.fixture(scope="module")
def shop(warmup_mgr):
    return warmup_mgr.use(accounts).prepare()


@warmup_param("account", ada)
def test_order(shop, account):
    pass
"""


class TestScopeIdsNoProducerHas:
    """The docs' example: the producer's scope id is ``module:tests/test_orders.py::shop``."""

    @pytest.fixture
    def orders(self, pytester: pytest.Pytester) -> pytest.Pytester:
        pytester.mkdir("tests")
        (pytester.path / "tests" / "test_orders.py").write_text(ORDERS, encoding="utf-8")
        return pytester

    @pytest.mark.parametrize(
        ("scope_id", "scope", "anchor"),
        [
            ("session:.::shop", "session", "."),
            ("package:tests::shop", "package", "tests"),
            ("module:tests::shop", "module", "tests"),
        ],
    )
    def test_a_section_with_a_value_is_an_error(
        self, orders: pytest.Pytester, scope_id: str, scope: str, anchor: str
    ) -> None:
        write(orders, "b.json", bundle({scope_id: {"shared": {"ada": {"value": {"name": "x"}}}}}))
        result = orders.runpytest("--warmup-snapshot", "b.json")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [
                f"E   WarmupError: unknown snapshot scope '{scope_id}' in 'b.json': no producer "
                f"instance of this run has that scope id (fixture 'shop' is not set up for "
                f"'{anchor}' at {scope} scope) (did you mean "
                "'module:tests/test_orders.py::shop'?)"
            ]
        )
        assert not (orders.path / "calls.txt").exists()  # nothing prepared

    def test_an_empty_section_is_a_warning_and_an_error_in_strict_mode(
        self, orders: pytest.Pytester
    ) -> None:
        write(orders, "b.json", bundle({"session:.::shop": {"shared": {"ada": {}}}}))
        result = orders.runpytest("--warmup-snapshot", "b.json")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            ["*= warmup =*", "unknown snapshot scope 'session:.::shop' in 'b.json': *"]
        )

        strict(orders)
        result = orders.runpytest("--warmup-snapshot", "b.json")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["E   WarmupError: unknown snapshot scope 'session:.::shop' *"])

    def test_the_real_scope_id_is_used(self, orders: pytest.Pytester) -> None:
        scope_id = "module:tests/test_orders.py::shop"
        write(orders, "b.json", bundle({scope_id: {"shared": {"ada": {"value": {"name": "x"}}}}}))
        result = orders.runpytest("--warmup-snapshot", "b.json")
        result.assert_outcomes(passed=1)
        assert not (orders.path / "calls.txt").exists()  # the value came from the file
        assert "pytest-warmup" not in result.stdout.str()
