"""The compiled part of the digest merge (digests/engine/merge.py): digest lines added into a hash table by
key, and the table written back as lines.

A digest line is `<head> <packets> <bytes> <first> <last> <tail>`: the head is the first eight fields
(version to protocol), the tail the last two (action, log-status); head and tail are the key. Each group
is one table row and its key bytes once in an arena, so memory follows the groups, not the lines read.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from digests.engine import kernel  # its hashing and prefetch (and numba's cache folder)

# A table row (int64s): the key's hash (0: empty), where its bytes start in the arena, the head's and the
# tail's lengths, and the sums with whether any line had a value.
HASH, AT, HEAD, TAIL, PACKETS, HAS_PACKETS, BYTES, HAS_BYTES = range(8)
ROW = 8
# state: groups, arena bytes used, the smallest first and largest last seen (with whether any was seen)
GROUPS, USED, FIRST, HAS_FIRST, LAST, HAS_LAST = range(6)
STATE = 6
DONE, GROW, BAD_LINE = 0, 1, 2
SPACE, NEWLINE, DASH = 32, 10, 45
FIELDS = 14
BATCH = 16  # lines parsed and hashed (their rows prefetched) before any is added


@njit(nogil=True, cache=True)
def _number(buf: np.ndarray, s: int, e: int) -> tuple[int, int]:
    """(1, value) for a base-10 int64, (0, 0) for `-`, (2, 0) for anything else."""
    if e - s == 1 and buf[s] == DASH:
        return 0, 0
    negative = buf[s] == DASH
    at = s + 1 if negative else s
    if at == e or e - at > 19:
        return 2, 0
    value = 0
    for i in range(at, e):
        digit = buf[i] - 48
        if digit < 0 or digit > 9:
            return 2, 0
        value = value * 10 + digit
    return 1, -value if negative else value


@njit(nogil=True, cache=True)
def _same(arena: np.ndarray, at: int, buf: np.ndarray, s: int, e: int) -> bool:
    for i in range(e - s):  # noqa: SIM110  (numba compiles a loop, not a generator)
        if arena[at + i] != buf[s + i]:
            return False
    return True


@njit(nogil=True, cache=True, boundscheck=False)
def add_lines(
    buf: np.ndarray,
    begin: int,
    end: int,
    seeds: np.ndarray,
    table: np.ndarray,
    arena: np.ndarray,
    state: np.ndarray,
) -> tuple[int, int]:
    """Adds the lines of buf[begin:end] (each ending in a newline) into the table. Returns (where it
    stopped, DONE), (the line it could not add, GROW) when the table is half full or the arena short, or
    (the line, BAD_LINE) for a line that is not a digest line.

    Lines go in batches: each batch is parsed and hashed first, and its rows asked for (prefetched), so the
    table's cache misses of a batch overlap instead of coming one after another. `seeds` (two uint64s,
    fresh for every merge) make crafted key collisions impractical, as in the engine's tally."""
    slots = table.shape[0] // ROW
    mask = slots - 1
    size = buf.shape[0]
    spaces = np.empty(FIELDS - 1, np.int64)
    lines = np.empty((BATCH, 4), np.int64)  # start, head end, tail start, newline
    keys = np.empty(BATCH, np.int64)
    numbers = np.empty((BATCH, 4), np.int64)
    present = np.empty((BATCH, 4), np.int64)
    pos = begin
    while pos < end:
        count, following, key_bytes = 0, pos, 0
        while count < BATCH and following < end:
            if not _split(buf, following, spaces, lines[count]):
                break
            bad = False
            for f in range(4):
                status, value = _number(buf, spaces[7 + f] + 1, spaces[8 + f])
                bad = bad or status == 2
                present[count, f], numbers[count, f] = status, value
            if bad:
                break
            start, head_end, tail_start, nl = (
                lines[count, 0],
                lines[count, 1],
                lines[count, 2],
                lines[count, 3],
            )
            h1, h2 = kernel._hash_bytes(buf, size, start, head_end, seeds[0], seeds[1])
            h1, h2 = kernel._hash_bytes(buf, size, tail_start, nl, h1, h2)
            keys[count] = np.int64(kernel._final(h1 ^ h2) | np.uint64(1))
            kernel._prefetch(table, (keys[count] & mask) * ROW)
            key_bytes += head_end - start + nl - tail_start
            following = nl + 1
            count += 1
        if count == 0:
            return pos, BAD_LINE
        if 2 * (state[GROUPS] + count) > slots or state[USED] + key_bytes > arena.shape[0]:
            return pos, GROW
        for i in range(count):
            _insert(buf, lines[i], keys[i], numbers[i], present[i], table, mask, arena, state)
        pos = following
    return pos, DONE


@njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _split(buf: np.ndarray, pos: int, spaces: np.ndarray, line: np.ndarray) -> bool:
    """The line at `pos`: its 13 spaces, and where its head ends, its tail starts and its newline is."""
    count = 0
    nl = pos
    while buf[nl] != NEWLINE:
        if buf[nl] == SPACE:
            if count == FIELDS - 1:
                return False
            spaces[count] = nl
            count += 1
        nl += 1
    if count != FIELDS - 1:
        return False
    line[0], line[1], line[2], line[3] = pos, spaces[7], spaces[11] + 1, nl
    return True


@njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _insert(
    buf: np.ndarray,
    line: np.ndarray,
    key: int,
    numbers: np.ndarray,
    present: np.ndarray,
    table: np.ndarray,
    mask: int,
    arena: np.ndarray,
    state: np.ndarray,
) -> None:
    start, head_end, tail_start, nl = line[0], line[1], line[2], line[3]
    head, tail = head_end - start, nl - tail_start
    row = key & mask
    while True:
        at = row * ROW
        if table[at + HASH] == 0:
            used = state[USED]
            table[at + HASH], table[at + AT], table[at + HEAD], table[at + TAIL] = key, used, head, tail
            arena[used : used + head] = buf[start:head_end]
            arena[used + head : used + head + tail] = buf[tail_start:nl]
            state[USED] += head + tail
            state[GROUPS] += 1
            break
        if (
            table[at + HASH] == key
            and table[at + HEAD] == head
            and table[at + TAIL] == tail
            and _same(arena, table[at + AT], buf, start, head_end)
            and _same(arena, table[at + AT] + head, buf, tail_start, nl)
        ):
            break
        row = (row + 1) & mask
    if present[0]:
        table[at + PACKETS] += numbers[0]
        table[at + HAS_PACKETS] = 1
    if present[1]:
        table[at + BYTES] += numbers[1]
        table[at + HAS_BYTES] = 1
    if present[2] and (state[HAS_FIRST] == 0 or numbers[2] < state[FIRST]):
        state[FIRST], state[HAS_FIRST] = numbers[2], 1
    if present[3] and (state[HAS_LAST] == 0 or numbers[3] > state[LAST]):
        state[LAST], state[HAS_LAST] = numbers[3], 1


@njit(nogil=True, cache=True)
def rehash(table: np.ndarray, bigger: np.ndarray) -> None:
    mask = bigger.shape[0] // ROW - 1
    for at in range(0, table.shape[0], ROW):
        if table[at + HASH] != 0:
            row = table[at + HASH] & mask
            while bigger[row * ROW + HASH] != 0:
                row = (row + 1) & mask
            bigger[row * ROW : row * ROW + ROW] = table[at : at + ROW]


@njit(nogil=True, cache=True)
def _write_number(out: np.ndarray, at: int, value: int, present: int) -> int:
    if not present:
        out[at] = DASH
        return at + 1
    if value < 0:
        out[at] = DASH
        at += 1
        value = -value
    digits = 1
    rest = value // 10
    while rest:
        digits += 1
        rest //= 10
    for i in range(digits - 1, -1, -1):
        out[at + i] = 48 + value % 10
        value //= 10
    return at + digits


@njit(nogil=True, cache=True)
def render(table: np.ndarray, arena: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The merged lines, unsorted and without newlines, back to back: (their bytes, where each starts and
    the end), with the smallest first and largest last on every line."""
    groups = state[GROUPS]
    out = np.empty(state[USED] + groups * (4 * 21 + 5), np.uint8)
    starts = np.empty(groups + 1, np.int64)
    line = 0
    at = 0
    for row in range(0, table.shape[0], ROW):
        if table[row + HASH] == 0:
            continue
        starts[line] = at
        key, head, tail = table[row + AT], table[row + HEAD], table[row + TAIL]
        out[at : at + head] = arena[key : key + head]
        at += head
        for value, present in (
            (table[row + PACKETS], table[row + HAS_PACKETS]),
            (table[row + BYTES], table[row + HAS_BYTES]),
            (state[FIRST], state[HAS_FIRST]),
            (state[LAST], state[HAS_LAST]),
        ):
            out[at] = SPACE
            at = _write_number(out, at + 1, value, present)
        out[at] = SPACE
        out[at + 1 : at + 1 + tail] = arena[key + head : key + head + tail]
        at += 1 + tail
        line += 1
    starts[groups] = at
    return out[:at], starts


@njit(nogil=True, cache=True)
def fill(
    data: np.ndarray, starts: np.ndarray, order: np.ndarray, first: int, out: np.ndarray
) -> tuple[int, int]:
    """Copies lines order[first], order[first + 1]... of data into `out`, each with a newline, while they fit
    (at least one: `out` must hold the longest line): (the next line to copy, the bytes used)."""
    at = 0
    line = first
    while line < order.shape[0]:
        s, e = starts[order[line]], starts[order[line] + 1]
        if at + e - s + 1 > out.shape[0] and line > first:
            break
        out[at : at + e - s] = data[s:e]
        out[at + e - s] = NEWLINE
        at += e - s + 1
        line += 1
    return line, at
