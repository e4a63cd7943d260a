"""``--warmup-graph PATH``: the selected graph as Mermaid or Graphviz DOT."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from pytest_warmup._reports import merge_sections
from visibility_suite import SCOPE_ID, called, install

MERMAID_MARKED = """\
%% pytest-warmup graph (version 1)
flowchart LR
  subgraph p1["producer 'shop' (module:test_shop.py::shop)"]
    p1n1["facility: gym<br/>(from snapshot)"]
    p1n2["program: yoga"]
    p1n3(["order: order<br/>test_shop.py::test_books<br/>(failed)"])
    p1n4(["order: order<br/>test_shop.py::test_pays<br/>(failed)"])
  end
  p1n1 --> p1n2
  p1n2 --> p1n3
  p1n2 --> p1n4
  classDef overridden fill:#dbeafe,stroke:#2563eb
  class p1n1 overridden
  classDef failed fill:#fee2e2,stroke:#dc2626
  class p1n3,p1n4 failed
"""

DOT_MARKED = """\
// pytest-warmup graph (version 1)
digraph warmup {
  rankdir=LR;
  node [shape=box fontname="Helvetica"];
  subgraph cluster_1 {
    label="producer 'shop' (module:test_shop.py::shop)";
    p1n1 [label="facility: gym\\n(from snapshot)" fillcolor="#dbeafe" style="filled"];
    p1n2 [label="program: yoga"];
    p1n3 [label="order: order\\ntest_shop.py::test_books\\n(failed)" \
color="#dc2626" fontcolor="#dc2626" style="rounded"];
    p1n4 [label="order: order\\ntest_shop.py::test_pays\\n(failed)" \
color="#dc2626" fontcolor="#dc2626" style="rounded"];
  }
  p1n1 -> p1n2;
  p1n2 -> p1n3;
  p1n2 -> p1n4;
}
"""


@pytest.fixture
def marked(pytester: pytest.Pytester) -> pytest.Pytester:
    """The suite with failing orders and the gym from a snapshot."""
    install(pytester, order_payload='"fail": "no seats left"')
    snapshot = {"version": 1, "scopes": {SCOPE_ID: {"shared": {"gym": {"value": {"id": 1}}}}}}
    (pytester.path / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
    return pytester


def test_mermaid_marks_overridden_failed_and_per_test_nodes(marked: pytest.Pytester) -> None:
    result = marked.runpytest("--warmup-snapshot", "snapshot.json", "--warmup-graph", "g.mmd")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*- generated warmup file (--warmup-graph): *g.mmd -*"])
    assert (marked.path / "g.mmd").read_text(encoding="utf-8") == MERMAID_MARKED


def test_markdown_holds_the_mermaid_in_a_fence(marked: pytest.Pytester) -> None:
    marked.runpytest("--warmup-snapshot", "snapshot.json", "--warmup-graph", "graph.md")
    text = (marked.path / "graph.md").read_text(encoding="utf-8")
    assert text == f"```mermaid\n{MERMAID_MARKED}```\n"


def test_dot_marks_overridden_failed_and_per_test_nodes(marked: pytest.Pytester) -> None:
    marked.runpytest("--warmup-snapshot", "snapshot.json", "--warmup-graph", "g.dot")
    assert (marked.path / "g.dot").read_text(encoding="utf-8") == DOT_MARKED


def test_the_plan_preview_writes_the_graph_without_building_anything(
    pytester: pytest.Pytester,
) -> None:
    install(pytester)
    result = pytester.runpytest("--warmup-plan", "--warmup-graph", "g.mmd")
    assert result.ret == pytest.ExitCode.OK
    assert called(pytester) == []
    text = (pytester.path / "g.mmd").read_text(encoding="utf-8")
    assert '    p1n1["facility: gym"]' in text
    assert "classDef" not in text


def _graph_of_two_modules_on_two_workers(pytester: pytest.Pytester, name: str) -> str:
    """The graph file ``name`` of the example suite plus a second module, run with -n 2."""
    install(pytester)
    pytester.makepyfile(
        test_more="""
