"""What a run did and would do, as plain data and as terminal lines, derived from the record.

:func:`summary_part` and :func:`preview_part` reduce one process's
:class:`~pytest_warmup._record.RunRecord` to plain data (an xdist worker sends it to the
controller as it is); :func:`merge_summaries` and :func:`merge_previews` join the parts of
every process; the ``*_lines`` functions turn the merged data into the lines pytest-warmup
prints. :func:`progress_line` tells one :class:`~pytest_warmup._runtime.Progress` event.
Nothing here imports pytest: the plugin layer (:mod:`._display`) writes the lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ._graph import reachable
from ._record import PrepareRecord, RunRecord
from ._runtime import BatchReport, Progress
from ._scopes import SCOPES, parse_scope_id

__all__ = [
    "SLOWEST",
    "SummaryTotals",
    "batch_waits",
    "merge_previews",
    "merge_summaries",
    "preview_lines",
    "preview_part",
    "progress_line",
    "status_line",
    "summary_lines",
    "summary_part",
]

#: how many of the slowest batches the summary lists (as ``--durations`` does for tests)
SLOWEST: Final = 5

_COUNTS: Final = ("prepared", "overridden", "failed", "blocked", "cleaned_up", "kept")


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.2f}s"


# -- the summary --------------------------------------------------------------------------------


def summary_part(run: RunRecord) -> dict[str, Any]:
    """What this process's preparations did, as plain data: counts, times, slowest batches.
    Preparations the run released (:meth:`~._record.RunRecord.release`) count through the
    totals they left."""
    released = run.released_summary
    totals = SummaryTotals(None if released is None else _copied(released))
    for record in run.prepares:
        totals.add(record)
    return totals.part()


class SummaryTotals:
    """The summary of preparations, added one at a time, kept as plain data (a released
    preparation leaves only this behind). ``data``: totals to add to, in place."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        if data is None:
            data = {
                "scope_ids": {},
                "failed_scope_ids": {},
                "counts": dict.fromkeys(_COUNTS, 0),
                "batch_count": 0,
                "batch_ms": 0.0,
                "duration_ms": 0.0,
                "critical_ms": 0.0,
                "longest_path": [0.0, "", []],
                "slowest": [],
                "prefetched": {"used": 0, "unused": 0},
            }
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        """The totals themselves (plain data, as :class:`~._record.RunRecord` keeps them)."""
        return self._data

    def add(self, record: PrepareRecord) -> None:
        if record.planned is not None:
            return  # a preview prepares nothing
        data = self._data
        if record.prefetched is not None:
            data["prefetched"][record.prefetched] += 1
        # one producer instance may be prepared in parts (under xdist: its shared nodes once
        # per run, its per-test nodes on each worker): counted once, by scope id
        data["scope_ids"][record.scope_id] = None
        counts = data["counts"]
        failed = record.error is not None  # as record.status, in the same walk
        for node in record.instances or ():
            has_exception = node.has_exception
            failed = failed or has_exception
            if node.given:
                continue  # prepared by another preparation, counted there
            if node.overridden:
                counts["overridden"] += 1
            elif has_exception:
                counts["failed"] += 1
            elif node.has_value:
                counts["prepared"] += 1
            elif node.blocked_by is not None:
                counts["blocked"] += 1
        if failed:
            data["failed_scope_ids"][record.scope_id] = None
        counts["cleaned_up"] += record.cleaned_up
        counts["kept"] += record.kept
        data["duration_ms"] += record.duration_ms or 0.0
        reports = record.runtime.batch_reports if record.runtime is not None else []
        if not reports:
            return
        data["batch_count"] += len(reports)
        data["batch_ms"] += sum(report.duration_ms for report in reports)
        slowest = data["slowest"]
        slowest.extend(
            [report.duration_ms, report.plan, report.node_count, record.scope_id]
            for report in reports
        )
        if len(slowest) > 20 * SLOWEST:  # keep it short: only the slowest few are shown
            slowest[:] = _slowest(slowest)
        path_ms, end, previous = _path_ends(reports)
        data["critical_ms"] += path_ms
        if path_ms > data["longest_path"][0]:
            data["longest_path"] = [path_ms, record.scope_id, _chain(reports, end, previous)]

    def part(self) -> dict[str, Any]:
        """The summary part (see :func:`summary_part`)."""
        data = self._data
        return {
            "preparations": len(data["scope_ids"]),
            "failed_preparations": len(data["failed_scope_ids"]),
            "scope_ids": list(data["scope_ids"]),
            "failed_scope_ids": list(data["failed_scope_ids"]),
            "counts": dict(data["counts"]),
            "batch_count": data["batch_count"],
            "batch_ms": round(data["batch_ms"], 3),
            "duration_ms": round(data["duration_ms"], 3),
            "critical_ms": round(data["critical_ms"], 3),
            "longest_path": data["longest_path"],
            "slowest": _slowest(data["slowest"]),
            "prefetched": dict(data["prefetched"]),
        }


