"""YAML for snapshot and debug files: safe loading (C loader when PyYAML has libyaml) and
dumping; the catalog reader builds on the same loader class. Imported on first use, so runs
that never touch a YAML file do not load PyYAML.

Loading is bounded (:mod:`._limits`): nesting depth, values once aliases are expanded, recursive
aliases and integer size are checked while the document is read, and a constructor that fails on
odd input (``!!bool 1``, ``!!int ''``) raises a YAML error with the position instead of a bare
``KeyError`` or ``IndexError``.
"""

from __future__ import annotations

import collections.abc
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._limits import (
    DEPTH_PROBLEM,
    INTEGER_PROBLEM,
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_INTEGER_DIGITS,
    RECURSION_PROBLEM,
    VALUES_PROBLEM,
    integer_too_large,
)

__all__ = [
    "BoundedLoader",
    "LimitError",
    "MarkedYAMLError",
    "SafeLoader",
    "YAMLError",
    "describe_error",
    "dump",
    "load",
    "syntax_hint",
]


def _libyaml_matches() -> bool:
    """Whether PyYAML's C extension works with the yaml modules imported now.

    The extension makes nodes and raises errors with the classes of the yaml modules it saw
    when it was first loaded, and an extension module loads once per process. When yaml is
    imported again (pytester's in-process runs take it out of sys.modules), its classes are new
    and the extension's output would not be recognised: use the pure Python one then.
    """
    try:
        from yaml import _yaml
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return False
    return getattr(_yaml, "MappingNode", None) is yaml.MappingNode


if TYPE_CHECKING:  # the C classes behave as these
    SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper
elif _libyaml_matches():
    SafeLoader = yaml.CSafeLoader
    _SafeDumper = yaml.CSafeDumper
else:
    SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper

YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError
ConstructorError = yaml.constructor.ConstructorError

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_NAMES = {
    _INT_TAG: "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a timestamp",
    "tag:yaml.org,2002:binary": "base64 binary data",
}


class LimitError(yaml.MarkedYAMLError):
    """A document passes one of the bounds of :mod:`._limits`; ``problem`` says which."""

    # ``mark``: PyYAML's Mark or libyaml's, both with 0-based ``line`` and ``column``
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.line: int = mark.line
        self.column: int = mark.column