from pytest_warmup import warmup_param
from conftest import yoga

@warmup_param("program", yoga)
def test_again(shop, program):
    pass
"""
    )
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--warmup-graph", name
    )
    result.assert_outcomes(passed=4)
    return (pytester.path / name).read_text(encoding="utf-8")


def test_the_graph_under_xdist_holds_every_worker(pytester: pytest.Pytester) -> None:
    text = _graph_of_two_modules_on_two_workers(pytester, "g.dot")
    assert "label=\"producer 'shop' (module:test_more.py::shop)\";" in text
    assert f"label=\"producer 'shop' ({SCOPE_ID})\";" in text


@pytest.mark.parametrize("path", ["graph.svg", "graph"])
def test_an_unknown_format_is_a_usage_error(pytester: pytest.Pytester, path: str) -> None:
    result = pytester.runpytest("--warmup-graph", path)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*argument --warmup-graph: expected a path ending in .mmd, .md, .dot, .html (Mermaid, "
            f"Mermaid in Markdown, Graphviz DOT, HTML page), got '{path}'"
        ]
    )


def test_the_graph_may_not_overwrite_another_output(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmup-report", "out.md", "--warmup-graph", "out.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --warmup-report and --warmup-graph both write 'out.md'; give each its own file"]
    )


# -- the HTML page ------------------------------------------------------------------------------

HTML_INSTANCES_PLANNED = """\
<tr><td>facility</td><td>gym</td><td>shared</td>\
<td style="background:#dbeafe;color:#2563eb">overridden</td>\
<td class="num">&ndash;</td><td class="num">&ndash;</td><td class="num">&ndash;</td></tr>
<tr><td>program</td><td>yoga</td><td>shared</td>\
<td style="background:#ffffff;color:#4b5563">pending</td>\
<td class="num">&ndash;</td><td class="num">&ndash;</td><td class="num">&ndash;</td></tr>
"""


def _page(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest(*args, "--warmup-graph", "g.html")
    result.stdout.fnmatch_lines(["*- generated warmup file (--warmup-graph): *g.html -*"])
    return (pytester.path / "g.html").read_text(encoding="utf-8")


def test_html_is_one_page_that_loads_nothing(marked: pytest.Pytester) -> None:
    text = _page(marked, "--warmup-snapshot", "snapshot.json")
    assert text.startswith("<!DOCTYPE html>\n")
    assert text.endswith("</html>\n")
    # the SVG namespace is a name, not a download; nothing else points outside the page
    assert text.replace('xmlns="http://www.w3.org/2000/svg"', "").count("://") == 0
    for loading in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url(http"):
        assert loading not in text
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in text
    assert text.count('<svg class="graph"') == 1
    assert text.count('<svg class="timeline"') == 1
    assert "<h2>producer &#x27;shop&#x27; (module:test_shop.py::shop)</h2>" in text
    assert "1 producer instance, 4 instances, 2 batches." in text


def test_html_graph_marks_overridden_failed_and_per_test_nodes(marked: pytest.Pytester) -> None:
    text = _page(marked, "--warmup-snapshot", "snapshot.json")
    boxes = re.findall(r'<g class="node (\w+)"><title>([^<]*)</title><rect [^>]* rx="(\d+)"', text)
    assert boxes == [
        ("overridden", "facility: gym\n(from snapshot)", "2"),
        ("prepared", "program: yoga", "2"),
        ("failed", "order: order\ntest_shop.py::test_books\n(failed)", "12"),
        ("failed", "order: order\ntest_shop.py::test_pays\n(failed)", "12"),
    ]
    assert text.count('marker-end="url(#p1arrow)"') == 3  # gym -> yoga -> each order


def test_html_timeline_shows_each_batch_and_what_it_waited_on(marked: pytest.Pytester) -> None:
    text = _page(marked, "--warmup-snapshot", "snapshot.json")
    titles = re.findall(r'<g class="batch"><title>([^<]*)</title>', text)
    assert [re.sub(r"[\d.]+ ms", "T", title) for title in titles] == [
        "program: 1 instance, started at T, took T",
        "order: 2 instances, started at T, took T, waited on #1",
    ]
    bars = re.findall(
        r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="14" rx="2" fill="(#\w+)"', text
    )
    assert bars == ["#4f46e5", "#dc2626"]  # the orders failed
    assert text.count('marker-end="url(#p1wait)"') == 1


def test_html_instance_table_under_the_plan_preview(marked: pytest.Pytester) -> None:
    marked.makepyfile(
        test_shop="""
