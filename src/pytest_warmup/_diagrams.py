"""``--warmup-graph PATH``: the selected graph as Mermaid (``.mmd``, ``.md``), Graphviz DOT
(``.dot``) or one self-contained HTML page (``.html``), from the graph sections of the run
(:func:`~._reports.graph_section`).

One cluster per producer instance, one box per runtime instance labelled by plan and id
(per-test instances also by their test), an arrow from each dependency to its dependant;
overridden, failed and blocked instances are marked. The HTML page draws the same boxes as
inline SVG, laid out in columns by dependency depth, with a timeline of the batches and a
table of every instance's status and times; it loads nothing (no script, no network). The
same inputs give the same text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

__all__ = ["GRAPH_SUFFIXES", "render_graph"]

#: file suffix -> format
GRAPH_SUFFIXES: Final = {".mmd": "mermaid", ".md": "markdown", ".dot": "dot", ".html": "html"}

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
    if kind == "html":
        return _html(ordered)
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


# -- HTML ---------------------------------------------------------------------------------------


def _depths(section: Mapping[str, Any]) -> dict[str, int]:
    """Each instance's column: 0 without dependencies, else one more than its deepest
    dependency's."""
    keys = [node["key"] for node in section["nodes"]]
    before: dict[str, list[str]] = {key: [] for key in keys}
    after: dict[str, list[str]] = {key: [] for key in keys}
    for first, second in section["edges"]:
        if first in before and second in before:
            before[second].append(first)
            after[first].append(second)
    depth = dict.fromkeys(keys, 0)
    waiting = {key: len(before[key]) for key in keys}
    ready = [key for key in keys if not waiting[key]]
    while ready:
        key = ready.pop()
        for following in after[key]:
            depth[following] = max(depth[following], depth[key] + 1)
            waiting[following] -= 1
            if not waiting[following]:
                ready.append(following)
    return depth


def _colours(status: str) -> tuple[str, str, bool]:
    """(fill, stroke, dashed) of an instance: the Mermaid style of its mark, else plain."""
    mark = _MARKS.get(status)
    if mark is None:
        return "#ffffff", "#4b5563", False
    style = dict(item.split(":", 1) for item in mark[1].split(","))
    return style["fill"], style["stroke"], "stroke-dasharray" in style


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


#: what an empty table cell shows: an en dash, as an HTML entity
_NONE: Final = "&ndash;"


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


