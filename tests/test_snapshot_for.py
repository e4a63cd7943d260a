"""``--warmup-snapshot-for ID=PATH``: one fragment for the producer of ``prepare(snapshot_id=ID)``
(contract 10.2-10.4, 10.7)."""

from __future__ import annotations

import pytest

from snapshot_suite import CASE, MODULE_SCOPE_ID, OTHER, bundle, install, seen, write

UNUSED = (
    "unused --warmup-snapshot-for targets: {ids}; no producer executed "
    "prepare(snapshot_id=...) with these ids in this run"
)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester, snapshot_id="main")
    return pytester


@pytest.mark.parametrize("name", ["fragment.json", "fragment.yaml"])
def test_fragment_overrides_the_producer_that_claims_its_id(
    suite: pytest.Pytester, name: str
) -> None:
    write(
        suite,
        name,
        {
            "version": 1,
            "shared": {"profile_main": {"value": "from fragment"}},
            "tests": {CASE: {"items_alpha": {"value": {"n": 1}}}},
        },
    )
    result = suite.runpytest("--warmup-snapshot-for", f"main={name}")
    result.assert_outcomes(passed=2)
    values = seen(suite)
    assert values[OTHER]["profile"] == "from fragment"
    assert values[CASE]["items"] == {"n": 1}
    assert "pytest-warmup" not in result.stdout.str()


def test_target_halves_are_stripped(suite: pytest.Pytester) -> None:
    write(suite, "fragment.json", {"version": 1, "shared": {"profile_main": {"value": 3}}})
    suite.runpytest("--warmup-snapshot-for", " main = fragment.json ").assert_outcomes(passed=2)
    assert seen(suite)[OTHER]["profile"] == 3


def test_one_producer_definition_keeps_its_snapshot_id_across_instances(
    pytester: pytest.Pytester,
) -> None:
    install(pytester, scope="function", snapshot_id="main")
    write(
        pytester,
        "fragment.json",
        {
            "version": 1,
            "shared": {"profile_main": {"value": "all"}},
            # each function-scoped instance covers one test: the other's entry is skipped
            "tests": {CASE: {"items_alpha": {"value": "case"}}, OTHER: {"profile_main": {}}},
        },
    )
    result = pytester.runpytest("--warmup-snapshot-for", "main=fragment.json")
    result.assert_outcomes(passed=2)
    values = seen(pytester)
    assert values[CASE] == {"profile": "all", "items": "case"}
    assert values[OTHER] == {"profile": "all"}


