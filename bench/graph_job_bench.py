"""A big window through the graph job, stage by stage: what a user waits for after POST, not the engine alone.

    .venv/bin/python bench/graph_job_bench.py [--shape high-cardinality] [--runs 2]

Builds the window of bench/digest_bench.py's generated files (made on first use) with `manage.py
graph_create --here --rerun` in a fresh data folder on SQLite, and prints how long each stage took (the
command's own stage lines), the whole job, and the process's peak RSS. The baseline, measured in the same
run just before: the digest engine alone (`digest_objects`) on the same files, so that every stage reads
as a multiple of it on a machine however busy.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest_bench import SHAPES, WINDOW, _paths, dataset

ROOT = Path(__file__).resolve().parents[1]
STAGE = re.compile(r"^\[\s*([\d.]+) s\]\s+(.*)$")  # the command prints each stage as it begins
NAMES = {  # the command's stage lines, and what runs from one to the next
    "listing flow logs": "digest: list, read and digest the files",
    "storing the digest": "digest: store it",
    "connections 1": "digest: fold it into connections",
    "writing DOT": "graph: read the digest, write the DOT",
    "connections 2": "graph: copy the connection table",
    "rendering the SVG preview": "graph: SVG preview",
}
START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"  # bench/digest_bench.py's WINDOW


def engine_seconds(folder: Path) -> float:
    """The engine alone on the window's files, in a fresh process (its kernel loaded from the cache)."""
    script = (
        "import sys, time; sys.path.insert(0, '.')\n"
        "from digests.engine.digest import digest_objects\n"
        "from digests.engine.objects import FlowLogObject\n"
        "from pathlib import Path\n"
        f"paths = {[str(path) for path in _paths(folder)]!r}\n"
        "class Sink:\n    def write(self, data): return len(data)\n"
        "digest_objects([], 0, 1, Sink())\n"
        "began = time.perf_counter()\n"
        f"digest_objects((FlowLogObject(p, Path(p).read_bytes()) for p in paths), {WINDOW[0]}, {WINDOW[1]}, Sink())\n"
        "print(time.perf_counter() - began)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(result.stdout.split()[-1])


def tree_extracted(revision: str, into: Path) -> Path:
    """The whole tree at `revision`, in `into`, its engine compiled (so the job does not pay for it)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(into, filter="data")
    subprocess.run([sys.executable, "-m", "digests.engine.warm"], cwd=into, check=True, capture_output=True)
    return into


def graph_job(folder: Path, data: Path, tree: Path = ROOT) -> tuple[list[tuple[str, float]], float, int]:
    """Runs the graph job in `tree`; returns (stage, seconds) pairs, the whole time and the peak RSS in MB."""
    env = {**os.environ, "GRAPHERD_DATA_DIR": str(data), "VPC_FLOW_LOGS_PATH": str(folder)}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=tree, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=tree, env=env, check=True)
    command = [*manage, "graph_create", "--start", START, "--stop", STOP, "--here", "--rerun"]
    began = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], cwd=tree, env=env, capture_output=True, text=True
    )
    took = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    marks = [(float(m[1]), m[2].strip()) for line in result.stderr.splitlines() if (m := STAGE.match(line))]
    stages = [(name, marks[n + 1][0] - at) for n, (at, name) in enumerate(marks[:-1]) if name[0].islower()]
    named, folds = [], 0
    for name, seconds in stages:
        folds += name == "connections"
        label = NAMES.get(name if name != "connections" else f"connections {folds}")
        if label is not None:
            named.append((label, seconds))
    return named, took, int(result.stderr.split()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), default="high-cardinality")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--before", help="a git revision whose graph job runs too, in turn")
    options = parser.parse_args()
    folder = dataset(*SHAPES[options.shape], 8, options.shape)
    print(f"{folder.name}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="graph-job-bench-tree-") as old:
        trees = {"this tree": ROOT}
        if options.before:
            trees[options.before] = tree_extracted(options.before, Path(old))
        for run in range(options.runs):
            for name, tree in trees.items():
                engine = engine_seconds(folder)
                with tempfile.TemporaryDirectory(prefix="graph-job-bench-") as data:
                    stages, took, rss = graph_job(folder, Path(data), tree)
                print(f"run {run + 1}, {name}: engine alone {engine:.1f} s (baseline); the graph job "
                      f"{took:.1f} s ({took / engine:.1f}x), peak RSS {rss:,} MB")  # fmt: skip
                for stage, seconds in stages:
                    print(f"    {stage:40} {seconds:7.1f} s  {seconds / engine:5.1f}x the engine")


if __name__ == "__main__":
    main()
