"""The compiled digest merge (digests/engine/merge.py): sorted digests merged like sorted files, no table.

A digest line is `<head> <packets> <bytes> <first> <last> <tail>`: the head is its first eight fields
(version to protocol), the tail its last two (action, log-status). Each piece is sorted bytewise, and the
character after a head is always a space, so a piece's lines come in the order of `head + " "` and the
lines of one head are side by side. A heap of the pieces' cursors yields the heads in that order; the lines
of the smallest head (from every piece, a few tails each) are summed by tail, written with the window's
bounds, and sorted among themselves: the output comes out sorted, one head at a time, in bounded memory.

The pieces' text is read a block at a time (digests.engine.merge): `data` holds a region of each piece, its
whole lines up to the cursor's PIECE_END. A cursor that reaches that end before its piece's does stops
merge_into (REFILL); the caller reads the piece on into its region and calls piece_refilled, then
merge_into again. The head and tails of the group being summed are copied into `group`, so a refill may
move any region's text, and merge_into resumes mid-group from its `state`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from digests.engine import kernel  # its word loads, and numba's cache folder (kernel/cache.py)

SPACE, NEWLINE, DASH = 32, 10, 45
_INT64_MAX = 2**63 - 1
FIELDS = 14
# A cursor (int64s): where its line starts, its head ends, its tail starts, its newline is; where the
# whole lines in its region end, and whether its piece has no text after them.
LINE, HEAD_END, TAIL, END, PIECE_END, ENDED = range(6)
CURSOR = 6
MAX_TAILS = 64  # distinct tails of one head (action x log-status: a handful in practice)
# merge_into's state between calls (int64s): pieces in the heap, lines written, whether a group is open,
# its tails, its head's length (the head is group[:HEAD_LEN], its tails after it), the bytes of `group` in
# use, the bytes a FULL or GROUP_FULL needs; the window's first start and last end, and whether it has them.
HEAP_SIZE, LINES, OPEN, TAILS, HEAD_LEN, GROUP_USED, NEEDED, FIRST, HAS_FIRST, LAST, HAS_LAST = range(11)
STATE = 11
# A row of the open group's tails (int64s): where it is in `group`, its sums and whether it has them, where
# its line was written in `out`.
T_START, T_END, PACKETS, HAS_PACKETS, BYTES, HAS_BYTES, OUT_START, OUT_END = range(8)
TAIL_ROW = 8
DONE, FULL, BAD_LINE, REFILL, GROUP_FULL, TAKEN = range(6)
NUMBERS_BYTES = 4 * 21  # a space and at most 20 characters for each of packets, bytes, first, last


@njit(nogil=True, cache=kernel.CACHING)
def _number(buf: np.ndarray, s: int, e: int) -> tuple[int, int | np.int64]:
    """(1, value) for a base-10 int64, (0, 0) for `-`, (2, 0) for anything else."""
    if e - s == 1 and buf[s] == DASH:
        return 0, 0
    negative = buf[s] == DASH
    at = s + 1 if negative else s
    if at == e or e - at > 19:
        return 2, 0
    magnitude = np.uint64(0)  # 19 digits fit in 64 unsigned bits; an int64 would wrap past 2**63 - 1
    for i in range(at, e):
        digit = buf[i] - 48
        if digit < 0 or digit > 9:
            return 2, 0
        magnitude = magnitude * np.uint64(10) + np.uint64(digit)
    if magnitude > np.uint64(_INT64_MAX) + np.uint64(negative):  # -2**63 is an int64, 2**63 is not
        return 2, 0
    if negative:
        return 1, np.int64(~magnitude + np.uint64(1))  # two's complement: right for -2**63 too
    return 1, np.int64(magnitude)


@njit(nogil=True, cache=kernel.CACHING)
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


@njit(nogil=True, cache=kernel.CACHING, boundscheck=False)
def _compare(x: np.ndarray, a: int, a_end: int, y: np.ndarray, b: int, b_end: int) -> int:
    """Bytewise order of x[a:a_end] + " " and y[b:b_end] + " ": -1, 0 or 1. Eight bytes a step while
    they agree (heads share long beginnings: the version, the account, the interface)."""
    n = min(a_end - a, b_end - b)
    i = 0
    while i + 8 <= n and kernel.load_word(x, a + i) == kernel.load_word(y, b + i):
        i += 8
    while i < n:
        if x[a + i] != y[b + i]:
            return -1 if x[a + i] < y[b + i] else 1
        i += 1
    if a_end - a == b_end - b:
        return 0
    if a_end - a < b_end - b:  # a's space against b's next byte
        return -1 if y[b + n] > SPACE else 1
    return 1 if x[a + n] > SPACE else -1


@njit(nogil=True, cache=kernel.CACHING, boundscheck=False)
def _less(data: np.ndarray, cursors: np.ndarray, i: int, j: int) -> bool:
    return (
        _compare(data, cursors[i, LINE], cursors[i, HEAD_END], data, cursors[j, LINE], cursors[j, HEAD_END])
        < 0
    )


@njit(nogil=True, cache=kernel.CACHING)
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


@njit(nogil=True, cache=kernel.CACHING)
def heap_build(data: np.ndarray, cursors: np.ndarray, heap: np.ndarray, state: np.ndarray) -> int:
    """Parses each piece's first line and orders the pieces; returns a bad line's offset, or -1."""
    size = 0
    for piece in range(cursors.shape[0]):
        if cursors[piece, LINE] < cursors[piece, PIECE_END]:
            if not _parse(data, cursors[piece]):
                return cursors[piece, LINE]
            heap[size] = piece
            size += 1
    state[HEAP_SIZE] = size
    for at in range(size // 2 - 1, -1, -1):
        _sift_down(data, cursors, heap, size, at)
    return -1


@njit(nogil=True, cache=kernel.CACHING)
def _write_number(out: np.ndarray, at: int, value: int, present: int) -> int:
    if not present:
        out[at] = DASH
        return at + 1
    magnitude = np.uint64(value)
    if value < 0:
        out[at] = DASH
        at += 1
        magnitude = ~magnitude + np.uint64(1)  # -value would stay negative for -2**63 (and loop forever)
    ten = np.uint64(10)
    digits = 1
    rest = magnitude // ten
    while rest:
        digits += 1
        rest //= ten
    for i in range(digits - 1, -1, -1):
        out[at + i] = 48 + magnitude % ten
        magnitude //= ten
    return at + digits


@njit(nogil=True, cache=kernel.CACHING)
def _pop(data: np.ndarray, cursors: np.ndarray, heap: np.ndarray, state: np.ndarray) -> None:
    """Takes heap[0], a piece with no line left, out of the heap."""
    state[HEAP_SIZE] -= 1
    heap[0] = heap[state[HEAP_SIZE]]
    _sift_down(data, cursors, heap, state[HEAP_SIZE], 0)


@njit(nogil=True, cache=kernel.CACHING)
def piece_refilled(data: np.ndarray, cursors: np.ndarray, heap: np.ndarray, state: np.ndarray) -> int:
    """After a REFILL, once heap[0]'s region holds its next lines (or none: its piece ended): parses the
    next line and puts the piece back in order. Returns a bad line's offset, or -1."""
    cursor = cursors[heap[0]]
    if cursor[LINE] >= cursor[PIECE_END]:
        _pop(data, cursors, heap, state)
        return -1
    if not _parse(data, cursor):
        return cursor[LINE]
    _sift_down(data, cursors, heap, state[HEAP_SIZE], 0)
    return -1


