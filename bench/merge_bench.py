"""The hourly partials' merge alone (digests.engine.merge): N stored hour digests merged by an older
revision and by this tree, in one run, so that the ratios compare like with like on a shared machine.

    .venv/bin/python bench/merge_bench.py [--pieces 24] [--lines 460000] [--runs 3] [--before 5ad6d2c]

The pieces are sorted hour digests of a synthetic estate, gzipped as the digest job stores them (isal,
level 2; generated once, cached in the temp folder): each hour has `--lines` lines, half of them
connections every hour has (their sums added up by the merge), half drawn from a universe 24 times larger
(mostly an hour's own); one connection in 13 has a second tail. `--before` is extracted from git into the
temp folder (digests/engine only). Each merge runs in a fresh process: it warms the engine (numba's cache:
the first run of a revision compiles it), resets its RSS high-water mark, then times `digests_merge` of the
pieces into a sink that hashes the merged text. Printed for each run: seconds, RSS before the merge and
the peak during it; then the medians, after/before ratios, and whether both wrote the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = (443, 80, 22, 5432, 8080)
HOUR_START = 1546300800  # 2019-01-01T00:00:00Z


@dataclass
class Measured:
    """One merge: its seconds, the process's RSS before it and peak during it, its lines and output's hash."""

    seconds: float
    rss_mb: float
    peak_mb: float
    lines: int
    sha256: str


def main() -> int:
    options = _arguments()
    if options.child:
        tree, pieces, block = options.child
        print(json.dumps(asdict(_child(Path(tree), Path(pieces), int(block)))))
        return 0
    folder = pieces_generated(options.pieces, options.lines)
    trees = {"before": _tree_extracted(options.before), "after": ROOT}
    print(f"{options.pieces} pieces of {options.lines} lines: {_text_mb(folder):.0f} MB of text")
    results: dict[str, list[Measured]] = {name: [] for name in trees}
    for run in range(options.runs):
        for name, tree in trees.items():
            result = _merge_measured(tree, folder, options.block)
            results[name].append(result)
            print(
                f"run {run + 1} {name:6} {result.seconds:6.2f} s  rss before {result.rss_mb:6.0f} MB"
                f"  peak {result.peak_mb:6.0f} MB  peak - before {result.peak_mb - result.rss_mb:6.0f} MB"
                f"  ({result.lines} lines)",
                flush=True,
            )
    _report(results)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=24, help="hour digests merged")
    parser.add_argument("--lines", type=int, default=460_000, help="lines an hour")
    parser.add_argument("--runs", type=int, default=3, help="merges of each, alternated")
    parser.add_argument("--before", default="5ad6d2c", help="the git revision compared with this tree")
    parser.add_argument(
        "--block", type=int, default=0, help="bytes of each piece held (0: the tree's default)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # tree, pieces, block: one merge
    return parser.parse_args()


def pieces_generated(count: int, lines: int) -> Path:
    """The hour digests, generated on first use."""
    folder = Path(tempfile.gettempdir()) / f"grapherd-merge-bench-{count}x{lines}"
    if (folder / "done").exists():
        return folder
    folder.mkdir(exist_ok=True)
    from isal import igzip

    rng = random.Random(13)
    shared = range(lines // 2)
    for hour in range(count):
        keys = set(shared) | {rng.randrange(lines // 2, 24 * lines) for _ in range(lines - lines // 2)}
        start = HOUR_START + 3600 * hour
        text = sorted(line for key in keys for line in _lines(key, start, rng))
        (folder / f"hour-{hour:03d}.log.gz").write_bytes(igzip.compress(b"".join(text), 2))
        print(f"generated hour {hour + 1} of {count}", flush=True)
    (folder / "done").touch()
    return folder


def _lines(key: int, start: int, rng: random.Random) -> list[bytes]:
    """A connection's lines in an hour: a head unique to the key, one tail (two for one key in 13)."""
    head = (
        f"2 123456789012 eni-{key % 997:08x} 10.{key >> 16 & 255}.{key >> 8 & 255}.{key & 255}"
        f" 172.16.{key >> 24 & 255}.{key * 7 & 255} 0 {PORTS[key % 5]} 6"
    )
    tails = ["ACCEPT OK", "REJECT OK"] if key % 13 == 0 else ["REJECT OK" if key % 11 == 0 else "ACCEPT OK"]
    bounds = f"{start + rng.randrange(60)} {start + 3540 + rng.randrange(60)}"
    packets = rng.randrange(1, 5000)
    return [f"{head} {packets} {packets * 83} {bounds} {tail}\n".encode() for tail in tails]


def _text_mb(folder: Path) -> float:
    from isal import igzip

    return sum(len(igzip.decompress(path.read_bytes())) for path in folder.glob("*.log.gz")) / 1e6


def _tree_extracted(revision: str) -> Path:
    """The engine as it was at `revision`, in a folder of its own (kept: numba caches beside it)."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision], capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"grapherd-merge-bench-tree-{commit}"
    if not (tree / "digests" / "engine" / "merge.py").exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "digests/__init__.py", "digests/engine"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as files:
            files.extractall(tree, filter="data")
    return tree


def _merge_measured(tree: Path, folder: Path, block: int) -> Measured:
    """One merge in a fresh process that imports the engine from `tree`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(tree), str(folder), str(block)]
    result = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(result.stdout + result.stderr)
    return Measured(**json.loads(result.stdout.strip().splitlines()[-1]))


def _child(tree: Path, folder: Path, block: int) -> Measured:
    sys.path.insert(0, str(tree))
    from digests.engine.merge import digests_merge
    from digests.engine.warm import engine_warm

    engine_warm()
    pieces = sorted(folder.glob("*.log.gz"))
    sink = _Hashed()
    rss = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark from here on
    began = time.perf_counter()
    sized = {"block": block} if block and "block" in inspect.signature(digests_merge).parameters else {}
    lines = digests_merge(pieces, sink, **sized)  # type: ignore[arg-type]
    seconds = time.perf_counter() - began
    return Measured(seconds, rss, _status_mb("VmHWM"), lines, sink.hash.hexdigest())


class _Hashed:
    """A sink for the merged text that keeps only its sha256."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        self.hash.update(data)
        return len(data)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _report(results: dict[str, list[Measured]]) -> None:
    medians = {
        name: {
            key: statistics.median(getattr(run, key) for run in runs)
            for key in ("seconds", "peak_mb", "rss_mb")
        }
        for name, runs in results.items()
    }
    before, after = medians["before"], medians["after"]
    grown = {name: values["peak_mb"] - values["rss_mb"] for name, values in medians.items()}
    hashes = {run.sha256 for runs in results.values() for run in runs}
    print(f"median seconds: before {before['seconds']:.2f}, after {after['seconds']:.2f}", end="")
    print(f" (after/before {after['seconds'] / before['seconds']:.3f})")
    print(f"median peak RSS: before {before['peak_mb']:.0f} MB, after {after['peak_mb']:.0f} MB", end="")
    print(f" (after/before {after['peak_mb'] / before['peak_mb']:.3f})")
    print(
        f"median peak - RSS before the merge: before {grown['before']:.0f} MB, after {grown['after']:.0f} MB"
    )
    print("merged text identical" if len(hashes) == 1 else f"merged text DIFFERS: {sorted(hashes)}")


if __name__ == "__main__":
    sys.exit(main())