class BoundedLoader(SafeLoader):
    """The safe loader, bounded: see the module docstring.

    libyaml composes documents in C and refuses more than 1,000 levels itself; the pure Python
    composer recurses through Python frames, so it stops at :data:`MAX_DEPTH` levels.
    """

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH and self.check_event(
                yaml.MappingStartEvent, yaml.SequenceStartEvent
            ):
                event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
                raise LimitError(DEPTH_PROBLEM, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except YAMLError:
            raise
        except (ValueError, LookupError, TypeError, AttributeError, ArithmeticError):
            # The safe constructors trust their input: ``!!bool 1`` is a KeyError,
            # ``!!int ''`` an IndexError, ``!!int abc`` or ``0x_`` a ValueError.
            kind = _TAG_NAMES.get(node.tag, "a value")
            raise ConstructorError(
                None,
                None,
                f"cannot read {_shown(node)} as {kind} ({_short_tag(node.tag)}); correct it, or "
                "quote it without a tag to keep it text",
                node.start_mark,
            ) from None

    def construct_bounded_int(self, node: ScalarNode) -> int:
        text = self.construct_scalar(node)
        digits = text.lstrip("+-").replace("_", "")
        if digits.isdecimal() and len(digits.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ConstructorError(None, None, INTEGER_PROBLEM, node.start_mark)
        number: int = self.construct_yaml_int(node)
        if integer_too_large(number):
            raise ConstructorError(None, None, INTEGER_PROBLEM, node.start_mark)
        return number


BoundedLoader.add_constructor(_INT_TAG, BoundedLoader.construct_bounded_int)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _shown(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        return "a mapping" if isinstance(node, MappingNode) else "a list"
    text = str(node.value)
    return repr(text if len(text) <= 40 else text[:40] + "...")


def check_tree(root: Node) -> None:
    """Raise :class:`LimitError` where nesting, alias expansion or a recursive alias passes a
    bound. Shared nodes (aliases) are walked once; the walk keeps its own stack."""
    done: dict[int, tuple[int, int]] = {}  # id -> (height, expanded values)
    repeated = 0  # values that aliases repeat
    active: set[int] = set()
    # [node, children not yet seen, height of the children so far, values so far]
    frames: list[list[Any]] = []

    def enter(node: Node) -> None:
        if len(frames) >= MAX_DEPTH:
            raise LimitError(DEPTH_PROBLEM, node.start_mark)
        active.add(id(node))
        children = (
            (child for pair in node.value for child in pair)
            if isinstance(node, MappingNode)
            else iter(node.value)
        )
        frames.append([node, children, 0, 1])

    if not isinstance(root, (MappingNode, SequenceNode)):
        return
    enter(root)
    while frames:
        frame = frames[-1]
        for child in frame[1]:
            if not isinstance(child, (MappingNode, SequenceNode)):
                frame[3] += 1
                continue
            found = done.get(id(child))
            if found is None:
                if id(child) in active:
                    raise LimitError(RECURSION_PROBLEM, child.start_mark)
                enter(child)
                break
            height, values = found  # a node seen before: an alias repeats it
            if len(frames) + height > MAX_DEPTH:
                raise LimitError(DEPTH_PROBLEM, child.start_mark)
            repeated += values
            if repeated > MAX_ALIAS_VALUES:
                raise LimitError(VALUES_PROBLEM, frame[0].start_mark)
            frame[2] = max(frame[2], height)
            frame[3] += values
        else:
            frames.pop()
            node, _, height, values = frame
            active.discard(id(node))
            done[id(node)] = (height + 1, values)
            if frames:
                parent = frames[-1]
                parent[2] = max(parent[2], height + 1)
                parent[3] += values


class _Loader(BoundedLoader):
    """The bounded safe loader, minus two traps for snapshot files.

    Timestamps stay strings (a date is not a JSON value, so it would fail validation after a
    round trip), and a key given twice in one mapping is an error instead of "last one wins",
    also when two spellings give one key (``1`` and ``0x1``, ``true`` and ``yes``, ``~`` and
    ``null``).
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep)  # raises: not a mapping
        explicit = sum(1 for key, _ in node.value if key.tag != _MERGE_TAG)
        self.flatten_mapping(node)  # merged pairs first; the mapping's own keys win over them
        first_explicit = len(node.value) - explicit
        mapping: dict[Any, Any] = {}
        seen: dict[Any, Node] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, collections.abc.Hashable):
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            if index >= first_explicit:
                first = seen.get(key)
                if first is not None:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value!r}{_same_as(first, key_node)}; "
                        "keep one",
                        key_node.start_mark,
                    )
                seen[key] = key_node
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_timestamp_as_text(self, node: yaml.ScalarNode) -> str:
        return self.construct_yaml_str(node)


def _same_as(first: Node, second: Node) -> str:
    if first.value == second.value and first.tag == second.tag:
        return ""
    return f" (the same key as {first.value!r} on line {first.start_mark.line + 1})"


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp_as_text)


def load(text: str) -> Any:
    """Parse ``text`` with the loader above; raises :data:`YAMLError` (:class:`LimitError` for a
    bound passed)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        check_tree(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def describe_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str, bool]:
    """Where a loading error is (0-based line and column), what it says (with a hint for the
    usual causes) and whether it is a syntax error rather than a bound passed."""
    if isinstance(exc, LimitError):
        return exc.line, exc.column, str(exc.problem), False
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line, mark.column) if mark is not None else (0, 0)
    problem = ", ".join(part for part in (exc.context, exc.problem) if part)
    if "exceeded maximum nesting depth" in problem:  # libyaml's own bound: 1,000 levels
        return line, column, DEPTH_PROBLEM, False
    return line, column, problem + syntax_hint(text, line, column, problem), True


def syntax_hint(text: str, line: int, column: int, problem: str) -> str:
    """A hint for the usual causes of a YAML syntax error at ``line``/``column`` (0-based) of
    ``text``, as ``"; ..."``, or ``""``."""
    lines = text.splitlines()
    source = lines[line] if 0 <= line < len(lines) else ""
    if "\t" in source[: column + 1] or "\t" in source[: len(source) - len(source.lstrip())]:
        return "; YAML indents with spaces only: replace the tab on this line with spaces"
    if any(cause in problem for cause in _INDENTATION_CAUSES):
        return (
            "; check the indentation of this line and the ones above it: the keys of one "
            "mapping and the items of one list start in the same column, nested ones further "
            "right"
        )
    if "mapping values are not allowed" in problem:
        return (
            "; a value written after 'key:' cannot continue on indented lines below, and a "
            "': ' inside a value needs quotes"
        )
    return ""


# The parser's words (libyaml's and PyYAML's) for a line that does not line up with its siblings.
_INDENTATION_CAUSES = (
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
    "could not find expected ':'",
)


def dump(data: Any) -> str:
    """Sorted keys, indent 2, block style, unicode kept, long strings never folded.

    Text that is not valid Unicode (a lone surrogate such as ``"caf\\udce9"``) is written as a
    ``\\u`` escape: libyaml's dumper cannot encode it, so the pure Python one writes that file.
    """
    options: dict[str, Any] = {
        "sort_keys": True,
        "indent": 2,
        "default_flow_style": False,
        "allow_unicode": True,
        "width": 1 << 30,  # never fold long test ids over two lines
    }
    try:
        text: str = yaml.dump(data, Dumper=_SafeDumper, **options)
    except UnicodeEncodeError:
        text = yaml.dump(data, Dumper=yaml.SafeDumper, **options)
    return text
