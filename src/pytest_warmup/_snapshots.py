"""Snapshot files in: bundles and fragments, their shapes and checks, and the run-wide state.

A bundle (``--warmup-snapshot PATH``) holds one section per producer scope id; a fragment
(``--warmup-snapshot-for ID=PATH``) is the one section of the producer that calls
``prepare(snapshot_id=ID)``. Both are JSON, or YAML when the path ends in ``.yaml``/``.yml``
(safe loading only, same shapes). Which entries of a section apply to one preparation is
:mod:`._overrides`' part; the options and claims are :mod:`._snapshot_options`'. Only runs that
give a snapshot file import this module. Nothing here knows pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._files import FORMAT_VERSION, kind_of, load_document
from ._scopes import SCOPES, parse_scope_id
from ._text import close_matches, suggest
from .errors import WarmupError

__all__ = [
    "CollectedTest",
    "Entry",
    "Section",
    "SnapshotInputs",
    "choose_section",
    "raise_problems",
    "read_bundle",
    "read_fragment",
    "unknown_scopes",
]


# -- shapes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One addressed node: ``{}`` (addressable, no override) or ``{"value": ...}``."""

    has_value: bool
    value: Any = None


@dataclass(frozen=True)
class Section:
    """What one producer may override: ``shared`` ids and ``tests`` -> ids."""

    where: str
    shared: Mapping[str, Entry] = field(default_factory=dict)
    tests: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)


@dataclass(frozen=True)
class SnapshotInputs:
    """Every snapshot file of the run, read and checked."""

    bundle_path: str | None = None
    scopes: Mapping[str, Section] = field(default_factory=dict)
    #: snapshot_id -> fragment
    fragments: Mapping[str, Section] = field(default_factory=dict)
    #: snapshot_id -> path as given
    targets: Mapping[str, str] = field(default_factory=dict)


def _unexpected(keys: Iterable[Any], allowed: Sequence[str]) -> str | None:
    extra = sorted((key for key in keys if key not in allowed), key=str)
    if not extra:
        return None
    hints = []
    for key in extra:
        close = close_matches(str(key), allowed)
        if close:
            hints.append(f"{key!r} -> {close[0]!r}?")
    expected = ", ".join(repr(name) for name in allowed)
    hint = f"; did you mean {', '.join(hints)}" if hints else ""
    return f"{extra!r} (expected only {expected}{hint})"


def _read_entry(data: object, label: str, problems: list[str]) -> Entry | None:
    if not isinstance(data, dict):
        problems.append(f"{label} must be a mapping, found {kind_of(data)}")
        return None
    extra = _unexpected(data, ("value",))
    if extra is not None:
        problems.append(f"{label} contains unexpected fields: {extra}")
        return None
    if "value" in data:
        return Entry(True, data["value"])
    return Entry(False)


def _string_keys(data: dict[Any, Any], label: str, problems: list[str]) -> bool:
    bad = [key for key in data if not isinstance(key, str)]
    for key in bad:
        problems.append(f"{label} has key {key!r} that is not a string; quote it")
    return not bad


def _read_section(data: object, context: str, where: str, problems: list[str]) -> Section | None:
    """Check one section; ``context`` is the ``<c>`` prefix of the contract's messages."""
    if not isinstance(data, dict):
        problems.append(f"{context} must be a mapping, found {kind_of(data)}")
        return None
    extra = _unexpected(data, ("shared", "tests"))
    if extra is not None:
        problems.append(f"{context} contains unexpected fields: {extra}")
    return _read_parts(data, context, where, problems)


