"""How a run finds its catalogs: rootdir warmup.yaml, ini warmup_catalogs, --warmup-catalog."""

from __future__ import annotations

import pytest

PLANS = """
from pytest_warmup import WarmupPlan


class Facility(WarmupPlan):
    def prepare_node(self, node):
        return {"country": node.payload["country"]}


class Program(WarmupPlan):
    def prepare_node(self, node):
        return {"profile": node.payload["profile"], "facility": node.deps["facility"]}


python_facility = Facility("python_facility").require(payload={"country": "FR"}, id="fr")
"""

CATALOG = """
version: 1
plans:
  facility: {class: "support_plans:Facility"}
  program: {class: "support_plans:Program"}
requirements:
  facility_de: {plan: facility, payload: {country: DE}}
  program_main:
    plan: program
    payload: {profile: MAIN}
    dependencies: {facility: facility_de}
producers:
  prepare_data: {scope: module, plans: [facility, program]}
fixtures:
  main_program: {requirement: program_main, producer: prepare_data}
"""

TESTS = """
from pytest_warmup import warmup_param


def test_generated_fixture_gives_the_prepared_value(main_program):
    assert main_program == {"profile": "MAIN", "facility": {"country": "DE"}}


@warmup_param("program", "program_main")
def test_string_id_binds_the_catalog_requirement(prepare_data, program):
    assert program["profile"] == "MAIN"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(support_plans=PLANS, test_catalog_run=TESTS)
    return pytester


def test_warmup_yaml_in_the_rootdir_is_loaded_by_default(project: pytest.Pytester) -> None:
    (project.path / "warmup.yaml").write_text(CATALOG)
    project.runpytest().assert_outcomes(passed=2)


def test_catalog_option_loads_a_catalog_anywhere(project: pytest.Pytester) -> None:
    (project.path / "catalogs").mkdir()
    (project.path / "catalogs" / "shop.yaml").write_text(CATALOG)
    project.runpytest("--warmup-catalog", "catalogs/shop.yaml").assert_outcomes(passed=2)


def test_ini_catalogs_are_relative_to_the_ini_file(project: pytest.Pytester) -> None:
    (project.path / "catalogs").mkdir()
    (project.path / "catalogs" / "shop.yaml").write_text(CATALOG)
    project.makeini("[pytest]\nwarmup_catalogs =\n    catalogs/shop.yaml\n")
    project.runpytest().assert_outcomes(passed=2)


def test_yaml_requirement_can_depend_on_a_python_requirement(project: pytest.Pytester) -> None:
    (project.path / "warmup.yaml").write_text(
        CATALOG.replace(
            "dependencies: {facility: facility_de}",
            'dependencies: {facility: {import: "support_plans:python_facility"}}',
        )
    )
    project.makepyfile(
        test_catalog_run="""
        def test_value_from_python_dependency(main_program):
            assert main_program["facility"] == {"country": "FR"}
        """
    )
    project.runpytest().assert_outcomes(passed=1)


TEST_BINDS_TYPO = """
from pytest_warmup import warmup_param

@warmup_param("program", "program_mian")
def test_typo(prepare_data, program):
    pass
"""

FIXTURE_BINDS_TYPO = """
import pytest
from pytest_warmup import warmup_param

@pytest.fixture
@warmup_param("program", "program_mian")
def bound_program(prepare_data, program):
    return program

def test_typo(bound_program):
    pass
"""


@pytest.mark.parametrize(
    ("suite", "binder"),
    [(TEST_BINDS_TYPO, "test 'test_typo'"), (FIXTURE_BINDS_TYPO, "fixture 'bound_program'")],
    ids=["test", "fixture"],
)
def test_unknown_catalog_id_errors_only_the_test_that_binds_it(
    project: pytest.Pytester, suite: str, binder: str
) -> None:
    (project.path / "warmup.yaml").write_text(CATALOG)
    project.makepyfile(test_typo=suite)
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: {binder} binds argument 'program' to unknown catalog "
            "requirement 'program_mian' (did you mean 'program_main'?)"
        ]
    )


def test_string_id_without_any_catalog_says_how_to_load_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import warmup_param

        @warmup_param("program", "program_main")
        def test_needs_catalog(program):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown catalog requirement 'program_main'; no warmup catalog*"])


def test_invalid_catalog_is_a_usage_error_listing_every_problem(
    project: pytest.Pytester,
) -> None:
    (project.path / "warmup.yaml").write_text(
        CATALOG.replace("plan: program", "plan: programm").replace("scope: module", "scope: modul")
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: invalid warmup catalog:",
            "warmup.yaml:*: *plan*unknown plan 'programm'*did you mean 'program'*",
        ]
    )
    assert "modul" in result.stderr.str()


def test_missing_catalog_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmup-catalog", "nowhere.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: invalid warmup catalog:", "*nowhere.yaml*"])


def test_a_per_test_value_in_a_module_scoped_fixture_stops_the_run_at_load(
    project: pytest.Pytester,
) -> None:
    (project.path / "warmup.yaml").write_text(
        CATALOG.replace("payload: {profile: MAIN}", "payload: {profile: MAIN}\n    per_test: true")
        + "  module_program: {requirement: program_main, producer: prepare_data, scope: module}\n"
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: invalid warmup catalog:",
            "warmup.yaml:17:78: fixtures.module_program.scope: requirement 'program_main' is "
            "per-test: every test gets its own value, and a 'module'-scoped fixture would hand "
            "one value to many tests; remove 'scope' to keep the default 'function'*",
        ]
    )


def test_a_tab_in_a_catalog_is_named_with_a_hint(project: pytest.Pytester) -> None:
    (project.path / "warmup.yaml").write_text(CATALOG.replace("  facility_de", "\tfacility_de"))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: invalid warmup catalog:", "warmup.yaml:*:*tab*"])
