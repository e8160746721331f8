"""The compiled digest merge (digests/engine/merge.py): sorted digests merged like sorted files, no table.

A digest line is `<head> <packets> <bytes> <first> <last> <tail>`: the head is its first eight fields
(version to protocol), the tail its last two (action, log-status). Each piece is sorted bytewise, and the
character after a head is always a space, so a piece's lines come in the order of `head + " "` and the
lines of one head are side by side. A heap of the pieces' cursors yields the heads in that order; the lines
of the smallest head (from every piece, a few tails each) are summed by tail, written with the window's
bounds, and sorted among themselves: the output comes out sorted, one head at a time, in bounded memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from digests.engine import kernel  # its word loads (and numba's cache folder)

SPACE, NEWLINE, DASH = 32, 10, 45
FIELDS = 14
# A cursor (int64s): where its line starts, its head ends, its tail starts, its newline is; where its
# piece ends.
LINE, HEAD_END, TAIL, END, PIECE_END = range(5)
CURSOR = 5
MAX_TAILS = 64  # distinct tails of one head (action x log-status: a handful in practice)
DONE, FULL, BAD_LINE = 0, 1, 2


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
def _parse(data: np.ndarray, cursor: np.ndarray) -> bool:
    """Sets the cursor's head end, tail start and newline for the line at cursor[LINE]; False when it is
    not a digest line (14 fields)."""
    count = 0
    at = cursor[LINE]
    while data[at] != NEWLINE:
        if data[at] == SPACE:
            count += 1
            if count == 8:
                cursor[HEAD_END] = at
            elif count == 12:
                cursor[TAIL] = at + 1
            elif count == FIELDS:
                return False
        at += 1
    cursor[END] = at
    return count == FIELDS - 1


@njit(nogil=True, cache=True, boundscheck=False)
def _compare(data: np.ndarray, a: int, a_end: int, b: int, b_end: int) -> int:
    """Bytewise order of data[a:a_end] + " " and data[b:b_end] + " ": -1, 0 or 1. Eight bytes a step
    while they agree (heads share long beginnings: the version, the account, the interface)."""
    n = min(a_end - a, b_end - b)
    i = 0
    while i + 8 <= n and kernel._load_word(data, a + i) == kernel._load_word(data, b + i):
        i += 8
    while i < n:
        x, y = data[a + i], data[b + i]
        if x != y:
            return -1 if x < y else 1
        i += 1
    if a_end - a == b_end - b:
        return 0
    if a_end - a < b_end - b:  # a's space against b's next byte
        return -1 if data[b + n] > SPACE else 1
    return 1 if data[a + n] > SPACE else -1


@njit(nogil=True, cache=True, boundscheck=False)
def _less(data: np.ndarray, cursors: np.ndarray, i: int, j: int) -> bool:
    return _compare(data, cursors[i, LINE], cursors[i, HEAD_END], cursors[j, LINE], cursors[j, HEAD_END]) < 0


@njit(nogil=True, cache=True)
def _sift_down(data: np.ndarray, cursors: np.ndarray, heap: np.ndarray, size: int, at: int) -> None:
    while True:
        smallest, left, right = at, 2 * at + 1, 2 * at + 2
        if left < size and _less(data, cursors, heap[left], heap[smallest]):
            smallest = left
        if right < size and _less(data, cursors, heap[right], heap[smallest]):
            smallest = right
        if smallest == at:
            return
        heap[at], heap[smallest] = heap[smallest], heap[at]
        at = smallest


@njit(nogil=True, cache=True)
def heap_build(data: np.ndarray, cursors: np.ndarray, heap: np.ndarray, meta: np.ndarray) -> int:
    """Parses each piece's first line and orders the pieces; returns a bad line's offset, or -1."""
    size = 0
    for piece in range(cursors.shape[0]):
        if cursors[piece, LINE] < cursors[piece, PIECE_END]:
            if not _parse(data, cursors[piece]):
                return cursors[piece, LINE]
            heap[size] = piece
            size += 1
    meta[0] = size
    for at in range(size // 2 - 1, -1, -1):
        _sift_down(data, cursors, heap, size, at)
    return -1


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
def merge_into(
    data: np.ndarray,
    cursors: np.ndarray,
    heap: np.ndarray,
    meta: np.ndarray,
    bounds: np.ndarray,
    out: np.ndarray,
) -> tuple[int, int, int]:
    """Writes merged lines into `out` until the heap is empty (DONE) or fewer than meta[1] bytes are left
    (FULL: call again with an emptied `out`). Returns (status, bytes written, a bad line's offset or -1).
    meta is (pieces in the heap, the room a head's lines may need, lines written so far); `bounds` is
    (first, has first, last, has last) of the window. The head of the smallest cursor stays where it is in
    `data` while that cursor moves on, so the group's head is read from there."""
    used = 0
    tails = np.empty((MAX_TAILS, 2), np.int64)
    sums = np.zeros((MAX_TAILS, 4), np.int64)  # packets, has packets, bytes, has bytes
    lines = np.empty((MAX_TAILS, 2), np.int64)
    while meta[0] > 0:
        if out.shape[0] - used < meta[1]:
            return FULL, used, -1
        top = heap[0]
        head_start, head_end = cursors[top, LINE], cursors[top, HEAD_END]
        count = 0
        while meta[0] > 0:
            piece = heap[0]
            cursor = cursors[piece]
            if _compare(data, cursor[LINE], cursor[HEAD_END], head_start, head_end) != 0:
                break
            while True:  # this piece's lines of the head, one tail each
                s9 = cursor[HEAD_END] + 1
                e9 = s9
                while data[e9] != SPACE:
                    e9 += 1
                e10 = e9 + 1
                while data[e10] != SPACE:
                    e10 += 1
                packets = _number(data, s9, e9)
                size_ = _number(data, e9 + 1, e10)
                if packets[0] == 2 or size_[0] == 2:
                    return BAD_LINE, used, cursor[LINE]
                tail_start, tail_end = cursor[TAIL], cursor[END]
                slot = -1
                for t in range(count):
                    if tails[t, 1] - tails[t, 0] == tail_end - tail_start:
                        same = True
                        for i in range(tail_end - tail_start):
                            if data[tails[t, 0] + i] != data[tail_start + i]:
                                same = False
                                break
                        if same:
                            slot = t
                            break
                if slot < 0:
                    if count == MAX_TAILS:
                        return BAD_LINE, used, cursor[LINE]
                    slot = count
                    count += 1
                    tails[slot, 0], tails[slot, 1] = tail_start, tail_end
                    sums[slot, :] = 0
                if packets[0]:
                    sums[slot, 0] += packets[1]
                    sums[slot, 1] = 1
                if size_[0]:
                    sums[slot, 2] += size_[1]
                    sums[slot, 3] = 1
                cursor[LINE] = cursor[END] + 1
                if cursor[LINE] >= cursor[PIECE_END]:
                    meta[0] -= 1
                    heap[0] = heap[meta[0]]
                    _sift_down(data, cursors, heap, meta[0], 0)
                    break
                if not _parse(data, cursor):
                    return BAD_LINE, used, cursor[LINE]
                if _compare(data, cursor[LINE], cursor[HEAD_END], head_start, head_end) != 0:
                    _sift_down(data, cursors, heap, meta[0], 0)
                    break
        used = _write_head(data, head_start, head_end, tails, sums, lines, count, bounds, out, used)
        meta[2] += count
    return DONE, used, -1


@njit(nogil=True, cache=True)
def _write_head(
    data: np.ndarray,
    head_start: int,
    head_end: int,
    tails: np.ndarray,
    sums: np.ndarray,
    lines: np.ndarray,
    count: int,
    bounds: np.ndarray,
    out: np.ndarray,
    used: int,
) -> int:
    """Writes the head's lines (one a tail) at out[used:], sorted bytewise among themselves."""
    for t in range(count):
        start = used
        out[used : used + head_end - head_start] = data[head_start:head_end]
        used += head_end - head_start
        for value, present in (
            (sums[t, 0], sums[t, 1]),
            (sums[t, 2], sums[t, 3]),
            (bounds[0], bounds[1]),
            (bounds[2], bounds[3]),
        ):
            out[used] = SPACE
            used = _write_number(out, used + 1, value, present)
        out[used] = SPACE
        n = tails[t, 1] - tails[t, 0]
        out[used + 1 : used + 1 + n] = data[tails[t, 0] : tails[t, 1]]
        used += 1 + n
        out[used] = NEWLINE
        used += 1
        lines[t, 0], lines[t, 1] = start, used
    if count > 1:  # a few lines: sorted by insertion, then copied back in order
        order = np.arange(count)
        for i in range(1, count):
            j = i
            while j > 0 and _line_less(out, lines[order[j]], lines[order[j - 1]]):
                order[j], order[j - 1] = order[j - 1], order[j]
                j -= 1
        first = lines[0, 0]
        block = out[first:used].copy()
        at = first
        for i in range(count):
            s, e = lines[order[i], 0] - first, lines[order[i], 1] - first
            out[at : at + e - s] = block[s:e]
            at += e - s
    return used


@njit(nogil=True, cache=True)
def _line_less(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Bytewise order of two written lines (newline excluded: a line before those it is a prefix of)."""
    la, lb = a[1] - a[0] - 1, b[1] - b[0] - 1
    for i in range(min(la, lb)):
        x, y = out[a[0] + i], out[b[0] + i]
        if x != y:
            return x < y
    return la < lb


@njit(nogil=True, cache=True)
def longest_line(data: np.ndarray) -> int:
    longest, start = 0, 0
    for at in range(data.shape[0]):
        if data[at] == NEWLINE:
            longest = max(longest, at - start)
            start = at + 1
    return longest