def _read_parts(
    data: dict[Any, Any], context: str, where: str, problems: list[str]
) -> Section | None:
    before = len(problems)
    shared: dict[str, Entry] = {}
    tests: dict[str, dict[str, Entry]] = {}
    raw_shared = data.get("shared", {})
    if not isinstance(raw_shared, dict):
        problems.append(f"{context} field 'shared' must be a mapping, found {kind_of(raw_shared)}")
    elif _string_keys(raw_shared, f"{context} field 'shared'", problems):
        for public_id, raw in raw_shared.items():
            entry = _read_entry(raw, f"{context} shared entry {public_id!r}", problems)
            if entry is not None:
                shared[public_id] = entry
    raw_tests = data.get("tests", {})
    if not isinstance(raw_tests, dict):
        problems.append(f"{context} field 'tests' must be a mapping, found {kind_of(raw_tests)}")
    elif _string_keys(raw_tests, f"{context} field 'tests'", problems):
        for test_id, raw_entries in raw_tests.items():
            label = f"{context} per-test entry {test_id!r}"
            if not isinstance(raw_entries, dict):
                problems.append(f"{label} must be a mapping, found {kind_of(raw_entries)}")
                continue
            if not _string_keys(raw_entries, label, problems):
                continue
            entries: dict[str, Entry] = {}
            for public_id, raw in raw_entries.items():
                entry = _read_entry(raw, f"{label} override {public_id!r}", problems)
                if entry is not None:
                    entries[public_id] = entry
            tests[test_id] = entries
    if len(problems) > before:
        return None
    return Section(where, shared, tests)


def _version_problem(data: dict[Any, Any], message: str) -> str | None:
    version = data.get("version")
    if type(version) is int and version == FORMAT_VERSION:
        return None
    found = "no 'version'" if "version" not in data else repr(version)
    return f"{message} (found {found}; this pytest-warmup reads snapshot format version 1)"


def read_bundle(path: str) -> dict[str, Section]:
    """Read and check a ``--warmup-snapshot`` bundle: scope id -> section."""
    data = load_document(path, "snapshot file")
    problems: list[str] = []
    version = _version_problem(data, "snapshot file field 'version' must be 1")
    if version is not None:
        problems.append(version)
    extra = _unexpected(data, ("scopes", "version"))
    if extra is not None:
        problems.append(f"snapshot file contains unexpected top-level fields: {extra}")
    scopes: dict[str, Section] = {}
    raw_scopes = data.get("scopes", {})
    if not isinstance(raw_scopes, dict):
        problems.append(
            f"snapshot file field 'scopes' must be a mapping, found {kind_of(raw_scopes)}"
        )
    elif _string_keys(raw_scopes, "snapshot file field 'scopes'", problems):
        for scope_id, raw in raw_scopes.items():
            context = f"snapshot scope {scope_id!r}"
            section = _read_section(raw, context, f"{context} of {path!r}", problems)
            if section is not None:
                scopes[scope_id] = section
    raise_problems(problems)
    return scopes


def read_fragment(snapshot_id: str, path: str) -> Section:
    """Read and check the ``--warmup-snapshot-for`` fragment for ``snapshot_id``."""
    context = f"targeted snapshot file for {snapshot_id!r}"
    data = load_document(path, context)
    problems: list[str] = []
    version = _version_problem(data, f"{context} must set 'version' to 1")
    if version is not None:
        problems.append(version)
    extra = _unexpected(data, ("shared", "tests", "version"))
    if extra is not None:
        problems.append(f"{context} contains unexpected top-level fields: {extra}")
    section = _read_parts(data, context, f"{context} ({path!r})", problems)
    raise_problems(problems)
    assert section is not None  # no problems means every part was read
    return section


def raise_problems(problems: Sequence[str]) -> None:
    """One error listing every problem, when there are any."""
    if problems:
        raise WarmupError("\n".join(problems))


def choose_section(
    inputs: SnapshotInputs, scope_id: str, snapshot_id: str | None
) -> Section | None:
    """The section a producer uses: its fragment, or the bundle section of its scope id."""
    from_bundle = inputs.scopes.get(scope_id)
    from_fragment = inputs.fragments.get(snapshot_id) if snapshot_id is not None else None
    if from_bundle is not None and from_fragment is not None:
        raise WarmupError(
            f"producer scope {scope_id!r} matches both --warmup-snapshot and "
            f"--warmup-snapshot-for {snapshot_id!r}; move its overrides into one of the two files"
        )
    return from_fragment if from_fragment is not None else from_bundle


