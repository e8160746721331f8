"""Edges to an SVG picture for the browser, laid out by Graphviz in the background worker.

The Go-compatible DOT is unusable for this: its nine-line edge labels make `dot` take 78 s at 2,000
edges. The browser DOT drops label text (details go into hover tooltips) and merges the parallel
edges of one (src, dst) pair, and the engine is picked by size: `dot` for small graphs (readable
left-to-right layers), `sfdp` beyond, where `dot`'s network simplex grows far too slow (measured
on Graphviz 2.43: 0.5 s at 300 edges, 9-15 s at 600).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from graphs.dot import Edge, dot_value, unique_ids

# Monkeypatched by tests; `-K` picks the engine so one binary serves every layout.
GRAPHVIZ = "dot"

DOT_MAX_EDGES = 250  # merged edges; `dot` stays under ~0.5 s up to here on hub-heavy graphs
PORTS_SHOWN = 8  # a raw (undigested) log can hold thousands of ephemeral ports per pair

PROTOCOLS = {"1": "ICMP", "6": "TCP", "17": "UDP", "58": "ICMPv6"}
COLORS = {"accepted": "#2e7d32", "rejected": "#c62828", "mixed": "#ef8f00"}

_COMMON = (
    "outputorder=edgesfirst",  # nodes are drawn over the edges that run under them
    'node [shape=box style="rounded,filled" fillcolor=white color="#546e7a" fontname="Helvetica"'
    ' fontsize=10 class="host"]',
    "edge [arrowsize=0.6]",
)
GRAPH_ATTRIBUTES = {
    "dot": ("rankdir=LR", *_COMMON),
    # prism20 leaves no overlapping nodes on the bench graphs, like the default prism (1000 passes),
    # in a third of the time at 20,000 edges; quadtree=fast nearly halves the force computation;
    # start=1 pins the random initial placement so the same graph gives the same picture.
    "sfdp": ("overlap=prism20", "quadtree=fast", "splines=false", "start=1", *_COMMON),
}

_WRAPPED_TITLE = re.compile(
    rb'<title>[^<]*</title>\n<g id="a_[^"]*"><a\b[^>]*?\bxlink:title="([^"]*)"[^>]*>\n'
)
_ANCHOR_OPEN = re.compile(rb'<g id="a_[^"]*"><a\b[^>]*>\n')
_ANCHOR_CLOSE = re.compile(rb"</a>\n</g>\n")
_GRAPH_TITLE = re.compile(rb'(<g id="graph0" class="graph"[^>]*>\n)<title>[^<]*</title>\n')
_COMMENT = re.compile(rb"<!--.*?-->\n", re.DOTALL)
_NOT_HTML_ID = re.compile(r"[^A-Za-z0-9.-]")


class SvgTooLarge(Exception):
    """The graph has more merged edges than the browser picture allows."""


class SvgRenderError(Exception):
    """Graphviz failed or timed out."""


@dataclass
class SvgFigures:
    engine: str
    edges: int  # edges read
    merged_edges: int  # distinct (src, dst) pairs drawn
    nodes: int
    seconds: float  # wall time of the whole render: merge, DOT, Graphviz, tidy
    bytes: int  # SVG bytes written


@dataclass(slots=True)
class Flow:
    """The parallel edges of one (src, dst) pair, summed."""

    lines: int = 0
    packets: int = 0
    bytes: int = 0
    rejected: int = 0
    srcports: set[str] = field(default_factory=set)
    dstports: set[str] = field(default_factory=set)
    protocols: set[str] = field(default_factory=set)

    def add(self, edge: Edge) -> None:
        self.lines += 1
        self.packets += _count(edge.packets)
        self.bytes += _count(edge.bytes)
        self.rejected += edge.rejected
        self.srcports.add(edge.srcport)
        self.dstports.add(edge.dstport)
        self.protocols.add(edge.protocol)

    @property
    def verdict(self) -> str:
        if self.rejected == 0:
            return "accepted"
        return "rejected" if self.rejected == self.lines else "mixed"


def _count(text: str) -> int:
    # Digests hold integers; raw logs are not validated upstream, so a bad number counts as 0.
    try:
        return int(text)
    except ValueError:
        return 0


def merge_edges(edges: Iterable[Edge]) -> tuple[dict[tuple[str, str], Flow], int]:
    """Merge parallel edges per (src, dst); also return how many edges were read."""
    flows: dict[tuple[str, str], Flow] = {}
    read = 0
    for edge in edges:
        read += 1
        key = (edge.src, edge.dst)
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = Flow()
        flow.add(edge)
    return flows, read


def engine_for(merged_edges: int) -> str:
    return "dot" if merged_edges <= DOT_MAX_EDGES else "sfdp"


def html_node_ids(addresses: Iterable[str]) -> dict[str, str]:
    """`node-<address>` with characters outside [A-Za-z0-9.-] as `_`; made unique like DOT ids."""
    return unique_ids(addresses, lambda address: "node-" + _NOT_HTML_ID.sub("_", address))


def _text(value: str) -> str:
    # Graphviz decodes character references in labels and tooltips: data `&nbsp;` would show as a
    # space, and `&#1;` becomes a raw control character, which is not well-formed XML. `&amp;` always
    # comes out as a literal `&`, so the data is shown exactly as it is.
    return dot_value(value).replace("&", "&amp;")


def _listing(values: set[str]) -> str:
    ordered = sorted(values, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))
    shown = ", ".join(_text(v) for v in ordered[:PORTS_SHOWN])
    hidden = len(ordered) - PORTS_SHOWN
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def edge_tooltip(src: str, dst: str, flow: Flow) -> str:
    """Hover text for a merged edge, already DOT-escaped; `\\n` separates the lines."""
    protocols = ", ".join(sorted(PROTOCOLS.get(p, _text(p)) for p in flow.protocols))
    if flow.verdict == "mixed":
        action = f"mixed ({flow.lines - flow.rejected:,} accepted, {flow.rejected:,} rejected)"
    else:
        action = f"{flow.verdict} ({_plural(flow.lines, 'flow')})"
    return "\\n".join(
        (
            f"{_text(src)} → {_text(dst)}",
            f"ports: {_listing(flow.srcports)} → {_listing(flow.dstports)}",
            f"protocol: {protocols}",
            f"packets: {flow.packets:,}",
            f"bytes: {flow.bytes:,}",
            f"action: {action}",
        )
    )


def _node_tooltips(flows: dict[tuple[str, str], Flow]) -> dict[str, str]:
    sent: dict[str, list[int]] = {}  # address → [peers, bytes]
    received: dict[str, list[int]] = {}
    for (src, dst), flow in flows.items():
        for side, address in ((sent, src), (received, dst)):
            figures = side.setdefault(address, [0, 0])
            figures[0] += 1
            figures[1] += flow.bytes
    tips = {}
    for address in sent.keys() | received.keys():
        lines = [_text(address)]
        if address in sent:
            peers, nbytes = sent[address]
            lines.append(f"sends to: {_plural(peers, 'host')}, {_plural(nbytes, 'byte')}")
        if address in received:
            peers, nbytes = received[address]
            lines.append(f"receives from: {_plural(peers, 'host')}, {_plural(nbytes, 'byte')}")
        tips[address] = "\\n".join(lines)
    return tips


def browser_dot(flows: dict[tuple[str, str], Flow], engine: str) -> str:
    """The DOT handed to Graphviz: sorted nodes and edges, so the picture depends on the set only."""
    tips = _node_tooltips(flows)
    dot_ids = {address: f"v{i}" for i, address in enumerate(sorted(tips))}  # DOT names are internal
    html_ids = html_node_ids(tips)
    edge_ids = unique_ids(flows, lambda key: f"edge-{html_ids[key[0]][5:]}--{html_ids[key[1]][5:]}")
    lines = ["digraph {", *(f"\t{attribute}" for attribute in GRAPH_ATTRIBUTES[engine])]
    for address, dot_id in dot_ids.items():
        lines.append(
            f'\t{dot_id} [id="{html_ids[address]}" label="{_text(address)}" tooltip="{tips[address]}"]'
        )
    for key in sorted(flows):
        flow = flows[key]
        lines.append(
            f'\t{dot_ids[key[0]]} -> {dot_ids[key[1]]} [id="{edge_ids[key]}"'
            f' class="flow flow-{flow.verdict}" color="{COLORS[flow.verdict]}"'
            f' tooltip="{edge_tooltip(key[0], key[1], flow)}"]'
        )
    lines.append("}\n")
    return "\n".join(lines)


def layout(dot: str, engine: str, timeout: float) -> bytes:
    """Run Graphviz on `dot`; the SVG bytes it wrote, or SvgRenderError."""
    command = [GRAPHVIZ, f"-K{engine}", "-Tsvg"]
    try:
        done = subprocess.run(
            command, input=dot.encode("utf-8", "replace"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:  # run() has already killed and reaped the child
        raise SvgRenderError(f"{engine} layout timed out after {timeout:g} s") from None
    except OSError as error:
        raise SvgRenderError(f"cannot run graphviz {engine}: {error.strerror}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {reason[0][:200]}" if reason else ""
        raise SvgRenderError(f"{engine} layout failed with exit status {done.returncode}{detail}")
    return done.stdout


def tidy_svg(svg: bytes) -> bytes:
    """Make Graphviz's SVG browser-ready.

    Graphviz puts a tooltip on an `<a xlink:title>` wrapper and leaves the internal DOT name in
    `<title>`, which is what browsers show on hover. The tooltip moves into `<title>`; the wrappers
    (with any `xlink:href`), the graph's `<title>` and the comments go. Graphviz's SVG writer prints
    these pieces in a fixed shape, so text substitution is enough and cheap on a 15 MB picture; if
    the shape ever differs, the SVG is returned untouched rather than half-edited.
    """
    tidy, titled = _WRAPPED_TITLE.subn(rb"<title>\1</title>\n", svg)
    tidy, opened = _ANCHOR_OPEN.subn(b"", tidy)
    tidy, closed = _ANCHOR_CLOSE.subn(b"", tidy)
    if titled + opened != closed:
        return svg
    tidy = _GRAPH_TITLE.sub(rb"\1", tidy, count=1)
    return _COMMENT.sub(b"", tidy)


def svg_render(
    edges: Iterable[Edge], out: BinaryIO, *, timeout: float = 60.0, max_edges: int = 20000, nodes: int = 0
) -> SvgFigures:
    """Lay out `edges` and write the SVG to `out`.

    Raises SvgTooLarge (before Graphviz runs) when more than `max_edges` (src, dst) pairs remain after
    merging, and SvgRenderError when Graphviz fails or runs past `timeout` seconds. `nodes`, the graph's
    node count when the caller knows it, settles a graph too large without reading its edges: every node
    is an end of some edge and an edge has two ends, so more than 2 x `max_edges` nodes need more edges.
    """
    if nodes > 2 * max_edges:
        raise SvgTooLarge(
            f"the graph has {nodes:,} nodes, so more than {max_edges:,} edges after merging parallel flows;"
            f" the limit is {max_edges:,}"
        )
    started = time.monotonic()
    flows, read = merge_edges(edges)
    if len(flows) > max_edges:
        raise SvgTooLarge(
            f"the graph has {len(flows):,} edges after merging parallel flows; the limit is {max_edges:,}"
        )
    engine = engine_for(len(flows))
    dot = browser_dot(flows, engine)
    svg = tidy_svg(layout(dot, engine, timeout))
    out.write(svg)
    nodes = len({address for key in flows for address in key})
    return SvgFigures(engine, read, len(flows), nodes, time.monotonic() - started, len(svg))
