"""Digest lines written straight from a table: the bounds shared by every line (`bounds_text`), a whole
table's lines (`render`) or a partition's (`render_groups`), and sorted lines copied out with newlines
(`fill`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import address, compiled, copy_words, inlined, prefetch
from digests.engine.kernel.constants import (
    ARENA_USED,
    BATCH,
    DIGEST_VERSION,
    FIRST,
    GROUP,
    GROUPS,
    HAS_BYTES,
    HAS_FIRST,
    HAS_LAST,
    HAS_PACKETS,
    KEY_DSTPORT,
    KEY_MID,
    KEY_NULLS,
    KEY_PROTOCOL,
    KEY_ROW,
    KEY_SRCPORT,
    LAST,
    MINUS,
    NEWLINE,
    NO_VALUE,
    SPACE,
    SUM_BYTES,
    SUM_PACKETS,
    ZERO,
)
from digests.engine.kernel.tables import group_rows, prefetch_row


@inlined
def _write_int(out: np.ndarray, at: int, value: int) -> int:
    magnitude = np.uint64(value)
    if value < 0:
        out[at] = MINUS
        at += 1
        magnitude = ~magnitude + np.uint64(1)  # two's complement: right for -2**63 too
    begin = at
    ten = np.uint64(10)
    while True:
        out[at] = np.uint8(ZERO + magnitude % ten)
        at += 1
        magnitude //= ten
        if magnitude == 0:
            break
    last = at - 1
    while begin < last:
        out[begin], out[last] = out[last], out[begin]
        begin += 1
        last -= 1
    return at


@inlined
def _write_optional(out: np.ndarray, at: int, value: int, present: bool) -> int:
    if not present:
        out[at] = NO_VALUE
        return at + 1
    return _write_int(out, at, value)


@compiled
def bounds_text(counts: np.ndarray) -> np.ndarray:
    """ " <first> <last> ": the digest's bounds, the same on every line, written once."""
    bounds = np.empty(2 * 21 + 3, np.uint8)
    bounds[0] = SPACE
    end = _write_optional(bounds, 1, counts[FIRST], counts[HAS_FIRST] != 0)
    bounds[end] = SPACE
    end = _write_optional(bounds, end + 1, counts[LAST], counts[HAS_LAST] != 0)
    bounds[end] = SPACE
    return bounds[: end + 1]


@inlined
def _render_line(
    out: Any,
    at: int,
    out_size: int,
    table: Any,
    row: int,
    keys: Any,
    offsets: Any,
    arena: Any,
    arena_size: int,
    group: int,
    bounds: Any,
    bounds_size: int,
) -> int:
    """Writes the group's digest line, without its newline, at out[at:]; returns where it ends (bytes past
    it may be overwritten: see `copy_words`). Takes pointers (see `address`; `keys` flat, KEY_ROW a group)
    and the sizes of what they point to."""
    key = group * KEY_ROW
    out[at] = DIGEST_VERSION
    out[at + 1] = SPACE
    mid = keys[key + KEY_MID]
    at = copy_words(out, at + 2, out_size, arena, offsets[group], mid, arena_size)
    nulls = keys[key + KEY_NULLS]
    out[at] = SPACE
    at = _write_optional(out, at + 1, keys[key + KEY_SRCPORT], nulls & 1 == 0)
    out[at] = SPACE
    at = _write_optional(out, at + 1, keys[key + KEY_DSTPORT], nulls & 2 == 0)
    out[at] = SPACE
    at = _write_optional(out, at + 1, keys[key + KEY_PROTOCOL], nulls & 4 == 0)
    out[at] = SPACE
    at = _write_optional(out, at + 1, table[row + SUM_PACKETS], table[row + GROUP] & HAS_PACKETS != 0)
    out[at] = SPACE
    at = _write_optional(out, at + 1, table[row + SUM_BYTES], table[row + GROUP] & HAS_BYTES != 0)
    at = copy_words(out, at, out_size, bounds, 0, bounds_size, bounds_size)
    return copy_words(
        out, at, out_size, arena, mid, offsets[group + 1], arena_size
    )  # "<action> <log-status>"


LINE_NUMBERS_ROOM = 8 * 21 + 2  # a line's bytes beyond its key text: its numbers, bounds and spaces, at most


@compiled
def render(
    table: np.ndarray, keys: np.ndarray, offsets: np.ndarray, arena: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The digest lines, unsorted and without newlines, back to back: (bytes, where each starts, and the end).

    In group order, so the keys and their text are read in order (see `render_groups`)."""
    groups = counts[GROUPS]
    out = np.empty(counts[ARENA_USED] + groups * LINE_NUMBERS_ROOM, np.uint8)
    starts = np.empty(groups + 1, np.int64)
    every = np.arange(groups)
    at = render_groups(
        table, group_rows(table, groups), keys, offsets, arena, every, bounds_text(counts), out, starts, 0, 0
    )
    starts[groups] = at
    return out[:at], starts


@compiled
def render_groups(
    table: np.ndarray,
    rows: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    members: np.ndarray,
    bounds: np.ndarray,
    out: np.ndarray,
    starts: np.ndarray,
    at: int,
    line: int,
) -> int:
    """Appends the lines of the groups numbered in `members` (rows: group_rows) to out[at:], without
    newlines, and where each starts to starts[line:]; returns where the last ends. `out` must have room:
    their key text and LINE_NUMBERS_ROOM a line. `bounds` is bounds_text() of the whole digest."""
    count = members.shape[0]
    target, slots, line_keys, ends, text = (
        address(out),
        address(table),
        address(keys),
        address(offsets),
        address(arena),
    )
    edges, edges_size = address(bounds), bounds.shape[0]
    out_size, text_size = out.shape[0], arena.shape[0]
    for i in range(count):
        # As settle.py's _prefetch_members, written out: an inlined call passes its arrays with reference counting,
        # which cost this loop 0.06 s of its 0.21 at 1.5 M groups.
        if i + 4 * BATCH < count:
            ahead = members[i + 4 * BATCH]
            prefetch(rows, ahead)
            prefetch(offsets, ahead)
            prefetch(keys, ahead * KEY_ROW)
            prefetch(keys, ahead * KEY_ROW + KEY_ROW - 1)
        if i + 2 * BATCH < count:
            ahead = members[i + 2 * BATCH]
            prefetch_row(slots, rows[ahead])
            prefetch(arena, offsets[ahead])
            prefetch(arena, offsets[ahead + 1] - 1)
        group = members[i]
        starts[line + i] = at
        at = _render_line(
            target,
            at,
            out_size,
            slots,
            rows[group],
            line_keys,
            ends,
            text,
            text_size,
            group,
            edges,
            edges_size,
        )
    return at


@compiled
def fill(
    data: np.ndarray, starts: np.ndarray, order: np.ndarray, first: int, out: np.ndarray
) -> tuple[int, int]:
    """Copies lines order[first], order[first + 1]... of data into `out`, each with a newline, while they
    fit (at least one: `out` must hold the longest line): (the next line to copy, the bytes used)."""
    at = 0
    line = first
    target, source = address(out), address(data)
    while line < order.shape[0]:
        if line + BATCH < order.shape[0]:  # lines are read in sorted order, at random: ask early
            prefetch(data, starts[order[line + BATCH]])
        s, e = starts[order[line]], starts[order[line] + 1]
        if at + e - s + 1 > out.shape[0] and line > first:
            break
        at = copy_words(target, at, out.shape[0], source, s, e, data.shape[0])
        target[at] = NEWLINE
        at += 1
        line += 1
    return line, at
