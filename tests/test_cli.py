"""``pytest-warmup check [PATH...]`` and ``pytest-warmup schema``."""

from __future__ import annotations

import importlib.resources
import json
import os
import sys
from importlib.metadata import entry_points, version
from pathlib import Path

import pytest

from catalog_support import FULL, PLANS, write
from pytest_warmup._cli import main


@pytest.fixture(autouse=True)
def in_tmp_path(pytester: pytest.Pytester) -> None:
    """Run in a fresh directory; ``sys.path`` and ``sys.modules`` are restored afterwards (check
    runs pytest's configuration in-process: conftest files, ``pythonpath``)."""


IMPORTED = "modules imported (their top-level code ran): catalog_support"


def test_check_reads_warmup_yaml_in_the_current_directory_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(Path("warmup.yaml"), FULL)
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        IMPORTED,
        "ok: 1 catalog file checked (3 plans, 5 requirements, 2 producers, 2 fixtures)",
    ]


def test_check_reads_several_paths_into_one_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("plans.yaml"), PLANS)
    write(Path("catalogs/one.yaml"), "version: 1\nrequirements: {one: {plan: echo}}\n")
    assert main(["check", "plans.yaml", "catalogs/one.yaml"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        IMPORTED,
        "ok: 2 catalog files checked (1 plan, 1 requirement, 0 producers, 0 fixtures)",
    ]


def test_check_prints_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("warmup.yaml"), PLANS + "requirements: {a: {plan: ekho}}\n")
    assert main(["check", "warmup.yaml", "missing.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        IMPORTED,
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


def test_check_imports_plan_modules_from_the_rootdir(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("local_plans.py"), "from catalog_support import EchoPlan as LocalPlan\n")
    write(Path("warmup.yaml"), 'version: 1\nplans: {local: {class: "local_plans:LocalPlan"}}\n')
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "modules imported (their top-level code ran): local_plans",
        "ok: 1 catalog file checked (1 plan, 0 requirements, 0 producers, 0 fixtures)",
    ]


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


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"pytest-warmup {version('pytest-warmup')}\n"


# -- the project's configuration, found as pytest finds it (issue 13, item 6) ------------------

SHOP = """
version: 1
plans:
  shop: {class: "support.plans:ShopPlan"}
requirements:
  order: {plan: shop}
"""
SUPPORT = "from catalog_support import EchoPlan as ShopPlan\n"
OK_SHOP = "ok: 1 catalog file checked (1 plan, 1 requirement, 0 producers, 0 fixtures)"

INI_FILES = {
    "pyproject.toml": '[tool.pytest.ini_options]\nwarmup_catalogs = ["catalogs/shop.yaml"]\n',
    "pytest.ini": "[pytest]\nwarmup_catalogs = catalogs/shop.yaml\n",
    "tox.ini": "[pytest]\nwarmup_catalogs = catalogs/shop.yaml\n",
    "setup.cfg": "[tool:pytest]\nwarmup_catalogs = catalogs/shop.yaml\n",
}


@pytest.mark.parametrize("ini", list(INI_FILES))
def test_check_reads_the_catalogs_the_ini_file_names(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], ini: str
) -> None:
    write(pytester.path / ini, INI_FILES[ini])
    write(pytester.path / "catalogs/shop.yaml", SHOP)
    write(pytester.path / "support/__init__.py", "")
    write(pytester.path / "support/plans.py", SUPPORT)
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "modules imported (their top-level code ran): support.plans",
        OK_SHOP,
    ]


def test_check_run_from_a_subdirectory_sees_the_project_as_pytest_does(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path / "pyproject.toml", INI_FILES["pyproject.toml"])
    write(pytester.path / "catalogs/shop.yaml", SHOP)
    write(pytester.path / "support/__init__.py", "")
    write(pytester.path / "support/plans.py", SUPPORT)
    (pytester.path / "tests").mkdir()
    os.chdir(pytester.path / "tests")  # pytester restores the working directory
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == OK_SHOP
    assert main(["check", "../catalogs/shop.yaml"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == OK_SHOP


def test_check_uses_the_pythonpath_of_the_ini_file(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path / "pytest.ini", "[pytest]\npythonpath = src\n")
    write(pytester.path / "warmup.yaml", SHOP)
    write(pytester.path / "src/support/__init__.py", "")
    write(pytester.path / "src/support/plans.py", SUPPORT)
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == OK_SHOP
    assert str(pytester.path / "src") not in sys.path  # pytest took it off again


def test_check_without_a_catalog_names_the_rootdirs_default(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path / "pytest.ini", "[pytest]\n")
    (pytester.path / "sub").mkdir()
    os.chdir(pytester.path / "sub")
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{pytester.path / 'warmup.yaml'}: catalog file not found",
        "1 problem in warmup catalogs",
    ]


def test_check_with_a_configuration_pytest_refuses_is_a_usage_error(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path / "pytest.ini", "[pytest]\nwarmup_max_workers = many\n")
    write(pytester.path / "warmup.yaml", PLANS)
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    assert "ini option warmup_max_workers: expected a whole number" in captured.err
    assert "pytest-warmup check: pytest could not read the configuration" in captured.err


def test_check_does_not_end_silently_when_a_plan_module_exits(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path / "exiting.py", "import sys\nsys.exit(0)\n")
    write(pytester.path / "warmup.yaml", 'version: 1\nplans: {x: {class: "exiting:Plan"}}\n')
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "modules imported (their top-level code ran): exiting",
        "warmup.yaml:2:20: plans.x.class: cannot import 'exiting:Plan': importing 'exiting' "
        "called sys.exit(0); code a catalog names must not exit the process (move it under "
        "'if __name__ == \"__main__\":')",
        "1 problem in warmup catalogs",
    ]


def test_check_reports_a_per_test_requirement_in_a_module_scoped_fixture(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(
        Path("warmup.yaml"),
        PLANS
        + "requirements: {vip_order: {plan: echo, per_test: true}}\n"
        + "producers: {shop: {scope: module, plans: [echo]}}\n"
        + "fixtures: {an_order: {requirement: vip_order, producer: shop, scope: module}}\n",
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines()[1:] == [
        "warmup.yaml:6:70: fixtures.an_order.scope: requirement 'vip_order' is per-test: every "
        "test gets its own value, and a 'module'-scoped fixture would hand one value to many "
        "tests; remove 'scope' to keep the default 'function', or make 'vip_order' shared with "
        "'per_test: false'",
        "1 problem in warmup catalogs",
    ]
