"""The JSON Schema shipped in the package agrees with the loader.

The schema checks shape only; names that refer to each other (unknown plans, cycles, ...) and
duplicate keys (which YAML parsers drop silently) are checked by the loader alone.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from catalog_support import VALID_CATALOGS, write
from pytest_warmup.catalog import load_catalog
from pytest_warmup.errors import CatalogError

EXAMPLE = Path(__file__).parents[1] / "warmup.example.yaml"
SCHEMA = json.loads(
    importlib.resources.files("pytest_warmup").joinpath("warmup.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def schema_errors(text: str) -> list[str]:
    document: Any = yaml.safe_load(text)
    return [error.message for error in VALIDATOR.iter_errors(document)]


def loader_problems(text: str, directory: Path) -> tuple[str, ...]:
    path = write(directory / "warmup.yaml", text)
    try:
        load_catalog(path)
    except CatalogError as error:
        return error.problems
    return ()


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_example_catalog_validates_against_the_schema() -> None:
    assert schema_errors(EXAMPLE.read_text(encoding="utf-8")) == []


def test_the_example_catalog_points_editors_at_the_schema() -> None:
    first_line = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=src/pytest_warmup/warmup.schema.json"
    assert (EXAMPLE.parent / "src/pytest_warmup/warmup.schema.json").is_file()


MORE_VALID = {
    "version only": "version: 1\n",
    "float version": "version: 1.0\n",
    "extension keys": "version: 1\nx-anchors: {a: &a [1]}\n",
    "everything optional": """
        version: 1
        include: []
        plans: {}
        requirements: {}
        producers: {}
        fixtures: {}
    """,
    "dependency forms": """
        version: 1
        plans: {echo: {class: "catalog_support:EchoPlan"}}
        requirements:
          a: {plan: echo, per_test: null}
          b:
            plan: echo
            dependencies:
              one: a
              none: []
              python: {import: "catalog_support:python_requirement"}
              mixed: [a, {import: "catalog_support:python_requirement"}]
    """,
}


@pytest.mark.parametrize("text", [*VALID_CATALOGS.values(), *MORE_VALID.values()])
def test_valid_catalogs_pass_both_the_loader_and_the_schema(text: str, tmp_path: Path) -> None:
    assert loader_problems(text, tmp_path) == ()
    assert schema_errors(text) == []


PLAN = 'version: 1\nplans:\n  echo: {class: "catalog_support:EchoPlan"}\n'
INVALID = {
    "empty document": "",
    "not a mapping": "[version]",
    "missing version": "plans: {}",
    "other version": "version: 2",
    "string version": "version: '1'",
    "unknown top-level key": "version: 1\nrequirement: {}",
    "include not a list": "version: 1\ninclude: base.yaml",
    "empty include": "version: 1\ninclude: ['']",
    "malformed pkg include": "version: 1\ninclude: ['pkg:acme']",
    "plans not a mapping": "version: 1\nplans: [echo]",
    "plan without a source": "version: 1\nplans: {echo: {}}",
    "plan with two sources": 'version: 1\nplans: {echo: {class: "a:B", instance: "a:b"}}',
    "plan import path without colon": 'version: 1\nplans: {echo: {class: "a.B"}}',
    "instance with options": 'version: 1\nplans: {echo: {instance: "a:b", options: {}}}',
    "options not a mapping": 'version: 1\nplans: {echo: {class: "a:B", options: [1]}}',
    "unknown plan key": 'version: 1\nplans: {echo: {class: "a:B", name: x}}',
    "empty plan name": 'version: 1\nplans: {"": {class: "a:B"}}',
    "requirement without plan": PLAN + "requirements: {a: {payload: {}}}",
    "requirement unknown key": PLAN + "requirements: {a: {plan: echo, payloads: {}}}",
    "requirement not a mapping": PLAN + "requirements: {a: echo}",
    "payload not a mapping": PLAN + "requirements: {a: {plan: echo, payload: [1]}}",
    "payload with a number key": PLAN + "requirements: {a: {plan: echo, payload: {x: {1: a}}}}",
    "payload with a timestamp": PLAN + "requirements: {a: {plan: echo, payload: {d: 2024-01-01}}}",
    "payload with binary": PLAN + "requirements: {a: {plan: echo, payload: {b: !!binary aGk=}}}",
    "per_test not a boolean": PLAN + "requirements: {a: {plan: echo, per_test: yes please}}",
    "dependencies not a mapping": PLAN + "requirements: {a: {plan: echo, dependencies: [b]}}",
    "dependency number": PLAN + "requirements: {a: {plan: echo, dependencies: {b: 5}}}",
    "dependency empty id": PLAN + "requirements: {a: {plan: echo, dependencies: {b: ''}}}",
    "nested dependency list": PLAN + "requirements: {a: {plan: echo, dependencies: {b: [[c]]}}}",
    "import with extra key": PLAN
    + 'requirements: {a: {plan: echo, dependencies: {b: {import: "m:r", id: c}}}}',
    "import without colon": PLAN
    + "requirements: {a: {plan: echo, dependencies: {b: {import: m}}}}",
    "number requirement id": PLAN + "requirements: {1: {plan: echo}}",
    "producer name with a dash": PLAN + "producers: {prepare-data: {scope: module, plans: [echo]}}",
    "producer without scope": PLAN + "producers: {prep: {plans: [echo]}}",
    "producer without plans": PLAN + "producers: {prep: {scope: module}}",
    "producer bad scope": PLAN + "producers: {prep: {scope: modul, plans: [echo]}}",
    "producer no plans": PLAN + "producers: {prep: {scope: module, plans: []}}",
    "producer plans not a list": PLAN + "producers: {prep: {scope: module, plans: echo}}",
    "producer empty snapshot id": PLAN
    + "producers: {prep: {scope: module, plans: [echo], snapshot_id: ''}}",
    "producer unknown key": PLAN + "producers: {prep: {scope: module, plans: [echo], auto: 1}}",
    "fixture name with a dot": PLAN + "fixtures: {a.b: {requirement: a, producer: p}}",
    "fixture without producer": PLAN + "fixtures: {f: {requirement: a}}",
    "fixture bad scope": PLAN + "fixtures: {f: {requirement: a, producer: p, scope: test}}",
    "fixture unknown key": PLAN + "fixtures: {f: {requirement: a, producer: p, plan: echo}}",
}


@pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
def test_the_loader_and_the_schema_both_reject_a_malformed_catalog(
    text: str, tmp_path: Path
) -> None:
    assert loader_problems(text, tmp_path) != ()
    assert schema_errors(text) != []