from pytest_warmup import warmup_param
from conftest import yoga

@warmup_param("program", yoga)
def test_program(shop, program):
    pass
"""
    )
    text = _page(marked, "--warmup-plan", "--warmup-snapshot", "snapshot.json")
    rows = text.split("<th>took</th></tr></thead><tbody>\n")[-1].split("</tbody>")[0]
    assert rows == HTML_INSTANCES_PLANNED
    assert "<p>No batch ran (a plan preview, or every instance came from elsewhere).</p>" in text
    assert {call.split(".")[1] for call in called(marked)} == {"validate_snapshot_value"}


def test_html_escapes_every_text(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from pytest_warmup import WarmupPlan

class Plan(WarmupPlan):
    def prepare_node(self, node):
        return node.id

tricky = Plan("<b>plan</b>")
base = tricky.require(id='<script>alert("x")</script>&')
top = tricky.require(id="top", dependencies={"base": base})

@pytest.fixture
def shop(warmup_mgr):
    return warmup_mgr.use(tricky).prepare()
"""
    )
    pytester.makepyfile(
        test_tricky="""
from pytest_warmup import warmup_param
from conftest import top

@warmup_param("value", top)
def test_it(shop, value):
    assert value == "top"
"""
    )
    text = _page(pytester)
    assert "<script" not in text
    assert "<b>" not in text
    assert "&lt;b&gt;plan&lt;/b&gt;: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in text


def test_html_under_xdist_draws_each_worker_s_batches(pytester: pytest.Pytester) -> None:
    text = _graph_of_two_modules_on_two_workers(pytester, "g.html")
    assert re.findall(r"<h2>(.*?)</h2>", text) == [
        "producer &#x27;shop&#x27; (module:test_more.py::shop)",
        f"producer &#x27;shop&#x27; ({SCOPE_ID})",
    ]
    assert text.count('<svg class="timeline"') == 2


def _node(key: str, plan: str, test: str | None, status: str = "prepared") -> dict[str, Any]:
    return {"key": key, "plan": plan, "id": plan[:3], "test": test, "status": status}


def _batch(plan: str, keys: list[str], waits: list[int]) -> dict[str, Any]:
    return {"plan": plan, "keys": keys, "start_ms": 1.0, "duration_ms": 2.0, "waits": waits}


def test_graph_parts_of_two_workers_merge_instance_by_instance() -> None:
    first = {
        "description": "producer 'shop'",
        "nodes": [_node("n1", "gym", None), _node("n2", "order", "t.py::a")],
        "edges": [["n1", "n2"]],
        "batches": [_batch("gym", ["n1"], []), _batch("order", ["n2"], [0])],
        "duration_ms": 5.0,
    }
    # the other worker got the gym from the first and numbered its own order n2 too
    second = {
        "description": "producer 'shop'",
        "nodes": [_node("n1", "gym", None), _node("n2", "order", "t.py::b", "failed")],
        "edges": [["n1", "n2"]],
        "batches": [_batch("order", ["n2"], [])],
        "duration_ms": 7.0,
    }
    merged = merge_sections([{"graph": {"s": first}}, {"graph": {"s": second}}])["graph"]["s"]
    assert merged == {
        "description": "producer 'shop'",
        "nodes": [
            _node("n1", "gym", None),
            _node("n2", "order", "t.py::a"),
            _node("n2'", "order", "t.py::b", "failed"),
        ],
        "edges": [["n1", "n2"], ["n1", "n2'"]],
        "batches": [
            _batch("gym", ["n1"], []),
            _batch("order", ["n2"], [0]),
            _batch("order", ["n2'"], []),
        ],
        "duration_ms": 7.0,
    }