def test_two_producer_definitions_cannot_share_a_snapshot_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_two="""
        import pytest
        from pytest_warmup import WarmupPlan

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        PLAN = Plan("plan")

        @pytest.fixture
        def prep_a(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare(snapshot_id="main")

        @pytest.fixture
        def prep_b(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare(snapshot_id="main")

        def test_a(prep_a):
            pass

        def test_b(prep_b):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: snapshot_id 'main' is already used by producer 'prep_a' "
            "(defined at test_two.py:10); give each producer fixture its own snapshot_id"
        ]
    )


def test_a_producer_matched_by_both_files_fails(suite: pytest.Pytester) -> None:
    write(suite, "fragment.json", {"version": 1})
    write(suite, "bundle.json", bundle({MODULE_SCOPE_ID: {}}))
    result = suite.runpytest(
        "--warmup-snapshot", "bundle.json", "--warmup-snapshot-for", "main=fragment.json"
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: producer scope '{MODULE_SCOPE_ID}' matches both "
            "--warmup-snapshot and --warmup-snapshot-for 'main'; move its overrides into one "
            "of the two files"
        ]
    )


def test_unused_targets_end_the_run_with_a_usage_error(suite: pytest.Pytester) -> None:
    write(suite, "fragment.json", {"version": 1})
    result = suite.runpytest(
        "--warmup-snapshot-for",
        "main=fragment.json",
        "--warmup-snapshot-for",
        "zeta=fragment.json",
        "--warmup-snapshot-for",
        "alpha=fragment.json",
    )
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ["*= warmup =*", UNUSED.format(ids="'alpha', 'zeta'"), "1 problem", "*= 2 passed in *"]
    )


def test_unused_target_turns_failed_tests_into_a_usage_error(pytester: pytest.Pytester) -> None:
    write(pytester, "fragment.json", {"version": 1})
    pytester.makepyfile("def test_fails():\n    assert False\n")
    result = pytester.runpytest("--warmup-snapshot-for", "main=fragment.json")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines([UNUSED.format(ids="'main'")])


def test_unused_targets_are_not_judged_when_only_collecting(suite: pytest.Pytester) -> None:
    write(suite, "fragment.json", {"version": 1})
    result = suite.runpytest("--collect-only", "--warmup-snapshot-for", "other=fragment.json")
    assert result.ret == pytest.ExitCode.OK
    assert "unused --warmup-snapshot-for" not in result.stdout.str()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("main", "snapshot target must use the form '<snapshot_id>=<path>', got 'main'"),
        (
            "=fragment.json",
            "snapshot target is missing snapshot_id before '=', got '=fragment.json'",
        ),
        ("main= ", "snapshot target is missing file path after '=', got 'main= '"),
        ("main=none.json", "targeted snapshot file for 'main' does not exist: 'none.json'"),
    ],
)
def test_bad_target_is_a_usage_error_at_startup(
    suite: pytest.Pytester, spec: str, message: str
) -> None:
    write(suite, "fragment.json", {"version": 1})
    result = suite.runpytest(f"--warmup-snapshot-for={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*argument --warmup-snapshot-for: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_duplicate_target_is_a_usage_error_at_startup(suite: pytest.Pytester) -> None:
    write(suite, "a.json", {"version": 1})
    write(suite, "b.json", {"version": 1})
    result = suite.runpytest(
        "--warmup-snapshot-for", "main=a.json", "--warmup-snapshot-for", "main=b.json"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: duplicate CLI snapshot target for snapshot_id 'main' ('a.json' and "
            "'b.json'); pass one file per snapshot_id"
        ]
    )


def test_targets_assigned_at_run_time_are_checked_then(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        (suite.path / "conftest.py")
        .read_text(encoding="utf-8")
        .replace(
            "def prepare_data(warmup_mgr):\n",
            "def prepare_data(warmup_mgr, request):\n"
            "    request.config.option.warmup_snapshot_for = ['main']\n",
        )
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["E   WarmupError: snapshot target must use the form '<snapshot_id>=<path>', got 'main'"]
    )


def test_targets_assigned_at_run_time_are_read_and_claimed(suite: pytest.Pytester) -> None:
    write(suite, "late.json", {"version": 1, "shared": {"profile_main": {"value": "late"}}})
    suite.makeconftest(
        (suite.path / "conftest.py")
        .read_text(encoding="utf-8")
        .replace(
            "def prepare_data(warmup_mgr):\n",
            "def prepare_data(warmup_mgr, request):\n"
            "    request.config.option.warmup_snapshot_for = ['main=late.json']\n",
        )
    )
    write(suite, "fragment.json", {"version": 1})
    result = suite.runpytest("--warmup-snapshot-for", "unused=fragment.json")
    result.assert_outcomes(passed=2)
    # the run-time value replaced the command line's, so nothing is left unused
    assert result.ret == pytest.ExitCode.OK
    assert seen(suite)[OTHER]["profile"] == "late"


def test_fragment_for_one_producer_leaves_others_alone(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_plain="""
        import pytest
        from pytest_warmup import warmup_param
        from conftest import PLAN, PROFILE

        @pytest.fixture
        def plain(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("profile", PROFILE)
        def test_plain(plain, profile):
            assert profile["id"] == "profile_main"
        """
    )
    write(suite, "fragment.json", {"version": 1, "shared": {"profile_main": {"value": 0}}})
    suite.runpytest("--warmup-snapshot-for", "main=fragment.json").assert_outcomes(passed=3)
    assert seen(suite)[OTHER]["profile"] == 0
