"""The ``pytest-warmup`` command: check catalogs without running tests (pre-commit, CI).

    pytest-warmup check [PATH ...]   read, check and compile catalogs; exit 0 if all is well
    pytest-warmup schema             print the JSON Schema of the catalog format
    pytest-warmup --version

``check`` sees the project as a test run does: pytest itself reads the configuration (rootdir
and ini file found from the current directory: pyproject.toml, pytest.ini, tox.ini, setup.cfg;
``addopts``, ``pythonpath``, installed plugins, the initial conftest files) and the command
stops before collecting. The catalogs are the run's (ini ``warmup_catalogs``, else
``warmup.yaml`` in the rootdir) unless PATHs are given, relative to the current directory. Plan
classes are imported with the rootdir first on ``sys.path``, as the plugin does. It prints
every problem as ``file:line:col: path.to.key: what is wrong`` and the modules it imported.
Exit status: 0 when all catalogs are valid, 1 when there are problems, 2 for a usage error
(pytest's configuration included).
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import pytest

from ._settings import Settings
from .catalog import Catalog, CatalogPath, read_catalogs, resolve_catalog_path
from .errors import CatalogError

__all__ = ["main"]

DEFAULT_CATALOG = "warmup.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    options = parser.parse_args(argv)
    if options.command == "check":
        return _check(options.paths)
    return _schema()


def _version() -> str:
    try:
        return version("pytest-warmup")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-warmup", description="Tools for pytest-warmup catalogs (warmup.yaml)."
    )
    parser.add_argument("--version", action="version", version=f"pytest-warmup {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="check catalogs without running tests",
        description="Read, check and compile warmup catalogs, with their includes, into one "
        "namespace as a test run does: pytest reads the project's configuration (rootdir, ini "
        "file, pythonpath, conftest files) from the current directory. Exit status 0 when "
        "valid, 1 when there are problems, 2 for a usage error.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="catalog files relative to the current directory, or pkg:<package>/<path> "
        f"(default: the run's catalogs: ini warmup_catalogs, else {DEFAULT_CATALOG} in the "
        "rootdir)",
    )
    commands.add_parser(
        "schema",
        help="print the JSON Schema of the catalog format",
        description="Print the JSON Schema of warmup.yaml, e.g. to save it for editor "
        "completion: pytest-warmup schema > warmup.schema.json",
    )
    return parser


class _Check:
    """A pytest plugin that reads the catalogs once pytest has read the configuration, and ends
    pytest's main before it collects anything."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._paths = paths
        self.result: tuple[Catalog, tuple[str, ...], CatalogError | None] | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> int:
        settings = Settings.from_config(config)
        paths: Sequence[CatalogPath]
        if self._paths:
            invoked = config.invocation_params.dir
            paths = [resolve_catalog_path(path, invoked) for path in self._paths]
        else:
            paths = settings.catalogs or [settings.rootpath / DEFAULT_CATALOG]
        # Plan classes are named by import path from the project root, as in a test run.
        root = str(settings.rootpath)
        added = root not in sys.path
        if added:
            sys.path.insert(0, root)
        try:
            self.result = read_catalogs(paths)
        finally:
            if added:
                sys.path.remove(root)
        return 0


def _check(paths: Sequence[str]) -> int:
    check = _Check(paths)
    # No test paths: pytest finds the rootdir and ini file from the current directory.
    # --assert=plain: nothing to rewrite, and no warning about modules imported already.
    status = pytest.main(["--assert=plain"], plugins=[check])
    if check.result is None:
        print(
            f"pytest-warmup check: pytest could not read the configuration (exit status "
            f"{int(status)}); see above",
            file=sys.stderr,
        )
        return 2
    catalog, modules, error = check.result
    if modules:
        print(f"modules imported (their top-level code ran): {', '.join(modules)}")
    if error is not None:
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
