"""The browser SVG (graphs/svg.py): merged edges, tooltips, ids, engine choice, limits, failures, escaping."""

from __future__ import annotations

import io
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphs import svg
from graphs.dot import Edge
from graphs.svg import SvgFigures, SvgRenderError, SvgTooLarge, svg_render

NS = "{http://www.w3.org/2000/svg}"


def edge(
    src: str = "10.0.0.1",
    dst: str = "10.0.0.2",
    *,
    srcport: str = "0",
    dstport: str = "443",
    protocol: str = "6",
    packets: str = "10",
    nbytes: str = "840",
    action: str = "ACCEPT",
) -> Edge:
    return Edge(
        "123456789010", "eni-1", src, dst, srcport, dstport, protocol, packets, nbytes, "1", "2", action
    )


def render(edges: list[Edge], **options: Any) -> tuple[ET.Element, bytes, SvgFigures]:
    out = io.BytesIO()
    figures = svg_render(edges, out, **options)
    return ET.fromstring(out.getvalue()), out.getvalue(), figures  # noqa: S314  (our own output)


def groups(root: ET.Element, kind: str) -> dict[str, ET.Element]:
    """The node or edge <g> elements by id."""
    return {g.get("id", ""): g for g in root.iter(f"{NS}g") if kind in (g.get("class") or "").split()}


def title(group: ET.Element) -> str:
    return group.findtext(f"{NS}title") or ""


def graph(pairs: int, seed: int = 1) -> list[Edge]:
    rnd = random.Random(seed)
    hosts = [f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{n}" for n in range(1, pairs // 3 + 3)]
    chosen: set[tuple[str, str]] = set()
    while len(chosen) < pairs:
        src, dst = rnd.sample(hosts, 2)
        chosen.add((src, dst))
    return [edge(src, dst) for src, dst in sorted(chosen)]


SMALL = [
    edge("172.31.16.139", "172.31.16.21", dstport="80", packets="20", nbytes="1000", action="REJECT"),
    edge("172.31.16.139", "172.31.16.21", dstport="443", packets="40", nbytes="2000"),
    edge("172.31.16.21", "172.31.16.139", srcport="80", dstport="0", packets="40", nbytes="2000"),
    edge(
        "172.31.16.21", "2001:db8::1", protocol="17", dstport="53", packets="1", nbytes="70", action="reject"
    ),
]


# --- the picture -----------------------------------------------------------------------------------------


def test_a_small_graph_renders_well_formed_svg_with_every_address_and_node_id() -> None:
    root, _, figures = render(SMALL)
    assert root.tag == f"{NS}svg"
    texts = {text.text for text in root.iter(f"{NS}text")}
    assert {"172.31.16.139", "172.31.16.21", "2001:db8::1"} <= texts
    assert set(groups(root, "node")) == {"node-172.31.16.139", "node-172.31.16.21", "node-2001_db8__1"}
    assert all("host" in (g.get("class") or "").split() for g in groups(root, "node").values())
    assert (figures.edges, figures.merged_edges, figures.nodes, figures.engine) == (4, 3, 3, "dot")


def test_parallel_edges_are_merged_with_their_sums_in_the_tooltip() -> None:
    root, _, _ = render(SMALL)
    merged = groups(root, "edge")["edge-172.31.16.139--172.31.16.21"]
    assert title(merged).splitlines() == [
        "172.31.16.139 → 172.31.16.21",
        "ports: 0 → 80, 443",
        "protocol: TCP",
        "packets: 60",
        "bytes: 3,000",
        "action: mixed (1 accepted, 1 rejected)",
    ]


def test_edges_are_green_when_accepted_red_when_rejected_and_amber_when_mixed() -> None:
    root, _, _ = render(SMALL)
    edges = groups(root, "edge")
    expected = {
        "edge-172.31.16.139--172.31.16.21": ("flow-mixed", svg.COLORS["mixed"], "mixed"),
        "edge-172.31.16.21--172.31.16.139": ("flow-accepted", svg.COLORS["accepted"], "accepted (1 flow)"),
        "edge-172.31.16.21--2001_db8__1": ("flow-rejected", svg.COLORS["rejected"], "rejected (1 flow)"),
    }
    for edge_id, (css_class, color, action) in expected.items():
        group = edges[edge_id]
        assert (group.get("class") or "").split() == ["edge", "flow", css_class]
        assert group.find(f"{NS}path").get("stroke") == color  # type: ignore[union-attr]
        assert f"action: {action}" in title(group)


def test_edge_tooltips_name_protocols_and_list_ports() -> None:
    root, _, _ = render(SMALL)
    tip = title(groups(root, "edge")["edge-172.31.16.21--2001_db8__1"])
    assert "ports: 0 → 53\nprotocol: UDP\npackets: 1\nbytes: 70" in tip


def test_unknown_protocols_stay_numeric_and_long_port_lists_are_cut() -> None:
    edges = [edge(srcport=str(port), protocol="47") for port in range(40000, 40020)]
    root, _, _ = render(edges)
    tip = title(next(iter(groups(root, "edge").values())))
    assert "ports: 40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007 and 12 more → 443" in tip
    assert "protocol: 47" in tip


def test_node_tooltips_sum_what_each_host_sends_and_receives() -> None:
    root, _, _ = render(SMALL)
    tip = title(groups(root, "node")["node-172.31.16.21"])
    assert tip.splitlines() == [
        "172.31.16.21",
        "sends to: 2 hosts, 2,070 bytes",
        "receives from: 1 host, 3,000 bytes",
    ]


def test_no_anchor_wrappers_comments_or_internal_names_are_left() -> None:
    _, raw, _ = render(SMALL)
    assert b"<a" not in raw
    assert b"xlink:href" not in raw
    assert b"<!--" not in raw
    assert b"<title>v0" not in raw and b"<title>%3" not in raw


def test_an_empty_graph_is_a_well_formed_empty_picture() -> None:
    root, _, figures = render([])
    assert not groups(root, "node")
    assert (figures.edges, figures.merged_edges, figures.nodes) == (0, 0, 0)


def test_figures_count_the_bytes_written() -> None:
    _, raw, figures = render(SMALL)
    assert figures.bytes == len(raw)
    assert figures.seconds > 0


# --- engine and limits -----------------------------------------------------------------------------------


def test_the_engine_is_dot_up_to_the_threshold_and_sfdp_beyond() -> None:
    assert svg.engine_for(1) == "dot"
    assert svg.engine_for(svg.DOT_MAX_EDGES) == "dot"
    assert svg.engine_for(svg.DOT_MAX_EDGES + 1) == "sfdp"
    assert "rankdir=LR" in svg.browser_dot(svg.merge_edges(SMALL)[0], "dot")


def test_a_graph_past_the_threshold_is_laid_out_by_sfdp() -> None:
    root, _, figures = render(graph(svg.DOT_MAX_EDGES + 50))
    assert (figures.engine, figures.merged_edges) == ("sfdp", svg.DOT_MAX_EDGES + 50)
    assert len(groups(root, "edge")) == svg.DOT_MAX_EDGES + 50


def test_too_many_merged_edges_raise_before_graphviz_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg, "GRAPHVIZ", "/nonexistent/graphviz")  # running it would be a render error
    edges = graph(12) + graph(12)  # parallel edges count once
    with pytest.raises(
        SvgTooLarge, match="the graph has 12 edges after merging parallel flows; the limit is 11"
    ):
        render(edges, max_edges=11)
    render_ok = io.BytesIO()
    with pytest.raises(SvgRenderError, match="cannot run graphviz dot"):
        svg_render(edges, render_ok, max_edges=12)


