"""Documents on disk: snapshot files read, report and snapshot files written.

JSON, or YAML when the path ends in ``.yaml``/``.yml`` (PyYAML's safe loader only, loaded on
first use). Reading rejects repeated keys and stays within the bounds of :mod:`._limits`;
writing sorts keys, indents by 2, ends with a newline and goes through a temporary file renamed
into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Final

from ._limits import DEPTH_PROBLEM, INTEGER_PROBLEM, MAX_DEPTH, MAX_INTEGER_DIGITS
from .errors import WarmupError

__all__ = [
    "FORMAT_VERSION",
    "CatalogPath",
    "is_yaml_path",
    "kind_of",
    "load_document",
    "process_exists",
    "render",
    "resolve_catalog_path",
    "temporary_path",
    "write_atomically",
    "write_document",
    "write_text",
]

FORMAT_VERSION: Final = 1
"""The version of every document pytest-warmup reads and writes (snapshots, reports)."""
YAML_SUFFIXES = (".yaml", ".yml")

CatalogPath = str | os.PathLike[str]
"""A catalog file: a path, or ``pkg:<package>/<path inside it>``."""


def resolve_catalog_path(path: str, base: str | os.PathLike[str]) -> CatalogPath:
    """A catalog path as written in an ini file or on the command line.

    A relative file path is joined to ``base`` (the ini file's directory, or the directory
    pytest was invoked from); ``pkg:<package>/<path>`` is kept as it is.
    """
    return path if path.startswith("pkg:") else Path(base, path)


def is_yaml_path(path: str | Path) -> bool:
    """Whether ``path`` is read and written as YAML (by its suffix), else JSON."""
    return str(path).lower().endswith(YAML_SUFFIXES)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


class _LimitPassed(Exception):
    """A JSON document passes a bound of :mod:`._limits`; the message says which."""

    def __init__(self, problem: str, offset: int) -> None:
        super().__init__(problem)
        self.offset = offset


# Strings, brackets and long runs of digits: enough of JSON's tokens to find how deep a valid
# document nests, and where, without building it.
_JSON_TOKENS = (
    rf'"(?:[^"\\]|\\.)*"|[\[\]{{}}]|(?<![\w.+-])-?[0-9]{{{MAX_INTEGER_DIGITS + 1},}}(?![0-9.eE])'
)


def _bound_problem(text: str) -> _LimitPassed | None:
    depth = 0
    # re caches compiled patterns: compiled by the first document read, not at import
    for token in re.finditer(_JSON_TOKENS, text):
        first = token.group()[0]
        if first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _LimitPassed(DEPTH_PROBLEM, token.start())
        elif first in "]}":
            depth -= 1
        elif first != '"':
            return _LimitPassed(INTEGER_PROBLEM, token.start())
    return None


def _parse_int(text: str) -> int:
    if len(text) > MAX_INTEGER_DIGITS + 1 and len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LimitPassed(INTEGER_PROBLEM, -1)  # located by _bound_problem
    return int(text)


def _parse_json(text: str) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_int=_parse_int)
    except (RecursionError, _LimitPassed) as exc:
        found = _bound_problem(text)
        if found is not None:
            raise found from None
        raise _LimitPassed(
            DEPTH_PROBLEM if isinstance(exc, RecursionError) else INTEGER_PROBLEM, 0
        ) from None
    # Valid documents too: what nests deeper than the bound breaks later readers and writers.
    found = _bound_problem(text)
    if found is not None:
        raise found
    return data


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset)
    return line + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_document(path: str, context: str) -> dict[Any, Any]:
    """Parse the JSON or YAML mapping at ``path`` (as given; relative to the working directory).

    ``context`` names the file in messages: ``snapshot file`` or
    ``targeted snapshot file for '<id>'``. Syntax errors and bounds passed are reported at
    ``path:line:column``.
    """
    file = Path(path)
    if not file.is_file():
        raise WarmupError(f"{context} does not exist: {path!r}")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise WarmupError(f"{context} {path!r} cannot be read: {exc}") from None
    except ValueError as exc:  # UnicodeDecodeError
        raise WarmupError(f"{context} {path!r} is not UTF-8 text: {exc}") from None
    language = "YAML" if is_yaml_path(path) else "JSON"
    data = (
        _parse_yaml(text, path, context) if language == "YAML" else _load_json(text, path, context)
    )
    if not isinstance(data, dict):
        expected = "a YAML mapping" if language == "YAML" else "a JSON object"
        raise WarmupError(f"{context} content must be {expected}, found {kind_of(data)}")
    return data


def _load_json(text: str, path: str, context: str) -> Any:
    try:
        return _parse_json(text)
    except json.JSONDecodeError as exc:
        hint = ""
        if not path.lower().endswith(".json"):
            hint = (
                "; the file is read as JSON because its name does not end in .yaml or .yml "
                "(the extension decides the format)"
            )
        raise WarmupError(
            f"{context} {path!r} is not valid JSON: {path}:{exc.lineno}:{exc.colno}: {exc.msg}"
            f"{hint}"
        ) from None
    except _LimitPassed as exc:
        line, column = _position(text, exc.offset)
        raise WarmupError(
            f"{context} {path!r} cannot be read: {path}:{line}:{column}: {exc}"
        ) from None
    except ValueError as exc:  # a repeated key
        raise WarmupError(f"{context} {path!r} is not valid JSON: {exc}") from None


def _parse_yaml(text: str, path: str, context: str) -> Any:
    # PyYAML is loaded only when a YAML file is read (by module name: pytester's in-process
    # runs unload what a run imported, and a package attribute would keep a stale copy)
    from ._yaml import MarkedYAMLError, YAMLError, describe_error, load

    try:
        return load(text)
    except MarkedYAMLError as exc:
        line, column, problem, syntax = describe_error(exc, text)
        what = "is not valid YAML" if syntax else "cannot be read"
        raise WarmupError(
            f"{context} {path!r} {what}: {path}:{line + 1}:{column + 1}: {problem}"
        ) from None
    except YAMLError as exc:  # characters YAML does not allow; no line to show
        detail = " ".join(str(exc).split())
        raise WarmupError(f"{context} {path!r} is not valid YAML: {detail}") from None


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


_SURROGATE = "[\ud800-\udfff]"


def render(data: Any, path: str | Path) -> str:
    """The text of a document: YAML for ``.yaml``/``.yml`` paths, else JSON.

    Text that is not valid Unicode (a lone surrogate, ``"caf\\udce9"``, which JSON and YAML
    escapes can produce) is written as a ``\\u`` escape, so the document encodes as UTF-8 and
    reads back the same.
    """
    if is_yaml_path(path):
        from ._yaml import dump  # PyYAML is loaded only when a YAML file is written

        return dump(data)
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    if re.search(_SURROGATE, text):
        text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True)
    return text + "\n"


def temporary_path(path: Path) -> Path:
    """Where :func:`write_document` writes ``path`` before renaming it:
    ``.<name>.<pid>.<8 hex digits>.tmp`` beside it."""
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


def _temporary_owner(path: Path, name: str) -> int | None:
    """The process id in ``name`` if it is one of ``path``'s temporary files."""
    prefix = f".{path.name}."
    if not (name.startswith(prefix) and name.endswith(".tmp")):
        return None
    pid, _, random = name[len(prefix) : -len(".tmp")].partition(".")
    if not (pid.isdecimal() and pid.isascii() and len(random) == 8):
        return None
    try:
        int(random, 16)
    except ValueError:
        return None
    return int(pid)


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` still runs. A process that ended but was not reaped yet (a
    zombie, on Linux) does not."""
    try:
        os.kill(pid, 0)  # signal 0: existence and permission check only
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; not a pid
        return True
    if not sys.platform.startswith("linux"):
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # it ended meanwhile
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")  # the state after the name


def _remove_stale_temporaries(path: Path) -> None:
    """Remove ``path``'s temporary files whose writer is gone.

    A process killed between creating its temporary file and renaming it (``kill -9``, an
    out-of-memory kill, a power cut) leaves the file behind; the next write of the same target
    removes it. Files of live processes are kept: they may be writing right now.
    """
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) ends the process on Windows
        return
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        pid = _temporary_owner(path, name)
        if pid is None or pid == os.getpid() or process_exists(pid):
            continue
        with contextlib.suppress(OSError):
            (path.parent / name).unlink()


def write_document(path: Path, data: Any) -> None:
    """Write ``data`` as JSON, or YAML by the suffix of ``path``, with :func:`write_text`."""
    write_text(path, render(data, path))


def write_text(path: Path, text: str) -> None:
    """Write atomically: a temporary file beside ``path``, renamed over it. Temporary files of
    ``path`` left by writers that died (``kill -9``) are removed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    write_atomically(path, text.encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``: a
    reader sees the old content or the new, never part of it."""
    # open(..., "x") instead of tempfile.mkstemp: the file gets the usual umask permissions.
    temporary = temporary_path(path)
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
