"""Fuzzing the catalog and snapshot readers: only a WarmupError may escape, within a time bound.

The strategies and the runner are in ``reader_fuzz.py``: generated documents, structurally and
textually mutated seeds, alias and merge bombs, deep nesting and tags. CI runs 50 inputs per
strategy (a few seconds); a longer run, locally::

    WARMUP_FUZZ_EXAMPLES=5000 python -m pytest tests/test_reader_fuzz.py -p no:randomly

and ``python tests/reader_fuzz.py --examples 2000`` counts outcomes instead of stopping at the
first failure. Below the fuzzing, a fixed corpus: the inputs issue 14 reported, each with the
message it must now end in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_warmup._files import render
from pytest_warmup._reports import to_plain
from pytest_warmup._snapshots import read_fragment
from pytest_warmup.errors import CatalogError, WarmupError
from reader_fuzz import (
    TIME_BOUND,
    alias_bomb,
    alias_chain,
    catalog_inputs,
    deep,
    merge_bomb,
    outcome,
    run_catalog,
    run_snapshot,
    snapshot_inputs,
    time_bound,
)

FUZZ = settings(
    max_examples=int(os.environ.get("WARMUP_FUZZ_EXAMPLES", "50")),
    deadline=None,  # the time bound is TIME_BOUND, checked by the runner
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("strategy", sorted(catalog_inputs()))
def test_the_catalog_reader_raises_only_catalog_errors(strategy: str, tmp_path: Path) -> None:
    @FUZZ
    @given(catalog_inputs()[strategy])
    def read(text: str) -> None:
        assert outcome(lambda: run_catalog(text, tmp_path)) in ("ok", "error")

    read()


@pytest.mark.parametrize("strategy", sorted(snapshot_inputs()))
def test_the_snapshot_reader_raises_only_warmup_errors(strategy: str, tmp_path: Path) -> None:
    @FUZZ
    @given(snapshot_inputs()[strategy])
    def read(case: tuple[str, str]) -> None:
        assert outcome(lambda: run_snapshot(*case, tmp_path)) in ("ok", "error")

    read()


@FUZZ
@given(st.text(alphabet=st.characters(codec=None), max_size=30))
def test_any_text_value_survives_the_writers(text: str) -> None:
    # Lone surrogates included: JSON ("\udce9") and PyYAML's Python loader produce them.
    for name in ("out.json", "out.yaml"):
        render({"value": to_plain(text)}, name).encode("utf-8")


# -- the corpus ----------------------------------------------------------------------------------

ECHO = "plans: {echo: {class: 'catalog_support:EchoPlan'}}\n"


def _requirement(fields: str) -> str:
    return f"version: 1\n{ECHO}requirements: {{a: {{plan: echo, {fields}}}}}\n"


CATALOGS = {
    "version: !!int abc": ("version: !!int abc\n", "cannot read 'abc' as an integer (!!int)"),
    "per_test: !!bool maybe": (
        _requirement("per_test: !!bool maybe"),
        "cannot read 'maybe' as a boolean (!!bool)",
    ),
    "version: !!int {}": ("version: !!int {}\n", "expected a single value, got a mapping"),
    "version: !!int ''": ("version: !!int ''\n", "cannot read '' as an integer (!!int)"),
    "version: !!float []": ("version: !!float []\n", "expected a single value, got a list"),
    "plain 0x_": (_requirement("payload: {x: 0x_}"), "cannot read '0x_' as an integer"),
    "an integer of 4,400 digits": (
        _requirement("payload: {n: " + "9" * 4400 + "}"),
        "integer with more than 4300 digits",
    ),
    "a version of 5,000 digits": ("version: " + "1" * 5000 + "\n", "more than 4300 digits"),
    "flow nesting 500 deep": (deep(500, "flow-list", "catalog"), "nest more than 100 levels"),
    "flow nesting 1,000 deep": (deep(1000, "flow-map", "catalog"), "nest more than 100 levels"),
    "block nesting 300 deep": (deep(300, "block", "catalog"), "nest more than 100 levels"),
    "an alias chain 1,500 deep": (alias_chain(1500, "catalog"), "nest more than 100 levels"),
    "an alias bomb in version": (alias_bomb(8, 9, "version"), "expected the integer 1"),
    "an alias bomb in a payload": (
        alias_bomb(9, 9, "payload"),
        "aliases repeat more than 100,000 values",
    ),
    "an alias bomb in options": (
        alias_bomb(9, 9, "options"),
        "aliases repeat more than 100,000 values",
    ),
    "a recursive alias": (
        _requirement("payload: &r {self: *r}"),
        "an alias refers to a value that contains it",
    ),
    "a key with a newline": (
        f'version: 1\n{ECHO}requirements: {{"a\\nb": {{plan: ekho}}}}\n',
        "requirements.a\\nb.plan: unknown plan 'ekho'",
    ),
    "a key with a line separator": (
        f'version: 1\n{ECHO}requirements: {{"a\\u2028b\\x0bc": {{plan: ekho}}}}\n',
        "requirements.a\\u2028b\\x0bc.plan: unknown plan 'ekho'",
    ),
}


@pytest.mark.parametrize("name", list(CATALOGS))
def test_corpus_catalog_ends_in_one_clean_error(name: str, tmp_path: Path) -> None:
    text, expected = CATALOGS[name]
    started = time.monotonic()
    with pytest.raises(CatalogError) as raised, time_bound(TIME_BOUND):
        run_catalog(text, tmp_path)
    assert time.monotonic() - started < TIME_BOUND
    assert all(len(problem.splitlines()) == 1 for problem in raised.value.problems)
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


def test_corpus_merge_bomb_reads_each_merged_mapping_once(tmp_path: Path) -> None:
    # 40 levels, each merging the one below twice: 2**40 merges unless each mapping is read once.
    with time_bound(TIME_BOUND):
        run_catalog(merge_bomb(40), tmp_path)


def _fragment(value: str) -> str:
    return f"version: 1\nshared: {{a: {{value: {value}}}}}\n"


SNAPSHOTS = {
    "version: !!bool 1": (".yaml", "version: !!bool 1\n", "cannot read '1' as a boolean"),
    "a hex number of 4,000 digits": (
        ".yaml",
        "version: 0x" + "f" * 4000 + "\n",
        "integer with more than 4300 digits",
    ),
    "a decimal number of 5,000 digits in JSON": (
        ".json",
        '{"version": 1, "shared": {"a": {"value": ' + "9" * 5000 + "}}}",
        "integer with more than 4300 digits",
    ),
    "JSON nested 1,000 deep": (".json", deep(1000, "json", "snapshot"), "more than 100 levels"),
    "JSON nested 150 deep": (".json", deep(150, "json", "snapshot"), "more than 100 levels"),
    "YAML nested 900 deep": (".yaml", deep(900, "flow-list", "snapshot"), "more than 100 levels"),
    "an alias chain 1,500 deep": (
        ".yaml",
        alias_chain(1500, "snapshot"),
        "more than 100 levels",
    ),
    "a 657-byte alias bomb": (
        ".yaml",
        alias_bomb(9, 9, "fragment"),
        "aliases repeat more than 100,000 values",
    ),
    "an alias bomb in version": (
        ".yaml",
        alias_bomb(8, 9, "version"),
        "aliases repeat more than 100,000 values",
    ),
    "a recursive alias": (".yaml", _fragment("&r [*r]"), "an alias refers to a value that"),
    "{1: a, 0x1: b}": (".yaml", _fragment("{1: a, 0x1: b}"), "found duplicate key '0x1'"),
    "{true: a, yes: b}": (".yaml", _fragment("{true: a, yes: b}"), "found duplicate key 'yes'"),
    "{null: a, ~: b}": (".yaml", _fragment("{null: a, ~: b}"), "found duplicate key '~'"),
}


@pytest.mark.parametrize("name", list(SNAPSHOTS))
def test_corpus_snapshot_ends_in_one_clean_error(name: str, tmp_path: Path) -> None:
    suffix, text, expected = SNAPSHOTS[name]
    path = tmp_path / f"snapshot{suffix}"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(WarmupError) as raised, time_bound(TIME_BOUND):
        read_fragment("corpus", str(path))
    assert time.monotonic() - started < TIME_BOUND
    assert expected in str(raised.value)


def test_corpus_lone_surrogate_in_a_json_value_is_read_and_written_back(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text('{"version": 1, "shared": {"a": {"value": "caf\\udce9"}}}', encoding="utf-8")
    assert read_fragment("corpus", str(path)).shared["a"].value == "caf\udce9"
    run_snapshot(".json", path.read_text(encoding="utf-8"), tmp_path)  # renders and encodes


PURE_PYTHON_YAML = """
import sys

