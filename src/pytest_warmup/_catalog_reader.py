"""Reading warmup.yaml files: YAML nodes -> declarations, each problem with its location.

Private to :mod:`pytest_warmup.catalog`, which compiles what is read here into plans and
requirements. Files are read with the safe loader; only the standard scalar, mapping and list
tags are accepted. Nothing is imported from the user's code here.
"""

from __future__ import annotations

import importlib.resources
import os
import posixpath
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, TypeVar

from yaml import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._limits import (
    DEPTH_PROBLEM,
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_INTEGER_DIGITS,
    RECURSION_PROBLEM,
    VALUES_PROBLEM,
)
from .errors import CatalogError

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

from ._files import CatalogPath
from ._scopes import SCOPES, Scope
from ._text import did_you_mean, relative_path
from ._yaml import BoundedLoader as _SafeLoader  # libyaml's when it can be used: faster
from ._yaml import describe_error

CATALOG_VERSION: Final = 1
PlanSource = Literal["class", "entry_point", "instance"]


# -- problems ------------------------------------------------------------------------------------


class Mark(NamedTuple):
    """A position in a catalog file, 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def site(self) -> str:
        """``file:line``, the form declaration sites use."""
        return f"{self.file}:{self.line}"


class Problems:
    """Every problem found, reported together, sorted by file and position; each one line."""

    def __init__(self) -> None:
        self._found: set[tuple[str, int, int, str]] = set()

    def add(self, mark: Mark, path: str, message: str) -> None:
        if len(path) > 160:  # a path 100 levels deep, or a huge key: its ends say enough
            path = f"{path[:100]}...{path[-40:]}"
        text = f"{mark}: {path}: {message}" if path else f"{mark}: {message}"
        self._found.add((mark.file, mark.line, mark.column, one_line(text)))

    def add_file(self, file: str, message: str) -> None:
        self._found.add((file, 0, 0, one_line(f"{file}: {message}")))

    def raise_if_any(self) -> None:
        if self._found:
            raise CatalogError([text for *_, text in sorted(self._found)])


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters as escapes (``\\n``,
    ``\\x0b``, ``\\u2028``): a key may hold any of them, and a problem is one line."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def exception_text(exc: BaseException) -> str:
    """``ExcClass: first line of the message``."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


# -- declarations, as read -----------------------------------------------------------------------


def node_mark(file: str, node: Node) -> Mark:
    """Where ``node`` starts in ``file``."""
    start = node.start_mark
    return Mark(file, start.line + 1, start.column + 1)


# Text and Reference keep their node and compute their mark when a message needs it: most of
# them never appear in one.


class Text(NamedTuple):
    """A string from the catalog and the node it was read from."""

    value: str
    file: str
    node: Node

    @property
    def mark(self) -> Mark:
        return node_mark(self.file, self.node)


class Reference(NamedTuple):
    """A dependency: a catalog requirement id, or a Python requirement by import path."""

    text: str
    is_import: bool
    file: str
    node: Node
    requirement_path: str
    slot: str
    position: int | None  # in a list slot

    @property
    def mark(self) -> Mark:
        return node_mark(self.file, self.node)

    @property
    def path(self) -> str:
        """``requirements.<id>.dependencies.<slot>[<position>]``, for messages."""
        return _dependency_path(self.requirement_path, self.slot, self.position)


def _dependency_path(requirement_path: str, slot: str, position: int | None) -> str:
    suffix = "" if position is None else f"[{position}]"
    return f"{requirement_path}.dependencies.{slot}{suffix}"


class ScopeText(NamedTuple):
    """A scope name from the catalog, checked, and where it was written."""

    value: Scope
    mark: Mark


# Not frozen: a catalog declares thousands of these, and a frozen dataclass's __init__ costs
# four times as much. Nothing changes them once read.
@dataclass(slots=True)
class Declared:
    """A named declaration, written at ``key`` in ``file``. ``complete`` is false when one of its
    fields had a problem: its references are still checked, but it is not compiled."""

    name: str
    file: str
    key: Node
    complete: bool

    @property
    def mark(self) -> Mark:
        return node_mark(self.file, self.key)

    @property
    def site(self) -> str:
        """``file:line``, the form declaration sites use."""
        return f"{self.file}:{self.key.start_mark.line + 1}"


@dataclass(slots=True)
class PlanDecl(Declared):
    source: PlanSource | None
    target: Text | None
    options: dict[str, Any] | None
    options_mark: Mark | None


@dataclass(slots=True)
class RequirementDecl(Declared):
    plan: Text | None
    payload: dict[str, Any]
    dependencies: tuple[tuple[str, Reference | tuple[Reference, ...]], ...]
    per_test: bool | None
    #: every reference of ``dependencies``, in order
    references: tuple[Reference, ...]


