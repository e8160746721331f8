"""Time `svg_render` on synthetic graphs, next to Go-compatible DOT baselines, in one run.

    .venv/bin/python bench/svg_bench.py [--sizes 1000,5000,20000] [--baseline-dot 200]

Graphs have edges ≈ 3x nodes, half the edges pointing at a few hub hosts (as servers attract
flows), and a quarter more lines that repeat a pair with other ports or a REJECT, so merging has work
to do. Baselines: the Go-compatible DOT with its nine-line labels through `dot` (only at a small size: on
these hub-heavy graphs it takes 1.3 s at 250 lines and 10 s at 375), and the same DOT without
labels through `sfdp` on its defaults. `wall` is what the targets are judged on; `cpu` (this
process plus Graphviz) shows how much of it other load on the machine took.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphs.dot import Edge, dot_write
from graphs.svg import svg_render

TARGETS = {5000: 1.0, 20000: 5.0}  # merged edges → seconds
_LABEL = re.compile(r' label="[^"]*"(?=\]$)', re.MULTILINE)


def synthetic_edges(pairs: int, seed: int = 1) -> list[Edge]:
    """`pairs` distinct (src, dst) pairs over ~pairs/3 hosts, plus 25 % parallel lines."""
    rnd = random.Random(seed)
    hosts = sorted(
        {
            f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            for _ in range(pairs // 3 + 2)
        }
    )
    hubs = hosts[: max(1, len(hosts) // 20)]
    chosen: set[tuple[str, str]] = set()
    while len(chosen) < pairs:
        src = rnd.choice(hosts)
        dst = rnd.choice(hubs) if rnd.random() < 0.5 else rnd.choice(hosts)
        if src != dst:
            chosen.add((src, dst))
    ordered = sorted(chosen)
    lines = ordered + [rnd.choice(ordered) for _ in range(pairs // 4)]
    return [_edge(src, dst, rnd) for src, dst in lines]


def _edge(src: str, dst: str, rnd: random.Random) -> Edge:
    port = rnd.choice(["22", "53", "80", "443", "5432", "8080"])
    action = "REJECT" if rnd.random() < 0.1 else "ACCEPT"
    packets = rnd.randrange(1, 5000)
    protocol = "17" if port == "53" else "6"
    return Edge(
        "123456789010", "eni-abc123de", src, dst, "0", port, protocol,
        str(packets), str(packets * rnd.randrange(40, 1500)), "1418530010", "1418530070", action,
    )  # fmt: skip


def go_dot(edges: list[Edge]) -> str:
    buffer = io.StringIO()
    dot_write(lambda: edges, buffer)
    return buffer.getvalue()


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Graphviz runs as a child)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Run:
    wall: float | None  # None: timed out
    cpu: float  # this process plus Graphviz
    svg_bytes: int
    engine: str
    lines: int
    merged: int | None = None


def graphviz_run(engine: str, dot: str, lines: int, timeout: float) -> Run:
    """A bare Graphviz run on `dot`, the way the Go-compatible DOT would be rendered."""
    started, cpu = time.monotonic(), _cpu()
    command = ["dot", f"-K{engine}", "-Tsvg"]
    try:
        done = subprocess.run(command, input=dot.encode(), capture_output=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return Run(None, _cpu() - cpu, 0, engine, lines)
    return Run(time.monotonic() - started, _cpu() - cpu, len(done.stdout), engine, lines)


def render_run(edges: list[Edge], timeout: float) -> Run:
    cpu = _cpu()
    figures = svg_render(edges, io.BytesIO(), timeout=timeout, max_edges=len(edges))
    return Run(
        figures.seconds, _cpu() - cpu, figures.bytes, figures.engine, figures.edges, figures.merged_edges
    )


def best(repeat: int, run: Callable[[], Run]) -> Run:
    """The fastest of `repeat` runs: other work on the machine only ever adds time."""
    runs = [run() for _ in range(repeat)]
    return min(runs, key=lambda r: r.wall if r.wall is not None else float("inf"))


def show(label: str, run: Run) -> None:
    wall = f"{run.wall:7.2f} s" if run.wall is not None else "timeout  "
    merged = "-" if run.merged is None else run.merged
    print(
        f"{label:<36} {run.lines:>7} {merged:>7} {run.engine:>6} {wall} {run.cpu:7.2f} s"
        f" {run.svg_bytes / 1e6:8.2f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,5000,20000", help="merged edge counts, comma-separated")
    parser.add_argument("--baseline-dot", type=int, default=200, help="pairs for the Go-DOT-through-dot run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the fastest is shown")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"{'run (best of ' + str(args.repeat) + ')':<36} {'lines':>7} {'merged':>7} {'engine':>6}", end="")
    print(f" {'wall':>9} {'cpu':>9} {'SVG':>11}")
    small = synthetic_edges(args.baseline_dot)
    labelled = go_dot(small)
    show(
        "baseline: Go DOT + labels, dot",
        best(args.repeat, partial(graphviz_run, "dot", labelled, len(small), args.timeout)),
    )
    show("svg_render", best(args.repeat, partial(render_run, small, args.timeout)))

    verdicts: list[str] = []
    for pairs in sizes:
        edges = synthetic_edges(pairs)
        plain = _LABEL.sub("", go_dot(edges))
        show(
            "baseline: Go DOT, no labels, sfdp",
            best(args.repeat, partial(graphviz_run, "sfdp", plain, len(edges), args.timeout)),
        )
        run = best(args.repeat, partial(render_run, edges, args.timeout))
        show("svg_render", run)
        if pairs in TARGETS and run.wall is not None:
            verdict = "met" if run.wall < TARGETS[pairs] else "MISSED"
            verdicts.append(
                f"{pairs:,} edges < {TARGETS[pairs]:g} s: {verdict} (wall {run.wall:.2f} s, cpu {run.cpu:.2f} s)"
            )
    load = os.getloadavg()[0]
    print("\n".join(["", f"targets ({os.cpu_count()} CPUs, 1-min load average {load:.1f}):", *verdicts]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
