"""``--warmup-plan``: what each producer would prepare, without calling a plan, fixture or test."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from pytest_warmup import WarmupNode, WarmupPlan
from pytest_warmup.engine import Run
from visibility_suite import SCOPE_ID, called, install, section

PRODUCER = f"producer 'shop' ({SCOPE_ID})"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def test_the_plan_lists_roots_batches_and_their_tests(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-plan")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "warmup: 4 workers, plan preview (no plan is called)",
            "*= warmup plan =*",
            f"{PRODUCER}: 3 tests",
            "  roots: order (2 tests), yoga (1 test)",
            "  1. facility: 1 node, shared (gym), for 3 tests",
            "  2. program: 1 node, shared (yoga), for 3 tests",
            "  3. order: 2 nodes, per-test (order), for 2 tests",
            "1 producer instance, 3 batches; no plan was called (--warmup-plan)",
            "*= no tests ran in *",
        ],
        consecutive=False,
    )
    assert len(section(result.stdout.str(), "warmup plan")) == 6
    assert "= warmup =" not in result.stdout.str()
    assert called(suite) == []


def test_verbose_plans_list_the_tests_of_every_batch(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-plan", "-v")
    result.stdout.fnmatch_lines(
        [
            "  3. order: 2 nodes, per-test (order), for 2 tests",
            "       test_shop.py::test_books",
            "       test_shop.py::test_pays",
        ],
        consecutive=True,
    )


def test_the_plan_follows_the_selection(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-plan", "-k", "program")
    assert section(result.stdout.str(), "warmup plan") == [
        f"{PRODUCER}: 1 test",
        "  roots: yoga (1 test)",
        "  1. facility: 1 node, shared (gym), for 1 test",
        "  2. program: 1 node, shared (yoga), for 1 test",
        "1 producer instance, 2 batches; no plan was called (--warmup-plan)",
    ]


def test_the_plan_shows_the_snapshot_overrides_that_apply(suite: pytest.Pytester) -> None:
    snapshot = {"version": 1, "scopes": {SCOPE_ID: {"shared": {"gym": {"value": {"id": 1}}}}}}
    (suite.path / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
    result = suite.runpytest("--warmup-plan", "--warmup-snapshot", "snapshot.json")
    assert section(result.stdout.str(), "warmup plan") == [
        f"{PRODUCER}: 3 tests",
        "  roots: order (2 tests), yoga (1 test)",
        "  1. program: 1 node, shared (yoga), for 3 tests",
        "  2. order: 2 nodes, per-test (order), for 2 tests",
        "  from snapshots: gym",
        "1 producer instance, 2 batches; no plan was called (--warmup-plan)",
    ]
    # The value is checked as a real run checks it; nothing is prepared.
    assert set(called(suite)) == {"facility.validate_snapshot_value"}


def test_a_snapshot_mistake_shows_in_the_plan_and_as_setup_errors(suite: pytest.Pytester) -> None:
    snapshot = {"version": 1, "scopes": {SCOPE_ID: {"shared": {"gmy": {"value": 1}}}}}
    (suite.path / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
    result = suite.runpytest("--warmup-plan", "--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(errors=3)
    assert section(result.stdout.str(), "warmup plan") == [
        f"{PRODUCER}: 3 tests",
        "  error: WarmupError: unknown shared override id 'gmy' in snapshot scope "
        f"'{SCOPE_ID}' of 'snapshot.json' (did you mean 'gym'?); known ids of producer "
        "'shop': 'gym', 'order', 'yoga'",
        "1 producer instance, 0 batches; no plan was called (--warmup-plan)",
    ]


def test_catalog_producers_are_previewed(suite: pytest.Pytester) -> None:
    (suite.path / "warmup.yaml").write_text(
        """
version: 1
plans:
  audit: {class: "logged:LoggedPlan"}
requirements:
  audit_trail: {plan: audit}
producers:
  audits: {scope: session, plans: [audit]}
fixtures:
  trail: {requirement: audit_trail, producer: audits}
""",
        encoding="utf-8",
    )
    suite.makepyfile(test_audit="def test_trail(trail):\n    assert trail\n")
    result = suite.runpytest("--warmup-plan", "test_audit.py")
    assert section(result.stdout.str(), "warmup plan") == [
        "producer 'audits' (session:.::audits): 1 test",
        "  roots: audit_trail (1 test)",
        "  1. audit: 1 node, shared (audit_trail), for 1 test",
        "1 producer instance, 1 batch; no plan was called (--warmup-plan)",
    ]
    assert called(suite) == []


def test_the_plan_under_xdist_merges_every_worker(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_more="""
from pytest_warmup import warmup_param
from conftest import yoga

@warmup_param("program", yoga)
def test_again(shop, program):
    pass
