"""The ``pytest-warmup`` command: check catalogs without running tests (pre-commit, CI).

    pytest-warmup check [PATH ...]   read, check and compile catalogs; exit 0 if all is well
    pytest-warmup schema             print the JSON Schema of the catalog format

``check`` reads its paths into one namespace, as a test run does, imports the plan classes they
name (the current directory comes first on ``sys.path``, as with ``python -m pytest``) and
prints every problem as ``file:line:col: path.to.key: what is wrong``. Exit status: 0 when all
catalogs are valid, 1 when there are problems, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
from collections.abc import Sequence

from .catalog import Catalog, load_catalogs
from .errors import CatalogError

__all__ = ["main"]

DEFAULT_CATALOG = "warmup.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    options = parser.parse_args(argv)
    if options.command == "check":
        return _check(options.paths or [DEFAULT_CATALOG])
    return _schema()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-warmup", description="Tools for pytest-warmup catalogs (warmup.yaml)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="check catalogs without running tests",
        description="Read, check and compile warmup catalogs, with their includes, into one "
        "namespace as a test run does. Exit status 0 when valid, 1 when there are problems.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"catalog files, or pkg:<package>/<path> (default: {DEFAULT_CATALOG})",
    )
    commands.add_parser(
        "schema",
        help="print the JSON Schema of the catalog format",
        description="Print the JSON Schema of warmup.yaml, e.g. to save it for editor "
        "completion: pytest-warmup schema > warmup.schema.json",
    )
    return parser


def _check(paths: Sequence[str]) -> int:
    # Plan import paths are written relative to the project root, as tests import them.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        catalog = load_catalogs(paths)
    except CatalogError as error:
        for problem in error.problems:
            print(problem)
        print(f"{_count(len(error.problems), 'problem')} in warmup catalogs")
        return 1
    print(_summary(catalog))
    return 0


def _summary(catalog: Catalog) -> str:
    counts = ", ".join(
        [
            _count(len(catalog.plans), "plan"),
            _count(len(catalog.requirements), "requirement"),
            _count(len(catalog.producers), "producer"),
            _count(len(catalog.fixtures), "fixture"),
        ]
    )
    return f"ok: {_count(len(catalog.files), 'catalog file')} checked ({counts})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _schema() -> int:
    schema = importlib.resources.files("pytest_warmup").joinpath("warmup.schema.json")
    sys.stdout.write(schema.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