@dataclass(slots=True)
class ProducerDecl(Declared):
    scope: Scope | None
    plans: tuple[Text, ...]
    snapshot_id: str | None


@dataclass(slots=True)
class FixtureDecl(Declared):
    requirement: Text | None
    producer: Text | None
    scope: ScopeText | None


D = TypeVar("D", bound=Declared)

KINDS: Final = {
    "plans": "plan",
    "requirements": "requirement",
    "producers": "producer",
    "fixtures": "fixture",
}


class Declarations:
    """The declarations of every file read, in reading order; names are global across files."""

    def __init__(self, problems: Problems) -> None:
        self._problems = problems
        self.plans: dict[str, PlanDecl] = {}
        self.requirements: dict[str, RequirementDecl] = {}
        self.producers: dict[str, ProducerDecl] = {}
        self.fixtures: dict[str, FixtureDecl] = {}

    def add(self, table: dict[str, D], section: str, declaration: D) -> None:
        first = table.get(declaration.name)
        if first is None:
            table[declaration.name] = declaration
            return
        self._problems.add(
            declaration.mark,
            f"{section}.{declaration.name}",
            f"{KINDS[section]} {declaration.name!r} is already declared at {first.mark}; names "
            "are shared by all included catalogs, rename one",
        )


# -- sources -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One catalog file: where to read it, how messages name it, what identifies it."""

    resource: Traversable
    display: str
    key: str
    #: (package, path inside it) for package files that are not plain files on disk (zips)
    package: tuple[str, str] | None = None


class Unresolved(Exception):
    """A path or include that names no readable catalog file; the message says why."""


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
IDENTIFIER: Final = re.compile(_NAME)
IMPORT_PATH: Final = re.compile(rf"{_DOTTED}:{_DOTTED}")
_PACKAGE_FILE = re.compile(rf"pkg:({_DOTTED})/(.+)")


def _file_source(path: Path) -> Source:
    absolute = Path(os.path.abspath(path))
    return Source(absolute, relative_path(absolute), os.path.realpath(absolute))


def package_source(spec: str) -> Source:
    """The file ``pkg:<package>/<path>`` names, found with importlib.resources."""
    match = _PACKAGE_FILE.fullmatch(spec)
    if match is None:
        raise Unresolved(f"expected 'pkg:<package>/<path inside it>', got {spec!r}")
    package, resource = match.group(1), posixpath.normpath(match.group(2))
    try:
        root = importlib.resources.files(package)
    except Exception as exc:  # whatever importing the package raises
        raise Unresolved(
            f"cannot import package {package!r} for {spec!r}: {exception_text(exc)}"
        ) from None
    target = root.joinpath(*resource.split("/"))
    if not target.is_file():
        raise Unresolved(f"package {package!r} has no file {resource!r} (looked in {root})")
    if isinstance(target, Path):
        return _file_source(target)
    name = f"pkg:{package}/{resource}"
    return Source(target, name, name, (package, resource))


def root_source(path: CatalogPath) -> Source:
    """A catalog named on the command line, in an ini file or in code."""
    if isinstance(path, str) and path.startswith("pkg:"):
        return package_source(path)
    source = _file_source(Path(path))
    if not source.resource.is_file():
        raise Unresolved("catalog file not found")
    return source


def included_source(spec: str, including: Source) -> Source:
    """The file an ``include`` entry names; relative paths start at the including file."""
    if spec.startswith("pkg:"):
        return package_source(spec)
    if including.package is not None:
        package, resource = including.package
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(resource), spec))
        return package_source(f"pkg:{package}/{joined}")
    assert isinstance(including.resource, Path)  # sources outside packages are plain files
    source = _file_source(including.resource.parent / spec)
    if not source.resource.is_file():
        looked = "" if source.display == spec else f" (looked for {source.display})"
        raise Unresolved(f"included file {spec!r} not found{looked}")
    return source


# -- YAML nodes ----------------------------------------------------------------------------------


_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_INT = _TAG + "int"
_FLOAT = _TAG + "float"
_BOOL = _TAG + "bool"
_NULL = _TAG + "null"
_MAP = _TAG + "map"
_SEQ = _TAG + "seq"
_MERGE = _TAG + "merge"
_TIMESTAMP = _TAG + "timestamp"
_SCALAR_KINDS = {
    _STR: "a string",
    _INT: "an integer",
    _FLOAT: "a number",
    _BOOL: "a boolean",
    _NULL: "null",
    _TIMESTAMP: "a timestamp",
}
_PLAIN_SCALARS = frozenset((_INT, _FLOAT, _BOOL, _NULL))
_PLAIN_DATA = "mappings, lists, strings, numbers, booleans and null"


