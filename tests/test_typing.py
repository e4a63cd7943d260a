"""The typed API as a type checker sees it: mypy --strict over sample files.

A plan's value type flows from ``WarmupPlan[T]`` to ``prepare_node``, ``node.set_value``,
``node.value``, ``plan.require(...)`` and the engine's ``Prepared.value``. Each sample line
that mypy must comment on carries the expectation: ``# reveal: <type>`` for a
``reveal_type(...)``, ``# error: <part of the message>`` for an error; a comment on a line of
its own speaks of the next line. Every sample file is
checked by one mypy run, for the oldest Python the package supports.
"""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the typing test needs mypy (pip install -e '.[dev]')")

GOOD = """
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement, WarmupRuntime
from pytest_warmup.catalog import Catalog
from pytest_warmup.engine import prepare


@dataclass
class Account:
    number: int


class AccountPlan(WarmupPlan[Account]):
    def prepare_node(self, node: WarmupNode[Account]) -> Account:
        reveal_type(node.requirement)  # reveal: WarmupRequirement[good.Account]
        return Account(len(node.payload))

    def cleanup_node(self, node: WarmupNode[Account]) -> None:
        reveal_type(node.value)  # reveal: good.Account


class CounterPlan(WarmupPlan[int]):
    async def prepare_node(self, node: WarmupNode[int]) -> int:
        await asyncio.sleep(0)
        return 1


class NamePlan(WarmupPlan[str]):
    def prepare(self, nodes: Sequence[WarmupNode[str]]) -> None:
        for node in nodes:
            node.set_value(node.payload["name"])


class LegacyPlan(WarmupPlan[str]):
    def prepare(self, nodes: Sequence[WarmupNode[str]], runtime: WarmupRuntime) -> None:
        for node in nodes:
            runtime.set(node, "x")


class UntypedPlan(WarmupPlan):  # no type argument: the value is Any, still clean for --strict
    def prepare_node(self, node: WarmupNode) -> dict[str, int]:
        return {"n": 1}


class WrappingPlan(WarmupPlan[Account]):
    def declare(self, *, owner: WarmupRequirement[str]) -> WarmupRequirement[Account]:
        return self.require(dependencies={"owner": owner})


alice = AccountPlan("accounts").require(id="alice")
reveal_type(alice)  # reveal: WarmupRequirement[good.Account]
counter = CounterPlan("counters").require()
reveal_type(counter)  # reveal: WarmupRequirement[int]
name = NamePlan("names").require(payload={"name": "bob"})
reveal_type(WrappingPlan("wrapped").declare(owner=name))  # reveal: WarmupRequirement[good.Account]
untyped = UntypedPlan("untyped").require()
reveal_type(untyped)  # reveal: WarmupRequirement[Any]


def from_catalog(catalog: Catalog) -> None:  # YAML declarations: plans of any value type
    reveal_type(catalog.requirement("x"))  # reveal: WarmupRequirement[Any]
    reveal_type(catalog.plans["x"])  # reveal: WarmupPlan[Any]


with prepare({"report": [alice, name, untyped, counter]}) as prepared:
    reveal_type(prepared.value(alice))  # reveal: good.Account
    reveal_type(prepared.value(name, "report"))  # reveal: str
    reveal_type(prepared.value(untyped))  # reveal: Any
    node = prepared.find(alice)
    assert node is not None
    reveal_type(node)  # reveal: WarmupNode[good.Account]
    number: int = prepared.value(alice).number
    anything: Any = prepared.value(untyped)
    count = prepared.value(counter)
"""

