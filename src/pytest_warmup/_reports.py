"""Debug documents out: template, report and save-on-fail sections, derived from the record.

Every section is built from a :class:`~pytest_warmup._record.PrepareRecord` and is plain data
(str keys, lists, JSON scalars), so xdist workers can send it to the controller unchanged. A
document is ``{"scopes": {<scope id>: <section>}, "version": 1}``, written at session end by
:func:`~pytest_warmup._files.write_document`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ._files import FORMAT_VERSION
from ._graph import GraphNode
from ._limits import integer_too_large
from ._nodes import WarmupNode
from ._record import PrepareRecord, RunRecord
from ._slots import map_slots, slot_members
from ._summary import SummaryTotals, batch_waits
from .errors import WarmupError

__all__ = [
    "document",
    "graph_section",
    "merge_sections",
    "release",
    "report_section",
    "run_sections",
    "saved_section",
    "template_section",
    "to_plain",
]


def to_plain(value: Any) -> Any:
    """A JSON-compatible copy: tuples become lists, keys strings, anything else its ``repr``.

    An integer too long for Python to write in decimal becomes its ``hex()`` text.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return hex(value) if integer_too_large(value) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {_plain_key(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    return repr(value)


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)  # what json.dumps would have written: null, true, false
    if isinstance(key, (int, float)):
        return hex(key) if isinstance(key, int) and integer_too_large(key) else str(key)
    return repr(key)


# -- sections -----------------------------------------------------------------------------------


def _addressable(instance: WarmupNode) -> str | None:
    """Where an instance with an id goes: ``shared``, ``tests``, or ``None`` (no id)."""
    if instance.public_id is None:
        return None
    return "shared" if instance.test_id is None else "tests"


def template_section(record: PrepareRecord) -> dict[str, Any] | None:
    """Every id-carrying instance as an empty entry, or ``None`` before the graph existed."""
    if record.instances is None:
        return None
    shared: dict[str, Any] = {}
    tests: dict[str, dict[str, Any]] = {}
    for instance in record.instances:
        where = _addressable(instance)
        if where == "shared":
            shared[instance.public_id] = {}  # type: ignore[index]
        elif where == "tests" and instance.per_test:  # test-local overrides came from a file
            tests.setdefault(instance.test_id, {})[instance.public_id] = {}  # type: ignore[arg-type,index]
    return {"shared": shared, "tests": tests}


def graph_section(record: PrepareRecord) -> dict[str, Any] | None:
    """Every instance (plan, id, test, status) and dependency edge, the batches that ran (when
    each started and how long it took, in milliseconds after the preparation began, and the
    earlier batches it waited on, by index) and the preparation's time, for
    ``--warmup-graph``; ``None`` before the graph existed."""
    if record.instances is None:
        return None
    nodes = [
        {
            "key": node.runtime_key,
            "plan": node.requirement.owner_plan.name,
            "id": node.public_id,
            "test": node.test_id,
            "status": _graph_status(node),
        }
        for node in record.instances
    ]
    edges = [
        [dependency.runtime_key, node.runtime_key]
        for node in record.instances
        for dependency in slot_members(node.dependencies)
    ]
    reports = record.runtime.batch_reports if record.runtime is not None else []
    batches = [
        {
            "plan": report.plan,
            "keys": list(report.runtime_keys),
            "start_ms": report.started_ms,
            "duration_ms": report.duration_ms,
            "waits": waits,
        }
        for report, waits in zip(reports, batch_waits(reports), strict=True)
    ]
    return {
        "description": record.description,
        "nodes": nodes,
        "edges": edges,
        "batches": batches,
        "duration_ms": record.duration_ms,
    }


def _graph_status(node: WarmupNode) -> str:
    if node.overridden:
        return "overridden"
    if node.has_exception:
        return "failed"
    if node.blocked_by is not None:
        return "blocked"
    return "prepared" if node.has_value else "pending"


def saved_section(record: PrepareRecord) -> tuple[dict[str, Any], str | None]:
    """The template where each instance with a value carries it, through the plan's
    ``serialize_snapshot_value``; test-local overrides appear under ``tests``.

    If any value cannot be serialized the plain template is returned, with the reason.
    """
    plain = template_section(record) or {"shared": {}, "tests": {}}
    if record.instances is None:
        return plain, None
    shared: dict[str, Any] = {}
    tests: dict[str, dict[str, Any]] = {}
    try:
        for instance in record.instances:
            where = _addressable(instance)
            if where is None:
                continue
            entry = {"value": _serialized(instance)} if instance.has_value else {}
            if where == "shared":
                shared[instance.public_id] = entry  # type: ignore[index]
            else:
                tests.setdefault(instance.test_id, {})[instance.public_id] = entry  # type: ignore[arg-type,index]
    except WarmupError as exc:
        return plain, str(exc)
    return {"shared": shared, "tests": tests}, None


def _serialized(instance: WarmupNode) -> Any:
    requirement = instance.requirement
    try:
        value = requirement.owner_plan.serialize_snapshot_value(requirement, instance.value)
        json.dumps(value)
    except Exception as exc:
        raise WarmupError(
            f"value of {instance.public_id!r} ({instance.runtime_key}) cannot be saved: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    # json.dumps accepted it, so it is JSON data; to_plain only turns tuples into lists.
    return to_plain(value)


def report_section(record: PrepareRecord) -> dict[str, Any]:
    """Everything one ``prepare()`` selected, built and ran; a reduced section if that fails."""
    try:
        return _full_report(record)
    except Exception as exc:
        return {
            "scope_id": record.scope_id,
            "status": "failed",
            "producer_scope": record.scope,
            "selected_test_ids": list(record.consumers),
            "error": _error_of(record),
            "report_error": f"{type(exc).__name__}: {exc}",
            "trace": list(record.runtime.trace) if record.runtime is not None else [],
        }


def _full_report(record: PrepareRecord) -> dict[str, Any]:
    graph, instances, runtime = record.graph, record.instances, record.runtime
    # Instances whose value another preparation made (under xdist, another worker) are that
    # preparation's: listed apart, so that merged reports count each instance once.
    own = [node for node in instances or () if not node.given]
    given = [_instance(node) for node in instances or () if node.given]
    section = {
        "scope_id": record.scope_id,
        "producer_scope": record.scope,
        "status": record.status,
        "selected_test_ids": list(record.consumers),
        "selected_roots": [
            {
                "consumer_id": root.consumer_id,
                "source_kind": root.source_kind,
                "source_name": root.source_name,
                "argument_name": root.argument_name,
                "plan": root.requirement.owner_plan.name,
                "public_id": root.requirement.id,
                "producer_fixture": root.producer_fixture,
            }
            for root in record.roots
        ],
        "normalized_nodes": [_node(node) for node in graph.nodes] if graph else [],
        "runtime_instances": [_instance(node) for node in own],
        "overrides": to_plain(record.overrides),
        "batch_reports": [
            {
                "plan": batch.plan,
                "node_count": batch.node_count,
                "runtime_keys": list(batch.runtime_keys),
                "duration_ms": batch.duration_ms,
                "started_ms": batch.started_ms,
            }
            for batch in (runtime.batch_reports if runtime is not None else ())
        ],
        "trace": list(runtime.trace) if runtime is not None else [],
        "error": _error_of(record),
    }
    if given:
        section["given_instances"] = given
    return section


def _node(node: GraphNode) -> dict[str, Any]:
    keys = to_plain(map_slots(node.dependencies, _key))
    return {
        "node_key": node.key,
        "plan": node.plan_name,
        "public_id": node.requirement.id,
        "payload": to_plain(node.requirement.payload),
        "dependency_keys": keys,
        "declared_per_test": node.requirement.is_per_test,
        "effective_per_test": node.per_test,
    }


def _key(node: GraphNode) -> str:
    return node.key


def _runtime_key(instance: WarmupNode) -> str:
    return instance.runtime_key


def _instance(instance: WarmupNode) -> dict[str, Any]:
    keys = to_plain(map_slots(instance.dependencies, _runtime_key))
    return {
        "runtime_key": instance.runtime_key,
        "node_key": instance.graph_node.key,
        "plan": instance.requirement.owner_plan.name,
        "public_id": instance.public_id,
        "test_id": instance.test_id,
        "per_test": instance.per_test,
        "dependency_runtime_keys": keys,
        "status": instance.status,
    }


def _error_of(record: PrepareRecord) -> dict[str, str] | None:
    """The first failure: the producer's error, else the first failed instance's exception."""
    error = record.error
    if error is None and record.instances is not None:
        error = next(
            (node.exception for node in record.instances if node.exception is not None),
            None,
        )
    if error is None:
        return None
    return {"type": type(error).__name__, "message": str(error)}


# -- documents ----------------------------------------------------------------------------------


def run_sections(run: RunRecord, kinds: Iterable[str]) -> dict[str, dict[str, Any]]:
    """kind -> scope id -> section, for this process. Preparations of one scope id (a scope
    set up twice, or, under pytest-xdist, its shared part and this worker's per-test parts)
    are merged into one section."""
    wanted = set(kinds)
    sections: dict[str, dict[str, Any]] = {
        kind: dict(run.released_sections.get(kind, {})) for kind in wanted
    }
    for record in run.prepares:
        _add_sections(sections, record, wanted)
    if run.released_sections:  # in the order the scopes were first prepared in
        last = len(run.scope_order)
        for kind, by_scope in sections.items():
            ordered = sorted(by_scope, key=lambda scope_id: run.scope_order.get(scope_id, last))
            sections[kind] = {scope_id: by_scope[scope_id] for scope_id in ordered}
    return sections


def release(run: RunRecord, record: PrepareRecord, kinds: Iterable[str]) -> None:
    """Take a finished preparation out of ``run.prepares``, keeping what the run's outputs
    need of it as plain data: its summary totals, and its sections of the files ``kinds``
    asks for. Its instances, values, graph and runtime are then free to go: a run of
    thousands of function-scoped producer instances does not hold them all to its end."""
    if run.released_summary is None:
        run.released_summary = SummaryTotals().data
    SummaryTotals(run.released_summary).add(record)
    wanted = set(kinds)
    if wanted:
        for kind in wanted:
            run.released_sections.setdefault(kind, {})
        _add_sections(run.released_sections, record, wanted)
    run.prepares.remove(record)


def _add_sections(
    sections: dict[str, dict[str, Any]], record: PrepareRecord, wanted: set[str]
) -> None:
    """Add ``record``'s sections of the ``wanted`` kinds; one scope id's sections merge. An
    instance prepared ahead (``--warmup-prefetch``) that its producer never took has none: its
    producer's own preparation of that scope, if any, is the one the files describe."""
    if record.prefetched == "unused":
        return

    def add(kind: str, scope_id: str, section: dict[str, Any]) -> None:
        target = sections[kind]
        existing = target.get(scope_id)
        target[scope_id] = section if existing is None else _merged(kind, existing, section)

    # An instance prepared ahead whose producer never ran (--warmup-prefetch) was reported
    # and cleaned up, but the run did not select it: no template entries.
    if "template" in wanted:
        template = template_section(record)
        if template is not None:
            add("template", record.scope_id, template)
    if "report" in wanted:
        add("report", record.scope_id, report_section(record))
    if "graph" in wanted:
        graph = graph_section(record)
        if graph is not None:
            add("graph", record.scope_id, graph)
    if record.saved is not None:
        if "save" in wanted:
            add("save", record.scope_id, record.saved)
        if "save_on_fail" in wanted and record.status == "failed":
            add("save_on_fail", record.scope_id, record.saved)


def merge_sections(
    parts: Iterable[Mapping[str, Mapping[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Merge the sections of several processes (controller first, then workers by id): one
    scope id from several workers becomes one section (:func:`_merged`)."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for kind, sections in part.items():
            target = merged.setdefault(kind, {})
            for scope_id, section in sections.items():
                existing = target.get(scope_id)
                target[scope_id] = section if existing is None else _merged(kind, existing, section)
    return merged


#: report fields that list what each preparation did: concatenated when sections merge
_REPORT_LISTS = (
    "selected_roots",
    "runtime_instances",
    "given_instances",
    "batch_reports",
    "trace",
)


def _merged(kind: str, first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two sections of one scope id as one: snapshot-shaped sections take the entries of both
    (the first wins a clash); a report lists what both did, and is failed if either is."""
    if kind == "graph":
        return _merged_graph(first, second)
    if kind != "report":
        shared = {**second.get("shared", {}), **first.get("shared", {})}
        tests = {test: dict(entries) for test, entries in second.get("tests", {}).items()}
        for test, entries in first.get("tests", {}).items():
            tests[test] = {**tests.get(test, {}), **entries}
        return {**second, **first, "shared": shared, "tests": tests}
    merged = dict(first)
    if second.get("status") == "failed" and first.get("status") != "failed":
        merged["status"] = "failed"
        merged["error"] = second.get("error")
    merged["selected_test_ids"] = list(
        dict.fromkeys([*first.get("selected_test_ids", []), *second.get("selected_test_ids", [])])
    )
    for name in _REPORT_LISTS:
        if name in first or name in second:
            merged[name] = [*first.get(name, []), *second.get(name, [])]
    # node keys are numbers within one preparation's graph: the same node may have two
    nodes = {
        json.dumps(
            {k: v for k, v in node.items() if k not in ("node_key", "dependency_keys")},
            sort_keys=True,
        ): node
        for node in [*second.get("normalized_nodes", []), *first.get("normalized_nodes", [])]
    }
    if "normalized_nodes" in first or "normalized_nodes" in second:
        merged["normalized_nodes"] = list(nodes.values())
    if "overrides" in first or "overrides" in second:
        merged["overrides"] = _merged(
            "overrides", first.get("overrides") or {}, second.get("overrides") or {}
        )
    return merged


#: which of two statuses of one instance a merged graph shows: the later in this order
_GRAPH_STATUS_ORDER = ("pending", "prepared", "overridden", "blocked", "failed")


def _merged_graph(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two graph sections of one scope id (under xdist, two workers' parts) as one: an
    instance is its plan, id and test, whichever part has it; the second part's batches follow
    the first's. Keys are numbered per preparation, so the second part's are mapped onto the
    first's, or renamed when they clash."""

    def identity(node: Mapping[str, Any]) -> tuple[Any, ...]:
        return node["plan"], node["id"], node["test"]

    nodes = [dict(node) for node in first["nodes"]]
    known = {identity(node): node for node in nodes}
    used = {node["key"] for node in nodes}
    rename: dict[str, str] = {}
    rank = _GRAPH_STATUS_ORDER.index
    for node in second["nodes"]:
        same = known.get(identity(node))
        if same is not None:
            rename[node["key"]] = same["key"]
            if rank(node["status"]) > rank(same["status"]):
                same["status"] = node["status"]
            continue
        key = node["key"]
        while key in used:
            key += "'"
        used.add(key)
        rename[node["key"]] = key
        nodes.append({**node, "key": key})
    edges = [list(edge) for edge in first["edges"]]
    seen = {tuple(edge) for edge in edges}
    for before, after in second["edges"]:
        edge = (rename[before], rename[after])
        if edge not in seen:
            seen.add(edge)
            edges.append(list(edge))
    offset = len(first.get("batches", ()))
    batches = [*first.get("batches", ())] + [
        {
            **batch,
            "keys": [rename[key] for key in batch["keys"]],
            "waits": [offset + index for index in batch["waits"]],
        }
        for batch in second.get("batches", ())
    ]
    durations = [d for d in (first.get("duration_ms"), second.get("duration_ms")) if d is not None]
    return {
        **first,
        "nodes": nodes,
        "edges": edges,
        "batches": batches,
        "duration_ms": max(durations) if durations else None,
    }


def document(sections: Mapping[str, Any]) -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "scopes": dict(sections)}