def test_no_producer_gives_a_page_that_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    text = _page(pytester)
    assert "<p>0 producer instances, 0 instances, 0 batches." in text
    assert "<p>No producer instance built a graph in this run.</p>" in text


# -- the HTML page in a browser -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: what the page measures of itself when a browser lays it out (added to a copy of the page)
MEASURE = """<script>
const box = (selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom];
};
document.body.setAttribute("data-boxes", JSON.stringify({
  graph: box("svg.graph"), timeline: box("svg.timeline"),
  nodes: document.querySelectorAll("svg.graph rect").length,
  bars: document.querySelectorAll("svg.timeline rect").length,
}));
</script>"""


def _chromium(page: Path, *args: str) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
            "--force-device-scale-factor=1",
            f"--user-data-dir={page.parent / 'chromium-profile'}",
            "--window-size=1200,900",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, RGB rows) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    width = height = channels = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0), (depth, interlace)
            assert colour in (2, 6), colour  # RGB or RGBA
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            compressed += body
    raw = zlib.decompress(compressed)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                line[i] = (line[i] + near[2]) & 0xFF
        rows.append(bytes(b for i, b in enumerate(line) if i % channels < 3))
        previous = line
    return width, height, rows


def _colours_in(rows: list[bytes], box: list[float]) -> dict[tuple[int, int, int], int]:
    """How many pixels of each colour lie inside ``box`` (left, top, right, bottom)."""
    found: dict[tuple[int, int, int], int] = {}
    left, top, right, bottom = (round(edge) for edge in box)
    for row in rows[top:bottom]:
        for x in range(left, right):
            pixel = (row[3 * x], row[3 * x + 1], row[3 * x + 2])
            found[pixel] = found.get(pixel, 0) + 1
    return found


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it where "
    "apt-get works)",
)
def test_html_renders_graph_and_timeline_in_chromium(marked: pytest.Pytester) -> None:
    _page(marked, "--warmup-snapshot", "snapshot.json")
    page = marked.path / "g.html"
    # where the browser lays out the graph and the timeline, read back from a measuring copy
    measuring = marked.path / "measure.html"
    measuring.write_text(
        page.read_text(encoding="utf-8")
        .replace("default-src 'none'", "default-src 'none'; script-src 'unsafe-inline'")
        .replace("</body>", f"{MEASURE}\n</body>"),
        encoding="utf-8",
    )
    dom = _chromium(measuring, "--dump-dom")
    found = re.search(r'data-boxes="([^"]*)"', dom)
    assert found is not None, dom[:2000]
    boxes = json.loads(html.unescape(found.group(1)))
    assert boxes["nodes"] == 4
    assert boxes["bars"] == 2
    graph, timeline = boxes["graph"], boxes["timeline"]
    assert graph[2] - graph[0] > 300, graph
    assert graph[3] - graph[1] > 100, graph
    assert timeline[2] - timeline[0] > 600, timeline
    assert timeline[3] - timeline[1] > 50, timeline
    assert graph[3] <= timeline[1], (graph, timeline)  # the timeline below the graph
    assert timeline[3] < 900, timeline  # both in the screenshot

    # the real page, as a person sees it: its colours where the layout put the boxes and bars
    _chromium(page, f"--screenshot={marked.path / 'page.png'}")
    width, height, rows = _png_pixels(marked.path / "page.png")
    assert (width, height) == (1200, 900)
    in_graph = _colours_in(rows, graph)
    in_timeline = _colours_in(rows, timeline)
    white = (255, 255, 255)
    assert sum(in_graph.values()) - in_graph.get(white, 0) > 5000  # boxes, text, arrows
    assert in_graph.get((0xDB, 0xEA, 0xFE), 0) > 1000  # the gym from the snapshot
    assert in_graph.get((0xFE, 0xE2, 0xE2), 0) > 1000  # the failed orders
    assert in_timeline.get((0x4F, 0x46, 0xE5), 0) > 30  # the program batch's bar
    assert in_timeline.get((0xDC, 0x26, 0x26), 0) > 30  # the failed order batch's bar
