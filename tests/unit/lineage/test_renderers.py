"""JSON, Mermaid, DOT and HTML renderings: complete, escaped, self-contained."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from featureops.lineage.graph import LineageGraph
from featureops.lineage.render_dot import render_dot
from featureops.lineage.render_html import render_html
from featureops.lineage.render_json import render_json
from featureops.lineage.render_mermaid import render_mermaid
from featureops.lineage.render_model import RenderEdge, RenderGraph, RenderNode, node_graph

NASTY = 'a "quoted" <b>name</b> & </script><!-- {x} [y] | `z`\nnext line \\ end'


def nasty_graph() -> RenderGraph:
    nodes = (RenderNode("model.p.a", NASTY, "model", details={"description": NASTY}),
             RenderNode("model.p.b", "b", "model", "feature_view"))
    return RenderGraph(f"Lineage of {NASTY}", nodes, (RenderEdge("model.p.a", "model.p.b"),),
                       "model.p.a", (NASTY,))


def test_json_lists_nodes_edges_and_details(shop: LineageGraph) -> None:
    selection = shop.select("model.shop.int_orders")
    data = json.loads(render_json(node_graph(shop, selection, "t")))
    assert data["root"] == "model.shop.int_orders" and data["direction"] == "both"
    by_id = {n["id"]: n for n in data["nodes"]}
    assert set(by_id) == set(selection.nodes)
    assert by_id["model.shop.feat_customer__orders"]["kind"] == "feature_view"
    assert by_id["model.shop.feat_customer__orders"]["owner"] == "growth-ml"
    assert by_id["source.shop.raw.orders"]["distance"] == -2
    assert {(e["source"], e["target"]) for e in data["edges"]} == set(selection.edges)


def test_mermaid_escapes_its_grammar() -> None:
    text = render_mermaid(nasty_graph())
    assert text.startswith("flowchart LR\n")
    label_line = next(line for line in text.splitlines() if line.strip().startswith("n0["))
    inner = label_line.split('["', 1)[1].rsplit('"]', 1)[0]
    assert '"' not in inner and "[" not in inner and "|" not in inner
    assert "#quot;" not in inner  # entity codes are numeric: #34;
    assert "#34;quoted#34;" in inner and "#60;/script#62;" in inner
    assert "    n0 --> n1" in text
    assert "style n0 stroke:#d00" in text


def test_dot_quotes_everything() -> None:
    text = render_dot(nasty_graph())
    assert text.startswith('digraph "Lineage of a \\"quoted\\"')
    assert '"model.p.a" -> "model.p.b";' in text
    assert "\nnext line" not in text and "\\nnext line" in text
    if shutil.which("dot"):  # pragma: no cover - graphviz is optional here
        subprocess.run(["dot", "-Tsvg"], input=text, text=True, check=True,
                       capture_output=True)


def test_html_is_self_contained_and_its_data_round_trips(shop: LineageGraph) -> None:
    page = render_html(nasty_graph())
    assert "</script><!--" not in page.split('id="lineage-data"')[1].split("</script>")[0]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "fetch(" not in page
    data_text = page.split('type="application/json">')[1].split("</script>")[0]
    data = json.loads(data_text)
    assert data["nodes"][0]["label"] == NASTY and data["warnings"] == [NASTY]
    assert {"x", "y", "color", "type_label"} <= set(data["nodes"][0])
    assert "<title>Lineage of a &quot;quoted&quot; &lt;b&gt;" in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_html_script_is_valid_javascript(tmp_path) -> None:
    page = render_html(nasty_graph())
    script = page.rsplit("<script>", 1)[1].split("</script>")[0]
    path = tmp_path / "page.js"
    path.write_text(script)
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True)
