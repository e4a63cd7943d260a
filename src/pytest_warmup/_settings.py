"""A run's settings: command-line and ini options resolved once, at configure time.

The snapshot inputs are the exception: code may assign ``config.option.warmup_snapshot`` and
``warmup_snapshot_for`` while the run goes on (a producer may, before it prepares), so they are
read from ``config.option`` at every ``prepare()`` (:mod:`._snapshot_options`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Final, NamedTuple

import pytest

from ._files import CatalogPath, resolve_catalog_path
from ._snapshot_options import given, parse_targets
from .errors import WarmupError

__all__ = ["DEFAULT_MAX_WORKERS", "OUTPUTS", "Output", "Settings", "worker_count"]

DEFAULT_MAX_WORKERS: Final = 4
BOOLEAN_INI: Final = ("warmup_keep", "warmup_snapshot_strict", "warmup_prefetch")
#: ini type of whole numbers: "int" from pytest 8.4, a string before (checked by worker_count)
INTEGER_INI: Final = "int" if pytest.version_tuple >= (8, 4) else "string"

#: the files a run can write: kind -> its option's dest on ``config.option``
OUTPUTS: Final = {
    "template": "warmup_export_template",
    "report": "warmup_report",
    "save": "warmup_save",
    "save_on_fail": "warmup_save_on_fail",
    "graph": "warmup_graph",
}


def worker_count(value: str) -> int:
    """argparse type for ``--warmup-workers``: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1 (1 = strictly sequential), got {value!r}"
        )
    return number


class Output(NamedTuple):
    """A file the run writes at its end."""

    flag: str  # "--warmup-report"
    given: str  # the path as given
    path: Path  # where it goes


class Settings(NamedTuple):
    """What the options ask of this run (immutable: a tuple, cheap to create at startup)."""

    max_workers: int
    keep: bool
    strict_snapshots: bool
    #: kind ("template", "report", "save_on_fail") -> the file to write, for those asked for
    outputs: dict[str, Output]
    #: ``--collect-only``: nothing is prepared, and unused snapshot targets are not checked
    collect_only: bool
    #: whether the run collected its usual set of tests (no path arguments, no ``--lf``)
    complete: bool
    #: whether node ids on the command line collected part of a file (``file.py::test``)
    narrowed: bool
    rootpath: Path
    #: the catalogs to load: ini ``warmup_catalogs`` (relative to the ini file), then
    #: ``--warmup-catalog`` (relative to the invocation directory), else the rootdir's
    #: ``warmup.yaml`` when there is one
    catalogs: tuple[CatalogPath, ...]
    #: ``--warmup-clean-snapshot``: snapshot values stand for resources this run cleans up
    clean_snapshot: bool
    #: ``--warmup-plan``: producers show what they would prepare; no plan and no test is called
    preview: bool = False
    #: ``--warmup-prefetch``: prepare a producer's next instance while the current one's tests run
    prefetch: bool = False

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        """Resolve the options; a bad value or combination is a :class:`pytest.UsageError`."""
        option = config.option
        workers = option.warmup_workers
        if workers is None:
            try:
                workers = worker_count(str(_ini(config, "warmup_max_workers")))
            except argparse.ArgumentTypeError as exc:
                raise pytest.UsageError(f"ini option warmup_max_workers: {exc}") from None
        keep = option.warmup_keep
        if keep is None:
            keep = bool(_ini(config, "warmup_keep"))
        try:
            parse_targets(option.warmup_snapshot_for)
        except WarmupError as exc:
            raise pytest.UsageError(str(exc)) from None
        prefetch = getattr(option, "warmup_prefetch", None)
        if prefetch is None:
            prefetch = bool(_ini(config, "warmup_prefetch"))
        preview = bool(getattr(option, "warmup_plan", False))
        if preview:
            _check_preview(option)
        return cls(
            max_workers=workers,
            keep=keep,
            strict_snapshots=bool(_ini(config, "warmup_snapshot_strict")),
            outputs=_outputs(config),
            collect_only=bool(option.collectonly),
            complete=config.args_source != pytest.Config.ArgsSource.ARGS
            and not any(getattr(option, name, None) for name in ("lf", "ignore", "ignore_glob")),
            narrowed=any("::" in str(arg) for arg in config.args),
            rootpath=config.rootpath,
            catalogs=_catalogs(config),
            clean_snapshot=bool(getattr(option, "warmup_clean_snapshot", False)),
            preview=preview,
            prefetch=prefetch and not preview,
        )


