"""A small VPC's flow logs for the page tests: web, app, cache and database tiers, outside clients (one
also refused: a mixed edge) and a scanner that is refused; and its graph, built as the worker builds it."""

from __future__ import annotations

from pathlib import Path

from graphs.models import Graph
from jobs.window import window_parse

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
FIRST, LAST = 1546300860, 1546300920  # 2019-01-01T00:01:00Z and 00:02:00Z
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    " log-status"
)
FLOWS = [
    ("eni-0a1", "10.0.1.10", "10.0.2.20", "49152 443", 6, 120, 96000, "ACCEPT"),
    ("eni-0a1", "10.0.2.20", "10.0.1.10", "443 49152", 6, 110, 410000, "ACCEPT"),
    ("eni-0b2", "10.0.2.20", "10.0.3.30", "50100 5432", 6, 40, 8000, "ACCEPT"),
    ("eni-0c3", "10.0.3.30", "10.0.2.20", "5432 50100", 6, 38, 52000, "ACCEPT"),
    ("eni-0b2", "10.0.2.20", "10.0.4.40", "50200 6379", 6, 60, 4800, "ACCEPT"),
    ("eni-0a1", "203.0.113.9", "10.0.1.10", "61000 443", 6, 14, 2200, "ACCEPT"),
    ("eni-0a1", "203.0.113.77", "10.0.1.10", "61001 443", 6, 9, 1300, "ACCEPT"),
    ("eni-0a1", "203.0.113.9", "10.0.1.10", "61002 8443", 6, 2, 120, "REJECT"),
    ("eni-0a1", "198.51.100.7", "10.0.1.10", "51515 22", 6, 3, 180, "REJECT"),
    ("eni-0c3", "192.0.2.33", "10.0.3.30", "40000 5432", 6, 2, 120, "REJECT"),
    ("eni-0a1", "10.0.1.10", "10.0.0.2", "53000 53", 17, 4, 300, "ACCEPT"),
]


def write_flow_logs(folder: Path) -> None:
    lines = [
        f"2 123456789012 {eni} {src} {dst} {ports} {protocol} {packets} {size} {FIRST} {LAST} {action} OK"
        for eni, src, dst, ports, protocol, packets, size, action in FLOWS
    ]
    (folder / "flows.log").write_text("\n".join([HEADER, *lines]) + "\n")


def build_graph() -> Graph:
    """Request the window as the page does, then run its job as the worker does."""
    from graphs.services import graph_request, graph_run

    window = window_parse(START, STOP)
    job_id = str(graph_request(window).id)
    graph_run(job_id, window)  # a no-op when the queued task already ran inline
    return Graph.objects.get(id=job_id)
