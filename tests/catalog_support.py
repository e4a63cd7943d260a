"""Plans and writers for the catalog tests.

Catalogs in these tests name plans by import path ``catalog_support:...`` (this module).
:func:`write_distribution` writes a tiny installed distribution (a ``.dist-info`` with entry
points, plus package files) that importlib.metadata and importlib.resources find once its
directory is on ``sys.path``. :data:`VALID_CATALOGS` is every valid catalog text the tests load;
the schema test checks each of them against the JSON Schema too.
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_warmup import WarmupPlan


class EchoPlan(WarmupPlan):
    """Prepares each node as a dict of its id, payload and dependency values."""

    def __init__(self, name: str, *, color: str = "plain") -> None:
        super().__init__(name)
        self.color = color

    def prepare_node(self, node: Any) -> Any:
        return {"id": node.id, "payload": dict(node.payload), "deps": dict(node.deps)}


class BrokenPlan(WarmupPlan):
    def __init__(self, name: str) -> None:
        raise RuntimeError("no database")


class ExitingPlan(WarmupPlan):
    def __init__(self, name: str) -> None:
        raise SystemExit(3)


shared_plan = EchoPlan("shared")
python_requirement = shared_plan.require(id="python_requirement", payload={"from": "python"})
per_test_requirement = shared_plan.require(id="per_test_requirement", is_per_test=True)
NOT_A_REQUIREMENT = 42


def not_a_plan() -> None:
    """A function where a plan class is expected."""


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_distribution(
    root: Path,
    name: str,
    *,
    entry_points: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
) -> None:
    """An installed distribution ``name`` 1.0 under ``root``: metadata, plan entry points, files."""
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    write(info / "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"{key} = {value}" for key, value in (entry_points or {}).items()]
    write(info / "entry_points.txt", "[pytest_warmup.plans]\n" + "\n".join(lines) + "\n")
    for relative, text in (files or {}).items():
        write(root / relative, text)
    importlib.invalidate_caches()  # the import system may have listed ``root`` already


PLANS = """
version: 1
plans:
  echo: {class: "catalog_support:EchoPlan"}
"""

FULL = """
version: 1
x-defaults:
  program: &program {plan: program, payload: {profile: DEFAULT}}
plans:
  facility: {class: "catalog_support:EchoPlan"}
  program: {class: "catalog_support:EchoPlan", options: {color: blue}}
  shared: {instance: "catalog_support:shared_plan"}
requirements:
  facility_de: {plan: facility, payload: {country: DE, sites: [1, 2], active: true, note: null}}
  facility_fr: {plan: facility, payload: {country: FR}, per_test: false}
  program_main:
    <<: *program
    payload: {profile: MAIN}
    dependencies:
      facility: facility_de
      all_facilities: [facility_de, facility_fr]
      python: {import: "catalog_support:python_requirement"}
  program_default: {<<: *program}
  order_each: {plan: shared, dependencies: {program: program_main}, per_test: true}
producers:
  prepare_data: {scope: module, plans: [facility, program, shared], snapshot_id: orders}
  prepare_once: {scope: session, plans: [program]}
fixtures:
  main_program: {requirement: program_main, producer: prepare_data}
  default_program: {requirement: program_default, producer: prepare_once, scope: session}
"""

VALID_CATALOGS = {"plans": PLANS, "full": FULL}
