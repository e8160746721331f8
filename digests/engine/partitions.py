"""The end of a digest: the workers' tallies into one sorted text, a range of lines at a time.

A worker's tally may hold groups that others hold too (those it took before the workers switched to
shards, digests/engine/shards.py): first each such group is handed to one tally, the one of its shard,
with the sums of every copy (`tallies_settle`), so that every group is in one tally only. Then, rather than
writing and sorting every line at once, the groups are split into partitions by the leading bytes of their
lines (their *heads*, see digests/engine/kernel/heads.py), into ranges of about PARTITION_GROUPS groups: the
lines of one partition all sort before those of the next, so the partitions, each written straight from
the tallies' tables and sorted on its own, concatenate into the digest. Finisher threads (the compiled
code runs without the GIL) take the partitions in turn; the calling thread writes each to `out` in order,
and at most two partitions a thread wait for it, so the memory of the finish is a few partitions, small
enough to sort within the CPU's caches. A digest stored gzipped (`out` a GzipBlocks) has each partition
compressed by the finisher that sorted it, not by the writing thread after them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, cast

import numpy as np

from digests.engine import kernel
from digests.engine.gzip_blocks import GzipBlock, GzipBlocks
from digests.engine.lines import lines_sorted
from digests.engine.shards import tallies_settle
from digests.engine.tally import Tally

PARTITION_GROUPS = 1 << 15  # groups a partition holds, about: ~3.5 MB of lines to sort
MAX_PARTITIONS = 4096
SAMPLE_GROUPS = 1 << 16  # heads sampled to choose the ranges
LINE_START = len(b"2 ")  # the bytes of a line before its head
Text = np.ndarray | GzipBlock  # a partition's sorted lines, compressed when the digest is stored gzipped


@dataclass
class _Split:
    """One tally's groups, by partition: `members[bounds[p]:bounds[p + 1]]` are partition p's."""

    rows: np.ndarray
    members: np.ndarray
    bounds: np.ndarray
    key_bytes: np.ndarray  # of each partition's groups, in all


@dataclass
class _Plan:
    common: int  # leading bytes all lines share
    partitions: int
    splits: list[_Split]
    bounds: np.ndarray  # " <first> <last> ", the same on every line


def write_tallies(tallies: list[Tally], out: BinaryIO, threads: int) -> int:
    """Writes the digest lines of the tallies (of one digest: same hash seeds) to `out`, sorted, with
    `threads` finisher threads; returns how many lines. When `out` is a GzipBlocks, the finishers
    compress the partitions too."""
    if not any(tally.groups for tally in tallies):
        return 0
    threads = max(1, threads)
    moved = tallies_settle(tallies, threads)
    filled = [(tally, flags) for tally, flags in zip(tallies, moved, strict=True) if tally.groups > 0]
    plan = _plan(filled, _bounds_text(tallies), threads)
    gzip = out if isinstance(out, GzipBlocks) else None

    def finish(partition: int) -> tuple[int, Text]:
        groups, text = _finish([tally for tally, _ in filled], plan, partition)
        return groups, (gzip.compress(text) if gzip is not None else text)

    def write(text: Text) -> None:
        if isinstance(text, GzipBlock) and gzip is not None:
            gzip.write_block(text)
        else:
            out.write(cast(np.ndarray, text).data)

    return _in_order(finish, plan.partitions, threads, write)


def _bounds_text(tallies: list[Tally]) -> np.ndarray:
    every = Tally(0, 0, tallies[0].seeds)
    for tally in tallies:
        every.take_bounds(tally)
    return every.bounds_text()


def _plan(filled: list[tuple[Tally, np.ndarray]], bounds: np.ndarray, threads: int) -> _Plan:
    tallies = [tally for tally, _ in filled]
    head = np.frombuffer(tallies[0].head(), np.uint8)
    with ThreadPoolExecutor(threads, thread_name_prefix="digest-plan") as pool:  # compiled: without the GIL
        common = min(pool.map(lambda tally: tally.common_head(head, len(head)), tallies))
        seen = sum(tally.groups for tally in tallies)
        step = max(1, seen // SAMPLE_GROUPS)
        sample = np.sort(np.concatenate([tally.head_words(common, step) for tally in tallies]))
        splitters = _splitters(sample, min(MAX_PARTITIONS, max(1, seen // PARTITION_GROUPS)))
        splits = list(pool.map(lambda each: _split(each[0], each[1], common, splitters), filled))
    return _Plan(LINE_START + common, len(splitters) + 1, splits, bounds)


def _splitters(sample: np.ndarray, partitions: int) -> np.ndarray:
    """The head words that open partitions 1, 2...: quantiles of a sorted sample of them. Equal heads go
    to one partition, so a digest of few distinct heads gets fewer partitions (in the worst case one)."""
    chosen = sample[(np.arange(1, partitions) * len(sample)) // partitions]
    return np.unique(chosen[chosen > sample[0]])  # none at the lowest word: the first partition is not empty


def _split(tally: Tally, moved: np.ndarray, common: int, splitters: np.ndarray) -> _Split:
    members, bounds, key_bytes = tally.partition(common, splitters, moved)
    return _Split(tally.rows(), members, bounds, key_bytes)


def _finish(tallies: list[Tally], plan: _Plan, partition: int) -> tuple[int, np.ndarray]:
    """Partition `partition`'s lines, written from every tally (each group is in one) and sorted."""
    groups = sum(int(split.bounds[partition + 1] - split.bounds[partition]) for split in plan.splits)
    text_bytes = sum(int(split.key_bytes[partition]) for split in plan.splits)
    data = np.empty(text_bytes + groups * kernel.LINE_NUMBERS_ROOM, np.uint8)
    starts = np.empty(groups + 1, np.int64)
    at = line = 0
    for tally, split in zip(tallies, plan.splits, strict=True):
        members = split.members[split.bounds[partition] : split.bounds[partition + 1]]
        at = tally.render(split.rows, members, plan.bounds, data, starts, at, line)
        line += members.shape[0]
    starts[groups] = at
    return groups, lines_sorted(data, starts, plan.common)


def _in_order(
    finish: Callable[[int], tuple[int, Text]], partitions: int, threads: int, write: Callable[[Text], None]
) -> int:
    """Runs finish(0), finish(1)... in `threads` threads and writes their text in that order; returns the
    lines written. The first error of a finisher is raised here, after all have stopped."""
    done: dict[int, tuple[int, Text] | BaseException] = {}
    ready = threading.Condition()
    room = threading.Semaphore(2 * threads)  # partitions finished or in progress, not yet written
    taken = iter(range(partitions))  # next() on a range iterator is atomic under the GIL
    stopped = threading.Event()

    def work() -> None:
        while True:
            room.acquire()
            partition = next(taken, None)
            if partition is None or stopped.is_set():
                return
            result: tuple[int, Text] | BaseException
            try:
                result = finish(partition)
            except BaseException as error:  # handed to the writing thread, which raises it
                result = error
            with ready:
                done[partition] = result
                ready.notify_all()

    workers = [threading.Thread(target=work, name=f"digest-finish-{n}", daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    lines = 0
    try:
        for partition in range(partitions):
            with ready:
                ready.wait_for(lambda: partition in done)  # noqa: B023  # called at once, in this iteration
                result = done.pop(partition)
            if isinstance(result, BaseException):
                raise result
            lines += result[0]
            write(result[1])
            del result
            room.release()
    finally:
        stopped.set()
        for _ in workers:  # wakes the workers waiting for room, which then see they are stopped
            room.release()
        for worker in workers:
            worker.join()
    return lines
