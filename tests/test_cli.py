"""``pytest-warmup check [PATH...]`` and ``pytest-warmup schema``."""

from __future__ import annotations

import importlib.resources
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from catalog_support import FULL, PLANS, write
from pytest_warmup._cli import main


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # check puts the cwd first


def test_check_reads_warmup_yaml_in_the_current_directory_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(Path("warmup.yaml"), FULL)
    assert main(["check"]) == 0
    assert capsys.readouterr().out == (
        "ok: 1 catalog file checked (3 plans, 5 requirements, 2 producers, 2 fixtures)\n"
    )


def test_check_reads_several_paths_into_one_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("plans.yaml"), PLANS)
    write(Path("catalogs/one.yaml"), "version: 1\nrequirements: {one: {plan: echo}}\n")
    assert main(["check", "plans.yaml", "catalogs/one.yaml"]) == 0
    assert capsys.readouterr().out == (
        "ok: 2 catalog files checked (1 plan, 1 requirement, 0 producers, 0 fixtures)\n"
    )


def test_check_prints_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("warmup.yaml"), PLANS + "requirements: {a: {plan: ekho}}\n")
    assert main(["check", "warmup.yaml", "missing.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "missing.yaml: catalog file not found",
        "warmup.yaml:4:26: requirements.a.plan: unknown plan 'ekho' (did you mean 'echo'?)",
        "2 problems in warmup catalogs",
    ]


def test_check_without_a_catalog_in_the_current_directory_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "warmup.yaml: catalog file not found",
        "1 problem in warmup catalogs",
    ]


def test_check_imports_plan_modules_from_the_current_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(Path("local_plans.py"), "from catalog_support import EchoPlan as LocalPlan\n")
    write(Path("warmup.yaml"), 'version: 1\nplans: {local: {class: "local_plans:LocalPlan"}}\n')
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 catalog file checked (1 plan,")


def test_schema_prints_the_json_schema_shipped_in_the_package(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shipped = importlib.resources.files("pytest_warmup").joinpath("warmup.schema.json")
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == shipped.read_text()
    assert json.loads(printed)["title"] == "pytest-warmup catalog (warmup.yaml), version 1"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "error: the following arguments are required: COMMAND" in capsys.readouterr().err


def test_the_console_script_runs_main() -> None:
    (script,) = entry_points(group="console_scripts", name="pytest-warmup")
    assert script.value == "pytest_warmup._cli:main"
