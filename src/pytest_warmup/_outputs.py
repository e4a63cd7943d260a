"""The end of a run: the files it writes and the checks over the whole run.

Under pytest-xdist each worker sends its part (sections, snapshot_id claims, warnings, its
summary and plan preview: plain data) to the controller, which merges the parts, writes each
file once and checks for unused ``--warmup-snapshot-for`` targets over every worker. What goes
wrong ends up in the run record's problems, which the terminal summary shows.
"""

from __future__ import annotations

from typing import Any, Final

from ._files import write_document, write_text
from ._reports import document, merge_sections, run_sections
from ._session import WarmupSession
from ._snapshot_options import unused_targets_message
from ._summary import preview_part, summary_part

__all__ = ["WORKER_OUTPUT_KEY", "add_worker_part", "end_run", "worker_part"]

#: the key of this plugin's data in an xdist worker's ``workeroutput``
WORKER_OUTPUT_KEY: Final = "pytest_warmup"


def worker_part(session: WarmupSession) -> dict[str, Any]:
    """This process's part of the run, as plain data an xdist worker can send."""
    return {
        "sections": run_sections(session.record, session.settings.outputs),
        "claimed": sorted(session.snapshots.claimed),
        "warnings": list(session.record.warnings),
        "summary": summary_part(session.record),
        "preview": preview_part(session.record) if session.settings.preview else {},
    }


def add_worker_part(session: WarmupSession, worker_id: str, part: dict[str, Any] | None) -> None:
    """The controller's side: keep what a finished xdist worker sent (``None``: it crashed)."""
    if part is None:
        session.lost_workers.append(worker_id)
    else:
        session.worker_outputs[worker_id] = part


def end_run(session: WarmupSession, *, check_targets: bool) -> bool:
    """Write the files (merged with the workers' parts) and check for unused
    ``--warmup-snapshot-for`` targets. Returns whether the run must end as a usage error: a
    file asked for could not be written, or a target was not used."""
    record, outputs = session.record, session.settings.outputs
    parts = [worker_part(session)]
    parts.extend(
        session.worker_outputs[worker]
        for worker in sorted(session.worker_outputs, key=lambda name: (len(name), name))
    )
    record.warnings[:] = dict.fromkeys(w for part in parts for w in part["warnings"])
    merged = merge_sections(part["sections"] for part in parts)
    failed_writes = False
    for kind, output in outputs.items():
        try:
            if kind == "graph":
                from ._diagrams import render_graph  # loaded only by runs that ask for one

                write_text(output.path, render_graph(merged.get(kind, {}), output.path))
            else:
                write_document(output.path, document(merged.get(kind, {})))
        except OSError as exc:
            record.problems.append(f"could not write {output.flag} file {output.given!r}: {exc}")
            failed_writes = True
        else:
            record.written.append((output.flag, str(output.path.resolve())))
    targets = getattr(session.config.option, "warmup_snapshot_for", None)
    lost = session.lost_workers
    if lost and (outputs or targets):
        record.problems.append(
            f"xdist worker(s) {', '.join(lost)} went down without reporting back; "
            "pytest-warmup files miss their sections and unused --warmup-snapshot-for targets "
            "are not checked"
        )
    if not check_targets or lost:
        return failed_writes
    claimed = {snapshot_id for part in parts for snapshot_id in part["claimed"]}
    message = unused_targets_message(targets, claimed)
    if message is None:
        return failed_writes
    record.problems.append(message)
    return True