# -- whole-run checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectedTest:
    """One test collected in this run (deselected ones included), its fixture closure, and the
    scope ids its producers have (for the producer names a bundle mentions)."""

    nodeid: str
    fixturenames: frozenset[str]
    scope_ids: frozenset[str] = frozenset()


def _under(nodeid: str, anchor: str) -> bool:
    if anchor in ("", "."):
        return True
    return nodeid == anchor or nodeid.startswith((anchor + "::", anchor + "/"))


def unknown_scopes(
    scopes: Mapping[str, Section],
    collected: Sequence[CollectedTest],
    exists: Callable[[str], bool],
    bundle_path: str,
    *,
    narrowed: bool = False,
) -> list[tuple[str, bool]]:
    """Bundle sections whose scope id no producer instance of this run could have, with the
    nearest real ones: ``(message, certain)``, certain when the section carries a value.

    The scope ids a run could use are those of the producers its collected tests (deselected
    ones included) use. Not judged: anchors outside this run (an existing file or directory
    that was not collected, or a file collected only in part because ``narrowed`` node ids
    were given).
    """
    messages = []
    files = {test.nodeid.split("::", 1)[0] for test in collected}
    known = frozenset().union(*(test.scope_ids for test in collected))
    for scope_id, section in scopes.items():
        if scope_id in known:
            continue
        parts = parse_scope_id(scope_id)
        where = f"unknown snapshot scope {scope_id!r} in {bundle_path!r}"
        certain = _has_values(section)
        if parts is None:
            messages.append(
                (
                    f"{where}: expected '<scope>:<anchor>::<producer fixture>' with <scope> one "
                    f"of {', '.join(SCOPES)}",
                    certain,
                )
            )
            continue
        kind, anchor, name = parts
        inside = [test for test in collected if _under(test.nodeid, anchor)]
        users = [test for test in collected if name in test.fixturenames]
        if any(name in test.fixturenames for test in inside):
            real = sorted({found for test in users for found in test.scope_ids})
            nearest = close_matches(scope_id, real, n=3) or real[:3]
            messages.append(
                (
                    f"{where}: no producer instance of this run has that scope id (fixture "
                    f"{name!r} is not set up for {anchor or '.'!r} at {kind} scope)"
                    f"{suggest(nearest)}",
                    certain,
                )
            )
            continue
        if inside:
            fixtures = sorted({fixture for test in inside for fixture in test.fixturenames})
            close = close_matches(name, fixtures, n=3)
            suggestions = [f"{kind}:{anchor}::{fixture}" for fixture in close]
            messages.append(
                (
                    f"{where}: no test collected under {anchor or '.'!r} uses a fixture named "
                    f"{name!r}{suggest(suggestions)}",
                    certain,
                )
            )
            continue
        path = anchor.split("::", 1)[0]
        if path in files and not narrowed:
            problem = f"no test was collected under {anchor!r}"
        elif not exists(path):
            problem = f"{path!r} does not exist under the rootdir"
        else:
            continue  # outside this run: a narrower selection of paths
        anchors = sorted({found for test in collected for found in _anchors_of(test.nodeid, kind)})
        close = close_matches(anchor, anchors, n=3)
        suggestions = [f"{kind}:{found}::{name}" for found in close]
        messages.append((f"{where}: {problem}{suggest(suggestions)}", certain))
    return messages


def _has_values(section: Section) -> bool:
    entries = [*section.shared.values(), *(e for t in section.tests.values() for e in t.values())]
    return any(entry.has_value for entry in entries)


def _anchors_of(nodeid: str, kind: str) -> list[str]:
    """The anchor a producer of scope ``kind`` has for a test ``nodeid`` (several for
    package and session scopes: every enclosing directory)."""
    parts = nodeid.split("::")
    if kind == "module":
        return [parts[0]]
    if kind == "function":
        return [nodeid]
    if kind == "class":  # the innermost class, or the test itself outside a class
        return ["::".join(parts[:-1]) if len(parts) > 2 else nodeid]
    folders = parts[0].split("/")[:-1]
    return [".", *("/".join(folders[: end + 1]) for end in range(len(folders)))]
