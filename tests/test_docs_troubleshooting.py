"""Every message pytest-warmup can raise as a WarmupError is explained on docs/troubleshooting.md.

The messages are read from the source with ``ast``: the first argument of every call of
``WarmupError`` (and of the subclasses that take a message), the message of every catalog
problem (``reader.problem(node, path, message)``) and of the exceptions that become one
(``Unresolved``, ``LimitError``), and every text put in a ``problems`` or ``errors`` list that is
raised joined into one ``WarmupError``. A message's identifying fragment is its longest literal
piece; the page must contain it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "pytest_warmup"
PAGE = ROOT / "docs" / "troubleshooting.md"

#: constructors whose first argument is a message (CatalogError and DependencyCycleError build
#: theirs from data, in errors.py: those texts are plain string constants caught below)
MESSAGE_CLASSES = frozenset(
    {"WarmupError", "NodeFailedError", "NotPreparedError", "Unresolved", "LimitError"}
)
#: lists whose texts are raised joined into one WarmupError
MESSAGE_LISTS = frozenset({"problems", "errors"})


#: a longest literal piece shorter than this identifies nothing on its own ("cannot be read"):
#: the page must then show the message's whole template, any text standing for its values
WEAK = 16


class Message(NamedTuple):
    where: str
    fragment: str
    #: the message with its values as ``None``: ``["package ", None, " has no file ", None]``
    template: tuple[str | None, ...]

    def pattern(self) -> re.Pattern[str]:
        # a value stands for some text within one table cell (the page is searched line by line)
        parts = [
            re.escape(" ".join(p.split())) if p is not None else "[^|]+?" for p in self.template
        ]
        return re.compile("".join(parts).replace("\\ ", " "))


def _module_constants(trees: list[ast.Module]) -> dict[str, ast.expr]:
    constants: dict[str, ast.expr] = {}
    for tree in trees:
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = statement.value
            elif (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and statement.value is not None
            ):
                constants[statement.target.id] = statement.value
    return constants


class _Pieces:
    """The literal pieces of a message expression, following names a step or two."""

    def __init__(
        self,
        constants: dict[str, ast.expr],
        functions: dict[str, ast.FunctionDef],
        local: dict[str, list[ast.expr]],
    ) -> None:
        self.constants = constants
        self.functions = functions
        self.local = local

    def of(self, expression: ast.expr, depth: int = 0) -> list[str]:
        if depth > 4:
            return []
        if isinstance(expression, ast.Constant):
            return [expression.value] if isinstance(expression.value, str) else []
        if isinstance(expression, ast.JoinedStr):
            pieces: list[str] = []
            for value in expression.values:
                if isinstance(value, ast.FormattedValue):
                    pieces += self.of(value.value, depth + 1)
                else:
                    pieces += self.of(value, depth + 1)
            return pieces
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            return self.of(expression.left, depth + 1) + self.of(expression.right, depth + 1)
        if isinstance(expression, ast.BoolOp):
            return [piece for value in expression.values for piece in self.of(value, depth + 1)]
        if isinstance(expression, ast.IfExp):
            return self.of(expression.body, depth + 1) + self.of(expression.orelse, depth + 1)
        if isinstance(expression, ast.Name):
            if expression.id in self.local:
                return [p for v in self.local[expression.id] for p in self.of(v, depth + 1)]
            if expression.id in self.constants:
                return self.of(self.constants[expression.id], depth + 1)
            return []
        if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
            function = self.functions.get(expression.func.id)
            if function is None:
                return []
            inner = _Pieces(self.constants, self.functions, _assignments(function))
            return [
                piece
                for node in ast.walk(function)
                if isinstance(node, ast.Return) and node.value is not None
                for piece in inner.of(node.value, depth + 1)
            ]
        return []


def _assignments(function: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def _is_text(expression: ast.expr) -> bool:
    return (
        isinstance(expression, ast.Constant) and isinstance(expression.value, str)
    ) or isinstance(expression, (ast.JoinedStr, ast.BinOp))


def _message_argument(call: ast.Call) -> ast.expr | None:
    function = call.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    if name in MESSAGE_CLASSES and call.args:
        return call.args[0]
    if name == "__init__" and call.args and _is_text(call.args[0]):  # super().__init__("...")
        return call.args[0]
    if name == "problem" and len(call.args) == 3:
        return call.args[2]
    if name == "append" and isinstance(function, ast.Attribute) and len(call.args) == 1:
        owner = function.value
        listed = (isinstance(owner, ast.Name) and owner.id in MESSAGE_LISTS) or (
            isinstance(owner, ast.Attribute) and owner.attr == "errors"
        )
        if listed and _is_text(call.args[0]):
            return call.args[0]
    return None


def _passes_on(argument: ast.expr) -> bool:
    """``"\\n".join(problems)`` or ``str(error)``: texts made, and checked, elsewhere."""
    if not isinstance(argument, ast.Call):
        return False
    function = argument.func
    return (isinstance(function, ast.Attribute) and function.attr == "join") or (
        isinstance(function, ast.Name) and function.id == "str"
    )


def _template(expression: ast.expr, constants: dict[str, ast.expr]) -> list[str | None]:
    """The literal text of a message in order, ``None`` where a value goes."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return [expression.value]
    if isinstance(expression, ast.JoinedStr):
        return [
            value.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str)
            else None
            for value in expression.values
        ]
    if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
        return _template(expression.left, constants) + _template(expression.right, constants)
    if isinstance(expression, ast.Name) and expression.id in constants:
        return _template(constants[expression.id], constants)
    return [None]


def _fragment(pieces: list[str]) -> str:
    cleaned = [piece.strip(" :;,.'\"()\n") for piece in pieces]
    return max(cleaned, key=len, default="")


def raised_messages() -> Iterator[Message]:
    paths = sorted(SOURCE.glob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in paths]
    constants = _module_constants(trees)
    seen: set[str] = set()
    for path, tree in zip(paths, trees, strict=True):
        every_function = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        functions = {function.name: function for function in every_function}
        for function in [tree, *every_function]:
            body = (
                function.body
                if isinstance(function, ast.FunctionDef)
                else [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.ClassDef))]
            )
            pieces = _Pieces(constants, functions, _assignments(function))
            for statement in body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Call):
                        argument = _message_argument(node)
                        where = f"{path.name}:{node.lineno}"
                        if argument is None or _passes_on(argument):
                            continue
                        if where not in seen:
                            seen.add(where)
                            template = tuple(_template(argument, constants))
                            yield Message(where, _fragment(pieces.of(argument)), template)


def test_every_raised_message_is_explained_on_the_troubleshooting_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    page = " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.splitlines()]
    messages = list(raised_messages())
    assert len(messages) > 100  # the extraction still finds the messages
    unreadable = [m.where for m in messages if not m.fragment]
    assert not unreadable, f"no literal text to look for in the message raised at {unreadable}"
    missing = [
        m
        for m in messages
        if " ".join(m.fragment.split()) not in page
        or (len(m.fragment) < WEAK and not any(m.pattern().search(line) for line in lines))
    ]
    assert not missing, "not on docs/troubleshooting.md:\n" + "\n".join(
        f"{m.where}: {m.fragment!r}" for m in missing
    )
