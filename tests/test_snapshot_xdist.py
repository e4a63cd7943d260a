"""Every snapshot and debug-output option under pytest-xdist ``-n 2`` (contract 13, 15.12).

Workers load snapshot files themselves and send their sections, snapshot_id claims and warnings
to the controller, which writes one merged file per option and checks unused targets once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pytest_warmup._producer import _check_can_report
from pytest_warmup.errors import WarmupError
from snapshot_suite import CASE, MODULE_SCOPE_ID, OTHER, bundle, install, read, seen, write

pytest.importorskip("xdist")

SECOND_SCOPE_ID = "module:test_second.py::prepare_data"


def distributed(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", *args)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester, snapshot_id="main")
    # a second module, so both workers run a producer
    pytester.makepyfile(test_second=(pytester.path / "test_module.py").read_text("utf-8"))
    return pytester


def test_bundle_and_fragment_are_applied_on_every_worker(pytester: pytest.Pytester) -> None:
    install(pytester, snapshot_id="main")
    tests = (pytester.path / "test_module.py").read_text("utf-8")
    pytester.makepyfile(test_second=tests.replace("prepare_data", "prepare_second"))
    pytester.makeconftest(
        (pytester.path / "conftest.py").read_text("utf-8") + "\n\n@pytest.fixture(scope='module')\n"
        "def prepare_second(warmup_mgr):\n"
        "    return warmup_mgr.use(PLAN).prepare()\n"
    )
    second = "module:test_second.py::prepare_second"
    write(pytester, "bundle.yaml", bundle({second: {"shared": {"profile_main": {"value": 2}}}}))
    write(pytester, "fragment.json", {"version": 1, "tests": {CASE: {"items_alpha": {"value": 1}}}})
    result = distributed(
        pytester, "--warmup-snapshot", "bundle.yaml", "--warmup-snapshot-for", "main=fragment.json"
    )
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    values = seen(pytester)
    assert values[CASE]["items"] == 1
    assert values["test_second.py::test_other"]["profile"] == 2


def test_unused_targets_are_checked_once_on_the_controller(suite: pytest.Pytester) -> None:
    write(suite, "fragment.json", {"version": 1})
    result = distributed(
        suite,
        "--warmup-snapshot-for",
        "main=fragment.json",
        "--warmup-snapshot-for",
        "nobody=fragment.json",
    )
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    unused = (
        "unused --warmup-snapshot-for targets: 'nobody'; no producer executed "
        "prepare(snapshot_id=...) with these ids in this run"
    )
    result.stdout.fnmatch_lines(["*= warmup =*", unused])
    assert result.stdout.str().count(unused) == 1


def test_a_claim_on_any_worker_counts(pytester: pytest.Pytester) -> None:
    install(pytester, snapshot_id="main")
    pytester.makepyfile(test_plain="def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    write(pytester, "fragment.json", {"version": 1})
    result = distributed(
        pytester, "--dist", "loadfile", "--warmup-snapshot-for", "main=fragment.json"
    )
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK


def test_bad_target_is_a_usage_error_before_workers_start(suite: pytest.Pytester) -> None:
    result = distributed(suite, "--warmup-snapshot-for", "main")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*snapshot target must use the form '<snapshot_id>=<path>', got 'main'"]
    )


def test_debug_outputs_are_merged_into_one_file_each(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_broken="""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                if node.id == "bad":
                    raise RuntimeError("broken")
                return node.id

        PLAN = Plan("broken")
        GOOD = PLAN.require(id="good")
        BAD = PLAN.require(id="bad")

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("good", GOOD)
        @warmup_param("bad", BAD)
        def test_broken(prep, good, bad):
            pass
        """
    )
    write(suite, "bundle.json", bundle({"module:test_module.py::prepare_dat": {}}))
    outputs = (
        "--warmup-export-template",
        "out/template.yaml",
        "--warmup-report",
        "out/report.json",
        "--warmup-save-on-fail",
        "out/saved.json",
    )
    result = distributed(suite, "--warmup-snapshot", "bundle.json", *outputs)
    result.assert_outcomes(passed=4, errors=1)
    template = (suite.path / "out" / "template.yaml").read_bytes()
    scopes = ["module:test_broken.py::prep", MODULE_SCOPE_ID, SECOND_SCOPE_ID]
    assert sorted(read(suite.path / "out" / "template.yaml")["scopes"]) == scopes
    report = read(suite.path / "out" / "report.json")["scopes"]
    assert sorted(report) == scopes
    assert report["module:test_broken.py::prep"]["error"] == {
        "type": "RuntimeError",
        "message": "broken",
    }
    assert read(suite.path / "out" / "saved.json")["scopes"] == {
        "module:test_broken.py::prep": {
            "shared": {"bad": {}, "good": {"value": "good"}},
            "tests": {},
        }
    }
    # a warning both workers raise is shown once
    assert result.stdout.str().count("unknown snapshot scope") == 1
    # and the merged template is what one process writes
    (suite.path / "out" / "template.yaml").unlink()
    single = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "--warmup-export-template", "out/template.yaml"
    )
    single.assert_outcomes(passed=4, errors=1)
    assert (suite.path / "out" / "template.yaml").read_bytes() == template
    assert seen(suite)[OTHER]["profile"]["id"] == "profile_main"


def test_a_worker_that_cannot_report_back_refuses_debug_outputs() -> None:
    config = SimpleNamespace(workerinput={"workerid": "gw0"})
    session: Any = SimpleNamespace(config=config, settings=SimpleNamespace(outputs={"report": 1}))
    with pytest.raises(WarmupError) as caught:
        _check_can_report(session)
    assert str(caught.value) == (
        "debug artifact outputs are not supported when pytest-xdist is active; disable "
        "--warmup-export-template/--warmup-report/--warmup-save-on-fail or run without xdist"
    )
    config.workeroutput = {}
    _check_can_report(session)


def test_a_crashed_worker_is_named_and_its_claims_are_not_judged(
    pytester: pytest.Pytester,
) -> None:
    install(pytester, snapshot_id="main")
    pytester.makepyfile(test_crash="import os\n\ndef test_crash():\n    os._exit(1)\n")
    write(pytester, "fragment.json", {"version": 1})
    result = distributed(
        pytester, "--warmup-snapshot-for", "main=fragment.json", "--warmup-report", "report.json"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "xdist worker(s) gw* went down without reporting back; pytest-warmup files miss "
            "their sections and unused --warmup-snapshot-for targets are not checked",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert read(pytester.path / "report.json")["version"] == 1
