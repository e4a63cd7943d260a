"""``--warmup-graph PATH``: the selected graph as Mermaid (``.mmd``, ``.md``) or Graphviz DOT
(``.dot``) text, from the graph sections of the run (:func:`~._reports.graph_section`).

One cluster per producer instance, one box per runtime instance labelled by plan and id
(per-test instances also by their test), an arrow from each dependency to its dependant;
overridden, failed and blocked instances are marked. The same inputs give the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

__all__ = ["GRAPH_SUFFIXES", "render_graph"]

#: file suffix -> format
GRAPH_SUFFIXES: Final = {".mmd": "mermaid", ".md": "markdown", ".dot": "dot"}

#: how a node's status shows: a word after its label, Mermaid style, DOT styles and attributes
_MARKS: Final = {
    "overridden": ("from snapshot", "fill:#dbeafe,stroke:#2563eb", "filled", 'fillcolor="#dbeafe"'),
    "failed": ("failed", "fill:#fee2e2,stroke:#dc2626", "", 'color="#dc2626" fontcolor="#dc2626"'),
    "blocked": ("blocked", "fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:4", "dashed", ""),
}


def render_graph(sections: Mapping[str, Mapping[str, Any]], path: Path) -> str:
    """The text of ``path``'s format for the graph sections (scope id -> section)."""
    kind = GRAPH_SUFFIXES[path.suffix.lower()]
    ordered = [sections[scope_id] for scope_id in sorted(sections)]
    if kind == "dot":
        return _dot(ordered)
    text = _mermaid(ordered)
    return f"```mermaid\n{text}```\n" if kind == "markdown" else text


def _lines(node: Mapping[str, Any]) -> list[str]:
    lines = [f"{node['plan']}: {node['id'] or '(no id)'}"]
    if node["test"] is not None:
        lines.append(node["test"])
    mark = _MARKS.get(node["status"])
    if mark is not None:
        lines.append(f"({mark[0]})")
    return lines


def _mermaid_text(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _mermaid(sections: list[Mapping[str, Any]]) -> str:
    out = ["%% pytest-warmup graph (version 1)", "flowchart LR"]
    styled: dict[str, list[str]] = {}
    edges: list[str] = []
    for number, section in enumerate(sections, 1):
        out.append(f'  subgraph p{number}["{_mermaid_text(section["description"])}"]')
        names: dict[str, str] = {}
        for index, node in enumerate(section["nodes"], 1):
            name = names[node["key"]] = f"p{number}n{index}"
            label = "<br/>".join(_mermaid_text(line) for line in _lines(node))
            # per-test instances are rounded, shared ones square
            shape = ('(["', '"])') if node["test"] is not None else ('["', '"]')
            out.append(f"    {name}{shape[0]}{label}{shape[1]}")
            if node["status"] in _MARKS:
                styled.setdefault(node["status"], []).append(name)
        out.append("  end")
        edges.extend(f"  {names[before]} --> {names[after]}" for before, after in section["edges"])
    out.extend(edges)
    for status, members in styled.items():
        out.append(f"  classDef {status} {_MARKS[status][1]}")
        out.append(f"  class {','.join(members)} {status}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a quoted DOT string: \" and \\ escaped


def _dot(sections: list[Mapping[str, Any]]) -> str:
    out = [
        "// pytest-warmup graph (version 1)",
        "digraph warmup {",
        "  rankdir=LR;",
        '  node [shape=box fontname="Helvetica"];',
    ]
    edges: list[str] = []
    for number, section in enumerate(sections, 1):
        out.append(f"  subgraph cluster_{number} {{")
        out.append(f"    label={_dot_text(section['description'])};")
        names: dict[str, str] = {}
        for index, node in enumerate(section["nodes"], 1):
            name = names[node["key"]] = f"p{number}n{index}"
            attributes = [f"label={_dot_text(chr(10).join(_lines(node)))}"]
            styles = ["rounded"] if node["test"] is not None else []  # per-test: rounded
            mark = _MARKS.get(node["status"])
            if mark is not None:
                styles += [mark[2]] if mark[2] else []
                attributes += [mark[3]] if mark[3] else []
            if styles:
                attributes.append(f'style="{",".join(styles)}"')
            out.append(f"    {name} [{' '.join(attributes)}];")
        out.append("  }")
        edges.extend(f"  {names[before]} -> {names[after]};" for before, after in section["edges"])
    out.extend(edges)
    out.append("}")
    return "\n".join(out) + "\n"
