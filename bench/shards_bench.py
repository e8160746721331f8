"""Sharded scans (digests/engine/shards.py): the memory the workers' tables hold at the end of the scan,
and the time, with the workers switching to shards never, at the default threshold, and from the start.

    .venv/bin/python bench/shards_bench.py [--shape high-cardinality] [--workers 2 4] [--rounds 3]

Uses bench/digest_bench.py's generated files (made on first use, reused after). Rounds are interleaved
(each round runs every variant once, in turn) and medians are shown next to the unsharded baseline of the
same run, so a busy machine slows every variant alike. Copies: groups held over groups in the digest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest_bench import SHAPES, WINDOW, _paths, dataset

from digests.engine.digest import digest_objects
from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject
from digests.engine.shards import SHARD_FROM_GROUPS

VARIANTS = {
    "never (baseline)": 1 << 62,
    f"from {SHARD_FROM_GROUPS:,} groups (default)": SHARD_FROM_GROUPS,
    "from the start": 0,
}


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)


def _once(objects: list[FlowLogObject], workers: int, shard_from: int) -> tuple[float, DigestFigures]:
    began = time.perf_counter()
    figures = digest_objects(objects, *WINDOW, _Sink(), workers=workers, shard_from=shard_from)  # type: ignore[arg-type]
    return time.perf_counter() - began, figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), default="high-cardinality")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    records, groups = SHAPES[options.shape]
    folder = dataset(records, groups, 8, options.shape)
    objects = [FlowLogObject(path.name, path.read_bytes()) for path in _paths(folder)]
    _once(objects, 2, 0)  # loads (or compiles) the kernel
    print(f"{folder.name}: {records:,} records")
    print(
        f"{'workers':>7}  {'switch to shards':32} {'copies':>6} {'tables MB':>9} {'median s':>8} {'time vs never':>13}"
    )
    for workers in options.workers:
        seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
        figures: dict[str, DigestFigures] = {}
        for _ in range(options.rounds):
            for name, shard_from in VARIANTS.items():
                took, figures[name] = _once(objects, workers, shard_from)
                seconds[name].append(took)
        baseline = statistics.median(seconds["never (baseline)"])
        for name in VARIANTS:
            run, median = figures[name], statistics.median(seconds[name])
            print(
                f"{workers:>7}  {name:32} {run.held / run.groups:6.2f} {run.held_bytes / 2**20:9.0f} "
                f"{median:8.2f} {median / baseline:12.2f}x"
            )


if __name__ == "__main__":
    main()
