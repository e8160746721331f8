"""A connection view (nodes and edges as the API's `/view` answers them) as an SVG laid out by Graphviz:
the explorer's "SVG of this view". The picture follows the explorer's: one arrow per client → server pair
coloured by action, nodes coloured by kind, thicker lines for heavier traffic; each arrow's tooltip lists
its flows. Layout, tidying and the engine choice are graphs/svg.py's, so both SVGs behave alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphs.svg import GRAPH_ATTRIBUTES, engine_for, layout, tidy_svg

# sfdp lays out 5,000 merged edges in about 0.65 s (README, SVG preview bench); a few thousand keeps an
# export well inside a request, and a picture beyond that is no longer readable on paper anyway.
EXPORT_MAX_EDGES = 3000

KIND_COLORS = {  # as graphs/frontend/explorer/model.js draws them
    "host": "#2563eb",
    "subnet": "#0e7490",
    "group": "#7c3aed",
    "vpc": "#4338ca",
    "account": "#475569",
    "internet": "#ea580c",
    "aws-service": "#b45309",
}
ACTION_COLORS = {"ACCEPT": "#5f8f6e", "REJECT": "#d32f2f", "MIXED": "#f08c00"}
ACTION_WORDS = {"ACCEPT": "accepted", "REJECT": "rejected", "MIXED": "mixed"}
PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}
FLOWS_LISTED = 12
BYTE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


class ViewTooLarge(Exception):
    """More client → server pairs than an export draws."""


@dataclass
class Pair:
    flows: list[dict[str, Any]] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)
    bytes: int = 0


def _text(value: str) -> str:
    """A value for a DOT string, shown exactly as it is. Unlike the Go-compatible DOT (graphs/dot.py),
    spaces stay: names such as "AWS S3 us-east-1" read as written. Graphviz decodes character references,
    so `&` is written `&amp;`; other control characters would not be well-formed XML."""
    cleaned = "".join(" " if ord(char) < 32 or ord(char) == 127 else char for char in value)
    return cleaned.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def _port(flow: dict[str, Any]) -> str:
    protocol = PROTOCOLS.get(flow["protocol"], str(flow["protocol"]))
    if flow["port"] < 0:  # the API merges a pair's lightest ports into port -1
        return f"other ports/{protocol}"
    return protocol if flow["protocol"] in (1, 58) else f"{flow['port']}/{protocol}"


def _bytes(value: int) -> str:
    """Three significant digits in SI units, as the explorer shows them: 999 B, 12.3 kB, 1 MB."""
    scaled, unit = float(value), 0
    while unit < len(BYTE_UNITS) - 1 and float(f"{scaled:.3g}") >= 1000:
        scaled /= 1000
        unit += 1
    return f"{value} B" if unit == 0 else f"{scaled:.3g} {BYTE_UNITS[unit]}"


def _pairs(edges: Iterable[dict[str, Any]]) -> tuple[dict[tuple[str, str], Pair], dict[str, int]]:
    """Flows merged per (client, server); traffic inside one node is counted on the node instead."""
    pairs: dict[tuple[str, str], Pair] = {}
    inside: dict[str, int] = {}
    for edge in edges:
        if edge["client"] == edge["server"]:
            inside[edge["client"]] = inside.get(edge["client"], 0) + 1
            continue
        pair = pairs.setdefault((edge["client"], edge["server"]), Pair())
        pair.flows.append(edge)
        pair.actions.add(edge["action"])
        pair.bytes += edge["bytes_sent"] + edge["bytes_received"]
    return pairs, inside


def _action(actions: set[str]) -> str:
    if "MIXED" in actions or len(actions) > 1:
        return "MIXED"
    return next(iter(actions))


def _edge_tooltip(client: str, server: str, pair: Pair) -> str:
    flows = sorted(pair.flows, key=lambda f: (-(f["bytes_sent"] + f["bytes_received"]), f["port"]))
    lines = [f"{_text(client)} → {_text(server)}"]
    for flow in flows[:FLOWS_LISTED]:
        lines.append(
            f"{_port(flow)}: sent {_bytes(flow['bytes_sent'])}, received {_bytes(flow['bytes_received'])}, "
            f"{flow['packets']:,} packets, {ACTION_WORDS[flow['action']]}"
        )
    if len(flows) > FLOWS_LISTED:
        lines.append(f"and {len(flows) - FLOWS_LISTED} more flows")
    return "\\n".join(lines)


def view_dot(view: dict[str, Any]) -> tuple[str, int]:
    """The DOT of a view and the number of arrows in it. Raises ViewTooLarge."""
    pairs, inside = _pairs(view["edges"])
    if len(pairs) > EXPORT_MAX_EDGES:
        raise ViewTooLarge(
            f"this view has {len(pairs):,} client → server pairs; an SVG export draws at most "
            f"{EXPORT_MAX_EDGES:,}: filter the view, or group it coarser"
        )
    engine = engine_for(len(pairs))
    nodes = sorted(view["nodes"], key=lambda node: node["id"])
    heaviest = max((n["bytes_sent"] + n["bytes_received"] for n in nodes), default=1) or 1
    ids = {node["id"]: f"v{index}" for index, node in enumerate(nodes)}
    lines = ["digraph {", *(f"\t{attribute}" for attribute in GRAPH_ATTRIBUTES[engine])]
    for node in nodes:
        color = KIND_COLORS.get(node["kind"], KIND_COLORS["host"])
        traffic = node["bytes_sent"] + node["bytes_received"]
        label = node["name"] or node["label"] or node["id"]
        tip = [_text(label), _text(node["id"]), f"sent {_bytes(node['bytes_sent'])}",
               f"received {_bytes(node['bytes_received'])}"]  # fmt: skip
        if node["members"] > 1:
            tip.insert(2, f"{node['members']:,} addresses")
        if node["id"] in inside:
            tip.append(f"{inside[node['id']]:,} connections inside")
        tooltip = "\\n".join(tip)
        lines.append(
            f'\t{ids[node["id"]]} [label="{_text(label)}" color="{color}" fillcolor="{color}1f"'
            f' penwidth={1 + 3 * math.sqrt(traffic / heaviest):.2f} class="node-{node["kind"]}"'
            f' tooltip="{tooltip}"]'
        )
    top = max((pair.bytes for pair in pairs.values()), default=1) or 1
    for (client, server), pair in sorted(pairs.items()):
        if client not in ids or server not in ids:
            continue
        action = _action(pair.actions)
        width = 0.6 + 3 * (math.log1p(pair.bytes) / math.log1p(top)) ** 2
        lines.append(
            f'\t{ids[client]} -> {ids[server]} [color="{ACTION_COLORS[action]}" penwidth={width:.2f}'
            f' class="flow flow-{ACTION_WORDS[action]}" tooltip="{_edge_tooltip(client, server, pair)}"]'
        )
    lines.append("}\n")
    return "\n".join(lines), len(pairs)


def view_svg(view: dict[str, Any], timeout: float) -> bytes:
    """Lay out a view with Graphviz; raises ViewTooLarge, or graphs.svg.SvgRenderError."""
    dot, pairs = view_dot(view)
    return tidy_svg(layout(dot, engine_for(pairs), timeout))