class _Loader(_SafeLoader):
    """The safe loader. Only its composer and scalar constructors are used.

    The composer asks the resolver for the tag of every node it builds. The base resolver's
    bookkeeping for path resolvers (the safe loader has none) and its general lookup took a third
    of the time to compose a large catalog; these overrides give the same tags directly.
    """

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        # Typed plain scalars repeat (keys like ``name``, small numbers): their tags, once found.
        self._plain_tags: dict[str, str] = {}

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    # ``value`` is a scalar's text, ``None`` for collections; ``implicit`` is a pair of flags
    # for scalars (plain, quoted-without-tag), one flag for collections.
    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            # Most catalog scalars are names and ids, whose first character starts no implicit
            # type: they are strings without a regex scan.
            if implicit[0]:
                resolvers = _IMPLICIT.get(value[:1]) or _IMPLICIT_ANYWHERE
                if resolvers:
                    tag = self._plain_tags.get(value)
                    if tag is None:
                        found = (tag for tag, pattern in resolvers if pattern.match(value))
                        tag = self._plain_tags[value] = next(found, _STR)
                    return tag
            return _STR
        return _MAP if kind is MappingNode else _SEQ


# The safe loader's implicit resolvers by the first character of a plain scalar; the ``None``
# ones (any first character; the safe loader has none) apply to all.
_IMPLICIT_ANYWHERE: Final = _SafeLoader.yaml_implicit_resolvers.get(None, [])
_IMPLICIT: Final = {
    first: [*found, *_IMPLICIT_ANYWHERE]
    for first, found in _SafeLoader.yaml_implicit_resolvers.items()
    if first is not None
}


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _describe(node: Node) -> str:
    if _is_mapping(node):
        return "a mapping"
    if _is_list(node):
        return "a list"
    if not isinstance(node, ScalarNode):
        kind = "a mapping" if isinstance(node, MappingNode) else "a list"
        return f"{kind} tagged {_short_tag(node.tag)!r}"
    if node.tag == _STR and not node.value:
        return "an empty string"
    return _SCALAR_KINDS.get(node.tag, f"a value tagged {_short_tag(node.tag)!r}")


def _is_mapping(node: Node) -> bool:
    return isinstance(node, MappingNode) and node.tag == _MAP


def _is_list(node: Node) -> bool:
    return isinstance(node, SequenceNode) and node.tag == _SEQ


def _is_decimal(value: object) -> bool:
    # Plain decimal integers are most numbers in catalogs; the constructor handles the rest
    # (YAML 1.1 reads a leading 0 as octal, and allows 0x.., 1_000, 1:30) and the bounds.
    return (
        isinstance(value, str)
        and value.isdecimal()
        and value.isascii()
        and (value == "0" or value[0] != "0")
        and len(value) <= MAX_INTEGER_DIGITS
    )


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


class _Invalid:
    """Stands in for a value that had a problem (already reported)."""


INVALID: Final = _Invalid()
_BUILDING: Final = _Invalid()  # data of a node being built, for FileReader.data

Entries = dict[str, tuple[ScalarNode, Node]]
_NO_MERGES: Final[frozenset[int]] = frozenset()

# Allowed and required keys; messages list them sorted.
_TOP_KEYS = frozenset(("fixtures", "include", "plans", "producers", "requirements", "version"))
_PLAN_SOURCES: tuple[PlanSource, ...] = ("class", "entry_point", "instance")
_PLAN_KEYS = frozenset((*_PLAN_SOURCES, "options"))
_REQUIREMENT_KEYS = frozenset(("dependencies", "payload", "per_test", "plan"))
_REQUIREMENT_REQUIRED = frozenset(("plan",))
_PRODUCER_KEYS = frozenset(("plans", "scope", "snapshot_id"))
_PRODUCER_REQUIRED = frozenset(("plans", "scope"))
_FIXTURE_KEYS = frozenset(("producer", "requirement", "scope"))
_FIXTURE_REQUIRED = frozenset(("producer", "requirement"))
_NOTHING_REQUIRED: Final[frozenset[str]] = frozenset()
_IMPORT_FORM = "an import path 'module:attribute'"
_DEPENDENCY_FORM = "a requirement id or {import: 'module:attribute'}"


