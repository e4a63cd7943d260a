"""Hostile inputs for the catalog and snapshot readers: hypothesis strategies, a runner that
classifies what one input does, and a fixed corpus of the inputs issue 14 reported.

Only the project's own error may escape a reader (``WarmupError``, of which ``CatalogError`` is
one), within :data:`TIME_BOUND` seconds; what a reader accepts must survive the end of a run
(rendered to JSON and YAML and encoded as UTF-8, as the report and save-on-fail files are);
a problem of a ``CatalogError`` is one printable line.

``tests/test_reader_fuzz.py`` runs the strategies with hypothesis. Counting mode, for the figures
of a before/after comparison (every input is tried, nothing stops at the first crash)::

    python tests/reader_fuzz.py --examples 2000    # per strategy; prints a table
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from hypothesis import strategies as st

import catalog_support
from pytest_warmup._files import render
from pytest_warmup._reports import to_plain
from pytest_warmup._snapshots import read_bundle, read_fragment
from pytest_warmup.catalog import load_catalog
from pytest_warmup.errors import CatalogError, WarmupError

#: seconds one input may take, however hostile (generous: CI machines are shared)
TIME_BOUND = 5.0

# -- seeds ---------------------------------------------------------------------------------------

CATALOG_SEEDS = (
    catalog_support.FULL.lstrip("\n"),
    """\
version: 1
plans:
  echo:
    class: catalog_support:EchoPlan
requirements:
  a:
    plan: echo
    payload:
      name: ada
      sizes: [1, 2.5, -3]
      nested: {deep: {deeper: [x, y]}}
  b:
    plan: echo
    dependencies:
      a: a
    per_test: null
producers:
  prep:
    scope: function
    plans: [echo]
fixtures:
  fixture_b:
    requirement: b
    producer: prep
""",
)

_SCOPE = "module:tests/test_shop.py::prepare_data"
BUNDLE_SEEDS = (
    f"""\
version: 1
scopes:
  {_SCOPE}:
    shared:
      customer:
        value: {{name: ada, id: 4711, tags: [a, b], ok: true, none: null}}
      warehouse: {{}}
    tests:
      tests/test_shop.py::test_pay:
        cart:
          value: {{items: [3, 4]}}
