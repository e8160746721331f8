"""The DOT writers on a big window's digest: the reference `dot_write` against `dot_write_file`.

    .venv/bin/python bench/dot_bench.py [--lines 1500000]

Generates a digest of the high-cardinality shape directly (bench/digest_bench.py's flows of an exposed VPC,
one line per flow, the ephemeral port zeroed as the digest does; deterministic seed) into bench/out/ (reused
when present), then runs each writer in its own subprocess, as the graph job does (the digest file in, a
temporary file out), so its peak RSS (VmHWM) is its own. Prints seconds, CPU seconds and peak RSS of each,
and checks that both wrote the same bytes and figures.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest_bench import ACCOUNT, OUT, ROOT, SEED, T0, _exposed_flows, _peak_rss_mb

WRITERS = ("reference", "fast")


def digest(lines: int) -> Path:
    path = OUT / f"digest-high-cardinality-{lines}.log"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            for chunk in _batched(_digest_lines(lines), 65536):
                out.write("".join(chunk))
        partial.rename(path)
    return path


def _digest_lines(count: int) -> Iterator[str]:
    rng = random.Random(SEED)
    for eni, client, server, service, protocol, action, _ in _exposed_flows(rng, count):
        start = T0 + rng.randrange(3600)
        packets = rng.randrange(1, 400)
        yield (
            f"2 {ACCOUNT} {eni} {client} {server} 0 {service} {protocol} {packets} {packets * rng.randrange(40, 1500)}"
            f" {start} {start + rng.randrange(120)} {action} OK\n"
        )


def _batched(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_writer(name: str, path: Path) -> dict[str, Any]:
    """One writer, in this process, the way graphs.flow.GraphFlow.build calls it."""
    import polars  # noqa: F401  (imports are loaded before the clock starts, for both writers)

    from graphs.dot import dot_write, edges_read
    from graphs.dot_fast import dot_write_file

    def edges() -> Any:
        with path.open(encoding="utf-8", errors="replace", newline="\n") as lines:
            yield from edges_read(lines)

    began, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryFile() as dot:
        if name == "reference":
            text = io.TextIOWrapper(dot, encoding="utf-8", newline="")
            figures = dot_write(edges, text)
            text.flush()
        else:
            figures = dot_write_file(path, dot)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        dot.seek(0)
        sha = hashlib.file_digest(dot, "sha256").hexdigest()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": _peak_rss_mb(),
        "sha256": sha,
        "figures": [figures.edges, figures.nodes, figures.bytes],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_500_000, help="digest lines (edges)")
    parser.add_argument("--writer", choices=WRITERS, help=argparse.SUPPRESS)  # a child's run
    parser.add_argument("--digest", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.writer:
        print(json.dumps(run_writer(options.writer, options.digest)))
        return
    path = digest(options.lines)
    print(f"digest: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    results = {}
    for name in WRITERS:
        command = [sys.executable, __file__, "--writer", name, "--digest", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        result = results[name]
        edges, nodes, size = result["figures"]
        print(
            f"{name:>9}: {result['seconds']:6.2f} s, {result['cpu']:6.2f} CPU s, {result['rss_mb']:6.0f} MB peak RSS"
            f"  ({edges:,} edges, {nodes:,} nodes, {size / 1e6:.0f} MB)"
        )
    same = results["reference"]["sha256"] == results["fast"]["sha256"]
    same = same and results["reference"]["figures"] == results["fast"]["figures"]
    speedup = results["reference"]["seconds"] / results["fast"]["seconds"]
    print(f"same bytes and figures: {same}; fast is {speedup:.1f}x the reference's speed")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