@njit(nogil=True, cache=kernel.CACHING)
def merge_into(
    data: np.ndarray,
    cursors: np.ndarray,
    heap: np.ndarray,
    state: np.ndarray,
    group: np.ndarray,
    tails: np.ndarray,
    out: np.ndarray,
) -> tuple[int, int, int]:
    """Writes merged lines into `out` until the heap is empty (DONE), or returns for the caller to empty
    `out` (FULL; to grow it to state[NEEDED] when nothing was written), to refill heap[0]'s region (REFILL)
    or to grow `group` to state[NEEDED] (GROUP_FULL), and be called again. Returns (status, bytes written,
    a bad line's offset with BAD_LINE or -1)."""
    used = 0
    while True:
        size, top = state[HEAP_SIZE], cursors[heap[0]]
        if state[OPEN] and (size == 0 or _compare(data, top[LINE], top[HEAD_END], group, 0, state[HEAD_LEN])):
            need = 0  # the most its lines take: head, four numbers, a space, tail, newline
            for t in range(state[TAILS]):
                need += state[HEAD_LEN] + NUMBERS_BYTES + tails[t, T_END] - tails[t, T_START] + 2
            if out.shape[0] - used < need:
                state[NEEDED] = need
                return FULL, used, -1
            used = _write_group(group, state, tails, out, used)
            state[LINES] += state[TAILS]
            state[OPEN] = 0
        if size == 0:
            return DONE, used, -1
        if not state[OPEN]:  # the smallest head: its group begins
            n = top[HEAD_END] - top[LINE]
            if n > group.shape[0]:
                state[NEEDED] = n
                return GROUP_FULL, used, -1
            group[:n] = data[top[LINE] : top[HEAD_END]]
            state[OPEN], state[TAILS], state[HEAD_LEN], state[GROUP_USED] = 1, 0, n, n
        status, bad = _lines_taken(data, cursors, heap, state, group, tails)
        if status != TAKEN:
            return status, used, bad


