"""A plan module for pytester suites that records what it prepares, and a reader for the record.

``install(pytester)`` writes ``plans.py`` into the pytester directory. Its ``RecordingPlan``
appends one JSON line per batch (plan, producer scope, selected test ids, nodes) to
``warmup_log.jsonl``; ``produce(warmup_mgr, *plans)`` prepares and appends a line with the
producer's scope id. Each node's value is ``{"id": ..., "test_id": ..., "deps": {...}}``, and a
node whose payload has ``"fail": "<text>"`` gets ``RuntimeError("<text>")`` instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

PLANS_SOURCE = """
import json
import pathlib
import threading

from pytest_warmup import WarmupPlan

LOG = pathlib.Path(__file__).parent / "warmup_log.jsonl"
_LOCK = threading.Lock()


def write(entry):
    with _LOCK, LOG.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


def describe(node):
    label = node.id or node.payload.get("name", "?")
    return f"{label}@{node.test_id}" if node.test_id else label


class RecordingPlan(WarmupPlan):
    def prepare(self, nodes, runtime):
        write(
            {
                "plan": self.name,
                "scope": runtime.producer_scope,
                "selected": list(runtime.selected_test_ids),
                "nodes": [describe(node) for node in nodes],
            }
        )
        for node in nodes:
            if "fail" in node.payload:
                runtime.set_exception(node, RuntimeError(node.payload["fail"]))
            else:
                runtime.set(node, {"id": node.id, "test_id": node.test_id, "deps": dict(node.deps)})


def produce(warmup_mgr, *plans):
    prepared = warmup_mgr.use(*plans).prepare()
    write({"producer": prepared.scope_id})
    return prepared
"""


@dataclass
class Prepare:
    """One ``produce(...)`` call: the producer's scope id and the batches it ran."""

    scope_id: str
    batches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def selected(self) -> list[str]:
        """The covered test ids, as the batches saw them (empty when no batch ran)."""
        return self.batches[0]["selected"] if self.batches else []

    @property
    def nodes(self) -> list[str]:
        """Every prepared instance, ``id`` or ``id@<test id>``, in batch order."""
        return [node for batch in self.batches for node in batch["nodes"]]


def install(pytester: pytest.Pytester) -> None:
    """Write ``plans.py`` (the recording plan) into the pytester directory."""
    pytester.makepyfile(plans=PLANS_SOURCE)


def prepares(pytester: pytest.Pytester) -> list[Prepare]:
    """The recorded ``produce(...)`` calls, in the order they ran."""
    path = pytester.path / "warmup_log.jsonl"
    if not path.exists():
        return []
    found: list[Prepare] = []
    pending: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if "producer" in entry:
            found.append(Prepare(entry["producer"], pending))
            pending = []
        else:
            pending.append(entry)
    return found


def prepared_nodes(pytester: pytest.Pytester) -> list[str]:
    """Every instance any producer prepared, in order."""
    return [node for prepare in prepares(pytester) for node in prepare.nodes]