#: page layout, in CSS pixels; text is monospace, so a label's width follows its length
_CHAR = 7.4
_LINE = 16
_PAD = 8
_GAP_X = 56
_GAP_Y = 14
_BARS = 640
_ROW = 24
_BAR_COLOUR = "#4f46e5"

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111827; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; }
h3 { font-size: 14px; margin: 16px 0 6px; color: #374151; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px monospace; fill: #111827; }
svg .axis { fill: #6b7280; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
  vertical-align: -2px; border: 1px solid; }
""".strip()


def _html(sections: list[Mapping[str, Any]]) -> str:
    nodes = sum(len(section["nodes"]) for section in sections)
    batches = sum(len(section.get("batches", ())) for section in sections)
    counts = (
        f"{_plural(len(sections), 'producer instance')}, {_plural(nodes, 'instance')}, "
        f"{_plural(batches, 'batch', 'batches')}"
    )
    legend = "".join(
        f'<span><i style="background:{fill};border-color:{stroke}"></i>{_e(word)}</span>'
        for word, (fill, stroke, _) in [
            ("prepared", _colours("prepared")),
            *((mark[0], _colours(status)) for status, mark in _MARKS.items()),
        ]
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<!-- pytest-warmup graph (version 1) -->",
        "<title>pytest-warmup graph</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        "<h1>pytest-warmup graph</h1>",
        f"<p>{_e(counts)}. Square boxes are shared instances, rounded ones per-test; "
        "an arrow goes from a dependency to what depends on it.</p>",
        f'<p class="legend">{legend}</p>',
    ]
    if not sections:
        out.append("<p>No producer instance built a graph in this run.</p>")
    for number, section in enumerate(sections, 1):
        out.extend(_html_section(number, section))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_section(number: int, section: Mapping[str, Any]) -> list[str]:
    batches: Sequence[Mapping[str, Any]] = section.get("batches", ())
    # batches in the order they started; ``waits`` names them by their index in ``batches``
    order = sorted(range(len(batches)), key=lambda index: (batches[index]["start_ms"], index))
    shown = {index: position for position, index in enumerate(order, 1)}
    batch_of = {key: index for index, batch in enumerate(batches) for key in batch["keys"]}
    took = section.get("duration_ms")
    out = [
        f'<section id="p{number}">',
        f"<h2>{_e(section['description'])}</h2>",
        f"<p>{_plural(len(section['nodes']), 'instance')}, "
        f"{_plural(len(batches), 'batch', 'batches')}"
        + (f", prepared in {_e(_ms(took))}" if took is not None else "")
        + ".</p>",
        "<h3>Graph</h3>",
    ]
    if section["nodes"]:
        out.append(_graph_svg(number, section))
    else:
        out.append("<p>No instance was selected.</p>")
    out.append("<h3>Batches</h3>")
    if batches:
        out.append(_timeline_svg(number, section, order, shown))
        out.append(
            "<table><thead><tr><th>#</th><th>plan</th><th>instances</th><th>started</th>"
            "<th>took</th><th>waited on</th></tr></thead><tbody>"
        )
        for index in order:
            batch = batches[index]
            waits = _waits(batch, shown)
            out.append(
                f'<tr><td class="num">{shown[index]}</td><td>{_e(batch["plan"])}</td>'
                f'<td class="num">{len(batch["keys"])}</td>'
                f'<td class="num">{_e(_ms(batch["start_ms"]))}</td>'
                f'<td class="num">{_e(_ms(batch["duration_ms"]))}</td>'
                f"<td>{_e(waits) if waits else _NONE}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No batch ran (a plan preview, or every instance came from elsewhere).</p>")
    out.append("<h3>Instances</h3>")
    out.append(
        "<table><thead><tr><th>plan</th><th>id</th><th>test</th><th>status</th><th>batch</th>"
        "<th>started</th><th>took</th></tr></thead><tbody>"
    )
    for node in section["nodes"]:
        fill, stroke, _ = _colours(node["status"])
        ran = batch_of.get(node["key"])
        if ran is None:
            timing = f'<td class="num">{_NONE}</td>' * 3
        else:
            batch = batches[ran]
            timing = (
                f'<td class="num">#{shown[ran]}</td>'
                f'<td class="num">{_e(_ms(batch["start_ms"]))}</td>'
                f'<td class="num">{_e(_ms(batch["duration_ms"]))}</td>'
            )
        out.append(
            f"<tr><td>{_e(node['plan'])}</td><td>{_e(node['id'] or '(no id)')}</td>"
            f"<td>{_e(node['test'] or 'shared')}</td>"
            f'<td style="background:{fill};color:{stroke}">{_e(node["status"])}</td>'
            f"{timing}</tr>"
        )
    out += ["</tbody></table>", "</section>"]
    return out


def _waits(batch: Mapping[str, Any], shown: Mapping[int, int]) -> str:
    """The batches ``batch`` waited on, by their numbers on the page."""
    return ", ".join(f"#{number}" for number in sorted(shown[index] for index in batch["waits"]))


def _graph_svg(number: int, section: Mapping[str, Any]) -> str:
    depth = _depths(section)
    columns: list[list[Mapping[str, Any]]] = [[] for _ in range(max(depth.values()) + 1)]
    for node in section["nodes"]:
        columns[depth[node["key"]]].append(node)
    # each column in the order of its nodes' dependencies' rows, to keep arrows short
    row: dict[str, float] = {}
    dependencies: dict[str, list[str]] = {}
    for first, second in section["edges"]:
        dependencies.setdefault(second, []).append(first)
    for column in columns:
        column.sort(
            key=lambda node: (
                sum(row.get(d, 0.0) for d in dependencies.get(node["key"], ()))
                / max(1, len(dependencies.get(node["key"], ())))
            )
        )
        row.update((node["key"], float(place)) for place, node in enumerate(column))
    labels = {node["key"]: _lines(node) for node in section["nodes"]}
    widths = [
        max(len(line) for node in column for line in labels[node["key"]]) * _CHAR + 2 * _PAD
        for column in columns
    ]

    def height(node: Mapping[str, Any]) -> float:
        return len(labels[node["key"]]) * _LINE + 2 * _PAD - 4

    heights = [sum(height(node) + _GAP_Y for node in column) - _GAP_Y for column in columns]
    total_height = max(heights) + 2 * _PAD
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = float(_PAD)
    for column, width, column_height in zip(columns, widths, heights, strict=True):
        y = _PAD + (total_height - 2 * _PAD - column_height) / 2
        for node in column:
            boxes[node["key"]] = (x, y, width, height(node))
            y += height(node) + _GAP_Y
        x += width + _GAP_X
    total_width = x - _GAP_X + _PAD
    marker = f"p{number}arrow"
    out = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" '
        f'height="{total_height:.0f}" viewBox="0 0 {total_width:.0f} {total_height:.0f}" '
        f'role="img" aria-label="graph of {_e(section["description"])}">',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'fill="#6b7280"/></marker></defs>',
    ]
    for first, second in section["edges"]:
        x1, y1, w1, h1 = boxes[first]
        x2, y2, _, h2 = boxes[second]
        start, end = (x1 + w1, y1 + h1 / 2), (x2, y2 + h2 / 2)
        bend = (end[0] - start[0]) / 2
        out.append(
            f'<path d="M{start[0]:.1f},{start[1]:.1f} C{start[0] + bend:.1f},{start[1]:.1f} '
            f'{end[0] - bend:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}" fill="none" '
            f'stroke="#6b7280" stroke-width="1.5" marker-end="url(#{marker})"/>'
        )
    for node in section["nodes"]:
        bx, by, bw, bh = boxes[node["key"]]
        fill, stroke, dashed = _colours(node["status"])
        rounded = 12 if node["test"] is not None else 2
        lines = labels[node["key"]]
        out.append(
            f'<g class="node {_e(node["status"])}"><title>{_e(chr(10).join(lines))}</title>'
            f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
            f'rx="{rounded}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"'
            + (' stroke-dasharray="4 3"' if dashed else "")
            + "/>"
            + "".join(
                f'<text x="{bx + _PAD:.1f}" y="{by + _PAD + 12 + line * _LINE:.1f}">'
                f"{_e(text)}</text>"
                for line, text in enumerate(lines)
            )
            + "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _timeline_svg(
    number: int, section: Mapping[str, Any], order: list[int], shown: Mapping[int, int]
) -> str:
    batches: Sequence[Mapping[str, Any]] = section["batches"]
    failed = {node["key"] for node in section["nodes"] if node["status"] == "failed"}
    labels = {
        index: f"#{shown[index]} {batches[index]['plan']} ({len(batches[index]['keys'])})"
        for index in order
    }
    left = max(len(label) for label in labels.values()) * _CHAR + 2 * _PAD
    span = max(
        [section.get("duration_ms") or 0.0]
        + [batch["start_ms"] + batch["duration_ms"] for batch in batches]
    )
    span = span if span > 0 else 1.0
    top = 26
    width = left + _BARS + 90
    height = top + len(order) * _ROW + _PAD
    marker = f"p{number}wait"

    def x_of(milliseconds: float) -> float:
        return left + milliseconds / span * _BARS

    row = {index: top + place * _ROW for place, index in enumerate(order)}
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="batches of {_e(section["description"])}">',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'fill="#9ca3af"/></marker></defs>',
    ]
    for step in range(5):
        at = span * step / 4
        tick = x_of(at)
        anchor = "start" if step == 0 else "end" if step == 4 else "middle"
        out.append(
            f'<line x1="{tick:.1f}" y1="{top - 6}" x2="{tick:.1f}" y2="{height - _PAD}" '
            'stroke="#e5e7eb"/>'
            f'<text class="axis" x="{tick:.1f}" y="{top - 10}" text-anchor="{anchor}">'
            f"{_e(_ms(at))}</text>"
        )
    for index in order:
        batch = batches[index]
        start, end = x_of(batch["start_ms"]), x_of(batch["start_ms"] + batch["duration_ms"])
        bar_width = max(3.0, end - start)
        y = row[index]
        colour = "#dc2626" if failed & set(batch["keys"]) else _BAR_COLOUR
        waits = _waits(batch, shown)
        tip = (
            f"{batch['plan']}: {_plural(len(batch['keys']), 'instance')}, started at "
            f"{_ms(batch['start_ms'])}, took {_ms(batch['duration_ms'])}"
            + (f", waited on {waits}" if waits else "")
        )
        for waited in batch["waits"]:
            other = batches[waited]
            wx = x_of(other["start_ms"]) + max(
                3.0, x_of(other["start_ms"] + other["duration_ms"]) - x_of(other["start_ms"])
            )
            out.append(
                f'<path d="M{wx:.1f},{row[waited] + _ROW / 2 - 2:.1f} V{y + _ROW / 2 - 2:.1f} '
                f'H{start:.1f}" fill="none" stroke="#9ca3af" stroke-dasharray="3 2" '
                f'marker-end="url(#{marker})"/>'
            )
        out.append(
            f'<g class="batch"><title>{_e(tip)}</title>'
            f'<text x="{_PAD}" y="{y + 15}">{_e(labels[index])}</text>'
            f'<rect x="{start:.1f}" y="{y + 3}" width="{bar_width:.1f}" height="{_ROW - 10}" '
            f'rx="2" fill="{colour}"/>'
            f'<text class="axis" x="{start + bar_width + 6:.1f}" y="{y + 15}">'
            f"{_e(_ms(batch['duration_ms']))}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)
