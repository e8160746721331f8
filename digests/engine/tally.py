"""Per-connection sums of flow-log records: the state the compiled scan (digests/engine/kernel/) works on.

A `Tally` belongs to one thread at a time. Several tallies (one per worker thread) are merged into one at
the end, and it writes the digest lines, sorted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from digests.engine import kernel
from digests.engine.figures import (
    SKIP_BAD_NUMBER,
    SKIP_FIELD_COUNT,
    SKIP_NO_DATA,
    SKIP_OUTSIDE_WINDOW,
    SKIP_UNKNOWN_LAYOUT,
    SKIP_UNKNOWN_STATUS,
    DigestFigures,
)
from digests.engine.kernel_layouts import layout_rows
from digests.engine.layouts import RecordLayout
from digests.engine.lines import write_lines

FIRST_SLOTS = 1 << 12
FIRST_ARENA = 1 << 18
# A sharded tally's outboxes (one for each other shard) hold this many records in all, shared among the
# shards (so their memory, ~270 bytes a record with its key text, stays ~9 MB a tally however many there
# are), and 96 bytes of key text a record before they are sent.
OUTBOX_RECORDS = 1 << 15
OUTBOX_TEXT = 96
_SKIPS = {
    SKIP_UNKNOWN_LAYOUT: kernel.UNKNOWN_LAYOUT,
    SKIP_FIELD_COUNT: kernel.FIELD_COUNT_SKIP,
    SKIP_NO_DATA: kernel.NO_DATA,
    SKIP_UNKNOWN_STATUS: kernel.UNKNOWN_STATUS,
    SKIP_BAD_NUMBER: kernel.BAD_NUMBER,
    SKIP_OUTSIDE_WINDOW: kernel.OUTSIDE,
}


class Tally:
    """The groups of the records scanned so far, with the counts of what was read, kept and skipped."""

    def __init__(
        self, start: int, stop: int, seeds: tuple[int, int] | None = None, *, groups: int = 0, arena: int = 0
    ) -> None:
        """A tally with room for `groups` groups and `arena` bytes of key text before it grows."""
        slots = max(FIRST_SLOTS, 1 << (2 * groups + 2 * kernel.BATCH + 2).bit_length())
        self._window = (start, stop)
        self._seeds = np.array(seeds if seeds is not None else new_seeds(), np.int64)
        self._table = np.zeros(slots * kernel.ROW, np.int64)
        self._keys = np.zeros((_key_rows(slots), kernel.KEY_ROW), np.int64)
        self._offsets = np.zeros(_key_rows(slots) + 1, np.int64)
        self._arena = np.zeros(max(FIRST_ARENA, arena), np.uint8)
        self._counts = np.zeros(kernel.COUNTS, np.int64)
        self._scratch = kernel.scratch(0)
        self._shards, self._owner = 1, 0
        self._sharded_at: int | None = None  # the groups it held when it switched to shards
        self._send: Callable[[int, Parcel], None] = _nowhere
        self._outboxes = _outboxes(1, 0, 0)

    @property
    def seeds(self) -> tuple[int, int]:
        return int(self._seeds[0]), int(self._seeds[1])

    def scan(
        self,
        buf: np.ndarray,
        begin: int,
        end: int,
        layout: RecordLayout | None,
        strict: bool,
        clean: bool = False,
    ) -> tuple[int, int]:
        """Scans the lines of buf[begin:end] until done or a line Python has to look at (see kernel.scan)."""
        rows, width = layout_rows(layout)
        if width >= self._scratch[0].shape[0]:
            self._scratch = kernel.scratch(width)
        start, stop = self._window
        while True:
            begin, code = kernel.scan(
                buf, begin, end, rows, width, strict, clean, start, stop, self._seeds,
                self._table, self._keys, self._offsets, self._arena, self._counts, *self._scratch,
                self._shards, self._owner, *self._outboxes,
            )  # fmt: skip
            if code == kernel.OUTBOX:
                self._send_outboxes()
            elif code == kernel.GROW:
                self._grow()
            else:
                return begin, code

    # --- sharded scans (digests/engine/shards.py): each group is held by one tally only ---

    def shard(self, shards: int, owner: int, send: Callable[[int, Parcel], None]) -> None:
        """From now on this tally keeps only the groups of shard `owner` of `shards`; the records of the
        others' groups are handed to `send(shard, parcel)` in parcels, for that shard's tally to absorb."""
        self._shards, self._owner, self._send = shards, owner, send
        self._sharded_at = self.groups
        records = max(1, OUTBOX_RECORDS // shards)
        self._outboxes = _outboxes(shards, records, records * OUTBOX_TEXT)

    @property
    def sharded(self) -> bool:
        return self._shards > 1

    def send_all(self) -> int:
        """Hands every outbox that holds records to its shard's tally, and empties it; returns how many
        parcels it sent."""
        rows, text, used = self._outboxes
        sent = 0
        for shard in range(self._shards):
            records, size, need = (int(value) for value in used[shard])
            if records:
                sent += 1
                self._send(
                    shard,
                    Parcel(
                        rows[shard, : records * kernel.B_ROW].copy(), records, text[shard, :size].copy(), need
                    ),
                )
                used[shard] = 0
        return sent

    def _send_outboxes(self) -> None:
        if self.send_all():
            return
        # Nothing to send, yet an outbox was short: a batch or a record's key is larger than an outbox.
        records, text = (boxes.shape[1] for boxes in self._outboxes[:2])
        self._outboxes = _outboxes(self._shards, max(1, 2 * records // kernel.B_ROW), max(1, 2 * text))

    def absorb(self, parcel: Parcel) -> None:
        """Adds the records another tally sent this one's shard (its groups: this tally holds them all)."""
        self.reserve(parcel.records + kernel.BATCH, parcel.need)
        kernel.absorb(
            parcel.rows, parcel.records, parcel.text,
            self._table, self._keys, self._offsets, self._arena, self._counts,
        )  # fmt: skip

    def reserve(self, groups: int, text: int) -> None:
        """Grows the table and the arena, if need be, so that `groups` more groups with `text` bytes of key
        text fit without growing again (what `gather` needs)."""
        while _needs_rows(self._table, self.groups + groups + 1):
            self._grow_table()
        room = int(self._counts[kernel.ARENA_USED]) + text
        if room > self._arena.shape[0]:
            self._arena = _resized(self._arena, max(room, 2 * self._arena.shape[0]))

    @property
    def unsharded_groups(self) -> int:
        """How many of its groups it took before it switched to shards (all, if it never did): only these
        may belong to another shard, or be held by another tally too."""
        return self.groups if self._sharded_at is None else self._sharded_at

    def foreign(self, shards: int, owner: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its groups that belong to other shards than `owner` of `shards` (kernel.foreign_groups): (members,
        bounds, key bytes), by shard."""
        return kernel.foreign_groups(self._table, self._offsets, self.unsharded_groups, shards, owner)

    def skip(self, reason: str, records: int) -> None:
        """Counts records skipped before they reached the scan (a Parquet file with no known column)."""
        self._counts[kernel.RECORDS] += records
        self._counts[_SKIPS[reason]] += records

    def merge(self, other: Tally) -> None:
        """Adds the groups and counts of a tally of the same digest (same hash seeds) to this one."""
        if other.seeds != self.seeds:
            raise ValueError("only tallies with the same hash seeds can be merged")
        row = 0
        while True:
            row = kernel.merge(
                self._table, self._keys, self._offsets, self._arena, self._counts,
                other._table, other._keys, other._offsets, other._arena, row,
            )  # fmt: skip
            if row < 0:
                break
            self._grow()
        kernel.merge_counts(self._counts, other._counts)

    @property
    def groups(self) -> int:
        return int(self._counts[kernel.GROUPS])

    @property
    def nbytes(self) -> int:
        """The memory of the table, the keys and the key text."""
        return sum(part.nbytes for part in (self._table, self._keys, self._offsets, self._arena))

    def figures(self, figures: DigestFigures) -> None:
        """Adds this tally's record counts to `figures`."""
        figures.records += int(self._counts[kernel.RECORDS])
        figures.in_window += int(self._counts[kernel.IN_WINDOW])
        for reason, slot in _SKIPS.items():
            figures.skipped[reason] += int(self._counts[slot])

    def write(self, out: BinaryIO, common: int = 0) -> int:
        """Writes the digest lines, sorted bytewise, each ending in a newline; returns how many. All lines
        are known to share their first `common` bytes."""
        if self.groups == 0:
            return 0
        data, starts = kernel.render(self._table, self._keys, self._offsets, self._arena, self._counts)
        return write_lines(data, starts, out, common)

    # --- for digests/engine/partitions.py: the groups split by the leading bytes of their lines ---

    def head(self) -> bytes:
        """The head (see kernel.common_head) of the first group."""
        return self._arena[: self._keys[0, kernel.KEY_MID]].tobytes()

    def common_head(self, head: np.ndarray, length: int) -> int:
        """How many leading bytes (at most `length`) the head of every group shares with `head`."""
        return int(kernel.common_head(self._keys, self._offsets, self._arena, self.groups, head, length))

    def head_words(self, depth: int, step: int) -> np.ndarray:
        """The head words (kernel.head_words) of groups 0, step, 2 * step..., which order them as their lines."""
        return kernel.head_words(self._keys, self._offsets, self._arena, self.groups, depth, step)

    def partition(
        self, depth: int, splitters: np.ndarray, moved: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The groups by ranges of head words, but the `moved` ones (kernel.partition_groups): (members,
        bounds, key bytes)."""
        return kernel.partition_groups(
            self._keys, self._offsets, self._arena, self.groups, depth, splitters, moved
        )

    def render(
        self, rows: np.ndarray, members: np.ndarray, bounds: np.ndarray, out: np.ndarray, starts: np.ndarray,
        at: int, line: int,
    ) -> int:  # fmt: skip
        """Appends the lines of the groups numbered in `members` to `out` (kernel.render_groups)."""
        return int(
            kernel.render_groups(
                self._table,
                rows,
                self._keys,
                self._offsets,
                self._arena,
                members,
                bounds,
                out,
                starts,
                at,
                line,
            )
        )

    def rows(self) -> np.ndarray:
        """Where each group's table row is, by group number, for `gather`."""
        return kernel.group_rows(self._table, self.groups)

    def gather(self, other: Tally, other_rows: np.ndarray, members: np.ndarray) -> None:
        """Adds the groups numbered `members` of another tally of this digest; this one must have been made
        with room for them (`groups` and `arena`)."""
        if other.seeds != self.seeds:
            raise ValueError("only tallies with the same hash seeds can be gathered")
        kernel.gather(
            self._table, self._keys, self._offsets, self._arena, self._counts,
            other._table, other_rows, other._keys, other._offsets, other._arena, members,
        )  # fmt: skip

    def take_bounds(self, other: Tally) -> None:
        """Widens the digest's start and end bounds, written on every line, by another tally's."""
        bounds = other._counts.copy()
        bounds[kernel.RECORDS : kernel.UNKNOWN_STATUS + 1] = 0
        kernel.merge_counts(self._counts, bounds)

    def bounds_text(self) -> np.ndarray:
        """ " <first> <last> ": its start and end bounds as every line writes them (kernel.bounds_text)."""
        return kernel.bounds_text(self._counts)

    def _grow(self) -> None:
        """Grows the table when it is half full (with a batch's margin), else the arena."""
        if _needs_rows(self._table, self.groups + kernel.BATCH + 1):
            self._grow_table()
        else:  # the arena was short for the key text of the lines waiting
            self._arena = _resized(self._arena, 2 * self._arena.shape[0])

    def _grow_table(self) -> None:
        slots = self._table.shape[0] // kernel.ROW
        slots *= 4 if slots < 1 << 20 else 2  # fewer re-hashes while small
        bigger = np.zeros(slots * kernel.ROW, np.int64)
        kernel.rehash(self._table, bigger)
        self._table = bigger
        self._keys = _resized(self._keys, _key_rows(slots))
        self._offsets = _resized(self._offsets, _key_rows(slots) + 1)


@dataclass
class Parcel:
    """Records a sharded tally sends another: batch rows (kernel.B_ROW int64 each), their key text, and
    the arena bytes their groups may need."""

    rows: np.ndarray
    records: int
    text: np.ndarray
    need: int


def _outboxes(shards: int, records: int, text: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.empty((shards, records * kernel.B_ROW), np.int64),
        np.empty((shards, text), np.uint8),
        np.zeros((shards, kernel.OUTBOX_USED), np.int64),
    )


def _nowhere(shard: int, parcel: Parcel) -> None:
    raise AssertionError("an unsharded tally sends nothing")


def new_seeds() -> tuple[int, int]:
    """Hash seeds, fresh for every digest: not secret, but they make crafted key collisions impractical."""
    seeds = random.Random()  # noqa: S311
    return seeds.getrandbits(63), seeds.getrandbits(63)


def _key_rows(slots: int) -> int:
    return slots // 2 + kernel.BATCH + 2


def _needs_rows(table: np.ndarray, groups: int) -> bool:
    return 2 * groups > table.shape[0] // kernel.ROW


def _resized(array: np.ndarray, rows: int) -> np.ndarray:
    bigger = np.zeros((rows, *array.shape[1:]), array.dtype)
    bigger[: array.shape[0]] = array
    return bigger
