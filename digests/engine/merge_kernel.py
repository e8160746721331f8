"""The compiled part of the digest merge (digests/engine/merge.py): digest lines added into a hash table by
key, and the table written back as lines.

A digest line is `<head> <packets> <bytes> <first> <last> <tail>`: the head is the first eight fields
(version to protocol), the tail the last two (action, log-status); head and tail are the key. Each group
is one table row and its key bytes once in an arena, so memory follows the groups, not the lines read.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from digests.engine import kernel  # noqa: F401  (sets numba's cache folder where this file's is read-only)

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
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


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
def _hash(buf: np.ndarray, s: int, e: int, h: np.uint64) -> np.uint64:
    for i in range(s, e):
        h = (h ^ np.uint64(buf[i])) * _FNV_PRIME
    return h


@njit(nogil=True, cache=True)
def _same(arena: np.ndarray, at: int, buf: np.ndarray, s: int, e: int) -> bool:
    for i in range(e - s):  # noqa: SIM110  (numba compiles a loop, not a generator)
        if arena[at + i] != buf[s + i]:
            return False
    return True


@njit(nogil=True, cache=True)
def add_lines(
    buf: np.ndarray, begin: int, end: int, table: np.ndarray, arena: np.ndarray, state: np.ndarray
) -> tuple[int, int]:
    """Adds the lines of buf[begin:end] (each ending in a newline) into the table. Returns (where it
    stopped, DONE), (the line it could not add, GROW) when the table is half full or the arena short, or
    (the line, BAD_LINE) for a line that is not a digest line."""
    slots = table.shape[0] // ROW
    mask = slots - 1
    spaces = np.empty(FIELDS - 1, np.int64)
    pos = begin
    while pos < end:
        count = 0
        nl = pos
        while buf[nl] != NEWLINE:
            if buf[nl] == SPACE:
                if count == FIELDS - 1:
                    return pos, BAD_LINE
                spaces[count] = nl
                count += 1
            nl += 1
        if count != FIELDS - 1:
            return pos, BAD_LINE
        numbers = np.empty(4, np.int64)
        present = np.empty(4, np.int64)
        for f in range(4):
            status, value = _number(buf, spaces[7 + f] + 1, spaces[8 + f])
            if status == 2:
                return pos, BAD_LINE
            present[f], numbers[f] = status, value
        head_end, tail_start = spaces[7], spaces[11] + 1
        key_bytes = head_end - pos + nl - tail_start
        if 2 * (state[GROUPS] + 1) > slots or state[USED] + key_bytes > arena.shape[0]:
            return pos, GROW
        h = _hash(buf, tail_start, nl, _hash(buf, pos, head_end, _FNV_OFFSET))
        key = np.int64(h | np.uint64(1))
        row = key & mask  # as rehash places it
        while True:
            at = row * ROW
            if table[at + HASH] == 0:
                table[at + HASH] = key
                table[at + AT] = state[USED]
                table[at + HEAD] = head_end - pos
                table[at + TAIL] = nl - tail_start
                arena[state[USED] : state[USED] + head_end - pos] = buf[pos:head_end]
                arena[state[USED] + head_end - pos : state[USED] + key_bytes] = buf[tail_start:nl]
                state[USED] += key_bytes
                state[GROUPS] += 1
                break
            if (
                table[at + HASH] == key
                and table[at + HEAD] == head_end - pos
                and table[at + TAIL] == nl - tail_start
                and _same(arena, table[at + AT], buf, pos, head_end)
                and _same(arena, table[at + AT] + head_end - pos, buf, tail_start, nl)
            ):
                break
            row = (row + 1) & mask
        for f, (value_slot, has_slot) in enumerate(((PACKETS, HAS_PACKETS), (BYTES, HAS_BYTES))):
            if present[f]:
                table[at + value_slot] += numbers[f]
                table[at + has_slot] = 1
        if present[2] and (state[HAS_FIRST] == 0 or numbers[2] < state[FIRST]):
            state[FIRST], state[HAS_FIRST] = numbers[2], 1
        if present[3] and (state[HAS_LAST] == 0 or numbers[3] > state[LAST]):
            state[LAST], state[HAS_LAST] = numbers[3], 1
        pos = nl + 1
    return pos, DONE


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


@njit(nogil=True, cache=True)
def words_at(data: np.ndarray, starts: np.ndarray, lines: np.ndarray, offset: int) -> np.ndarray:
    """Bytes offset..offset+7 of each line as one big-endian uint64, zeros past its end: lines sort as
    their words do, word by word."""
    out = np.empty(lines.shape[0], np.uint64)
    for i in range(lines.shape[0]):
        s, e = starts[lines[i]] + offset, starts[lines[i] + 1]
        word = np.uint64(0)
        for b in range(8):
            word = word << np.uint64(8)
            if s + b < e:
                word |= np.uint64(data[s + b])
        out[i] = word
    return out