BAD = """
from __future__ import annotations

from collections.abc import Sequence

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement, WarmupRuntime
from pytest_warmup.engine import prepare


class CounterPlan(WarmupPlan[int]):
    # error: Return type "str" of "prepare_node" incompatible with return type
    def prepare_node(self, node: WarmupNode[int]) -> str:
        return "one"


class BatchPlan(WarmupPlan[int]):
    def prepare(self, nodes: Sequence[WarmupNode[int]]) -> None:
        for node in nodes:
            # error: Argument 1 to "set_value" of "WarmupNode" has incompatible type "str"
            node.set_value("seven")


class LegacyPlan(WarmupPlan[int]):
    def prepare(self, nodes: Sequence[WarmupNode[int]], runtime: WarmupRuntime) -> None:
        for node in nodes:
            runtime.set(node, "seven")  # error: of "set" of "WarmupRuntime"


counter = CounterPlan("counters").require()
wrong: WarmupRequirement[str] = counter  # error: type "WarmupRequirement[int]", variable

with prepare({"report": [counter]}) as prepared:
    # error: (expression has type "int", variable has type "str")
    text: str = prepared.value(counter)
"""

SAMPLES = {"good.py": GOOD, "bad.py": BAD}

MYPY_INI = """\
[mypy]
strict = True
python_version = 3.10
"""

_EXPECTATION = re.compile(r"#\s*(reveal|error):\s*(.+)$")
_REPORTED = re.compile(r"^(?P<file>[\w.]+):(?P<line>\d+): (?P<kind>error|note): (?P<text>.+)$")


def _expected(files: dict[str, str]) -> dict[tuple[str, int], tuple[str, str]]:
    """(file, line) -> (kind, text) for every ``# reveal:`` and ``# error:`` comment."""
    found: dict[tuple[str, int], tuple[str, str]] = {}
    for name, source in files.items():
        for number, line in enumerate(source.splitlines(), start=1):
            match = _EXPECTATION.search(line)
            if match:
                target = number + 1 if line.lstrip().startswith("#") else number
                found[(name, target)] = (match[1], match[2].strip())
    return found


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What one mypy --strict run says about every sample file."""
    folder = tmp_path_factory.mktemp("typing")
    for name, source in SAMPLES.items():
        (folder / name).write_text(source)
    (folder / "mypy.ini").write_text(MYPY_INI)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(folder / ".mypy_cache"),
            "--no-pretty",
            "--no-color-output",
            "--no-error-summary",
            "--hide-error-codes",
            *SAMPLES,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr  # 2 would be a crash or a usage error
    return result.stdout.splitlines()


def _reported(output: list[str]) -> dict[tuple[str, int], list[tuple[str, str]]]:
    found: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for line in output:
        match = _REPORTED.match(line)
        assert match, f"unexpected mypy output: {line!r}"
        kind = "reveal" if match["kind"] == "note" else "error"
        text = match["text"]
        if kind == "reveal":
            assert text.startswith("Revealed type is "), line
            text = text.removeprefix("Revealed type is ").strip('"')
        key = (match["file"], int(match["line"]))
        found.setdefault(key, []).append((kind, text))
    return found


def _shorten(revealed: str) -> str:
    """``pytest_warmup._declarations.WarmupRequirement[builtins.int]`` ->
    ``WarmupRequirement[int]`` (mypy before 1.11 or so spells builtins out)."""
    return re.sub(r"(pytest_warmup\.[\w.]*\.|builtins\.)(\w+)", r"\2", revealed)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_mypy_says_exactly_what_the_sample_expects(mypy_output: list[str], sample: str) -> None:
    expected = {key: value for key, value in _expected(SAMPLES).items() if key[0] == sample}
    reported = {key: value for key, value in _reported(mypy_output).items() if key[0] == sample}
    assert expected  # every sample states what mypy must say
    assert sorted(reported) == sorted(expected), "\n".join(mypy_output)
    for key, (kind, text) in expected.items():
        [(reported_kind, reported_text)] = reported[key]
        assert reported_kind == kind, key
        if kind == "reveal":
            assert _shorten(reported_text) == text, key
        else:
            assert text in reported_text, key


def test_the_good_sample_runs_as_typed(tmp_path: Path) -> None:
    # Type arguments change nothing at run time: the sample's plans, parameterised or not,
    # prepare the values their annotations promise.
    (tmp_path / "good.py").write_text(GOOD)
    namespace = runpy.run_path(
        str(tmp_path / "good.py"), {"reveal_type": lambda value: value}, run_name="good"
    )
    assert namespace["number"] == 0
    assert namespace["anything"] == {"n": 1}
    assert namespace["count"] == 1
