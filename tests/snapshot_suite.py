"""A small pytester suite for the snapshot and debug-output tests, and readers for what it saw.

``install(pytester)`` writes the recording plan (``plans.py``), a ``conftest.py`` with one plan,
three requirements and a producer ``prepare_data``, and ``test_module.py`` with two tests:

- ``profile_main``: shared, with an id;
- ``items_alpha``: per-test, depends on ``profile_main``;
- an anonymous shared requirement (no id: never addressable in snapshot files).

``test_case`` binds profile and items, ``test_other`` profile and the anonymous one. Each test
writes what it received to ``seen.jsonl``; :func:`seen` reads it back by test node id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from recording_plans import install as install_plans

MODULE_SCOPE_ID = "module:test_module.py::prepare_data"
CASE = "test_module.py::test_case"
OTHER = "test_module.py::test_other"

CONFTEST = """
import json
import pathlib

import pytest
from plans import RecordingPlan, write

PLAN = RecordingPlan("plan")
PROFILE = PLAN.require(id="profile_main", payload={"name": "profile"})
ITEMS = PLAN.require(id="items_alpha", dependencies={"profile": PROFILE}, is_per_test=True)
ANONYMOUS = PLAN.require(payload={"name": "anonymous"})

SEEN = pathlib.Path(__file__).parent / "seen.jsonl"


def see(request, **values):
    with SEEN.open("a", encoding="utf-8") as seen:
        seen.write(json.dumps({"test": request.node.nodeid, "values": values}) + "\\n")


@pytest.fixture(scope="{scope}")
def prepare_data(warmup_mgr):
    prepared = warmup_mgr.use(PLAN).prepare({prepare_arguments})
    write({"producer": prepared.scope_id})
    return prepared
"""

TESTS = """
from pytest_warmup import warmup_param

from conftest import ANONYMOUS, ITEMS, PROFILE, see


@warmup_param("profile", PROFILE)
@warmup_param("items", ITEMS)
def test_case(prepare_data, profile, items, request):
    see(request, profile=profile, items=items)


@warmup_param("profile", PROFILE)
@warmup_param("anonymous", ANONYMOUS)
def test_other(prepare_data, profile, anonymous, request):
    see(request, profile=profile)
"""


def install(
    pytester: pytest.Pytester, *, scope: str = "module", snapshot_id: str | None = None
) -> None:
    """Write the suite described in the module docstring."""
    install_plans(pytester)
    arguments = "" if snapshot_id is None else f"snapshot_id={snapshot_id!r}"
    pytester.makeconftest(
        CONFTEST.replace("{scope}", scope).replace("{prepare_arguments}", arguments)
    )
    pytester.makepyfile(test_module=TESTS)


def seen(pytester: pytest.Pytester) -> dict[str, dict[str, Any]]:
    """Test node id -> the values it received (last run of each test wins)."""
    path = pytester.path / "seen.jsonl"
    if not path.exists():
        return {}
    found: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        found[entry["test"]] = entry["values"]
    return found


def prepared(profile_test_id: str | None = None) -> dict[str, Any]:
    """The value the recording plan prepares for ``profile_main``."""
    return {"id": "profile_main", "test_id": profile_test_id, "deps": {}}


def write(pytester: pytest.Pytester, name: str, data: Any) -> Path:
    """Write ``data`` as JSON, or YAML when ``name`` ends in .yaml/.yml."""
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith((".yaml", ".yml")):
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    else:
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def bundle(scopes: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "scopes": scopes}


def read(path: Path) -> Any:
    """A written document, parsed by its suffix."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return yaml.safe_load(text)
    return json.loads(text)