class FileReader:
    """Checks one file's node tree and turns it into declarations, recording every problem."""

    def __init__(self, source: Source, loader: _Loader, problems: Problems) -> None:
        self._file = source.display
        self._loader = loader
        self._problems = problems
        self._data_done: dict[int, Any] = {}
        #: id of a mapping or list built by data() -> (levels it nests, values once expanded)
        self._shapes: dict[int, tuple[int, int]] = {}
        #: levels of mappings and lists around the value data() reads; a payload is at 4
        self._depth = 3
        #: values that aliases repeat in the payloads and options of the file
        self._repeated = 0
        self._merged_entries: dict[int, Entries] = {}

    # -- the document ---------------------------------------------------------------------------

    def top_level(self, root: Node | None) -> Entries | None:
        """The document's top-level entries, or ``None`` when nothing more can be read."""
        if root is None:
            self._problems.add(
                Mark(self._file, 1, 1),
                "",
                f"catalog is empty; start it with 'version: {CATALOG_VERSION}'",
            )
            return None
        entries = self.entries(root, "")
        if entries is None:
            return None
        version = entries.get("version")
        if version is None:
            self.problem(
                root,
                "",
                f"missing required key 'version'; start the catalog with "
                f"'version: {CATALOG_VERSION}'",
            )
        elif not self._reads_version(version[1]):
            return None  # another version may mean anything: say which one we read, no more
        self.check_keys(entries, _TOP_KEYS, root, "", extensions=True)
        return entries

    def _reads_version(self, node: Node) -> bool:
        number = node.tag in (_INT, _FLOAT)
        if number:
            value = self._scalar(node, "version")
            if value is INVALID:
                return False
            if value == CATALOG_VERSION:
                return True
            message = f"unsupported catalog version {_short(node.value)}"
        else:
            message = f"expected the integer {CATALOG_VERSION}, got {_describe(node)}"
        self.problem(
            node, "version", f"{message}; this pytest-warmup reads version {CATALOG_VERSION}"
        )
        return False

    def includes(self, entries: Entries) -> list[tuple[str, Node, str]]:
        """``(spec, node, path)`` of each include entry, in file order."""
        found = entries.get("include")
        if found is None:
            return []
        result = []
        for index, item in enumerate(self.sequence(found[1], "include")):
            path = f"include[{index}]"
            spec = self.string(item, path)
            if not isinstance(spec, _Invalid):
                result.append((spec, item, path))
        return result

    def declarations(self, entries: Entries, into: Declarations) -> None:
        for plan in self._section(entries, "plans", self._plan):
            into.add(into.plans, "plans", plan)
        for requirement in self._section(entries, "requirements", self._requirement):
            into.add(into.requirements, "requirements", requirement)
        for producer in self._section(entries, "producers", self._producer):
            into.add(into.producers, "producers", producer)
        for fixture in self._section(entries, "fixtures", self._fixture):
            into.add(into.fixtures, "fixtures", fixture)

    def _section(
        self, entries: Entries, section: str, read: Callable[[str, ScalarNode, Node, str], D]
    ) -> list[D]:
        found = entries.get(section)
        items = {} if found is None else self.entries(found[1], section) or {}
        kind = KINDS[section]
        result = []
        for name, (key, value) in items.items():
            path = f"{section}.{name}"
            if not name:
                self.problem(key, section, f"{kind} names must not be empty")
            elif section in ("producers", "fixtures") and not IDENTIFIER.fullmatch(name):
                self.problem(
                    key,
                    path,
                    f"{kind} name {name!r} must be a Python identifier (letters, digits and "
                    "underscores, not starting with a digit) so tests can request it",
                )
            else:
                result.append(read(name, key, value, path))
        return result

    # -- sections -------------------------------------------------------------------------------

    def _fields(
        self,
        node: Node,
        key: ScalarNode,
        path: str,
        allowed: frozenset[str],
        required: frozenset[str] = _NOTHING_REQUIRED,
    ) -> Entries | None:
        fields = self.entries(node, path)
        if fields is not None:
            self.check_keys(fields, allowed, key, path, required=required)
        return fields

    def _plan(self, name: str, key: ScalarNode, node: Node, path: str) -> PlanDecl:
        fields = self._fields(node, key, path, _PLAN_KEYS)
        if fields is None:
            return PlanDecl(name, self._file, key, False, None, None, None, None)
        sources = [source for source in _PLAN_SOURCES if source in fields]
        if len(sources) != 1:
            found = " and ".join(repr(s) for s in sources) if sources else "none"
            self.problem(
                key, path, f"needs exactly one of 'class', 'entry_point' or 'instance'; got {found}"
            )
            return PlanDecl(name, self._file, key, False, None, None, None, None)
        source = sources[0]
        target_node = fields[source][1]
        target = self.string(target_node, f"{path}.{source}")
        if source != "entry_point" and not isinstance(target, _Invalid):
            target = self.import_path(target, target_node, f"{path}.{source}")
        options: Any = None
        options_mark = None
        if "options" in fields:
            options_key, options_node = fields["options"]
            options_mark = self.mark(options_key)
            if source == "instance":
                self.problem(
                    options_key,
                    f"{path}.options",
                    "an 'instance' plan is already built and takes no options; remove 'options' "
                    "or use 'class'",
                )
                options = INVALID
            else:
                options = self.data(options_node, f"{path}.options", expected_mapping=True)
        if isinstance(target, _Invalid) or isinstance(options, _Invalid):
            return PlanDecl(name, self._file, key, False, source, None, None, None)
        return PlanDecl(
            name,
            self._file,
            key,
            True,
            source,
            Text(target, self._file, target_node),
            options,
            options_mark,
        )

    def _requirement(self, name: str, key: ScalarNode, node: Node, path: str) -> RequirementDecl:
        # Catalogs declare thousands of requirements: the common case (every field present is
        # valid) takes the fewest steps here.
        fields = self._fields(node, key, path, _REQUIREMENT_KEYS, required=_REQUIREMENT_REQUIRED)
        if fields is None:
            return RequirementDecl(name, self._file, key, False, None, {}, (), None, ())
        plan = self.text(fields, "plan", path)
        complete = plan is not None and plan is not INVALID
        payload: Any = {}
        found = fields.get("payload")
        if found is not None:
            payload = self.data(found[1], f"{path}.payload", expected_mapping=True)
            if payload is INVALID:
                payload = {}
                complete = False
        dependencies: tuple[tuple[str, Reference | tuple[Reference, ...]], ...] = ()
        references: tuple[Reference, ...] = ()
        found = fields.get("dependencies")
        if found is not None:
            dependencies, references, dependencies_complete = self._dependencies(found[1], path)
            complete = complete and dependencies_complete
        per_test: bool | None = None
        found = fields.get("per_test")
        if found is not None:
            per_test_node = found[1]
            if per_test_node.tag in (_BOOL, _NULL):
                per_test = self._scalar(per_test_node, f"{path}.per_test")
                if per_test is INVALID:
                    per_test = None
                    complete = False
            else:
                self.wrong_type(per_test_node, f"{path}.per_test", "true, false or null")
                complete = False
        return RequirementDecl(
            name,
            self._file,
            key,
            complete,
            plan if isinstance(plan, Text) else None,
            payload,
            dependencies,
            per_test,
            references,
        )

    def _dependencies(
        self, node: Node, path: str
    ) -> tuple[
        tuple[tuple[str, Reference | tuple[Reference, ...]], ...], tuple[Reference, ...], bool
    ]:
        """The dependency slots that could be read, their references, and whether all could."""
        slots = self.entries(node, f"{path}.dependencies")
        if slots is None:
            return (), (), False
        result: list[tuple[str, Reference | tuple[Reference, ...]]] = []
        references: list[Reference] = []
        complete = True
        for slot, (_, value) in slots.items():
            if value.tag == _STR and value.__class__ is ScalarNode and value.value:
                # A requirement id, the usual dependency: what _reference would build.
                reference = Reference(value.value, False, self._file, value, path, slot, None)
                result.append((slot, reference))
                references.append(reference)
            elif value.tag == _SEQ and value.__class__ is SequenceNode:
                members = [
                    self._reference(item, path, slot, index)
                    for index, item in enumerate(value.value)
                ]
                found = tuple(m for m in members if m is not None)
                complete = complete and len(found) == len(members)
                result.append((slot, found))
                references += found
            else:
                other = self._reference(value, path, slot, None)
                if other is None:
                    complete = False
                else:
                    result.append((slot, other))
                    references.append(other)
        return tuple(result), tuple(references), complete

    def _reference(
        self, node: Node, requirement_path: str, slot: str, position: int | None
    ) -> Reference | None:
        if node.tag == _STR and isinstance(node, ScalarNode) and node.value:
            return Reference(node.value, False, self._file, node, requirement_path, slot, position)
        path = _dependency_path(requirement_path, slot, position)
        expected = (
            _DEPENDENCY_FORM if position is not None else f"{_DEPENDENCY_FORM}, or a list of them"
        )
        if not _is_mapping(node):
            self.wrong_type(node, path, expected)
            return None
        fields = self.entries(node, path)
        if fields is None or set(fields) != {"import"}:
            self.wrong_type(node, path, expected)
            return None
        target_node = fields["import"][1]
        target = self.string(target_node, f"{path}.import")
        if not isinstance(target, _Invalid):
            target = self.import_path(target, target_node, f"{path}.import")
        if isinstance(target, _Invalid):
            return None
        return Reference(target, True, self._file, target_node, requirement_path, slot, position)

    def _producer(self, name: str, key: ScalarNode, node: Node, path: str) -> ProducerDecl:
        fields = self._fields(node, key, path, _PRODUCER_KEYS, required=_PRODUCER_REQUIRED)
        if fields is None:
            return ProducerDecl(name, self._file, key, False, None, (), None)
        scope = self.scope(fields, path)
        plans: list[Text] = []
        complete = isinstance(scope, ScopeText) and "plans" in fields
        if "plans" in fields:
            plans_node = fields["plans"][1]
            items = self.sequence(plans_node, f"{path}.plans")
            for index, item in enumerate(items):
                plan = self.string(item, f"{path}.plans[{index}]")
                if isinstance(plan, _Invalid):
                    complete = False
                else:
                    plans.append(Text(plan, self._file, item))
            if _is_list(plans_node) and not items:
                self.problem(
                    plans_node,
                    f"{path}.plans",
                    "expected at least one plan name, got an empty list",
                )
            complete = complete and bool(items)
        snapshot_id: str | _Invalid | None = None
        if "snapshot_id" in fields:
            snapshot_id = self.string(fields["snapshot_id"][1], f"{path}.snapshot_id")
            complete = complete and not isinstance(snapshot_id, _Invalid)
        return ProducerDecl(
            name,
            self._file,
            key,
            complete,
            scope.value if isinstance(scope, ScopeText) else None,
            tuple(plans),
            snapshot_id if isinstance(snapshot_id, str) else None,
        )

    def _fixture(self, name: str, key: ScalarNode, node: Node, path: str) -> FixtureDecl:
        fields = self._fields(node, key, path, _FIXTURE_KEYS, required=_FIXTURE_REQUIRED)
        if fields is None:
            return FixtureDecl(name, self._file, key, False, None, None, None)
        requirement = self.text(fields, "requirement", path)
        producer = self.text(fields, "producer", path)
        scope = self.scope(fields, path)
        return FixtureDecl(
            name,
            self._file,
            key,
            isinstance(requirement, Text)
            and isinstance(producer, Text)
            and not isinstance(scope, _Invalid),
            requirement if isinstance(requirement, Text) else None,
            producer if isinstance(producer, Text) else None,
            scope if isinstance(scope, ScopeText) else None,
        )

    # -- shapes ---------------------------------------------------------------------------------

    def entries(self, node: Node, path: str) -> Entries | None:
        """A mapping's string keys -> (key node, value node), merge keys (``<<``) applied."""
        if not isinstance(node, MappingNode) or node.tag != _MAP:
            self.wrong_type(node, path, "a mapping")
            return None
        return self._entries(node, path, _NO_MERGES)

    def _entries(self, node: MappingNode, path: str, merging: frozenset[int]) -> Entries:
        pairs = node.value
        # The usual mapping, built in one pass: string keys, each once, no merge key.
        explicit: Entries = {}
        for pair in pairs:
            key = pair[0]
            if key.tag == _STR and key.__class__ is ScalarNode:
                explicit[key.value] = pair
        if len(explicit) == len(pairs):
            return explicit
        done = self._merged_entries.get(id(node))
        if done is not None:  # a mapping merged in many places is read once
            return done
        if len(merging) >= MAX_DEPTH:
            self.problem(node, path, DEPTH_PROBLEM)
            return {}
        explicit = {}
        merged: Entries = {}
        for key, value in pairs:
            if key.tag == _STR and isinstance(key, ScalarNode):
                first = explicit.get(key.value)
                if first is None:
                    explicit[key.value] = (key, value)
                    continue
                line = first[0].start_mark.line + 1
                self.problem(
                    key, path, f"duplicate key {key.value!r} (first at line {line}); keep one"
                )
            elif key.tag == _MERGE:
                merged.update(self._merged(value, path, merging | {id(node)}))
            else:
                shown = key.value if isinstance(key, ScalarNode) else _describe(key)
                self.problem(key, path, f"key {shown} must be a string; quote it")
        # A mapping's own keys win over merged ones (YAML merge-key rules).
        merged.update(explicit)
        self._merged_entries[id(node)] = merged
        return merged

    def _merged(self, value: Node, path: str, merging: frozenset[int]) -> Entries:
        sources = value.value if _is_list(value) else [value]
        result: Entries = {}
        # Earlier mappings of a merge list win.
        for source in reversed(sources):
            if not isinstance(source, MappingNode) or source.tag != _MAP:
                self.problem(value, path, f"'<<' merges mappings, got {_describe(source)}")
            elif id(source) in merging:
                self.problem(value, path, "'<<' merges a mapping into itself")
            else:
                result.update(self._entries(source, path, merging))
        return result

    def check_keys(
        self,
        entries: Entries,
        allowed: frozenset[str],
        owner: Node,
        path: str,
        *,
        required: frozenset[str] = _NOTHING_REQUIRED,
        extensions: bool = False,
    ) -> None:
        """Report unknown keys (``x-...`` keys are free where ``extensions``) and missing ones."""
        if entries.keys() <= allowed and entries.keys() >= required:
            return  # the usual case, checked in C
        names = sorted(allowed)
        for name, (key, _) in entries.items():
            if name in allowed or (extensions and name.startswith("x-")):
                continue
            hint = did_you_mean(name, names) or f"; expected one of: {', '.join(names)}"
            self.problem(key, path, f"unknown key {name!r}{hint}")
        for name in sorted(required):
            if name not in entries:
                self.problem(owner, path, f"missing required key {name!r}")

    def sequence(self, node: Node, path: str) -> list[Node]:
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            return list(node.value)
        self.wrong_type(node, path, "a list")
        return []

    def string(self, node: Node, path: str) -> str | _Invalid:
        if isinstance(node, ScalarNode) and node.tag == _STR and node.value:
            return str(node.value)
        self.wrong_type(node, path, "a non-empty string")
        return INVALID

    def import_path(self, value: str, node: Node, path: str) -> str | _Invalid:
        if IMPORT_PATH.fullmatch(value):
            return value
        self.problem(node, path, f"expected {_IMPORT_FORM}, got {value!r}")
        return INVALID

    def text(self, fields: Entries, key: str, path: str) -> Text | _Invalid | None:
        """The string under ``key`` with its mark; ``None`` when absent."""
        found = fields.get(key)
        if found is None:
            return None
        node = found[1]
        if node.tag == _STR and isinstance(node, ScalarNode) and node.value:
            return Text(node.value, self._file, node)
        self.wrong_type(node, f"{path}.{key}", "a non-empty string")
        return INVALID

    def scope(self, fields: Entries, path: str) -> ScopeText | _Invalid | None:
        found = self.text(fields, "scope", path)
        if not isinstance(found, Text):
            return found
        for scope in SCOPES:
            if found.value == scope:
                return ScopeText(scope, found.mark)
        self._problems.add(
            found.mark,
            f"{path}.scope",
            f"expected one of {', '.join(SCOPES)}, got {found.value!r}"
            f"{did_you_mean(found.value, SCOPES)}",
        )
        return INVALID

    def data(self, node: Node, path: str, *, expected_mapping: bool = False) -> Any:
        """Plain data (mappings with string keys, lists, scalars), or ``INVALID``.

        Bounded: :data:`MAX_DEPTH` levels, :data:`MAX_ALIAS_VALUES` values repeated by aliases
        in the file, no recursive alias. An alias shares its anchor's node, which is built once,
        so alias bombs cost time in proportion to the text.
        """
        is_mapping = node.tag == _MAP and isinstance(node, MappingNode)
        if not is_mapping:
            if expected_mapping:
                self.wrong_type(node, path, "a mapping")
                return INVALID
            if isinstance(node, ScalarNode):
                if node.tag == _STR:
                    return node.value
                if node.tag in _PLAIN_SCALARS:
                    return self._scalar(node, path)
                if node.tag == _TIMESTAMP:
                    self.problem(
                        node,
                        path,
                        f"timestamp {node.value} is not plain data; quote it to keep it a string",
                    )
                    return INVALID
        key = id(node)
        done = self._data_done.get(key)
        if done is _BUILDING:
            self.problem(node, path, RECURSION_PROBLEM)
            return INVALID
        if done is not None:  # an alias repeats a mapping or list already read
            levels, values = self._shapes.get(key, (0, 1))
            if self._depth + levels > MAX_DEPTH:
                self.problem(node, path, DEPTH_PROBLEM)
                return INVALID
            if done is not INVALID:
                self._repeated += values
                if self._repeated > MAX_ALIAS_VALUES:
                    self._repeated = -(1 << 62)  # reported once
                    self.problem(node, path, VALUES_PROBLEM)
                    return INVALID
            return done
        if self._depth >= MAX_DEPTH:
            self.problem(node, path, DEPTH_PROBLEM)
            self._data_done[key] = INVALID
            return INVALID
        self._data_done[key] = _BUILDING
        self._depth += 1
        try:
            result, valid, levels, values = self._collection(node, path, is_mapping)
        finally:
            self._depth -= 1
        self._shapes[key] = (levels + 1, values)
        self._data_done[key] = result = result if valid else INVALID
        return result

    def _collection(self, node: Node, path: str, is_mapping: bool) -> tuple[Any, bool, int, int]:
        """data() of a mapping or list: (value, valid, levels its items nest, values)."""
        valid = True
        levels = 0
        values = 1
        shapes = self._shapes
        if is_mapping:
            assert isinstance(node, MappingNode)
            mapping: dict[str, Any] = {}
            for name, (_, value) in self._entries(node, path, _NO_MERGES).items():
                # Plain scalars inline: payloads are mostly those, and a call per value adds up.
                tag = value.tag
                values += 1
                if tag == _STR and value.__class__ is ScalarNode:
                    mapping[name] = value.value
                elif tag == _INT and value.__class__ is ScalarNode and _is_decimal(value.value):
                    mapping[name] = int(value.value)
                else:
                    mapping[name] = item = self.data(value, f"{path}.{name}")
                    valid = valid and item is not INVALID
                    shape = shapes.get(id(value))
                    if shape is not None:
                        levels = max(levels, shape[0])
                        values += shape[1] - 1
            return mapping, valid, levels, values
        if _is_list(node):
            items = []
            for index, member in enumerate(node.value):
                items.append(item := self.data(member, f"{path}[{index}]"))
                valid = valid and item is not INVALID
                values += 1
                shape = shapes.get(id(member))
                if shape is not None:
                    levels = max(levels, shape[0])
                    values += shape[1] - 1
            return items, valid, levels, values
        self.problem(
            node,
            path,
            f"unsupported YAML tag {_short_tag(node.tag)!r}; use plain data: {_PLAIN_DATA}",
        )
        return INVALID, False, 0, 1

    def _scalar(self, node: Node, path: str) -> Any:
        """The value of a scalar tagged int, float, bool or null, or ``INVALID`` (reported):
        an explicit tag may name a type its text is not (``!!bool maybe``, ``!!int {}``)."""
        value = node.value
        if node.tag == _INT and _is_decimal(value):
            return int(value)
        if not isinstance(node, ScalarNode):
            self.problem(node, path, f"expected a single value, got {_describe(node)}")
            return INVALID
        try:
            return self._loader.construct_object(node)
        except MarkedYAMLError as exc:
            self.problem(node, path, exc.problem or "unreadable value")
            return INVALID

    # -- reporting ------------------------------------------------------------------------------

    def mark(self, node: Node) -> Mark:
        return node_mark(self._file, node)

    def problem(self, node: Node, path: str, message: str) -> None:
        self._problems.add(self.mark(node), path, message)

    def wrong_type(self, node: Node, path: str, expected: str) -> None:
        self.problem(node, path, f"expected {expected}, got {_describe(node)}")


