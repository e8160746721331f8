"""Time `svg_render` on synthetic graphs, next to the seed-format baselines, in one run.

    .venv/bin/python bench/svg_bench.py [--sizes 1000,5000,20000] [--baseline-dot 500]

Graphs have edges ≈ 3x nodes, half the edges pointing at a few hub hosts (as servers attract
flows), and a quarter more lines that repeat a pair with other ports or a REJECT, so merging has work
to do. Baselines: the seed DOT with its nine-line labels through `dot` (only at a small size; it
takes minutes beyond ~1,500 edges), and the seed DOT without labels through `sfdp` on its defaults.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import subprocess
import sys
import time
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


def seed_dot(edges: list[Edge]) -> str:
    buffer = io.StringIO()
    dot_write(lambda: edges, buffer)
    return buffer.getvalue()


def graphviz_seconds(engine: str, dot: str, timeout: float) -> tuple[float | None, int]:
    """Seconds and SVG bytes for `dot` through a bare Graphviz run; None seconds on timeout."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            ["dot", f"-K{engine}", "-Tsvg"],
            input=dot.encode(),
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None, 0
    return time.monotonic() - started, len(done.stdout)


def row(label: str, lines: int, merged: int | str, engine: str, seconds: float | None, size: int) -> None:
    shown = f"{seconds:8.2f}" if seconds is not None else " timeout"
    print(f"{label:<34} {lines:>7} {merged!s:>7} {engine:>6} {shown} s {size / 1e6:8.2f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,5000,20000", help="merged edge counts, comma-separated")
    parser.add_argument(
        "--baseline-dot", type=int, default=500, help="edges for the seed-DOT-through-dot run"
    )
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"{'run':<34} {'lines':>7} {'merged':>7} {'engine':>6} {'time':>10} {'SVG':>11}")
    small = synthetic_edges(args.baseline_dot)
    seconds, size = graphviz_seconds("dot", seed_dot(small), args.timeout)
    row("baseline: seed DOT, labels, dot", len(small), "-", "dot", seconds, size)

    met: list[str] = []
    for pairs in sizes:
        edges = synthetic_edges(pairs)
        seconds, size = graphviz_seconds("sfdp", _LABEL.sub("", seed_dot(edges)), args.timeout)
        row("baseline: seed DOT, no labels, sfdp", len(edges), "-", "sfdp", seconds, size)
        figures = svg_render(edges, io.BytesIO(), timeout=args.timeout, max_edges=max(sizes))
        row("svg_render", figures.edges, figures.merged_edges, figures.engine, figures.seconds, figures.bytes)
        if pairs in TARGETS:
            ok = figures.seconds < TARGETS[pairs]
            met.append(
                f"{pairs:,} edges < {TARGETS[pairs]:g} s: {'met' if ok else 'MISSED'} ({figures.seconds:.2f} s)"
            )
    print("\n".join(["", "targets:", *met]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