def _copied(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: dict(value)
        if isinstance(value, dict)
        else list(value)
        if isinstance(value, list)
        else value
        for key, value in data.items()
    }


def _slowest(batches: Iterable[Sequence[Any]]) -> list[list[Any]]:
    # Slowest first; equal times in a stable order, whatever the order the parts came in.
    ranked = sorted(batches, key=lambda batch: (-batch[0], batch[3], batch[1]))
    return [list(batch) for batch in ranked[:SLOWEST]]


def batch_waits(reports: Sequence[BatchReport]) -> list[list[int]]:
    """For each batch report, the earlier reports of the batches it waited on, in order
    (:attr:`~._runtime.BatchReport.waits`). Reports come in the order the batches ended, so
    every batch a batch waited on comes before it."""
    return [list(report.waits) for report in reports]


def _path_ends(reports: Sequence[BatchReport]) -> tuple[float, int | None, list[int | None]]:
    """The critical path: the longest chain of batches that waited on each other
    (:func:`batch_waits`); the preparation could not have been faster with any number of
    workers. Returns how long it took, the report it ends with, and for each report the one
    before it on its longest chain (:func:`_chain` lists them)."""
    finish: list[float] = []
    previous: list[int | None] = []
    for report in reports:
        before: int | None = None
        for other in report.waits:
            if before is None or finish[other] > finish[before]:
                before = other
        finish.append(report.duration_ms + (finish[before] if before is not None else 0.0))
        previous.append(before)
    if not finish:
        return 0.0, None, previous
    end = max(range(len(finish)), key=finish.__getitem__)
    return round(finish[end], 3), end, previous


def _chain(
    reports: Sequence[BatchReport], end: int | None, previous: list[int | None]
) -> list[list[Any]]:
    chain: list[list[Any]] = []
    while end is not None:
        chain.append([reports[end].plan, reports[end].duration_ms])
        end = previous[end]
    return chain[::-1]