sys.modules["yaml._yaml"] = None  # PyYAML without libyaml: the Python composer recurses
from pytest_warmup import _yaml
from pytest_warmup._snapshots import read_fragment
from pytest_warmup.catalog import load_catalog
from pytest_warmup.errors import CatalogError, WarmupError

assert _yaml.SafeLoader.__module__ == "yaml.loader", _yaml.SafeLoader
catalog, snapshot = sys.argv[1:]
try:
    load_catalog(catalog)
except CatalogError as error:
    print(error.problems[0])
try:
    read_fragment("pure", snapshot)
except WarmupError as error:
    print(error)
"""


def test_the_pure_python_yaml_loader_stops_at_the_same_depth(tmp_path: Path) -> None:
    catalog = tmp_path / "warmup.yaml"
    catalog.write_text(deep(2000, "flow-list", "catalog"), encoding="utf-8")
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(deep(2000, "block", "snapshot"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", PURE_PYTHON_YAML, str(catalog), str(snapshot)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == [
        f"{catalog}:7:109: mappings and lists nest more than 100 levels deep here; flatten the "
        "data",
        f"targeted snapshot file for 'pure' {str(snapshot)!r} cannot be read: {snapshot}:102:201: "
        "mappings and lists nest more than 100 levels deep here; flatten the data",
    ]
