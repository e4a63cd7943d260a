"""``--warmup-export-template PATH``: a snapshot skeleton to fill in and pass back (contract 12)."""

from __future__ import annotations

import json

import pytest
import yaml

from snapshot_suite import CASE, MODULE_SCOPE_ID, OTHER, install, read, seen

TEMPLATE = {
    "version": 1,
    "scopes": {
        MODULE_SCOPE_ID: {
            "shared": {"profile_main": {}},
            "tests": {CASE: {"items_alpha": {}}},
        }
    },
}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def test_template_lists_every_addressable_instance_and_the_run_continues(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest("--warmup-export-template", "template.json")
    result.assert_outcomes(passed=2)
    assert read(suite.path / "template.json") == TEMPLATE


def test_json_template_is_sorted_indented_and_ends_with_a_newline(suite: pytest.Pytester) -> None:
    suite.runpytest("--warmup-export-template", "template.json").assert_outcomes(passed=2)
    text = (suite.path / "template.json").read_text(encoding="utf-8")
    assert text == json.dumps(TEMPLATE, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", ["template.yaml", "template.yml"])
def test_yaml_path_gets_a_yaml_template(suite: pytest.Pytester, name: str) -> None:
    suite.runpytest("--warmup-export-template", name).assert_outcomes(passed=2)
    text = (suite.path / name).read_text(encoding="utf-8")
    assert text == (
        "scopes:\n"
        f"  {MODULE_SCOPE_ID}:\n"
        "    shared:\n"
        "      profile_main: {}\n"
        "    tests:\n"
        f"      {CASE}:\n"
        "        items_alpha: {}\n"
        "version: 1\n"
    )


@pytest.mark.parametrize("name", ["overrides.yaml", "overrides.json"])
def test_filled_in_template_round_trips_through_warmup_snapshot(
    suite: pytest.Pytester, name: str
) -> None:
    suite.runpytest("--warmup-export-template", name).assert_outcomes(passed=2)
    path = suite.path / name
    document = read(path)
    section = document["scopes"][MODULE_SCOPE_ID]
    value = {"name": "debug", "when": "2024-05-01", "yes": "no", "n": [1, 2.5, None, True]}
    section["shared"]["profile_main"] = {"value": value}
    section["tests"][CASE]["items_alpha"] = {"value": "a: b"}
    if name.endswith(".yaml"):
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
    else:
        path.write_text(json.dumps(document), encoding="utf-8")
    (suite.path / "seen.jsonl").unlink()
    suite.runpytest("--warmup-snapshot", name).assert_outcomes(passed=2)
    values = seen(suite)
    assert values[OTHER]["profile"] == value
    assert values[CASE]["items"] == "a: b"


def test_same_inputs_give_byte_identical_files(suite: pytest.Pytester) -> None:
    suite.runpytest("--warmup-export-template", "one.yaml").assert_outcomes(passed=2)
    suite.runpytest("--warmup-export-template", "two.yaml").assert_outcomes(passed=2)
    assert (suite.path / "one.yaml").read_bytes() == (suite.path / "two.yaml").read_bytes()


def test_each_run_starts_the_file_fresh(suite: pytest.Pytester) -> None:
    (suite.path / "template.json").write_text('{"scopes": {"stale": {}}}', encoding="utf-8")
    suite.runpytest("--warmup-export-template", "template.json", "-k", "nothing")
    assert read(suite.path / "template.json") == {"version": 1, "scopes": {}}


def test_sections_of_every_producer_are_merged(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_second=(suite.path / "test_module.py").read_text(encoding="utf-8"),
    )
    suite.runpytest("--warmup-export-template", "template.json").assert_outcomes(passed=4)
    scopes = read(suite.path / "template.json")["scopes"]
    assert sorted(scopes) == [MODULE_SCOPE_ID, "module:test_second.py::prepare_data"]
    assert scopes["module:test_second.py::prepare_data"]["tests"] == {
        "test_second.py::test_case": {"items_alpha": {}}
    }


def test_parent_directories_are_created_and_no_temporary_file_is_left(
    suite: pytest.Pytester,
) -> None:
    suite.runpytest("--warmup-export-template", "out/deep/template.json").assert_outcomes(passed=2)
    assert [p.name for p in (suite.path / "out" / "deep").iterdir()] == ["template.json"]


def test_template_is_kept_when_a_later_step_fails(suite: pytest.Pytester) -> None:
    (suite.path / "bad.json").write_text(
        json.dumps({"version": 1, "scopes": {MODULE_SCOPE_ID: {"shared": {"nope": {"value": 1}}}}}),
        encoding="utf-8",
    )
    result = suite.runpytest(
        "--warmup-export-template", "template.json", "--warmup-snapshot", "bad.json"
    )
    result.assert_outcomes(errors=2)
    assert read(suite.path / "template.json") == TEMPLATE


def test_producer_failing_before_its_graph_exists_has_no_template_section(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        PLAN = Plan("plan")
        A = PLAN.require(id="a")
        B = PLAN.require(id="b", dependencies={"a": A})
        A.dependencies["b"] = B

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("a", A)
        def test_a(prep, a):
            pass
        """
    )
    result = pytester.runpytest("--warmup-export-template", "template.json")
    result.assert_outcomes(errors=1)
    assert read(pytester.path / "template.json") == {"version": 1, "scopes": {}}


def test_output_path_that_is_a_directory_is_a_usage_error(suite: pytest.Pytester) -> None:
    (suite.path / "out").mkdir()
    result = suite.runpytest("--warmup-export-template", "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*argument --warmup-export-template: expected a file path, got the directory 'out'"]
    )


def test_two_outputs_to_one_file_are_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest(
        "--warmup-export-template", "debug.json", "--warmup-report", "./debug.json"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --warmup-export-template and --warmup-report both write './debug.json'; "
            "give each its own file"
        ]
    )


def test_write_error_is_reported_in_the_terminal_section(suite: pytest.Pytester) -> None:
    (suite.path / "blocker").write_text("a file, not a directory", encoding="utf-8")
    result = suite.runpytest("--warmup-export-template", "blocker/template.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "could not write --warmup-export-template file 'blocker/template.json': *",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # a file asked for and not written fails


def test_every_file_written_is_named_at_the_end_of_the_run(suite: pytest.Pytester) -> None:
    result = suite.runpytest(
        "--warmup-export-template", "template.json", "--warmup-report", "out/report.yaml"
    )
    result.assert_outcomes(passed=2)
    template, report = suite.path / "template.json", suite.path / "out" / "report.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*- generated warmup file (--warmup-export-template): {template} -*",
            f"*- generated warmup file (--warmup-report): {report} -*",
        ]
    )
    assert result.ret == pytest.ExitCode.OK
