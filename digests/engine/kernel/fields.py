"""A line's tokens and fields: splitting a line (fast on single spaces, careful otherwise), telling a header
from data, the layout a line is read with, the text of a field its layout lacks, and the int parser.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import compiled, inlined, load_word, trailing_zeros
from digests.engine.kernel.constants import (
    BYTE_CLASS,
    CASE_BIT,
    LOWER_A,
    LOWER_Z,
    MINUS,
    NAME_BYTE,
    NEWLINE,
    NO_VALUE,
    PLUS,
    SPACE,
    STATUS,
    UPPER_K,
    UPPER_O,
    ZERO,
)

_INT64_MAX = 2**63 - 1
_CUTOFF = -(2**63) // 10 + 1  # the lowest value that can take one more digit (-2**63 = _CUTOFF * 10 - 8)


_NEWLINES = np.uint64(0x0A0A0A0A0A0A0A0A)
_SPACES = np.uint64(0x2020202020202020)
_LOW_SEVENS = np.uint64(0x7F7F7F7F7F7F7F7F)
_ONE = np.uint64(1)


@inlined
def zero_bytes(word: np.uint64) -> np.uint64:
    """The high bit of every zero byte of `word`, and no other bit: exact, as no sum carries into the next
    byte (the well-known test `(w - 0x01..) & ~w & 0x80..` also marks a 0x01 byte that follows a zero)."""
    return ~(((word & _LOW_SEVENS) + _LOW_SEVENS) | word | _LOW_SEVENS)


@inlined
def split_clean(
    buf: np.ndarray, pos: int, end: int, starts: np.ndarray, ends: np.ndarray, room: int
) -> tuple[int, int, bool]:
    """Splits the line at `pos` on single spaces: (tokens, where its newline is, whether that was right).

    For text with no tab, CR or non-ASCII byte. It is not right, and the line needs `split`, when a token
    is empty (a double, leading or trailing space, a blank line). Eight bytes a step: a mask of the step's
    spaces (and of its newlines), then one short step per space found, by its lowest set bit, rather than
    one per byte.
    """
    n = 0
    p = pos
    found = False
    while p + 8 <= end and n + 8 <= room:  # a step adds at most 8 tokens
        word = load_word(buf, p)
        newlines = zero_bytes(word ^ _NEWLINES)
        spaces = zero_bytes(word ^ _SPACES)
        if newlines:
            spaces &= newlines - _ONE  # only the spaces before the newline
        while spaces:
            ends[n] = p + (trailing_zeros(spaces) >> 3)
            n += 1
            spaces &= spaces - _ONE
        if newlines:
            p += trailing_zeros(newlines) >> 3
            found = True
            break
        p += 8
    if not found:  # the last bytes of the text, or a line of very many tokens
        while p < end and n < room:
            c = buf[p]
            if c == NEWLINE:
                break
            ends[n] = p
            n += c == SPACE
            p += 1
        if p >= end or buf[p] != NEWLINE:
            return 0, p, False
    ends[n] = p
    starts[0] = pos
    odd = False
    for t in range(1, n + 1):
        starts[t] = ends[t - 1] + 1
    for t in range(n + 1):
        odd |= ends[t] == starts[t]
    return n + 1, p, not odd


@compiled
def split(
    buf: np.ndarray, pos: int, end: int, starts: np.ndarray, ends: np.ndarray, room: int
) -> tuple[int, int, bool]:
    """Splits the line at `pos` on runs of spaces, tabs and CRs: (tokens, where it ends, whether all ASCII).

    Only the first `room` tokens are kept; all are counted."""
    count = 0
    p = pos
    ascii_only = True
    while True:
        while p < end and BYTE_CLASS[buf[p]] == 1:
            p += 1
        if p >= end or buf[p] == NEWLINE:
            break
        s = p
        while p < end:
            kind = BYTE_CLASS[buf[p]]
            if kind == 1 or kind == 2:
                break
            if kind == 3:
                ascii_only = False
            p += 1
        if count < room:
            starts[count] = s
            ends[count] = p
        count += 1
    return count, p, ascii_only


@inlined
def absent_length(field: int) -> int:
    """The length of the text written for a field its layout lacks: `OK` for log-status (a record of a
    layout without log-status that gets this far carries numbers or addresses: it is data), else `-`."""
    return 2 if field == STATUS else 1


@inlined
def absent_byte(field: int, at: int) -> int:
    """Byte `at` of the text written for a field its layout lacks (see `absent_length`)."""
    if field == STATUS:
        return UPPER_O if at == 0 else UPPER_K
    return NO_VALUE


@inlined
def named(text: np.ndarray, starts: np.ndarray, ends: np.ndarray, token: int) -> bool:
    """Whether a field is in the layout and holds a value (not `-`)."""
    if token < 0:
        return False
    s, e = starts[token], ends[token]
    return not (e - s == 1 and text[s] == NO_VALUE)


@inlined
def lower_is(text: np.ndarray, s: int, e: int, word: np.ndarray) -> bool:
    """Whether text[s:e] is `word` (lower-case ASCII letters), with ASCII case ignored."""
    if e - s != word.shape[0]:
        return False
    same = True
    for i in range(e - s):
        same &= (text[s + i] | CASE_BIT) == word[i]
    return same


@inlined
def parse_int(buf: np.ndarray, s: int, e: int) -> tuple[int, int]:
    """(status, value): status 0 a number, 1 `-` (no value), 2 not a base-10 int64."""
    if e - s <= 18:  # no overflow possible: one pass, one test
        value = 0
        digits = True
        for p in range(s, e):
            digit = int(buf[p]) - ZERO
            digits &= (digit >= 0) & (digit <= 9)
            value = value * 10 + digit
        if digits:
            return 0, value
    if e - s == 1 and buf[s] == NO_VALUE:
        return 1, 0
    negative = False
    if buf[s] == MINUS or buf[s] == PLUS:
        negative = buf[s] == MINUS
        s += 1
        if s == e:
            return 2, 0
    value = 0  # accumulated negatively, so -2**63 parses too
    for p in range(s, e):
        digit = int(buf[p]) - ZERO
        if digit < 0 or digit > 9:
            return 2, 0
        if value < _CUTOFF or (value == _CUTOFF and digit > 8):
            return 2, 0
        value = value * 10 - digit
    if negative:
        return 0, value
    if value == -_INT64_MAX - 1:
        return 2, 0
    return 0, -value


_DIGIT_FLOOR = np.uint64(0x5050505050505050)  # added to a 7-bit byte: its high bit is set from b"0" on
_DIGIT_CEILING = np.uint64(0x4646464646464646)  # from b"9" + 1 on
_LOW_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)
_HIGHS = np.uint64(0x8080808080808080)


@inlined
def digit_bytes(word: np.uint64) -> np.uint64:
    """The high bit of every byte of `word` that is an ASCII digit, and no other bit (exact: no sum
    carries into the next byte)."""
    low = word & _LOW_SEVENS
    return (low + _DIGIT_FLOOR) & ~(low + _DIGIT_CEILING) & ~word & _HIGHS


@inlined
def eight_digits(word: np.uint64) -> np.int64:
    """The value of the eight ASCII digits of `word`, its first byte the most significant (a byte 0 is a
    leading zero): pairs, then fours, then all eight, three multiplications instead of eight."""
    word &= _LOW_NIBBLES
    word = (word * np.uint64(10) + (word >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    word = (word * np.uint64(100) + (word >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    word = (word * np.uint64(10000) + (word >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return np.int64(word)


@inlined
def parse_number(text: Any, s: int, e: int, size: int) -> tuple[int, int | np.int64]:
    """`parse_int` of text[s:e] (`text` holds `size` bytes), faster for a token of 1 to 16 plain digits,
    every number of a flow log: eight bytes at a time rather than one, when they can be read."""
    length = e - s
    if 1 <= length <= 16 and s + 8 <= size:
        head = min(length, 8)  # the first word's digits; with more than 8, the last 8 are a second word
        drop = np.uint64(8 * (8 - head))  # shifted out: the bytes of the first word after its digits
        first = load_word(text, s)
        if (digit_bytes(first) << drop) == (_HIGHS << drop):
            if length <= 8:
                return 0, eight_digits(first << drop)
            first_digits = length - 8
            drop = np.uint64(8 * (8 - first_digits))
            last = load_word(text, s + first_digits)
            if digit_bytes(last) == _HIGHS:
                return 0, eight_digits(first << drop) * 100_000_000 + eight_digits(last)
    return parse_int(text, s, e)


@inlined
def is_name_line(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, count: int, room: int) -> bool:
    """Whether every token looks like a field name; True too when the line has more tokens than were kept
    (from the first `room` ones), since only Python can then tell."""
    for t in range(min(count, room)):
        s = starts[t]
        if buf[s] < LOWER_A or buf[s] > LOWER_Z:
            return False
        for p in range(s + 1, ends[t]):
            if NAME_BYTE[buf[p]] == 0:
                return False
    return True


@inlined
def layout_row(width: int, count: int) -> int:
    """The layout row for a line of `count` tokens: 0 the one in force (of `width` tokens; 0: none yet),
    1 and 2 the defaults for 14 and 36 tokens; -1 when none fits, -2 when it has the wrong token count."""
    if width == 0:
        return 1 if count == 14 else 2 if count == 36 else -1
    return 0 if count == width else -2
