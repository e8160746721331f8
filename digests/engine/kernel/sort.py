"""`sort_lines`: a partition's lines in bytewise order, by a most-significant-digit radix sort on 8-byte
words (runs that tie go on to the next word; short runs are sorted by insertion).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import address, byte_swap, compiled, inlined, load_word, prefetch
from digests.engine.kernel.constants import BATCH, BYTE_MASK

SMALL_SORT = 16  # runs of lines this short are sorted by comparing them whole


@inlined
def _word_at(data: Any, size: int, s: int, e: int, depth: int) -> np.uint64:
    """Bytes depth..depth+7 of the line data[s:e], big-endian, the bytes past its end as zeros; `data`
    points to `size` bytes (see `address`)."""
    at = s + depth
    if at >= e:
        return np.uint64(0)
    if at + 8 <= size:
        word = load_word(data, at)
        if at + 8 > e:
            word &= (np.uint64(1) << np.uint64(8 * (e - at))) - np.uint64(1)
        return byte_swap(word)
    word = np.uint64(0)
    for p in range(at, at + 8):
        word = (word << np.uint64(8)) | np.uint64(data[p] if p < e else 0)
    return word


@inlined
def _line_less(data: Any, size: int, starts: Any, a: int, b: int, depth: int) -> bool:
    """Whether line a sorts before line b, bytewise (a prefix first), both known to agree before `depth`."""
    sa, ea, sb, eb = starts[a], starts[a + 1], starts[b], starts[b + 1]
    while True:
        wa, wb = _word_at(data, size, sa, ea, depth), _word_at(data, size, sb, eb, depth)
        if wa != wb:
            return bool(wa < wb)
        if sa + depth + 8 >= ea or sb + depth + 8 >= eb:  # one ended: equal words, so the shorter is a prefix
            return ea - sa < eb - sb
        depth += 8


@compiled  # called, not inlined: numba takes seconds to compile each inlined copy
def _insertion_sort(
    data: np.ndarray, starts: np.ndarray, order: np.ndarray, lo: int, hi: int, depth: int
) -> None:
    text, size, line_at = address(data), data.shape[0], address(starts)  # pointers: see address
    for i in range(lo + 1, hi):
        line = order[i]
        j = i
        while j > lo and _line_less(text, size, line_at, line, order[j - 1], depth):
            order[j] = order[j - 1]
            j -= 1
        order[j] = line


@compiled
def sort_lines(data: np.ndarray, starts: np.ndarray, order: np.ndarray, depth: int) -> None:
    """Sorts `order`, numbers of the lines data[starts[i]:starts[i + 1]], so that the lines are in bytewise
    order (a line before those it is a prefix of); all of them agree on their first `depth` bytes.

    Eight bytes at a time (a most-significant-digit radix sort with 8-byte digits): the lines are ordered
    by one big-endian word, and only runs that tie on it go on to the next word. Digest lines share long
    prefixes (the account, the interface), which compare in one step where a byte-wise sort would go through
    them for every comparison. No two lines are equal (their groups differ)."""
    count = order.shape[0]
    text, size, line_at = address(data), data.shape[0], address(starts)  # pointers: see address
    words, spare_words, spare_order = (
        np.empty(count, np.uint64),
        np.empty(count, np.uint64),
        np.empty_like(order),
    )
    # runs still to sort, each of two lines or more and apart from the others: at most count / 2 at a time
    pending = np.empty((count // 2 + 1, 3), np.int64)
    pending[0, 0], pending[0, 1], pending[0, 2] = 0, count, depth
    waiting = 1 if count > 1 else 0
    while waiting > 0:
        waiting -= 1
        lo, hi, depth = pending[waiting, 0], pending[waiting, 1], pending[waiting, 2]
        if hi - lo <= SMALL_SORT:
            _insertion_sort(data, starts, order, lo, hi, depth)
            continue
        for i in range(lo, hi):
            if i + BATCH < hi:  # the lines are read in their last order, at random: ask early
                prefetch(text, line_at[order[i + BATCH]] + depth)
            words[i] = _word_at(text, size, line_at[order[i]], line_at[order[i] + 1], depth)
        if _all_equal(words, lo, hi):  # a word the run shares (the rest of an interface id, say): no pass
            waiting = _split_ended(data, starts, order, lo, hi, depth, pending, waiting)
            continue
        _sort_by_words(words, order, lo, hi, spare_words, spare_order)
        run = lo
        for i in range(lo + 1, hi + 1):
            if i < hi and words[i] == words[run]:
                continue
            if i - run > 1:
                waiting = _split_ended(data, starts, order, run, i, depth, pending, waiting)
            run = i


@inlined
def _all_equal(words: np.ndarray, lo: int, hi: int) -> bool:
    for i in range(lo + 1, hi):  # noqa: SIM110  # a loop numba compiles; all() of a generator it does not
        if words[i] != words[lo]:
            return False
    return True


@compiled
def _sort_by_words(
    words: np.ndarray, order: np.ndarray, lo: int, hi: int, spare_words: np.ndarray, spare_order: np.ndarray
) -> None:
    """Sorts words[lo:hi], and order[lo:hi] alike, a byte at a time from the lowest (a least-significant-
    digit radix sort: linear, whatever the words); a byte that all of them share costs one counting pass."""
    counts = np.empty(256, np.int64)
    for shift in range(0, 64, 8):
        counts[:] = 0
        for i in range(lo, hi):
            counts[(words[i] >> np.uint64(shift)) & np.uint64(BYTE_MASK)] += 1
        if counts.max() == hi - lo:
            continue
        at = lo
        for digit in range(256):
            at, counts[digit] = at + counts[digit], at
        for i in range(lo, hi):
            digit = (words[i] >> np.uint64(shift)) & np.uint64(BYTE_MASK)
            target = counts[digit]
            counts[digit] = target + 1
            spare_words[target] = words[i]
            spare_order[target] = order[i]
        for i in range(lo, hi):
            words[i] = spare_words[i]
            order[i] = spare_order[i]


@compiled
def _split_ended(
    data: np.ndarray,
    starts: np.ndarray,
    order: np.ndarray,
    lo: int,
    hi: int,
    depth: int,
    pending: np.ndarray,
    waiting: int,
) -> int:
    """For a run of lines that tie on their word at `depth`: the ones that end within it go first (each a
    prefix of the longer ones, shortest first), the rest are left to sort on the next word (added to
    `pending`); returns how many runs are pending."""
    ended = lo
    for i in range(lo, hi):
        line = order[i]
        if starts[line + 1] - starts[line] <= depth + 8:
            order[i] = order[ended]
            order[ended] = line
            ended += 1
    _insertion_sort(data, starts, order, lo, ended, depth)
    if hi - ended > 1:
        pending[waiting, 0], pending[waiting, 1], pending[waiting, 2] = ended, hi, depth + 8
        waiting += 1
    return waiting
