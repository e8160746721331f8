"""Prepare the engine: run it once on a small synthetic input, so that numba compiles (first run after an
install) or loads from its cache every kernel function a digest uses.

`python -m digests.engine.warm` prints what it compiled and what it found cached; `manage.py qcluster`
runs it before the cluster takes work. Growth, two workers' merge, sharded scans and the sorted write
are all exercised.
"""

from __future__ import annotations

import gzip
import importlib
import io
import pkgutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from numba.core.dispatcher import Dispatcher

from digests.engine import kernel, merge_sorted
from digests.engine.digest import digest_objects
from digests.engine.merge import digests_merge
from digests.engine.objects import FlowLogObject

HEADER = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
GROUPS = 12_000  # enough for each worker's table and key arena to grow at least once
WARM_BLOCK_BYTES = 4096  # the merge reads its pieces a few lines at a time: its refills compiled too


def _sample(part: int) -> FlowLogObject:
    lines = [HEADER]
    for n in range(part, GROUPS, 2):
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        lines.append(
            f"2 1 eni-1 {address} 10.9.9.9 {40000 + n % 20000} 443 6 3 120 60 90 ACCEPT OK\n".encode()
        )
    lines.append(b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 - - 60 90 REJECT OK\n")
    return FlowLogObject(f"warm-{part}.log.gz", gzip.compress(b"".join(lines), 1))


def kernel_modules() -> list[ModuleType]:
    """Every module of the kernel package, then the compiled merge."""
    names = sorted(info.name for info in pkgutil.iter_modules(kernel.__path__, f"{kernel.__name__}."))
    return [*(importlib.import_module(name) for name in names), merge_sorted]


def kernel_dispatchers() -> dict[str, Dispatcher]:
    """The compiled functions, each once, by where it is defined ("kernel.scanning.scan"): a module also holds
    the ones it imports from another."""
    found = {}
    for module in kernel_modules():
        for name, value in vars(module).items():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                found[f"{module.__name__.removeprefix('digests.engine.')}.{name}"] = value
    return found


def _merge_warm(digest: bytes) -> None:
    """Merges the warm-up digest, cut in two, back into itself: the hourly pieces' merge compiled too."""
    lines = digest.splitlines(keepends=True)
    with tempfile.TemporaryDirectory(prefix="grapherd-warm-") as folder:
        halves = [Path(folder) / "a.log", Path(folder) / "b.log"]
        halves[0].write_bytes(b"".join(lines[::2]))
        halves[1].write_bytes(b"".join(lines[1::2]))
        out = io.BytesIO()
        digests_merge(halves, out, block=WARM_BLOCK_BYTES)
    if out.getvalue() != digest:
        raise RuntimeError("the engine's warm-up merge does not give back the digest it was cut from")


def engine_warm() -> tuple[list[str], list[str]]:
    """Runs the engine once; returns the kernel functions (compiled, loaded from the cache)."""
    out = io.BytesIO()
    figures = digest_objects([_sample(0), _sample(1)], 0, 100, out, workers=2)
    if figures.groups != GROUPS + 1:
        raise RuntimeError(f"the engine's warm-up digest has {figures.groups} lines, not {GROUPS + 1}")
    sharded = io.BytesIO()  # each group held by one worker from the start: the outboxes' code compiled
    digest_objects([_sample(0), _sample(1)], 0, 100, sharded, workers=2, shard_from=0)
    if sharded.getvalue() != out.getvalue():
        raise RuntimeError("the engine's warm-up digest differs when each worker holds its own groups")
    _merge_warm(out.getvalue())
    compiled: list[str] = []
    cached: list[str] = []
    for name, dispatcher in sorted(kernel_dispatchers().items()):
        if not dispatcher.signatures:
            continue
        (compiled if sum(dispatcher.stats.cache_misses.values()) else cached).append(name)
    return compiled, cached


def main() -> int:
    begun = time.monotonic()
    compiled, cached = engine_warm()
    took = time.monotonic() - begun
    if compiled:
        print(f"digest engine: compiled {', '.join(compiled)} in {took:.1f} s (cached for the next start)")
    else:
        print(f"digest engine: {len(cached)} kernel functions loaded from the cache in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