# -- files and includes --------------------------------------------------------------------------


class CatalogFiles:
    """Reads root catalogs and their includes: each file once, includes before the includer."""

    def __init__(self) -> None:
        self.problems = Problems()
        self.declarations = Declarations(self.problems)
        self.files: list[str] = []
        #: packages imported to find ``pkg:`` files, in order
        self.packages: list[str] = []
        self._read: set[str] = set()

    def _imports_package(self, spec: object) -> None:
        match = _PACKAGE_FILE.fullmatch(spec) if isinstance(spec, str) else None
        if match is not None:
            self.packages.append(match.group(1))

    def read_root(self, path: CatalogPath) -> None:
        self._imports_package(path)
        try:
            source = root_source(path)
        except Unresolved as unresolved:
            shown = (
                path if isinstance(path, str) and path.startswith("pkg:") else relative_path(path)
            )
            self.problems.add_file(shown, str(unresolved))
            return
        if source.key not in self._read:
            self._read_file(source, ())

    def _read_file(self, source: Source, chain: tuple[Source, ...]) -> None:
        self._read.add(source.key)
        try:
            data = source.resource.read_bytes()
        except OSError as exc:
            self.problems.add_file(source.display, f"cannot read catalog: {exception_text(exc)}")
            return
        loader = _Loader(data)
        try:
            self._read_document(source, loader, chain, data)
        finally:
            loader.dispose()
        self.files.append(source.display)  # after its includes, like its declarations

    def _read_document(
        self, source: Source, loader: _Loader, chain: tuple[Source, ...], data: bytes
    ) -> None:
        try:
            root = loader.get_single_node()
        except MarkedYAMLError as exc:
            line, column, problem, syntax = describe_error(exc, data.decode("utf-8", "replace"))
            prefix = "invalid YAML: " if syntax else ""
            self.problems.add(Mark(source.display, line + 1, column + 1), "", prefix + problem)
            return
        except YAMLError as exc:  # unreadable bytes; no position to show
            self.problems.add_file(source.display, f"invalid YAML: {exception_text(exc)}")
            return
        reader = FileReader(source, loader, self.problems)
        entries = reader.top_level(root)
        if entries is None:
            return
        here = (*chain, source)
        for spec, node, path in reader.includes(entries):
            self._imports_package(spec)
            try:
                included = included_source(spec, source)
            except Unresolved as unresolved:
                reader.problem(node, path, str(unresolved))
                continue
            keys = [visited.key for visited in here]
            if included.key in keys:
                loop = [s.display for s in here[keys.index(included.key) :]]
                reader.problem(
                    node,
                    path,
                    f"include loop: {' -> '.join([*loop, included.display])}; "
                    "remove one of these includes",
                )
            elif included.key not in self._read:
                self._read_file(included, here)
        reader.declarations(entries, self.declarations)