#: options that need what --warmup-plan never does: -> what they need
_NOT_WITH_PREVIEW: Final = {
    "collectonly": ("--collect-only", "sets nothing up"),
    "setupplan": ("--setup-plan", "runs no fixture"),
    "warmup_save": ("--warmup-save", "saves prepared values"),
    "warmup_save_on_fail": ("--warmup-save-on-fail", "saves prepared values"),
    "warmup_clean_snapshot": ("--warmup-clean-snapshot", "cleans up prepared resources"),
    "warmup_prefetch": ("--warmup-prefetch", "prepares producers ahead of their tests"),
}


def _check_preview(option: argparse.Namespace) -> None:
    """``--warmup-plan`` runs the producers up to ``prepare()`` and no plan: options that
    need more, or less, are usage errors."""
    for dest, (flag, what) in _NOT_WITH_PREVIEW.items():
        if getattr(option, dest, None):
            if dest in ("collectonly", "setupplan"):
                raise pytest.UsageError(
                    f"--warmup-plan runs the producer fixtures up to prepare() but {flag} "
                    f"{what}; use one or the other"
                )
            raise pytest.UsageError(
                f"--warmup-plan prepares nothing but {flag} {what}; run without --warmup-plan "
                "to prepare them"
            )


def _ini(config: pytest.Config, name: str) -> object:
    """An ini value; a value pytest cannot convert is a usage error that names the option."""
    try:
        return config.getini(name)
    except (ValueError, pytest.UsageError) as exc:  # pytest 9 raises a usage error itself
        if name in BOOLEAN_INI:
            raise pytest.UsageError(f"ini option {name}: {exc}; expected true or false") from None
        # pytest converted the value with int(), whose message quotes it: say what we expect
        # of it, as for a value pytest passes on as a string.
        found = re.search(r"base 10: (.*)$", str(exc))
        raise pytest.UsageError(
            f"ini option {name}: expected a whole number of at least 1 (1 = strictly "
            f"sequential), got {found.group(1) if found else str(exc)}"
        ) from None


def _snapshot_inputs(config: pytest.Config) -> list[tuple[Path, str]]:
    """The snapshot files the options name at startup, as they are read (relative to the
    working directory)."""
    found = []
    bundle = getattr(config.option, "warmup_snapshot", None)
    if given(bundle):
        found.append((Path(str(bundle).strip()), "--warmup-snapshot"))
    for spec in getattr(config.option, "warmup_snapshot_for", None) or ():
        if given(spec) and "=" in spec:
            found.append((Path(spec.partition("=")[2].strip()), "--warmup-snapshot-for"))
    return found


def _catalogs(config: pytest.Config) -> tuple[CatalogPath, ...]:
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    paths = [resolve_catalog_path(path, ini_base) for path in config.getini("warmup_catalogs")]
    invoked = config.invocation_params.dir
    paths += [resolve_catalog_path(path, invoked) for path in config.option.warmup_catalog]
    default = config.rootpath / "warmup.yaml"
    if not paths and default.is_file():
        paths = [default]
    return tuple(paths)


def _outputs(config: pytest.Config) -> dict[str, Output]:
    """The files asked for; two options naming one file, or a file the run reads, is a usage
    error."""
    outputs: dict[str, Output] = {}
    flags: dict[Path, str] = {}
    inputs = {path.resolve(): flag for path, flag in _snapshot_inputs(config)}
    for kind, dest in OUTPUTS.items():
        value = getattr(config.option, dest, None)
        if not given(value):
            continue
        flag = "--" + dest.replace("_", "-")
        path = Path(config.invocation_params.dir, str(value))
        resolved = path.resolve()
        if resolved in flags:
            raise pytest.UsageError(
                f"{flags[resolved]} and {flag} both write {value!r}; give each its own file"
            )
        if resolved in inputs:
            raise pytest.UsageError(
                f"{flag} would overwrite {value!r}, which this run reads with {inputs[resolved]}; "
                "write to another file"
            )
        flags[resolved] = flag
        outputs[kind] = Output(flag, str(value), path)
    return outputs
