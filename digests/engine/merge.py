"""Digests of adjacent windows merged into the digest of their union, byte for byte what one pass writes.

A window digested hour by hour (digests.partials) is put back together here. Records fall in exactly one
piece (the engine keeps a record by its own start, or its end when it has no start), so the union's groups
are the pieces' groups with equal keys added up:

* the key is every field but packets, bytes, start and end: version, account, interface, addresses, the
  ports as written (the lower kept), protocol, action and log-status, all as the pieces wrote them;
* packets and bytes are summed over the pieces that had a value, `-` when none had;
* start and end are the bounds of all the records, so the smallest start and largest end written by any
  piece (each piece writes its own bounds on every line), `-` when no piece had one;
* the lines are sorted bytewise, as the engine sorts them.

This module imports nothing of Django; the digest job calls it in the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from isal import igzip

from digests.engine import kernel
from digests.engine import merge_kernel as k
from digests.engine.objects import DigestMergeError
from digests.engine.tally import new_seeds

GZIP_MAGIC = b"\x1f\x8b"
FIRST_SLOTS = 1 << 16
FIRST_ARENA = 1 << 22
WRITE_BYTES = 4 << 20  # digest text written at a time


class _Sums:
    """The groups added so far: a hash table of rows and the key bytes (digests.engine.merge_kernel)."""

    def __init__(self) -> None:
        self.table = np.zeros(FIRST_SLOTS * k.ROW, np.int64)
        self.arena = np.zeros(FIRST_ARENA, np.uint8)
        self.state = np.zeros(k.STATE, np.int64)
        self.seeds = np.array(new_seeds(), np.uint64)

    def add(self, name: str, text: bytes) -> None:
        buf = np.frombuffer(text, np.uint8)
        position = 0
        while True:
            position, code = k.add_lines(
                buf, position, len(text), self.seeds, self.table, self.arena, self.state
            )
            if code == k.DONE:
                return
            if code == k.BAD_LINE:
                line = text[position : text.find(b"\n", position)][:120].decode("utf-8", "replace")
                raise DigestMergeError(f"{name}: not a digest line: {line!r}")
            self._grow(len(text) - position)

    def _grow(self, left: int) -> None:
        slots = self.table.shape[0] // k.ROW
        if 2 * (int(self.state[k.GROUPS]) + k.BATCH) > slots:  # room for a batch of new groups
            bigger = np.zeros(slots * 2 * k.ROW, np.int64)
            k.rehash(self.table, bigger)
            self.table = bigger
        else:  # a line's key bytes did not fit
            arena = np.zeros(max(2 * self.arena.shape[0], self.arena.shape[0] + left), np.uint8)
            arena[: self.arena.shape[0]] = self.arena
            self.arena = arena

    def write(self, out: BinaryIO) -> int:
        count = int(self.state[k.GROUPS])
        if count == 0:
            return 0
        data, starts = k.render(self.table, self.arena, self.state)
        self.table, self.arena = np.zeros(0, np.int64), np.zeros(0, np.uint8)  # let go before the sort
        order = lines_order(data, starts)
        chunk = np.empty(max(WRITE_BYTES, int(np.diff(starts).max()) + 1), np.uint8)
        line = 0
        while line < count:
            line, used = k.fill(data, starts, order, line, chunk)
            out.write(chunk[:used].data)
        return count


def digests_merge(pieces: Sequence[Path], out: BinaryIO) -> int:
    """Merges the digest texts at `pieces` (plain or gzip) and writes the sorted lines to `out`; returns
    how many lines it wrote. Raises DigestMergeError for a piece that is not a digest.

    Memory follows the window's groups, not the lines read: each piece is read alone and added into one
    table of groups."""
    sums = _Sums()
    for path in pieces:
        data = path.read_bytes()
        if data[:2] == GZIP_MAGIC:
            data = igzip.decompress(data)
        if data and not data.endswith(b"\n"):
            raise DigestMergeError(f"{path.name}: not a digest (its last line has no end)")
        sums.add(path.name, data)
        del data
    return sums.write(out)


def lines_order(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The order of the (distinct) lines data[starts[i]:starts[i + 1]], bytewise: the engine's radix sort."""
    order = np.arange(starts.shape[0] - 1, dtype=np.int64)
    kernel.sort_lines(data, starts, order, 0)
    return order