def test_a_graph_with_more_than_twice_the_limit_in_nodes_is_too_large_without_reading_an_edge() -> None:
    def unread() -> Iterator[Edge]:
        raise AssertionError("the edges were read")
        yield  # a generator: the error comes when it is read

    with pytest.raises(SvgTooLarge, match="the graph has 23 nodes, so more than 11 edges after merging"):
        svg_render(unread(), io.BytesIO(), max_edges=11, nodes=23)
    edges = graph(11)  # 22 nodes can still be 11 edges: read and drawn
    assert svg_render(iter(edges), io.BytesIO(), max_edges=11, nodes=22).merged_edges == 11


# --- failures ---------------------------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-graphviz"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_a_layout_past_the_timeout_is_killed_and_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(svg, "GRAPHVIZ", script(tmp_path, "exec sleep 30"))
    started = time.monotonic()
    with pytest.raises(SvgRenderError, match=r"^dot layout timed out after 0\.5 s$"):
        render(SMALL, timeout=0.5)
    assert time.monotonic() - started < 5


def test_a_real_layout_past_a_tiny_timeout_is_reported() -> None:
    with pytest.raises(SvgRenderError, match=r"^sfdp layout timed out after 0\.001 s$"):
        render(graph(2000), timeout=0.001)


def test_a_failing_graphviz_is_reported_with_its_first_error_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        svg, "GRAPHVIZ", script(tmp_path, 'cat >/dev/null; echo "Error: boom" >&2; echo more >&2; exit 3')
    )
    with pytest.raises(SvgRenderError, match=r"^dot layout failed with exit status 3: Error: boom$"):
        render(SMALL)


# --- hostile data and determinism -------------------------------------------------------------------------

HOSTILE = [
    '<script>alert("x")</script>',
    'a"b',
    "&amp;&nbsp;&foo;&",
    "back\\slash\\",
    "ctl\x01\x7f",
    "&#1;&#x7f;",
    "]; x -> y [",
    "\\N",
]


def test_hostile_addresses_give_well_formed_svg_without_script_elements() -> None:
    edges = [edge(address, "10.0.0.1", dstport=address) for address in HOSTILE]
    root, raw, _ = render(edges)
    assert not [element for element in root.iter() if element.tag.split("}")[-1].lower() == "script"]
    assert b"<script" not in raw
    labels = {text.text for text in root.iter(f"{NS}text")}
    assert {
        '<script>alert("x")</script>',
        'a"b',
        "&amp;&nbsp;&foo;&",
        "back\\slash\\",
        "ctl__",
        "\\N",
        "&#1;&#x7f;",
    } <= labels
    assert "];_x_->_y_[" in labels  # one quoted value, not DOT syntax (blanks become `_`)


def test_hostile_values_reach_tooltips_as_text() -> None:
    edges = [edge('<b>"&nbsp;', "10.0.0.1", dstport="<i>&amp;")]
    root, _, _ = render(edges)
    tip = title(next(iter(groups(root, "edge").values())))
    assert tip.startswith('<b>"&nbsp; → 10.0.0.1\nports: 0 → <i>&amp;\n')


def test_node_and_edge_ids_are_sanitised_and_unique() -> None:
    root, _, _ = render([edge("a b", "a_b"), edge("a:b", "a_b")])
    assert set(groups(root, "node")) == {"node-a_b", "node-a_b_2", "node-a_b_3"}
    assert len(groups(root, "edge")) == 2


def test_the_same_edges_in_any_order_give_the_same_bytes() -> None:
    edges = graph(400) + SMALL
    _, first, _ = render(edges)
    _, again, _ = render(edges)
    _, shuffled, _ = render(random.Random(5).sample(edges, len(edges)))
    assert first == again == shuffled
