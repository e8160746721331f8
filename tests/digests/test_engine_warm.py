"""The worker prepares the engine before it takes work, so that no digest job compiles the kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from numba.core.dispatcher import Dispatcher

from digests.engine import warm

ROOT = Path(__file__).resolve().parents[2]

# A digest unlike the warm-up's: one worker, a header-less file, a non-ASCII line, a Parquet object; then
# the same objects twice with two workers, sharded.
A_REAL_DIGEST = """
import io, gzip
import polars as pl
from digests.engine import warm
from digests.engine.digest import digest_objects
from digests.engine.objects import FlowLogObject
text = b"2 1 eni-1 10.0.0.1 10.0.0.2 5 443 6 1 40 10 20 ACCEPT OK\\n2 1 eni-\\xc3\\xa9 a b 1 2 6 1 1 10 20 ACCEPT OK\\n"
parquet = io.BytesIO()
pl.DataFrame({"srcaddr": ["10.0.0.9"], "dstaddr": ["10.0.0.2"], "srcport": [7], "dstport": [22],
              "protocol": [6], "start": [15], "end": [16], "log_status": ["OK"]}).write_parquet(parquet)
objects = [FlowLogObject("a.log.gz", gzip.compress(text)), FlowLogObject("b.parquet", parquet.getvalue())]
figures = digest_objects(objects, 0, 100, io.BytesIO(), workers=1)
assert figures.groups == 3, figures
sharded = digest_objects(objects * 2, 0, 100, io.BytesIO(), workers=2, shard_from=0)
assert sharded.groups == 3, sharded
misses = {name: dict(d.stats.cache_misses) for name, d in warm.kernel_dispatchers().items() if d.stats.cache_misses}
print("misses", misses)
"""


def _python(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_after_the_warm_up_the_kernel_loads_from_the_cache() -> None:
    _python("-m", "digests.engine.warm")  # compiles when the kernel changed since the last run
    assert "loaded from the cache" in _python("-m", "digests.engine.warm")


def test_a_digest_after_the_warm_up_compiles_nothing() -> None:
    _python("-m", "digests.engine.warm")
    assert "misses {}" in _python("-c", A_REAL_DIGEST)


def test_the_warm_up_lists_every_compiled_function_of_every_kernel_module_once() -> None:
    found = warm.kernel_dispatchers()

    entry_points = (
        "kernel.scanning.scan",
        "kernel.tables.absorb",
        "kernel.tables.rehash",
        "kernel.rendering.render",
        "kernel.rendering.render_groups",
        "kernel.rendering.fill",
        "kernel.sort.sort_lines",
        "kernel.heads.partition_groups",
        "kernel.settle.merge",
        "kernel.settle.gather",
        "merge_sorted.merge_into",
    )
    assert set(entry_points) <= set(found)
    every = {
        id(value)
        for module in warm.kernel_modules()
        for value in vars(module).values()
        if isinstance(value, Dispatcher)
    }
    assert {id(dispatcher) for dispatcher in found.values()} == every
    assert len(found) == len(every)