"""
    )
    result = suite.runpytest_subprocess("--warmup-plan", "-n", "2", "-p", "no:cacheprovider")
    assert section(result.stdout.str(), "warmup plan") == [
        "producer 'shop' (module:test_more.py::shop): 1 test",
        "  roots: yoga (1 test)",
        "  1. facility: 1 node, shared (gym), for 1 test",
        "  2. program: 1 node, shared (yoga), for 1 test",
        f"{PRODUCER}: 3 tests",
        "  roots: order (2 tests), yoga (1 test)",
        "  1. facility: 1 node, shared (gym), for 3 tests",
        "  2. program: 1 node, shared (yoga), for 3 tests",
        "  3. order: 2 nodes, per-test (order), for 2 tests",
        "2 producer instances, 5 batches; no plan was called (--warmup-plan)",
    ]
    assert called(suite) == []


def test_a_plan_without_producers_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("--warmup-plan")
    assert section(result.stdout.str(), "warmup plan") == [
        "no producer would prepare anything for the selected tests"
    ]


def test_the_template_is_written_without_building_anything(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-plan", "--warmup-export-template", "template.json")
    assert result.ret == pytest.ExitCode.OK
    template = json.loads((suite.path / "template.json").read_text(encoding="utf-8"))
    assert template == {
        "scopes": {
            SCOPE_ID: {
                "shared": {"gym": {}, "yoga": {}},
                "tests": {
                    "test_shop.py::test_books": {"order": {}},
                    "test_shop.py::test_pays": {"order": {}},
                },
            }
        },
        "version": 1,
    }
    assert called(suite) == []


@pytest.mark.parametrize("flag", ["--warmup-plan", "--setup-plan", "--collect-only"])
def test_no_plan_method_fixture_or_test_runs(suite: pytest.Pytester, flag: str) -> None:
    suite.makeconftest(
        (suite.path / "conftest.py").read_text(encoding="utf-8")
        + """

@pytest.fixture(scope="session")
def client():
    from logged import called
    called("client fixture")


@pytest.fixture(scope="module")
def audited_shop(warmup_mgr, client):
    prepared = warmup_mgr.use(facility).prepare()
    from logged import called
    called("after prepare")
    yield prepared
    called("teardown")
"""
    )
    suite.makepyfile(
        test_audited="""
from pytest_warmup import warmup_param
from conftest import gym
from logged import called

@warmup_param("facility", gym)
def test_audited(audited_shop, facility):
    called("test")
"""
    )
    result = suite.runpytest(flag)
    assert result.ret == pytest.ExitCode.OK
    assert called(suite) == []
    if flag == "--warmup-plan":  # the producer ran up to prepare(), and no further
        result.stdout.fnmatch_lines(
            [
                "producer 'audited_shop' (module:test_audited.py::audited_shop): 1 test",
                "  1. facility: 1 node, shared (gym), for 1 test",
            ]
        )


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "--collect-only",
            "--warmup-plan runs the producer fixtures up to prepare() but --collect-only sets "
            "nothing up; use one or the other",
        ),
        (
            "--setup-plan",
            "--warmup-plan runs the producer fixtures up to prepare() but --setup-plan runs no "
            "fixture; use one or the other",
        ),
        (
            "--warmup-clean-snapshot",
            "--warmup-plan prepares nothing but --warmup-clean-snapshot cleans up prepared "
            "resources; run without --warmup-plan to prepare them",
        ),
    ],
)
def test_options_that_need_more_or_less_are_usage_errors(
    suite: pytest.Pytester, flag: str, message: str
) -> None:
    result = suite.runpytest("--warmup-plan", flag)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


@pytest.mark.parametrize("flag", ["--warmup-save", "--warmup-save-on-fail"])
def test_saving_values_is_a_usage_error(suite: pytest.Pytester, flag: str) -> None:
    result = suite.runpytest("--warmup-plan", flag, "saved.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --warmup-plan prepares nothing but {flag} saves prepared values; run "
            "without --warmup-plan to prepare them"
        ]
    )


# -- the engine's preview -----------------------------------------------------------------------


class Plan(WarmupPlan):
    def prepare(self, nodes: Sequence[WarmupNode]) -> None:
        for node in nodes:
            node.set_value(node.id)


def test_the_preview_has_the_batches_a_real_run_has_for_any_number_of_workers() -> None:
    # a partial batch: plan "b" has one node ready early and one that waits on "c" via "a"
    a, b, c = Plan("a"), Plan("b"), Plan("c")
    b_early = b.require(id="b_early")
    c_one = c.require(id="c_one")
    a_one = a.require(dependencies={"c": c_one}, id="a_one")
    b_late = b.require(dependencies={"a": a_one, "early": b_early}, id="b_late")
    top = c.require(dependencies={"b": b_late}, id="top")
    needs = {"one": [top], "two": [b_early]}
    with Run() as run:
        preview = run.preview(needs)
    planned = [
        (plan.name, [node.runtime_key for node in nodes]) for plan, nodes in preview.planned or ()
    ]
    assert len(planned) >= 4
    for workers in (1, 2, 4):
        with Run(max_workers=workers) as run, run.prepare(needs) as prepared:
            runtime = prepared.record.runtime
            assert runtime is not None
            ran = sorted(
                (report.plan, list(report.runtime_keys)) for report in runtime.batch_reports
            )
        assert ran == sorted(planned)
    assert preview.runtime is not None
    assert preview.runtime.batch_reports == []
