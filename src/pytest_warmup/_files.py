"""Documents on disk: snapshot files read, report and snapshot files written.

JSON, or YAML when the path ends in ``.yaml``/``.yml`` (PyYAML's safe loader only, loaded on
first use). Reading rejects repeated keys; writing sorts keys, indents by 2, ends with a newline
and goes through a temporary file renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from .errors import WarmupError

__all__ = [
    "FORMAT_VERSION",
    "CatalogPath",
    "is_yaml_path",
    "kind_of",
    "load_document",
    "render",
    "resolve_catalog_path",
    "write_document",
]

#: the version of every document pytest-warmup reads and writes (snapshots, reports)
FORMAT_VERSION: Final = 1
YAML_SUFFIXES = (".yaml", ".yml")

#: a catalog file: a path, or ``pkg:<package>/<path inside it>``
CatalogPath = str | os.PathLike[str]


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


def _parse_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_reject_duplicates)


def load_document(path: str, context: str) -> dict[Any, Any]:
    """Parse the JSON or YAML mapping at ``path`` (as given; relative to the working directory).

    ``context`` names the file in messages: ``snapshot file`` or
    ``targeted snapshot file for '<id>'``.
    """
    file = Path(path)
    if not file.is_file():
        raise WarmupError(f"{context} does not exist: {path!r}")
    language = "YAML" if is_yaml_path(path) else "JSON"
    parse: Callable[[str], Any] = _parse_json
    syntax_error: type[Exception] = ValueError
    if language == "YAML":
        from . import _yaml  # PyYAML is loaded only when a YAML file is read

        parse, syntax_error = _yaml.load, _yaml.YAMLError
    try:
        data = parse(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WarmupError(f"{context} {path!r} cannot be read: {exc}") from None
    except (ValueError, syntax_error) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        detail = " ".join(str(exc).split())
        raise WarmupError(f"{context} {path!r} is not valid {language}: {detail}") from None
    if not isinstance(data, dict):
        expected = "a YAML mapping" if language == "YAML" else "a JSON object"
        raise WarmupError(f"{context} content must be {expected}, found {kind_of(data)}")
    return data


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


def render(data: Any, path: str | Path) -> str:
    """The text of a document: YAML for ``.yaml``/``.yml`` paths, else JSON."""
    if is_yaml_path(path):
        from . import _yaml  # PyYAML is loaded only when a YAML file is written

        return _yaml.dump(data)
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_document(path: Path, data: Any) -> None:
    """Write atomically: a temporary file beside ``path``, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(data, path)
    # open(..., "x") instead of tempfile.mkstemp: the file gets the usual umask permissions.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