""",
    json.dumps(
        {
            "version": 1,
            "scopes": {
                _SCOPE: {
                    "shared": {"customer": {"value": {"name": "ada", "id": 4711}}},
                    "tests": {"tests/test_shop.py::test_pay": {"cart": {"value": [3, 4]}}},
                }
            },
        },
        indent=2,
    ),
)
FRAGMENT_SEEDS = (
    "version: 1\nshared:\n  customer: {value: {name: ada}}\ntests: {}\n",
    '{"version": 1, "shared": {"customer": {"value": {"name": "ada", "id": 4711}}}, "tests": {}}',
)

# -- generated documents -------------------------------------------------------------------------

_TAGS = (
    "!!int ",
    "!!bool ",
    "!!float ",
    "!!null ",
    "!!str ",
    "!!binary ",
    "!!timestamp ",
    "!!set ",
    "!!omap ",
    "!!pairs ",
    "!!map ",
    "!!seq ",
    "!!merge ",
    "!custom ",
    "!!python/name:os.system ",
    "!<tag:yaml.org,2002:int> ",
)
_WORDS = (
    "version",
    "include",
    "plans",
    "requirements",
    "producers",
    "fixtures",
    "class",
    "instance",
    "entry_point",
    "options",
    "plan",
    "payload",
    "dependencies",
    "per_test",
    "scope",
    "snapshot_id",
    "requirement",
    "producer",
    "import",
    "scopes",
    "shared",
    "tests",
    "value",
    "echo",
    "a",
    "b",
    "catalog_support:EchoPlan",
    "catalog_support:python_requirement",
    "module",
    "session",
    _SCOPE,
    "tests/test_shop.py::test_pay",
    "x-extra",
    "<<",
)
_ODD_SCALARS = (
    "1",
    "0",
    "-1",
    "1.5",
    ".nan",
    ".inf",
    "1e999",
    "0x1F",
    "0x_",
    "0b_",
    "0o7",
    "017",
    "1_000",
    "1:30",
    "yes",
    "No",
    "on",
    "~",
    "null",
    "",
    "''",
    '""',
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    '"caf\\udce9"',
    '"\\ud800"',
    '"a\\nb"',
    '"\\x00"',
    '"\\u2028"',
    "9" * 4400,
    "0x" + "f" * 4000,
    "-" + "1" * 5000,
)


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


_scalars = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_ODD_SCALARS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12).map(_quoted),
)


@st.composite
def _decorated(draw: st.DrawFn, inner: str) -> str:
    """``inner`` with, now and then, a tag or an anchor before it."""
    prefix = ""
    if draw(st.integers(0, 9)) == 0:
        prefix += draw(st.sampled_from(_TAGS))
    if draw(st.integers(0, 9)) == 0:
        prefix += f"&{draw(st.sampled_from('abcd'))} "
    return prefix + inner


def _flow_mapping(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


def _flow_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


_aliases = st.sampled_from(["*a", "*b", "*c", "*d"])
_yaml_values = st.recursive(
    st.one_of(_scalars, _aliases),
    lambda inner: st.one_of(
        st.lists(st.tuples(st.one_of(st.sampled_from(_WORDS), _scalars), inner), max_size=5).map(
            _flow_mapping
        ),
        st.lists(inner, max_size=5).map(_flow_list),
    ).flatmap(_decorated),
    max_leaves=25,
)


@st.composite
def generated_catalogs(draw: st.DrawFn) -> str:
    """A flow-style document over the catalog's vocabulary: tags, anchors, aliases, odd scalars."""
    sections = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["plans", "requirements", "producers", "fixtures"]), _yaml_values
            ),
            max_size=4,
        )
    )
    version = draw(st.one_of(st.just("1"), _yaml_values))
    return _flow_mapping([("version", version), *sections]) + "\n"


@st.composite
def generated_snapshots(draw: st.DrawFn) -> str:
    entries = draw(st.lists(st.tuples(st.sampled_from(_WORDS), _yaml_values), max_size=4))
    section = _flow_mapping([("shared", _flow_mapping(entries)), ("tests", draw(_yaml_values))])
    version = draw(st.one_of(st.just("1"), _yaml_values))
    if draw(st.booleans()):
        return _flow_mapping([("version", version), ("scopes", _flow_mapping([(_SCOPE, section)]))])
    return _flow_mapping([("version", version), ("shared", _flow_mapping(entries))])