@njit(nogil=True, cache=kernel.CACHING)
def _lines_taken(
    data: np.ndarray,
    cursors: np.ndarray,
    heap: np.ndarray,
    state: np.ndarray,
    group: np.ndarray,
    tails: np.ndarray,
) -> tuple[int, int]:
    """Adds heap[0]'s lines of the group's head to the group and moves the piece on (TAKEN), or stops
    where its region ends (REFILL), at a line that is not a digest's (BAD_LINE, its offset) or at a tail
    that does not fit in `group` (GROUP_FULL: that line is taken when merge_into resumes)."""
    cursor = cursors[heap[0]]
    while True:
        status = _line_summed(data, cursor, state, group, tails)
        if status != TAKEN:
            return status, cursor[LINE] if status == BAD_LINE else -1
        cursor[LINE] = cursor[END] + 1
        if cursor[LINE] >= cursor[PIECE_END]:
            if not cursor[ENDED]:
                return REFILL, -1
            _pop(data, cursors, heap, state)
            return TAKEN, -1
        if not _parse(data, cursor):
            return BAD_LINE, cursor[LINE]
        if _compare(data, cursor[LINE], cursor[HEAD_END], group, 0, state[HEAD_LEN]) != 0:
            _sift_down(data, cursors, heap, state[HEAP_SIZE], 0)
            return TAKEN, -1


