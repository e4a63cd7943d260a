"""``--warmup-save``, and what a saving run keeps (issue 13, item 3).

What a run writes for reuse must still exist: the resources a saved file lists are not cleaned
up, the run says so at its end, ``--warmup-snapshot`` reuses them and
``--warmup-snapshot ... --warmup-clean-snapshot`` deletes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHOP = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


def log(line):
    with open("log.txt", "a") as stream:
        stream.write(line + "\\n")


class Customers(WarmupPlan):
    def prepare_node(self, node):
        if node.payload.get("fail"):
            raise RuntimeError("the directory service is down")
        log(f"create {node.id}")
        return {"id": f"cust-{node.id}"}

    def cleanup_node(self, node):
        log(f"delete {node.value['id']}")


customers = Customers("customers")
ada = customers.require(id="ada")
bob = customers.require(id="bob")
anonymous = customers.require()
broken = customers.require(id="broken", payload={"fail": True})


@pytest.fixture(scope="module")
def shop(warmup_mgr):
    return warmup_mgr.use(customers).prepare()


@warmup_param("customer", ada)
@warmup_param("other", anonymous)
def test_ada(shop, customer, other):
    assert customer["id"] == "cust-ada"


@warmup_param("customer", bob)
def test_bob(shop, customer):
    assert customer["id"] == "cust-bob"
"""

FAILING = """

@warmup_param("customer", broken)
def test_broken(shop, customer):
    pass
"""

KEPT = (
    "--warmup-save{suffix}: kept 2 resources of producer 'shop' (module:test_shop.py::shop) "
    "that '{path}' lists for reuse; use them with --warmup-snapshot {path}, delete them with "
    "--warmup-snapshot {path} --warmup-clean-snapshot"
)

SAVED = {
    "version": 1,
    "scopes": {
        "module:test_shop.py::shop": {
            "shared": {"ada": {"value": {"id": "cust-ada"}}, "bob": {"value": {"id": "cust-bob"}}},
            "tests": {},
        }
    },
}


def log(pytester: pytest.Pytester) -> list[str]:
    path = pytester.path / "log.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_saving_run_keeps_what_it_saved_and_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=SHOP)
    result = pytester.runpytest("--warmup-save", "saved.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*= warmup =*", KEPT.format(suffix="", path="saved.json")])
    assert read(pytester.path / "saved.json") == SAVED
    # The resource without an id is not in the file, so it is cleaned up as usual.
    assert log(pytester) == ["create None", "create ada", "create bob", "delete cust-None"]


def test_the_round_trip_reuses_then_deletes_the_saved_resources(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_shop=SHOP)
    pytester.runpytest("--warmup-save", "saved.json").assert_outcomes(passed=2)
    log(pytester)

    reuse = pytester.runpytest("--warmup-snapshot", "saved.json")
    reuse.assert_outcomes(passed=2)
    assert log(pytester) == ["create None", "delete cust-None"]
    assert "pytest-warmup" not in reuse.stdout.str()

    clean = pytester.runpytest("--warmup-snapshot", "saved.json", "--warmup-clean-snapshot")
    clean.assert_outcomes(passed=2)
    assert log(pytester) == [
        "create None",
        "delete cust-None",
        "delete cust-ada",
        "delete cust-bob",
    ]


def test_save_on_fail_keeps_the_values_it_offers_for_reuse(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=SHOP + FAILING)
    result = pytester.runpytest("--warmup-save-on-fail", "failed.json")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([KEPT.format(suffix="-on-fail", path="failed.json")])
    section = read(pytester.path / "failed.json")["scopes"]["module:test_shop.py::shop"]
    assert section["shared"] == {
        "ada": {"value": {"id": "cust-ada"}},
        "bob": {"value": {"id": "cust-bob"}},
        "broken": {},
    }
    assert "delete cust-ada" not in log(pytester)


def test_a_passing_producer_keeps_nothing_for_save_on_fail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=SHOP)
    result = pytester.runpytest("--warmup-save-on-fail", "failed.json")
    result.assert_outcomes(passed=2)
    assert read(pytester.path / "failed.json") == {"version": 1, "scopes": {}}
    assert "delete cust-ada" in log(pytester)
    assert "pytest-warmup" not in result.stdout.str()


def test_an_interrupted_producer_offers_no_value_for_reuse(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_shop=SHOP.replace(
            'raise RuntimeError("the directory service is down")', "raise KeyboardInterrupt"
        )
        + FAILING
    )
    result = pytester.runpytest_subprocess("--warmup-save-on-fail", "failed.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    section = read(pytester.path / "failed.json")["scopes"]["module:test_shop.py::shop"]
    assert section["shared"] == {"ada": {}, "bob": {}, "broken": {}}
    created = [line for line in log(pytester) if line.startswith("create")]
    assert created  # something was made before the interrupt, and cleaned up


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--warmup-snapshot", "in.json", "--warmup-save", "in.json"],
            "ERROR: --warmup-save would overwrite 'in.json', which this run reads with "
            "--warmup-snapshot; write to another file",
        ),
        (
            ["--warmup-snapshot-for", "shop=in.json", "--warmup-save-on-fail", "in.json"],
            "ERROR: --warmup-save-on-fail would overwrite 'in.json', which this run reads with "
            "--warmup-snapshot-for; write to another file",
        ),
        (
            ["--warmup-snapshot", "in.json", "--warmup-export-template", "./in.json"],
            "ERROR: --warmup-export-template would overwrite './in.json', which this run reads "
            "with --warmup-snapshot; write to another file",
        ),
    ],
)
def test_an_output_that_is_also_an_input_is_a_usage_error(
    pytester: pytest.Pytester, options: list[str], message: str
) -> None:
    pytester.makepyfile(test_shop=SHOP)
    original = json.dumps({"version": 1, "scopes": {}})
    (pytester.path / "in.json").write_text(original, encoding="utf-8")
    result = pytester.runpytest(*options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert (pytester.path / "in.json").read_text(encoding="utf-8") == original
