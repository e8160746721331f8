"""Digest engines side by side: the built-in engine against the digest SQL run by DuckDB (the text Athena runs).

    .venv/bin/python bench/sql_engine_bench.py [--records 1000000] [--groups 100000] [--files 8]

Uses bench/digest_bench.py's synthetic gzip files (generated into bench/out/ on first use), and runs each
engine in its own subprocess, as GRAPHERD_DIGEST_ENGINE would in a worker: `builtin` (digests/engines/
builtin.py's scan) and `duckdb` (digests/engines/duckdb_sql.py: staging the objects as text, then the SQL).
Both write the digest to a file; the parent checks that the two files are byte-identical and prints
records per second with the built-in engine as the baseline of the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from digest_bench import WINDOW, _paths, _peak_rss_mb, dataset  # noqa: E402  (after sys.path)

ENGINES = ("builtin", "duckdb")


def run_engine(name: str, folder: Path, out: Path) -> dict[str, Any]:
    """Subprocess side: one engine over the folder's files; the imports load before the clock starts."""
    import io

    from digests.engine.digest import digest_objects
    from digests.engine.figures import DigestFigures
    from digests.engine.objects import FlowLogObject
    from digests.engines.duckdb_sql import duckdb_digest, stage_objects

    digest_objects([FlowLogObject("warm-up", b"")], *WINDOW, io.BytesIO())  # numba's cache, as a worker has
    objects = (FlowLogObject(path.name, path.read_bytes()) for path in _paths(folder))
    started = time.perf_counter()
    with out.open("wb") as digest:
        if name == "builtin":
            figures = digest_objects(objects, *WINDOW, digest)
        else:
            with tempfile.TemporaryDirectory() as staging:
                paths = stage_objects(objects, Path(staging), DigestFigures())
                staged = time.perf_counter() - started
                figures = duckdb_digest(paths, *WINDOW, digest).figures
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "records": figures.records, "groups": figures.groups}
    if name == "duckdb":
        result["staging_seconds"] = staged
    return {**result, "peak_rss_mb": _peak_rss_mb()}


def measure(name: str, folder: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--engine", name, "--data", str(folder), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["sha256"] = hashlib.sha256(out.read_bytes()).hexdigest()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.engine:
        print(json.dumps(run_engine(options.engine, Path(options.data), Path(options.out))))
        return
    folder = dataset(options.records, options.groups, options.files)
    with tempfile.TemporaryDirectory() as scratch:
        results = {name: measure(name, folder, Path(scratch) / f"{name}.log") for name in ENGINES}
    _report(results, options)


def _report(results: dict[str, dict[str, Any]], options: argparse.Namespace) -> None:
    print(
        f"{options.records:,} records, {options.groups:,} groups, {options.files} gzip files; 1-hour window"
    )
    print(f"{'engine':<9} {'seconds':>8} {'records/s':>12} {'vs builtin':>10} {'peak RSS MB':>11}  notes")
    base = results["builtin"].get("seconds")
    for name, result in results.items():
        if "error" in result:
            print(f"{name:<9} failed: {result['error']}")
            continue
        rate = result["records"] / result["seconds"]
        ratio = f"{base / result['seconds']:.2f}x" if base else "-"
        notes = f"staging {result['staging_seconds']:.1f} s" if "staging_seconds" in result else ""
        print(
            f"{name:<9} {result['seconds']:>8.2f} {rate:>12,.0f} {ratio:>10} {result['peak_rss_mb']:>11,.0f}  {notes}"
        )
    digests = {result.get("sha256") for result in results.values()}
    print("digests byte-identical:", "yes" if len(digests) == 1 and None not in digests else "NO")


if __name__ == "__main__":
    main()
