"""What pytest-warmup tells on pytest's terminal: the header, ``-v`` progress, the ``warmup``
summary section and the ``--warmup-plan`` preview.

The lines come from :mod:`._summary`, derived from the run record; under pytest-xdist from the
parts the workers sent (:mod:`._outputs`), merged with the controller's.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import pytest

from ._pytest_compat import uncaptured
from ._snapshot_options import given
from ._text import relative_path

# The summary machinery is loaded by the runs that show one (see WarmupSession.active).
if TYPE_CHECKING:
    from ._record import PrepareRecord, RunRecord
    from ._runtime import Progress
    from ._session import WarmupSession
    from .catalog import Catalog

__all__ = ["CATALOG_KEY", "StatusLine", "header_lines", "show_progress", "write_summary"]

#: the run's catalog, for the header (set at configure time when catalogs are loaded)
CATALOG_KEY: Final[pytest.StashKey[Catalog]] = pytest.StashKey()


def header_lines(session: WarmupSession) -> list[str]:
    """The report header: workers, catalogs, snapshot files, the modes that change a run."""
    config, settings = session.config, session.settings
    parts = [f"{settings.max_workers} worker{'s' if settings.max_workers > 1 else ''}"]
    catalog = config.stash.get(CATALOG_KEY, None)
    if catalog is not None:
        files = ", ".join(_shown(path, settings.rootpath) for path in catalog.files)
        declared = ", ".join(
            f"{len(names)} {word if len(names) == 1 else word + 's'}"
            for names, word in (
                (catalog.plans, "plan"),
                (catalog.requirements, "requirement"),
                (catalog.producers, "producer"),
            )
        )
        parts.append(f"catalog {files} ({declared})")
    if settings.keep:
        parts.append("keep (no cleanup)")
    if settings.preview:
        parts.append("plan preview (no plan is called)")
    lines = [f"warmup: {', '.join(parts)}"]
    snapshots = []
    bundle = getattr(config.option, "warmup_snapshot", None)
    if given(bundle):
        snapshots.append(str(bundle).strip())
    snapshots += [
        spec.strip() for spec in getattr(config.option, "warmup_snapshot_for", None) or ()
    ]
    if snapshots:
        lines.append(f"warmup snapshots: {', '.join(snapshots)}")
    return lines


def _shown(path: str, rootpath: Path) -> str:
    """A catalog file relative to the rootdir when inside it, else as read."""
    try:
        return Path(path).resolve().relative_to(rootpath.resolve()).as_posix()
    except ValueError:
        return path


def show_progress(session: WarmupSession) -> None:
    """With ``-v``: a line as each preparation begins and ends, and each of its batches.
    Without, on a terminal: :class:`StatusLine`."""
    config = session.config
    verbose = config.get_verbosity() > 0
    status: list[StatusLine] = []  # made at the first event: the reporter exists by then

    def tell(record: PrepareRecord, event: Progress) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        if not verbose:
            if not status:
                if not bool(getattr(reporter, "isatty", False)):
                    session.engine.progress = None  # not a terminal: no live line
                    return
                status.append(StatusLine(reporter, config))
            status[0](record, event)
            return
        if event.kind == "wait":
            return
        with uncaptured(config):
            from ._summary import progress_line

            reporter.write_line(progress_line(record, event))
            reporter.flush()

    session.show_progress(tell)


@final
class StatusLine:
    """Without ``-v``, on a terminal: a preparation that takes longer than ``delay`` seconds
    gets a line of its own, rewritten in place as batches start and end (and about ten times a
    second while they run in worker threads): batches done, plans running, time so far. When
    it ends, the line says how long it took."""

    def __init__(
        self,
        reporter: Any,
        config: pytest.Config | None = None,
        *,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reporter = reporter
        self._config = config
        self._delay = delay
        self._clock = clock
        self._began = 0.0
        self._done = 0
        self._running: dict[str, int] = {}
        self._shown = False
        self._file: Path | None = None

    def __call__(self, record: PrepareRecord, event: Progress) -> None:
        if event.kind == "begin":
            self._began, self._done, self._running = self._clock(), 0, {}
            return
        if event.kind == "start":
            self._running[event.plan] = self._running.get(event.plan, 0) + 1
        elif event.kind == "end":
            self._done += 1
            left = self._running.pop(event.plan, 1) - 1
            if left:
                self._running[event.plan] = left
        elif event.kind == "done":
            if self._shown:
                from ._summary import progress_line

                self._shown = False
                self._write(progress_line(record, event), end=True)
            return
        elapsed = self._clock() - self._began
        if elapsed >= self._delay:
            from ._summary import status_line

            self._write(status_line(record, self._done, self._running, elapsed))

    def _write(self, text: str, *, end: bool = False) -> None:
        width = shutil.get_terminal_size().columns - 1
        reporter = self._reporter
        with uncaptured(self._config) if self._config is not None else nullcontext():
            if not self._shown and not end:
                # Below the line of the test file pytest started, which it gets back at the end.
                self._file = getattr(reporter, "currentfspath", None)
                reporter.ensure_newline()
                self._shown = True
            reporter.rewrite(text[:width], erase=True)
            if end and self._file is not None and self._config is not None:
                # a new line that starts with the file, where pytest goes on with its results
                reporter.write_fspath_result(relative_path(self._file, self._config.rootpath), "")
            elif end:
                reporter.line("")
            reporter.flush()


def _parts(session: WarmupSession, key: str, own: Any) -> list[Any]:
    parts = [own]
    for worker in sorted(session.worker_outputs, key=lambda name: (len(name), name)):
        part = session.worker_outputs[worker].get(key)
        if part is not None:
            parts.append(part)
    return parts


def notes_count(record: RunRecord) -> str:
    """``2 warnings, 1 problem``: the warnings and problems the ``warmup`` section listed."""
    counts = [(len(record.warnings), "warning"), (len(record.problems), "problem")]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n)


def write_summary(reporter: pytest.TerminalReporter, session: WarmupSession) -> None:
    """The ``warmup`` section (the plan preview's under ``--warmup-plan``), then the files
    the run wrote."""
    from ._summary import (
        merge_previews,
        merge_summaries,
        preview_lines,
        preview_part,
        summary_lines,
        summary_part,
    )

    record, verbosity = session.record, reporter.config.get_verbosity()
    if session.settings.preview:
        previews = merge_previews(_parts(session, "preview", preview_part(record)))
        reporter.write_sep("=", "warmup plan")
        for text in preview_lines(previews, verbosity):
            reporter.line(text)
    summary = merge_summaries(_parts(session, "summary", summary_part(record)))
    lines = summary_lines(summary, verbosity)
    notes = record.summary()  # warnings, then problems
    if lines or notes:
        red = any(error for _, error in lines + notes)
        reporter.write_sep("=", "warmup", red=red, yellow=not red and bool(notes))
        for text, error in lines:
            reporter.line(text, red=error)
        for text, error in notes:
            reporter.line(text, red=error, yellow=not error)
        if notes:  # counted as pytest's final line counts its warnings
            reporter.line(notes_count(record), red=bool(record.problems), yellow=True)
    for flag, path in record.written:  # as pytest names the junit XML file it wrote
        reporter.write_sep("-", f"generated warmup file ({flag}): {path}")
