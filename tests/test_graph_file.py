"""``--warmup-graph PATH``: the selected graph as Mermaid or Graphviz DOT."""

from __future__ import annotations

import json

import pytest

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


def test_the_graph_under_xdist_holds_every_worker(pytester: pytest.Pytester) -> None:
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
        "-n", "2", "-p", "no:cacheprovider", "--warmup-graph", "g.dot"
    )
    result.assert_outcomes(passed=4)
    text = (pytester.path / "g.dot").read_text(encoding="utf-8")
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