def merge_summaries(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary of several processes (the controller's and the xdist workers')."""
    merged = summary_part(RunRecord())
    batches: list[Sequence[Any]] = []
    scope_ids: dict[str, None] = {}
    failed_scopes: dict[str, None] = {}
    for part in parts:
        scope_ids.update(dict.fromkeys(part["scope_ids"]))
        failed_scopes.update(dict.fromkeys(part["failed_scope_ids"]))
        merged["batch_count"] += part["batch_count"]
        for key in ("batch_ms", "duration_ms", "critical_ms"):
            merged[key] = round(merged[key] + part[key], 3)
        for key in _COUNTS:
            merged["counts"][key] += part["counts"][key]
        if part["longest_path"][0] > merged["longest_path"][0]:
            merged["longest_path"] = part["longest_path"]
        batches.extend(part["slowest"])
        for key in ("used", "unused"):
            merged["prefetched"][key] += part["prefetched"][key]
    merged["slowest"] = _slowest(batches)
    merged["scope_ids"], merged["failed_scope_ids"] = list(scope_ids), list(failed_scopes)
    merged["preparations"], merged["failed_preparations"] = len(scope_ids), len(failed_scopes)
    return merged


def summary_lines(summary: Mapping[str, Any], verbosity: int) -> list[tuple[str, bool]]:
    """The lines of the ``warmup`` section: (text, is a problem).

    ``-q``: only what needs attention (failed or kept resources); by default one line; with
    ``-v`` the counts, the times with the critical path, and the slowest batches.
    """
    if not summary["preparations"]:
        return []
    counts = summary["counts"]
    trouble = bool(counts["failed"] or counts["blocked"] or summary["failed_preparations"])
    if verbosity < 0 and not (trouble or counts["kept"]):
        return []
    if verbosity <= 0:
        return [(_one_line(summary), trouble), *_prefetch_lines(summary)]
    producers = _plural(summary["preparations"], "producer instance")
    if summary["failed_preparations"]:
        producers += f" ({summary['failed_preparations']} failed)"
    lines = [
        (f"producers: {producers}", False),
        (
            f"batches: {summary['batch_count']}, {_seconds(summary['batch_ms'])} in plans",
            False,
        ),
        (
            f"nodes: {counts['prepared']} prepared, {counts['overridden']} overridden, "
            f"{counts['failed']} failed"
            + (f", {counts['blocked']} blocked" if counts["blocked"] else "")
            + f", {counts['cleaned_up']} cleaned up, {counts['kept']} kept",
            trouble,
        ),
        (_time_line(summary), False),
        *_prefetch_lines(summary),
    ]
    if summary["slowest"]:
        lines.append((f"slowest {_plural(len(summary['slowest']), 'batch', 'batches')}:", False))
        lines.extend(
            (
                f"  {_seconds(milliseconds)} {plan} ({_plural(count, 'node')}) {scope_id}",
                False,
            )
            for milliseconds, plan, count, scope_id in summary["slowest"]
        )
    return lines


def _prefetch_lines(summary: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """``--warmup-prefetch``: how many instances were prepared ahead of their tests."""
    used, unused = summary["prefetched"]["used"], summary["prefetched"]["unused"]
    if not (used or unused):
        return []
    text = f"prefetch: {_plural(used + unused, 'producer instance')} prepared ahead of their tests"
    if unused:
        text += f", {unused} of them unused (their producer did not run)"
    return [(text, False)]


def _one_line(summary: Mapping[str, Any]) -> str:
    counts = summary["counts"]
    failed = summary["failed_preparations"]
    text = (
        f"{_plural(summary['preparations'], 'producer instance')}"
        + (f" ({failed} failed)" if failed else "")
        + ", "
        f"{_plural(summary['batch_count'], 'batch', 'batches')}: "
        f"{_plural(counts['prepared'], 'node')} prepared"
    )
    for key in ("overridden", "failed", "blocked", "kept"):
        if counts[key]:
            text += f", {counts[key]} {key}"
    return (
        f"{text} in {_seconds(summary['duration_ms'])} "
        f"(critical path {_seconds(summary['critical_ms'])})"
    )


def _time_line(summary: Mapping[str, Any]) -> str:
    text = (
        f"time: {_seconds(summary['duration_ms'])} preparing, critical path "
        f"{_seconds(summary['critical_ms'])}"
    )
    _, scope_id, chain = summary["longest_path"]
    if len(chain) > 1 or summary["preparations"] > 1:
        steps = " -> ".join(f"{plan} {_seconds(taken)}" for plan, taken in chain)
        longest = f"; longest in {scope_id}" if summary["preparations"] > 1 else ""
        text += f" ({steps}{longest})" if steps else ""
    return text


# -- progress -----------------------------------------------------------------------------------


def progress_line(record: PrepareRecord, event: Progress) -> str:
    """One ``-v`` line: a preparation begins or ends, a batch starts or ends (not for
    ``wait``)."""
    if event.kind == "begin":
        tests = _plural(len(record.consumers), "test")
        return f"warmup: {record.description}: {_plural(event.node_count, 'node')} for {tests}"
    if event.kind == "done":
        ended = "stopped" if record.error is not None else "done"
        ahead = ", prepared ahead of its tests" if record.prefetched == "used" else ""
        return f"warmup: {record.description}: {ended} in {_seconds(event.duration_ms)}{ahead}"
    nodes = _plural(event.node_count, "node")
    if event.kind == "start":
        return f"warmup:   {event.plan}: {nodes} ..."
    failed = f", {event.failed} failed" if event.failed else ""
    return f"warmup:   {event.plan}: {nodes} in {_seconds(event.duration_ms)}{failed}"


def status_line(
    record: PrepareRecord, done: int, running: Iterable[str], elapsed_seconds: float
) -> str:
    """The live line of a preparation that takes a while: batches done, plans running."""
    plans = ", ".join(sorted(running))
    return (
        f"warmup: {record.description}: {_plural(done, 'batch', 'batches')} done"
        + (f", running {plans}" if plans else "")
        + f" ({elapsed_seconds:.1f}s)"
    )


# -- the preview (--warmup-plan) ----------------------------------------------------------------


def preview_part(run: RunRecord) -> dict[str, dict[str, Any]]:
    """scope id -> what its producer would prepare, as plain data; the first preview of a
    scope id wins."""
    sections: dict[str, dict[str, Any]] = {}
    for record in run.prepares:
        if record.scope_id not in sections and (
            record.planned is not None or record.error is not None
        ):
            sections[record.scope_id] = _preview(record)
    return sections


def _preview(record: PrepareRecord) -> dict[str, Any]:
    roots: dict[str, dict[str, None]] = {}
    for consumer, requirement in zip(
        record.roots.consumer_ids, record.roots.requirements, strict=True
    ):
        label = requirement.id or f"{requirement.owner_plan.name} (no id)"
        roots.setdefault(label, {})[consumer] = None
    needs: dict[str, list[Any]] = {}
    for consumer, requirement in zip(
        record.roots.consumer_ids, record.roots.requirements, strict=True
    ):
        needs.setdefault(consumer, []).append(requirement)
    reached = {consumer: reachable(wanted) for consumer, wanted in needs.items()}
    batches = []
    for plan, nodes in record.planned or ():
        per_test = sum(1 for node in nodes if node.test_id is not None)
        consumers: dict[str, None] = {}
        for node in nodes:
            if node.test_id is not None:
                consumers[node.test_id] = None
            else:
                consumers.update(
                    (consumer, None) for consumer in needs if node.requirement in reached[consumer]
                )
        batches.append(
            {
                "plan": plan.name,
                "nodes": len(nodes),
                "per_test": per_test,
                "ids": list(dict.fromkeys(node.public_id for node in nodes if node.public_id)),
                "tests": [test for test in record.consumers if test in consumers],
            }
        )
    overrides = record.overrides
    error = record.error
    return {
        "description": record.description,
        "tests": list(record.consumers),
        "roots": [[label, len(consumers)] for label, consumers in roots.items()],
        "batches": batches,
        "overridden": sorted(overrides.get("shared", {}))
        + sorted(
            f"{entry} for {test}"
            for test, entries in overrides.get("tests", {}).items()
            for entry in entries
        ),
        "error": None if error is None else f"{type(error).__name__}: {error}",
    }


def merge_previews(parts: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The previews of several processes (the first one of each scope id), broadest scope
    first."""
    merged: dict[str, Any] = {}
    for part in parts:
        for scope_id, section in part.items():
            merged.setdefault(scope_id, section)
    return dict(sorted(merged.items(), key=lambda item: _scope_order(item[0])))


def _scope_order(scope_id: str) -> tuple[int, str]:
    """Broadest scope first, then by address: the same order under any xdist distribution."""
    parsed = parse_scope_id(scope_id)
    return (SCOPES.index(parsed[0]) if parsed else len(SCOPES)), scope_id


def preview_lines(previews: Mapping[str, Mapping[str, Any]], verbosity: int) -> list[str]:
    """The lines of the ``warmup plan`` section: for each producer instance its roots, its
    batches in order, and the overrides that apply; with ``-v`` the tests of every batch."""
    if not previews:
        return ["no producer would prepare anything for the selected tests"]
    lines: list[str] = []
    for section in previews.values():
        tests = _plural(len(section["tests"]), "test")
        lines.append(f"{section['description']}: {tests}")
        if section["error"] is not None:
            lines.append(f"  error: {section['error']}")
            continue
        roots = ", ".join(
            f"{label} ({_plural(count, 'test')})" for label, count in section["roots"]
        )
        lines.append(f"  roots: {roots or 'none'}")
        for number, batch in enumerate(section["batches"], 1):
            lines.append(
                f"  {number}. {batch['plan']}: {_plural(batch['nodes'], 'node')}, "
                f"{_sharing(batch)}{_ids(batch)}, for {_plural(len(batch['tests']), 'test')}"
            )
            if verbosity > 0:
                lines.extend(f"       {test}" for test in batch["tests"])
        if not section["batches"]:
            lines.append("  nothing to prepare")
        if section["overridden"]:
            lines.append(f"  from snapshots: {', '.join(section['overridden'])}")
    batches = sum(len(section["batches"]) for section in previews.values())
    lines.append(
        f"{_plural(len(previews), 'producer instance')}, "
        f"{_plural(batches, 'batch', 'batches')}; no plan was called (--warmup-plan)"
    )
    return lines


def _sharing(batch: Mapping[str, Any]) -> str:
    per_test, shared = batch["per_test"], batch["nodes"] - batch["per_test"]
    if not per_test:
        return "shared"
    if not shared:
        return "per-test"
    return f"{shared} shared + {per_test} per-test"


def _ids(batch: Mapping[str, Any]) -> str:
    ids: list[str] = batch["ids"]
    if not ids:
        return ""
    shown = ", ".join(ids[:5]) + (f", +{len(ids) - 5} more" if len(ids) > 5 else "")
    return f" ({shown})"