@njit(nogil=True, cache=kernel.CACHING)
def _line_summed(
    data: np.ndarray, cursor: np.ndarray, state: np.ndarray, group: np.ndarray, tails: np.ndarray
) -> int:
    """Adds the cursor's line to its tail's sums (TAKEN); changes nothing when it returns anything else."""
    e9 = cursor[HEAD_END] + 1
    while data[e9] != SPACE:
        e9 += 1
    e10 = e9 + 1
    while data[e10] != SPACE:
        e10 += 1
    packets, size = _number(data, cursor[HEAD_END] + 1, e9), _number(data, e9 + 1, e10)
    if packets[0] == 2 or size[0] == 2:
        return BAD_LINE
    start, end = cursor[TAIL], cursor[END]
    slot = _tail_slot(data, start, end, group, tails, state[TAILS])
    if slot < 0:
        at = state[GROUP_USED]
        if state[TAILS] == MAX_TAILS:
            return BAD_LINE
        if at + end - start > group.shape[0]:
            state[NEEDED] = at + end - start
            return GROUP_FULL
        group[at : at + end - start] = data[start:end]
        slot, state[TAILS], state[GROUP_USED] = state[TAILS], state[TAILS] + 1, at + end - start
        tails[slot, :] = 0
        tails[slot, T_START], tails[slot, T_END] = at, at + end - start
    if packets[0]:
        tails[slot, PACKETS] += packets[1]
        tails[slot, HAS_PACKETS] = 1
    if size[0]:
        tails[slot, BYTES] += size[1]
        tails[slot, HAS_BYTES] = 1
    return TAKEN


@njit(nogil=True, cache=kernel.CACHING)
def _tail_slot(
    data: np.ndarray, start: int, end: int, group: np.ndarray, tails: np.ndarray, count: int
) -> int:
    """The group's tail that is data[start:end], or -1."""
    for t in range(count):
        if tails[t, T_END] - tails[t, T_START] == end - start:
            shift, i = tails[t, T_START] - start, start
            while i < end and group[shift + i] == data[i]:
                i += 1
            if i == end:
                return t
    return -1


@njit(nogil=True, cache=kernel.CACHING)
def _write_group(group: np.ndarray, state: np.ndarray, tails: np.ndarray, out: np.ndarray, used: int) -> int:
    """Writes the group's lines (one a tail) at out[used:], sorted bytewise among themselves."""
    count, head = state[TAILS], state[HEAD_LEN]
    for t in range(count):
        tails[t, OUT_START] = used
        out[used : used + head] = group[:head]
        used += head
        for value, present in (
            (tails[t, PACKETS], tails[t, HAS_PACKETS]),
            (tails[t, BYTES], tails[t, HAS_BYTES]),
            (state[FIRST], state[HAS_FIRST]),
            (state[LAST], state[HAS_LAST]),
        ):
            out[used] = SPACE
            used = _write_number(out, used + 1, value, present)
        out[used] = SPACE
        n = tails[t, T_END] - tails[t, T_START]
        out[used + 1 : used + 1 + n] = group[tails[t, T_START] : tails[t, T_END]]
        out[used + 1 + n] = NEWLINE
        used += n + 2
        tails[t, OUT_END] = used
    if count > 1:  # a few lines: sorted by insertion, then copied back in order
        order = np.arange(count)
        for i in range(1, count):
            j = i
            while j > 0 and _line_less(out, tails, order[j], order[j - 1]):
                order[j], order[j - 1] = order[j - 1], order[j]
                j -= 1
        first = tails[0, OUT_START]
        block = out[first:used].copy()
        at = first
        for i in range(count):
            s, e = tails[order[i], OUT_START] - first, tails[order[i], OUT_END] - first
            out[at : at + e - s] = block[s:e]
            at += e - s
    return used


@njit(nogil=True, cache=kernel.CACHING)
def _line_less(out: np.ndarray, tails: np.ndarray, a: int, b: int) -> bool:
    """Bytewise order of two written lines (newline excluded: a line before those it is a prefix of)."""
    a0, b0 = tails[a, OUT_START], tails[b, OUT_START]
    la, lb = tails[a, OUT_END] - a0 - 1, tails[b, OUT_END] - b0 - 1
    for i in range(min(la, lb)):
        if out[a0 + i] != out[b0 + i]:
            return out[a0 + i] < out[b0 + i]
    return la < lb


@njit(nogil=True, cache=kernel.CACHING)
def last_newline(data: np.ndarray, start: int, end: int) -> int:
    """The offset of the last newline in data[start:end], or -1."""
    for at in range(end - 1, start - 1, -1):
        if data[at] == NEWLINE:
            return at
    return -1
