"""The documentation site builds with ``mkdocs build --strict``, as CI would publish it, and its
format reference (docs/catalog.md) documents exactly the keys of the shipped JSON Schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "src" / "pytest_warmup" / "warmup.schema.json"
CATALOG_PAGE = ROOT / "docs" / "catalog.md"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip(
        "mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'"
    )
    pytest.importorskip("mkdocstrings_handlers.python", reason="mkdocstrings-python is missing")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "", "HOME": str(tmp_path)},
    )
    assert built.returncode == 0, built.stderr
    for page in ("index.html", "troubleshooting/index.html", "reference/index.html"):
        assert (tmp_path / page).is_file(), page
    reference = (tmp_path / "reference" / "index.html").read_text(encoding="utf-8")
    assert "set_value" in reference  # the API reference was read from the docstrings
    assert "test_id" in reference
    assert ":meth:" not in reference  # the roles of the docstrings are dropped (mkdocs_hooks.py)


# -- the format reference against the schema -----------------------------------------------


def _schema_keys(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            found.add(key)
            _schema_keys(value, found)
        for name, value in node.items():
            if name != "properties":
                _schema_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_keys(value, found)
    return found


def schema_keys() -> set[str]:
    return _schema_keys(json.loads(SCHEMA.read_text(encoding="utf-8")), set())


def format_section() -> str:
    page = CATALOG_PAGE.read_text(encoding="utf-8")
    return page.split("## The format, version 1", 1)[1].split("\n## ", 1)[0]


def documented_keys() -> set[str]:
    """The keys the format section documents: its ``### `key` `` headings and the keys in the
    first column of its tables (`` `key` ``, `` `key: ...` ``, `` `key` (required) ``)."""
    section = format_section()
    keys = set(re.findall(r"^### `([a-z_]+)`", section, re.M))
    keys |= set(re.findall(r"^\| `([a-z_]+)(?::[^`]*)?`", section, re.M))
    return keys


def test_every_schema_key_is_documented_in_the_format_section() -> None:
    section = format_section()
    missing = sorted(
        k for k in schema_keys() if f"`{k}`" not in section and f"`{k}:" not in section
    )
    assert not missing, f"keys of warmup.schema.json not described in docs/catalog.md: {missing}"
    assert "`x-`" in section  # the free-space pattern


def test_every_documented_key_is_in_the_schema() -> None:
    documented = documented_keys()
    assert len(documented) >= 12
    unknown = sorted(documented - schema_keys())
    assert not unknown, f"docs/catalog.md documents keys the schema does not have: {unknown}"