_json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["caf\udce9", "\ud800", "a\nb", "\x00"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def generated_json_snapshots(draw: st.DrawFn) -> str:
    value = draw(_json_values)
    document: dict[str, Any] = {
        "version": draw(st.one_of(st.just(1), _json_values)),
        "scopes": {_SCOPE: {"shared": {"customer": {"value": value}}}},
    }
    return json.dumps(document)


# -- mutations -----------------------------------------------------------------------------------

_TOKENS = (
    "\t",
    "\n",
    "\n  ",
    "\n    ",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    '"',
    "'",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "? ",
    "|\n  ",
    ">\n  ",
    "%YAML 1.1\n---\n",
    "---\n",
    "...\n",
    *_TAGS,
    *_ODD_SCALARS[:30],
    "\\udce9",
    "\\ud800",
    "\ufeff",
    "\x85",
    "\u2028",
    "\x00",
)


@st.composite
def textually_mutated(draw: st.DrawFn, seeds: Sequence[str]) -> str:
    """A seed with a few characters or YAML tokens inserted, deleted, repeated or swapped."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.integers(0, 4))
        if action == 0:
            text = text[:at] + draw(st.sampled_from(_TOKENS)) + text[at:]
        elif action == 1:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif action == 2:
            end = min(len(text), at + draw(st.integers(1, 40)))
            text = text[:end] + text[at:end] * draw(st.integers(1, 3)) + text[end:]
        elif action == 3 and text:
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        else:
            text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    return text


def _emit(value: Any) -> str:
    """Flow-style YAML for plain data (dicts, lists, scalars, and raw text fragments)."""
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, dict):
        return _flow_mapping([(_emit(key), _emit(item)) for key, item in value.items()])
    if isinstance(value, list):
        return _flow_list([_emit(item) for item in value])
    if isinstance(value, str):
        return _quoted(value)
    if value is None:
        return "null"
    return json.dumps(value)


@dataclass(frozen=True)
class _Raw:
    text: str


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def structurally_mutated(draw: st.DrawFn, seeds: Sequence[str]) -> str:
    """A seed's data with a subtree replaced, removed, duplicated or wrapped, written back out as
    flow YAML (tags and anchors included in replacements)."""
    from pytest_warmup import _yaml

    data = _yaml.load(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        action = draw(st.integers(0, 3))
        replacement: Any
        if not path:
            continue
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        current = parent[path[-1]]
        if action == 0:
            replacement = _Raw(draw(_yaml_values))
        elif action == 1 and isinstance(parent, dict):
            del parent[path[-1]]
            continue
        elif action == 2:
            replacement = [current, current]
        else:
            replacement = {draw(st.sampled_from(_WORDS)): current}
        parent[path[-1]] = replacement
    return _emit(data) + "\n"


# -- bombs, deep nesting, tags -------------------------------------------------------------------


def alias_bomb(levels: int, width: int, where: str) -> str:
    """Billion laughs: each level lists the previous one ``width`` times."""
    lines = ["x-0: &l0 [lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"x-{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    bomb = f"*l{levels}"
    body = {
        "version": f"version: {bomb}\n",
        "payload": "version: 1\nplans: {echo: {class: 'catalog_support:EchoPlan'}}\n"
        f"requirements: {{a: {{plan: echo, payload: {{big: {bomb}}}}}}}\n",
        "options": f"version: 1\nplans: {{echo: {{class: 'catalog_support:EchoPlan', "
        f"options: {{color: {bomb}}}}}}}\n",
        "value": f"version: 1\nscopes: {{'{_SCOPE}': {{shared: {{a: {{value: {bomb}}}}}}}}}\n",
        "fragment": f"version: 1\nshared: {{a: {{value: {bomb}}}}}\n",
    }[where]
    return "\n".join(lines) + "\n" + body


def merge_bomb(levels: int) -> str:
    """Merge keys that merge the previous level twice: exponential if merges are not shared."""
    lines = ["version: 1", "x-0: &m0 {plan: echo}"]
    for level in range(1, levels + 1):
        lines.append(f"x-{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}]}}")
    lines.append("plans: {echo: {class: 'catalog_support:EchoPlan'}}")
    lines.append(f"requirements: {{a: {{<<: *m{levels}}}}}")
    return "\n".join(lines) + "\n"


def alias_chain(levels: int, where: str) -> str:
    """Anchors nested through aliases: shallow text, deep data."""
    lines = ["x-0: &c0 [end]"]
    lines += [f"x-{level}: &c{level} [*c{level - 1}]" for level in range(1, levels + 1)]
    chain = f"*c{levels}"
    if where == "catalog":
        lines.append("version: 1\nplans: {echo: {class: 'catalog_support:EchoPlan'}}")
        lines.append(f"requirements: {{a: {{plan: echo, payload: {{deep: {chain}}}}}}}")
    else:
        lines.append(f"version: 1\nshared: {{a: {{value: {chain}}}}}")
    return "\n".join(lines) + "\n"


def deep(levels: int, style: str, where: str) -> str:
    """A value nested ``levels`` deep in flow, block or JSON style, in a catalog payload or a
    snapshot value."""
    if style == "flow-list":
        value = "[" * levels + "]" * levels
    elif style == "flow-map":
        value = "{a: " * levels + "1" + "}" * levels
    elif style == "json":
        value = '{"a": ' * levels + "1" + "}" * levels
    else:  # block
        value = "".join("\n" + "  " * (level + 3) + "a:" for level in range(levels)) + " 1"
    if where == "catalog":
        return (
            "version: 1\nplans: {echo: {class: 'catalog_support:EchoPlan'}}\n"
            f"requirements:\n  a:\n    plan: echo\n    payload:\n      deep: {value}\n"
        )
    if style == "json":
        return f'{{"version": 1, "shared": {{"a": {{"value": {value}}}}}}}'
    return f"version: 1\nshared:\n  a:\n    value: {value}\n"


@st.composite
def bombs(draw: st.DrawFn, kind: str) -> str:
    if kind == "catalog":
        choice = draw(st.integers(0, 3))
        if choice == 0:
            where = draw(st.sampled_from(["version", "payload", "options"]))
            return alias_bomb(draw(st.integers(1, 12)), draw(st.integers(2, 10)), where)
        if choice == 1:
            return merge_bomb(draw(st.integers(1, 40)))
        if choice == 2:
            return alias_chain(draw(st.integers(50, 1500)), "catalog")
        style = draw(st.sampled_from(["flow-list", "flow-map", "block"]))
        return deep(draw(st.integers(50, 1200)), style, "catalog")
    choice = draw(st.integers(0, 2))
    if choice == 0:
        where = draw(st.sampled_from(["version", "value", "fragment"]))
        return alias_bomb(draw(st.integers(1, 12)), draw(st.integers(2, 10)), where)
    if choice == 1:
        return alias_chain(draw(st.integers(50, 1500)), "snapshot")
    style = draw(st.sampled_from(["flow-list", "flow-map", "block", "json"]))
    return deep(draw(st.integers(50, 1200)), style, "snapshot")


_TAG_SITES_CATALOG = (
    "version: {v}\n",
    "version: 1\nplans: {{echo: {{class: 'catalog_support:EchoPlan'}}}}\n"
    "requirements: {{a: {{plan: echo, per_test: {v}}}}}\n",
    "version: 1\nplans: {{echo: {{class: 'catalog_support:EchoPlan'}}}}\n"
    "requirements: {{a: {{plan: echo, payload: {{x: {v}}}}}}}\n",
    "version: 1\nplans: {{echo: {{class: 'catalog_support:EchoPlan', options: {{color: {v}}}}}}}\n",
    "version: 1\nproducers: {{p: {{scope: {v}, plans: [echo]}}}}\n",
    "version: 1\nplans: {{echo: {{class: {v}}}}}\n",
    "version: 1\nrequirements: {{{v}: {{plan: echo}}}}\n",
)
_TAG_SITES_SNAPSHOT = (
    "version: {v}\n",
    "version: 1\nshared: {{a: {{value: {v}}}}}\n",
    "version: 1\nshared: {{{v}: {{value: 1}}}}\n",
    f"version: 1\nscopes: {{{{'{_SCOPE}': {{{{shared: {{{{a: {{{{value: {{v}}}}}}}}}}}}}}}}}}\n",
)
_TAG_VALUES = ("abc", "maybe", "{}", "[]", "''", "1", "0x1", "1.5", "~", "yes", "2001-01-01", "x:y")


@st.composite
def tagged(draw: st.DrawFn, kind: str) -> str:
    sites = _TAG_SITES_CATALOG if kind == "catalog" else _TAG_SITES_SNAPSHOT
    site = draw(st.sampled_from(sites))
    value = draw(st.sampled_from(_TAGS)) + draw(st.one_of(st.sampled_from(_TAG_VALUES), _scalars))
    return site.format(v=value)


def catalog_inputs() -> dict[str, st.SearchStrategy[str]]:
    """Strategy name -> catalog texts."""
    return {
        "generated": generated_catalogs(),
        "structural": structurally_mutated(CATALOG_SEEDS),
        "textual": textually_mutated(CATALOG_SEEDS),
        "bombs": bombs("catalog"),
        "tags": tagged("catalog"),
    }


def snapshot_inputs() -> dict[str, st.SearchStrategy[tuple[str, str]]]:
    """Strategy name -> (file suffix, snapshot text)."""

    def yaml_text(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str]]:
        return strategy.map(lambda text: (".yaml", text))

    def json_or_yaml(text: str) -> tuple[str, str]:
        stripped = text.lstrip()
        return (".json" if stripped.startswith("{") and '"version"' in text else ".yaml", text)

    return {
        "generated": st.one_of(
            yaml_text(generated_snapshots()),
            generated_json_snapshots().map(lambda text: (".json", text)),
        ),
        "structural": yaml_text(structurally_mutated(BUNDLE_SEEDS + FRAGMENT_SEEDS)),
        "textual": textually_mutated(BUNDLE_SEEDS + FRAGMENT_SEEDS).map(json_or_yaml),
        "bombs": bombs("snapshot").map(json_or_yaml),
        "tags": yaml_text(tagged("snapshot")),
    }


# -- running one input ---------------------------------------------------------------------------


class Hang(BaseException):
    """An input ran longer than the time bound (a BaseException: readers must not catch it)."""


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds``; elsewhere, check afterwards."""
    if threading.current_thread() is not threading.main_thread():
        started = time.monotonic()
        yield
        if time.monotonic() - started > seconds:
            raise Hang
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    # Again every half second: an exception raised in a garbage collector callback is ignored.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_ALLOWED_IMPORTS = ("catalog_support", "difflib", "encodings", "pytest_warmup", "yaml")


class _ImportGuard(importlib.abc.MetaPathFinder):
    """Mutated import paths may name any module: while a catalog loads, allow only the ones
    seeds name and the readers' own (no ``antigravity`` opening a browser)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] in _ALLOWED_IMPORTS:
            return None
        raise ModuleNotFoundError(f"No module named {fullname!r} (import blocked while fuzzing)")


@contextlib.contextmanager
def imports_guarded() -> Iterator[None]:
    guard = _ImportGuard()
    sys.meta_path.insert(0, guard)
    try:
        yield
    finally:
        sys.meta_path.remove(guard)


def _survives_the_end_of_a_run(value: Any) -> None:
    """What the report and save-on-fail writers do with a value: plain data, JSON and YAML text,
    UTF-8 bytes."""
    plain = to_plain(value)
    for name in ("out.json", "out.yaml"):
        render(plain, name).encode("utf-8")


def _check_problems(error: WarmupError) -> None:
    lines = error.problems if isinstance(error, CatalogError) else (str(error),)
    for line in lines:
        if isinstance(error, CatalogError) and len(line.splitlines()) != 1:
            raise BadMessage(f"a problem spans {len(line.splitlines())} lines: {line!r}")
        line.encode("utf-8")  # what the terminal and files receive


class BadMessage(Exception):
    """A WarmupError whose message is not one printable line per problem."""


def run_catalog(text: str, directory: Path) -> None:
    """Load ``text`` as ``warmup.yaml``; raise what the reader raises, or :class:`BadMessage`."""
    path = directory / "warmup.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        with imports_guarded():
            catalog = load_catalog(path)
    except WarmupError as error:
        _check_problems(error)
        raise
    for requirement in catalog.requirements.values():
        _survives_the_end_of_a_run(requirement.payload)


def run_snapshot(suffix: str, text: str, directory: Path) -> None:
    """Read ``text`` as a bundle and as a fragment; entry values must survive being written."""
    path = directory / f"snapshot{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    errors: list[WarmupError] = []
    for read in (_read_bundle_values, _read_fragment_values):
        try:
            for value in read(str(path)):
                _survives_the_end_of_a_run(value)
        except WarmupError as error:
            _check_problems(error)
            errors.append(error)
    if len(errors) == 2:
        raise errors[0]


def _read_bundle_values(path: str) -> list[Any]:
    values = []
    for section in read_bundle(path).values():
        values += [entry.value for entry in section.shared.values()]
        values += [entry.value for tests in section.tests.values() for entry in tests.values()]
    return values


def _read_fragment_values(path: str) -> list[Any]:
    section = read_fragment("fuzz", path)
    values = [entry.value for entry in section.shared.values()]
    return values + [entry.value for tests in section.tests.values() for entry in tests.values()]


def outcome(run: Callable[[], None]) -> str:
    """``ok``, ``error`` (a WarmupError), ``hang``, ``bad message``, or ``crash: <type>``."""
    try:
        with time_bound(TIME_BOUND):
            run()
    except Hang:
        return "hang"
    except BadMessage:
        return "bad message"
    except WarmupError:
        return "error"
    except Exception as exc:  # what the fuzzing is for
        return f"crash: {type(exc).__name__}"
    return "ok"


# -- counting mode -------------------------------------------------------------------------------


def _counting(
    counter: collections.Counter[str],
    samples: dict[str, str],
    directory: Path,
    run: Callable[..., None],
) -> Callable[[Any], None]:
    """A test body for hypothesis that counts outcomes instead of failing."""

    def case(case: Any) -> None:
        arguments = case if isinstance(case, tuple) else (case,)
        result = outcome(lambda: run(*arguments, directory))
        counter[result] += 1
        if result not in ("ok", "error"):
            samples.setdefault(result, f"{run.__name__}: {str(case)[:300]!r}")

    return case


def _count(examples: int, verbose: bool) -> int:
    import resource

    from hypothesis import HealthCheck, Phase, given, settings

    # A bomb that gets through must fail here, not take the machine down.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    sys.path.insert(0, str(Path(__file__).parent))
    table: dict[str, collections.Counter[str]] = {}
    samples: dict[str, str] = {}
    config = settings(
        max_examples=examples,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        for name, strategy in catalog_inputs().items():
            counter = table[f"catalog {name}"] = collections.Counter()
            config(given(strategy)(_counting(counter, samples, directory, run_catalog)))()
        for name, snapshot_strategy in snapshot_inputs().items():
            counter = table[f"snapshot {name}"] = collections.Counter()
            config(given(snapshot_strategy)(_counting(counter, samples, directory, run_snapshot)))()
    total: collections.Counter[str] = collections.Counter()
    print(f"{'strategy':<22} {'tried':>6} {'ok':>6} {'error':>6} {'crash':>6} {'hang':>5} other")
    for name, counter in table.items():
        total.update(counter)
        crashes = sum(n for kind, n in counter.items() if kind.startswith("crash"))
        other = {k: n for k, n in counter.items() if k not in ("ok", "error", "hang")}
        print(
            f"{name:<22} {sum(counter.values()):>6} {counter['ok']:>6} {counter['error']:>6} "
            f"{crashes:>6} {counter['hang']:>5} {dict(other) if other else ''}"
        )
    crashes = sum(n for kind, n in total.items() if kind.startswith("crash"))
    print(
        f"{'total':<22} {sum(total.values()):>6} {total['ok']:>6} {total['error']:>6} "
        f"{crashes:>6} {total['hang']:>5} bad messages: {total['bad message']}"
    )
    print(f"{time.monotonic() - started:.0f} s")
    if verbose:
        for kind, sample in sorted(samples.items()):
            print(f"\n{kind}\n  {sample}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Count what hostile inputs do to the readers.")
    parser.add_argument("--examples", type=int, default=1000, help="inputs per strategy")
    parser.add_argument("--verbose", action="store_true", help="show one input per failure kind")
    options = parser.parse_args(argv)
    os.chdir(Path(__file__).parent)  # catalog_support is imported from here
    try:
        return _count(options.examples, options.verbose)
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
