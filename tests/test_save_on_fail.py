"""``--warmup-save-on-fail PATH``: keep what a failed ``prepare()`` had made (contract 12.2).

The file is a snapshot bundle: pass it back with ``--warmup-snapshot`` and the values that were
made are reused instead of created again.
"""

from __future__ import annotations

import json

import pytest

from snapshot_suite import read

SCOPE_ID = "module:test_shop.py::prep"
CASE = "test_shop.py::test_order"

SHOP = """
import json
import pathlib

import pytest
from pytest_warmup import WarmupPlan, warmup_param

CALLS = pathlib.Path(__file__).parent / "calls.txt"


class Plan(WarmupPlan):
    def prepare_node(self, node):
        with CALLS.open("a") as calls:
            calls.write(f"{node.id}\\n")
        if node.payload.get("fail") and not node.deps.get("customer", {}).get("fixed"):
            raise RuntimeError("payment service is down")
        return {"made": node.id, **node.deps}

    {hooks}


PLAN = Plan("shop")
CUSTOMER = PLAN.require(id="customer", payload={"name": "ada"})
CART = PLAN.require(id="cart", dependencies={"customer": CUSTOMER}, is_per_test=True)
PAYMENT = PLAN.require(id="payment", payload={"fail": True}, dependencies={"customer": CUSTOMER})
ANONYMOUS = PLAN.require(payload={"name": "not addressable"})


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(PLAN).prepare()


@warmup_param("cart", CART)
@warmup_param("payment", PAYMENT)
@warmup_param("anonymous", ANONYMOUS)
def test_order(prep, cart, payment, anonymous):
    pass


@warmup_param("customer", CUSTOMER)
def test_customer(prep, customer):
    customer["touched by a test"] = True
"""


def shop(pytester: pytest.Pytester, hooks: str = "") -> None:
    pytester.makepyfile(test_shop=SHOP.replace("{hooks}", hooks))


def calls(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "calls.txt").read_text(encoding="utf-8").split()


def test_failed_prepare_saves_every_value_already_made(pytester: pytest.Pytester) -> None:
    shop(pytester)
    result = pytester.runpytest("--warmup-save-on-fail", "saved.json")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: payment service is down*"])
    assert read(pytester.path / "saved.json") == {
        "version": 1,
        "scopes": {
            SCOPE_ID: {
                # values as the failure left them: the later test's change is not in the file
                "shared": {"customer": {"value": {"made": "customer"}}, "payment": {}},
                "tests": {
                    CASE: {"cart": {"value": {"made": "cart", "customer": {"made": "customer"}}}}
                },
            }
        },
    }


@pytest.mark.parametrize("name", ["saved.json", "saved.yaml"])
def test_saved_file_passed_back_reuses_what_was_made(pytester: pytest.Pytester, name: str) -> None:
    shop(pytester)
    pytester.runpytest("--warmup-save-on-fail", name).assert_outcomes(passed=1, errors=1)
    saved = pytester.path / name
    document = read(saved)
    document["scopes"][SCOPE_ID]["shared"]["customer"]["value"]["fixed"] = True
    saved.write_text(json.dumps(document), encoding="utf-8")  # JSON is valid YAML too
    (pytester.path / "calls.txt").unlink()
    pytester.runpytest("--warmup-snapshot", name).assert_outcomes(passed=2)
    assert sorted(calls(pytester)) == ["None", "payment"]  # the anonymous one has no address


def test_test_local_overrides_are_saved_under_tests(pytester: pytest.Pytester) -> None:
    shop(pytester)
    (pytester.path / "snapshot.json").write_text(
        json.dumps(
            {
                "version": 1,
                "scopes": {SCOPE_ID: {"tests": {CASE: {"customer": {"value": {"local": 1}}}}}},
            }
        ),
        encoding="utf-8",
    )
    result = pytester.runpytest(
        "--warmup-snapshot", "snapshot.json", "--warmup-save-on-fail", "saved.json"
    )
    result.assert_outcomes(passed=1, errors=1)
    section = read(pytester.path / "saved.json")["scopes"][SCOPE_ID]
    assert section["tests"][CASE] == {
        "cart": {"value": {"made": "cart", "customer": {"local": 1}}},
        "customer": {"value": {"local": 1}},
    }


def test_values_go_out_through_the_plans_serialize_hook(pytester: pytest.Pytester) -> None:
    shop(
        pytester,
        hooks="def serialize_snapshot_value(self, requirement, value):\n"
        "        return {'saved': requirement.id}",
    )
    pytester.runpytest("--warmup-save-on-fail", "saved.json").assert_outcomes(passed=1, errors=1)
    section = read(pytester.path / "saved.json")["scopes"][SCOPE_ID]
    assert section["shared"]["customer"] == {"value": {"saved": "customer"}}


def test_unserializable_value_saves_the_plain_template_without_hiding_the_failure(
    pytester: pytest.Pytester,
) -> None:
    shop(
        pytester,
        hooks="def serialize_snapshot_value(self, requirement, value):\n"
        "        return super().serialize_snapshot_value(requirement, object())",
    )
    result = pytester.runpytest("--warmup-save-on-fail", "saved.json")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*RuntimeError: payment service is down*",
            "*= warmup =*",
            f"--warmup-save-on-fail: scope '{SCOPE_ID}' is saved without values: value of "
            "'customer' (node-2:shared) cannot be saved: WarmupError: prepared runtime value is "
            "not JSON-serializable",
        ]
    )
    assert read(pytester.path / "saved.json")["scopes"][SCOPE_ID] == {
        "shared": {"customer": {}, "payment": {}},
        "tests": {CASE: {"cart": {}}},
    }


def test_failure_before_any_batch_saves_an_empty_section(pytester: pytest.Pytester) -> None:
    shop(pytester)
    (pytester.path / "snapshot.json").write_text(
        json.dumps({"version": 1, "scopes": {SCOPE_ID: {"shared": {"cart": {}}}}}),
        encoding="utf-8",
    )
    result = pytester.runpytest(
        "--warmup-snapshot", "snapshot.json", "--warmup-save-on-fail", "saved.json"
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["E   WarmupError: shared override 'cart' targets a per-test *"])
    assert read(pytester.path / "saved.json")["scopes"][SCOPE_ID] == {
        "shared": {"customer": {}, "payment": {}},
        "tests": {CASE: {"cart": {}}},
    }


def test_a_cycle_saves_a_section_with_nothing_in_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_cycle="""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        PLAN = Plan("plan")
        A = PLAN.require(id="a")
        A.dependencies["self"] = A

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("a", A)
        def test_a(prep, a):
            pass
        """
    )
    result = pytester.runpytest("--warmup-save-on-fail", "saved.json")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency cycle detected: a -> a*"])
    assert read(pytester.path / "saved.json")["scopes"] == {
        "module:test_cycle.py::prep": {"shared": {}, "tests": {}}
    }


def test_a_run_without_failures_writes_an_empty_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    (pytester.path / "saved.json").write_text("stale", encoding="utf-8")
    pytester.runpytest("--warmup-save-on-fail", "saved.json").assert_outcomes(passed=1)
    assert read(pytester.path / "saved.json") == {"version": 1, "scopes": {}}
