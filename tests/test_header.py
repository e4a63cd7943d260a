"""The report header: pytest-warmup's workers, catalogs, snapshot files and modes."""

from __future__ import annotations

import pytest

from visibility_suite import install


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def test_the_header_names_the_workers(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-workers", "2")
    result.stdout.fnmatch_lines(["platform *", "warmup: 2 workers", "rootdir: *"])


def test_the_header_takes_the_workers_from_the_ini_file(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\nwarmup_max_workers = 1\n")
    result = suite.runpytest()
    result.stdout.fnmatch_lines(["warmup: 1 worker"])


def test_the_header_names_the_catalog_and_what_it_declares(suite: pytest.Pytester) -> None:
    (suite.path / "warmup.yaml").write_text(
        """
version: 1
plans:
  audit: {class: "logged:LoggedPlan"}
requirements:
  audit_trail: {plan: audit}
  audit_log: {plan: audit}
producers:
  audits: {scope: module, plans: [audit]}
""",
        encoding="utf-8",
    )
    result = suite.runpytest()
    result.stdout.fnmatch_lines(
        ["warmup: 4 workers, catalog warmup.yaml (1 plan, 2 requirements, 1 producer)"]
    )


def test_the_header_names_snapshot_files_and_modes(suite: pytest.Pytester) -> None:
    (suite.path / "bundle.json").write_text('{"version": 1, "scopes": {}}', encoding="utf-8")
    (suite.path / "shop.json").write_text('{"version": 1, "shared": {}}', encoding="utf-8")
    result = suite.runpytest(
        "--warmup-keep",
        "--warmup-snapshot",
        "bundle.json",
        "--warmup-snapshot-for",
        "shop=shop.json",
    )
    result.stdout.fnmatch_lines(
        [
            "warmup: 4 workers, keep (no cleanup)",
            "warmup snapshots: bundle.json, shop=shop.json",
        ]
    )


def test_quiet_runs_have_no_header(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-q")
    assert "warmup: " not in result.stdout.str()
