"""The compiled inner loop of the digest engine: flow-log text lines in, per-connection sums out.

`scan` reads whole lines from a byte buffer, classifies each record exactly (see digests/engine/digest.py for
the rules) and adds the kept ones to an open-addressing hash table, all in one pass over the bytes, without
the GIL. It is compiled by numba on first use and cached (where: digests/engine/kernel/cache.py).

It stops, and says why, where Python has to decide: a line that may be a header (every token looks like a
field name), a line with a non-ASCII byte (it is decoded, lossily, by Python), or a line that might not fit
in the table or the key arena (Python grows them). Nothing of a line it stops at has been counted, so the
caller resumes at that same line.

A group is identified by two independently, randomly seeded 64-bit hashes of its key (128 bits): a table
row holds both, the sums and the group's number; the key itself (its text and numbers) is stored once, when
the group is created, and read back only to write the digest.

The end of a digest (digests/engine/partitions.py) works here too: `foreign_groups` and `gather` hand each
group held by several tables to one of them, `partition_groups` splits a table's groups by the leading
bytes of their lines, `render_groups` writes a partition's lines straight from the tables and
`sort_lines` sorts them, a radix sort on 8-byte words.

numba's on-disk cache only notices edits to the file a function is defined in; the kernel's cache folder
is named after the source of every kernel module (digests/engine/kernel/cache.py), so that a helper
inlined from another module cannot leave stale compiled code in use after it was edited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# numba's cache folder is set before any function here is decorated (see the module)
from digests.engine.kernel.cache import CACHING

F = TypeVar("F", bound=Callable[..., object])


def _compiled(function: F) -> F:
    return cast(F, njit(nogil=True, cache=CACHING, boundscheck=False)(function))


def _inlined(function: F) -> F:
    """For helpers called once a line or token: a call costs more than their work (arrays are passed as
    structs, with reference counting), so numba copies them into their callers."""
    return cast(F, njit(nogil=True, cache=CACHING, boundscheck=False, inline="always")(function))


# Field numbers: the columns of a layout row (`layouts[k * LAYOUT_COLUMNS + field]`, flat, is the field's
# token position, or -1).
ACCOUNT, ENI, SRCADDR, DSTADDR, ACTION, STATUS = 0, 1, 2, 3, 4, 5
SRCPORT, DSTPORT, PROTOCOL, PACKETS, BYTES, START, END = 6, 7, 8, 9, 10, 11, 12
FIELD_COUNT = 13
SPANS = 13  # a last column: 1 if the first four text fields are side by side, and the last two are too
LAYOUT_COLUMNS = 14
MAX_TOKENS = 4096  # tokens a line keeps track of beyond its layout's width: more are counted, not kept

# Return codes of `scan`.
DONE, GROW, HEADER, NON_ASCII, OUTBOX = 0, 1, 2, 3, 4

# `counts` slots: the record counts (RECORDS to UNKNOWN_STATUS, summed by `merge_counts`), then the rest.
RECORDS, IN_WINDOW, UNKNOWN_LAYOUT, FIELD_COUNT_SKIP, NO_DATA, BAD_NUMBER, OUTSIDE = 0, 1, 2, 3, 4, 5, 6
UNKNOWN_STATUS = 7
GROUPS, ARENA_USED, FIRST, LAST, HAS_FIRST, HAS_LAST = 8, 9, 10, 11, 12, 13
COUNTS = 14

# Table row: both hashes, the sums, and the group number + 1 (0: empty slot) with two flags: whether any
# record of the group had a packets value, and a bytes value. 5 int64: 40 bytes, prefetched as two lines.
H1, H2, SUM_PACKETS, SUM_BYTES, GROUP = 0, 1, 2, 3, 4
ROW = 5
HAS_PACKETS = 1 << 62
HAS_BYTES = 1 << 61
GROUP_BITS = (1 << 61) - 1
# Key row of a group: the two ports after the ephemeral rule, the protocol, a bit per null one of them,
# and where the key text's right part ("<action> <log-status>") starts in the arena.
KEY_SRCPORT, KEY_DSTPORT, KEY_PROTOCOL, KEY_NULLS, KEY_MID = 0, 1, 2, 3, 4
KEY_ROW = 5

# A start or end from here on is milliseconds (Unix seconds this large are past the year 5000); below, seconds,
# so second timestamps after 2038 stay seconds. The SQL engine (digests/rich_lines.py) must use the same bound.
MILLISECONDS_FROM = 100_000_000_000
_INT64_MAX = 2**63 - 1
_CUTOFF = -(2**63) // 10 + 1  # the lowest value that can take one more digit (-2**63 = _CUTOFF * 10 - 8)

# The bytes the compiled code reads and writes, by name: numba takes module-level ints for compile-time
# constants, so the names cost nothing.
TAB = 0x09  # b"\t"
NEWLINE = 0x0A  # b"\n"
CR = 0x0D  # b"\r"
SPACE = 0x20  # b" "
PLUS = 0x2B  # b"+"
MINUS = 0x2D  # b"-"
NO_VALUE = MINUS  # a field with no value is written "-"
ZERO = 0x30  # b"0"
DIGEST_VERSION = 0x32  # b"2": every digest line is in the v2 layout
NINE = 0x39  # b"9"
UPPER_K = 0x4B  # b"K"
UPPER_O = 0x4F  # b"O"
UNDERSCORE = 0x5F  # b"_"
LOWER_A = 0x61  # b"a"
LOWER_Z = 0x7A  # b"z"
CASE_BIT = 0x20  # set in a lower-case ASCII letter, clear in its capital: `byte | CASE_BIT` ignores case
FIRST_NON_ASCII = 0x80
BYTE_MASK = 0xFF

# Byte classes: 0 a token byte, 1 a separator (space, tab, CR), 2 the newline, 3 a non-ASCII token byte.
_CLASS = np.zeros(256, np.uint8)
_CLASS[[SPACE, TAB, CR]] = 1
_CLASS[NEWLINE] = 2
_CLASS[FIRST_NON_ASCII:] = 3
# Bytes a field name may hold after its first one ([a-z0-9_-]); the first one must be a-z.
_NAME = np.zeros(256, np.uint8)
_NAME[LOWER_A : LOWER_Z + 1] = 1
_NAME[ZERO : NINE + 1] = 1
_NAME[[UNDERSCORE, MINUS]] = 1
# log-status values, lower-case, for `_lower_is`.
_OK = np.array(list(b"ok"), np.uint8)
_NODATA = np.array(list(b"nodata"), np.uint8)
_SKIPDATA = np.array(list(b"skipdata"), np.uint8)

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _data(context, builder, kind, value):  # type: ignore[no-untyped-def]  # numba's codegen protocol
    """The address of an array's first element, or the pointer itself."""
    if isinstance(kind, types.CPointer):
        return value
    return context.make_array(kind)(context, builder, value).data


@intrinsic
def _address_intrinsic(typingctx, array):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """A plain pointer to an array's data, for the hot loop: passing arrays to the helpers it inlines costs
    reference counting (atomic, out of line) that numba does not always prune; pointers have none. The array
    must outlive the pointer, so only arguments qualify: numba frees a local array after its last use."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return _data(context, builder, signature.args[0], args[0])

    return types.CPointer(array.dtype)(array), codegen


# The intrinsics as the hot loop calls them (numba passes the typing context itself).
_address = cast(Callable[[np.ndarray], Any], _address_intrinsic)


@intrinsic
def _load_word_intrinsic(typingctx, array, index):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """The eight bytes at array[index:] as one little-endian uint64, in one unaligned load."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        address = cgutils.gep(builder, _data(context, builder, signature.args[0], args[0]), args[1])
        pointer = builder.bitcast(address, ir.IntType(64).as_pointer())
        return builder.load(pointer, align=1)

    return types.uint64(array, index), codegen


_load_word = cast(Callable[[Any, int], np.uint64], _load_word_intrinsic)


@_inlined
def _mix(h: np.uint64, word: np.uint64, multiplier: np.uint64) -> np.uint64:
    h = (h ^ word) * multiplier
    return h ^ (h >> np.uint64(29))


@_inlined
def _final(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@_inlined
def _hash_bytes(
    buf: np.ndarray, size: int, s: int, e: int, h1: np.uint64, h2: np.uint64
) -> tuple[np.uint64, np.uint64]:
    """Mixes the length of buf[s:e] (of `size` bytes in all), then its bytes, into both hashes.

    The length comes first so that the words mixed spell one text only: tagging the last word alone would
    let a full word that looks like a tag end one text early (a crafted key could then join another's
    group whatever the hash seeds)."""
    h1 = _mix(h1, np.uint64(e - s), _M1)
    h2 = _mix(h2, np.uint64(e - s), _M2)
    while s + 8 <= e:
        word = _load_word(buf, s)
        h1 = _mix(h1, word, _M1)
        h2 = _mix(h2, word, _M2)
        s += 8
    word = np.uint64(0)
    if s + 8 <= size:  # one load, the bytes past the tail masked off
        word |= _load_word(buf, s) & ((np.uint64(1) << np.uint64(8 * (e - s))) - np.uint64(1))
    else:
        shift = np.uint64(0)
        while s < e:
            word |= np.uint64(buf[s]) << shift
            shift += np.uint64(8)
            s += 1
    return _mix(h1, word, _M1), _mix(h2, word, _M2)


_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
_NEWLINES = np.uint64(0x0A0A0A0A0A0A0A0A)


@_inlined
def _split_clean(
    buf: np.ndarray, pos: int, end: int, starts: np.ndarray, ends: np.ndarray, room: int
) -> tuple[int, int, bool]:
    """Splits the line at `pos` on single spaces: (tokens, where its newline is, whether that was right).

    For text with no tab, CR or non-ASCII byte. It is not right, and the line needs `_split`, when a token
    is empty (a double, leading or trailing space, a blank line). Eight bytes a step, with no branch but
    the one for a newline in them: a mispredicted token end would cost more than the work every byte does.
    """
    n = 0
    p = pos
    while p + 8 <= end and n + 8 <= room:
        word = _load_word(buf, p)
        newlines = word ^ _NEWLINES
        if (newlines - _ONES) & ~newlines & _HIGHS:
            break
        for i in range(8):
            ends[n] = p + i
            n += ((word >> np.uint64(8 * i)) & np.uint64(BYTE_MASK)) == SPACE
        p += 8
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


@_compiled
def _split(
    buf: np.ndarray, pos: int, end: int, starts: np.ndarray, ends: np.ndarray, room: int
) -> tuple[int, int, bool]:
    """Splits the line at `pos` on runs of spaces, tabs and CRs: (tokens, where it ends, whether all ASCII).

    Only the first `room` tokens are kept; all are counted."""
    count = 0
    p = pos
    ascii_only = True
    while True:
        while p < end and _CLASS[buf[p]] == 1:
            p += 1
        if p >= end or buf[p] == NEWLINE:
            break
        s = p
        while p < end:
            kind = _CLASS[buf[p]]
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


@_inlined
def _absent_length(field: int) -> int:
    """The length of the text written for a field its layout lacks: `OK` for log-status (a record of a
    layout without log-status that gets this far carries numbers or addresses: it is data), else `-`."""
    return 2 if field == STATUS else 1


@_inlined
def _absent_byte(field: int, at: int) -> int:
    """Byte `at` of the text written for a field its layout lacks (see `_absent_length`)."""
    if field == STATUS:
        return UPPER_O if at == 0 else UPPER_K
    return NO_VALUE


@_inlined
def _named(text: np.ndarray, starts: np.ndarray, ends: np.ndarray, token: int) -> bool:
    """Whether a field is in the layout and holds a value (not `-`)."""
    if token < 0:
        return False
    s, e = starts[token], ends[token]
    return not (e - s == 1 and text[s] == NO_VALUE)


@_inlined
def _lower_is(text: np.ndarray, s: int, e: int, word: np.ndarray) -> bool:
    """Whether text[s:e] is `word` (lower-case ASCII letters), with ASCII case ignored."""
    if e - s != word.shape[0]:
        return False
    same = True
    for i in range(e - s):
        same &= (text[s + i] | CASE_BIT) == word[i]
    return same


@_inlined
def _hash_fields(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    layouts: np.ndarray,
    cols: int,
    first: int,
    last: int,
    span: bool,
    size: int,
    h1: np.uint64,
    h2: np.uint64,
) -> tuple[np.uint64, np.uint64]:
    """`_hash_bytes` of fields first..last-1 joined by single spaces, an absent field as `_absent_byte` writes it.

    With `span`, the line itself holds that text, from the first field's start to the last one's end.
    """
    if span:
        return _hash_bytes(buf, size, starts[layouts[cols + first]], ends[layouts[cols + last - 1]], h1, h2)
    # a byte at a time, as the same text would be read from one span: its length first
    length = last - first - 1
    for f in range(first, last):
        t = layouts[cols + f]
        length += ends[t] - starts[t] if t >= 0 else _absent_length(f)
    h1 = _mix(h1, np.uint64(length), _M1)
    h2 = _mix(h2, np.uint64(length), _M2)
    word = np.uint64(0)
    fill = 0
    for f in range(first, last):
        t = layouts[cols + f]
        s = starts[t] if t >= 0 else 0
        e = ends[t] if t >= 0 else _absent_length(f)
        for p in range(s - (f > first), e):
            if p < s:
                byte = np.uint64(SPACE)
            elif t < 0:
                byte = np.uint64(_absent_byte(f, p))
            else:
                byte = np.uint64(buf[p])
            word |= byte << np.uint64(8 * fill)
            fill += 1
            if fill == 8:
                h1 = _mix(h1, word, _M1)
                h2 = _mix(h2, word, _M2)
                word = np.uint64(0)
                fill = 0
    return _mix(h1, word, _M1), _mix(h2, word, _M2)


@_inlined
def _parse_int(buf: np.ndarray, s: int, e: int) -> tuple[int, int]:
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


@_inlined
def _is_name_line(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, count: int, room: int) -> bool:
    """Whether every token looks like a field name; True too when the line has more tokens than were kept
    (from the first `room` ones), since only Python can then tell."""
    for t in range(min(count, room)):
        s = starts[t]
        if buf[s] < LOWER_A or buf[s] > LOWER_Z:
            return False
        for p in range(s + 1, ends[t]):
            if _NAME[buf[p]] == 0:
                return False
    return True


@_inlined
def _copy(arena: np.ndarray, at: int, buf: np.ndarray, s: int, e: int) -> int:
    """buf[s:e] into arena[at:]: through pointers, as slices cost two array views a copy."""
    target, source = _address(arena), _address(buf)
    for p in range(s, e):
        target[at] = source[p]
        at += 1
    return at


# A batch of kept records waiting for their table rows, which were prefetched when each was read: a random
# read of a big table costs ~150 ns, while the reads of a batch overlap. Columns of a batch row:
B_K1, B_K2, B_PACKETS, B_HAS_PACKETS, B_BYTES, B_HAS_BYTES = 0, 1, 2, 3, 4, 5
B_SRCPORT, B_DSTPORT, B_PROTOCOL, B_NULLS, B_TOKENS = 6, 7, 8, 9, 10  # then (start, end) of each text field
B_ROW = B_TOKENS + 2 * (ACTION + 2)
BATCH = 16
# Sharded scans (digests/engine/shards.py): a group belongs to one worker, chosen by these bits of its first
# hash (above those that choose its slot: a table never has 2**40 slots). A record of another worker's
# group goes to that worker's outbox: its batch row, with its key text copied into the outbox's text.
SHARD_SHIFT = 40
O_ROWS, O_TEXT, O_NEED = 0, 1, 2  # `outbox_used` columns: records, text bytes, arena bytes they will need
OUTBOX_USED = 3


@intrinsic
def _prefetch_intrinsic(typingctx, array, index):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """Asks for array[index]'s cache line, for writing, without waiting for it."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        address = cgutils.gep(builder, _data(context, builder, signature.args[0], args[0]), args[1])
        address = builder.bitcast(address, ir.IntType(8).as_pointer())  # one declaration for every array type
        i32 = ir.IntType(32)
        kind = ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32])
        function = cgutils.get_or_insert_function(builder.module, kind, "llvm.prefetch.p0")
        builder.call(function, [address, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


_prefetch = cast(Callable[[np.ndarray, int], None], _prefetch_intrinsic)


@_inlined
def _layout_row(width: int, count: int) -> int:
    """The layout row for a line of `count` tokens: 0 the one in force (of `width` tokens; 0: none yet),
    1 and 2 the defaults for 14 and 36 tokens; -1 when none fits, -2 when it has the wrong token count."""
    if width == 0:
        return 1 if count == 14 else 2 if count == 36 else -1
    return 0 if count == width else -2


@_inlined
def _prefetch_row(table: np.ndarray, row: int) -> None:
    """Both cache lines a 40-byte row may lie across."""
    _prefetch(table, row)
    _prefetch(table, row + ROW - 1)


@_compiled
def scan(
    buf: np.ndarray,
    pos: int,
    end: int,
    layouts: np.ndarray,
    width: int,
    strict: bool,
    clean: bool,
    start: int,
    stop: int,
    seeds: np.ndarray,
    table: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    counts: np.ndarray,
    starts_array: np.ndarray,
    ends_array: np.ndarray,
    numbers_array: np.ndarray,
    present_array: np.ndarray,
    batch_array: np.ndarray,
    shards: int,
    owner: int,
    outbox: np.ndarray,
    outbox_text: np.ndarray,
    outbox_used: np.ndarray,
) -> tuple[int, int]:
    """Scans the lines of buf[pos:end] (each ending in a newline); returns (where it stopped, why).

    `layouts` holds three rows of LAYOUT_COLUMNS, flat: the layout in force (its `width` tokens; 0: none
    yet), then the defaults for 14 and 36 tokens (see `_layout_row`). With `strict`, name-like and non-ASCII lines stop the scan.
    `clean` says that the text holds no tab, CR or non-ASCII byte (Python's bytes methods tell that fast).
    `table` is flat: ROW int64 per slot, a power of two of slots.

    Then five arrays of scratch space (see `scratch`), passed in rather than made here: the loop works on
    plain pointers to them (see `_address`). With `shards` > 1 this table holds only the groups of shard
    `owner`; the records of the others go to their outboxes (rows of `outbox`, `outbox_text` and
    `outbox_used`, one per shard), and the scan stops with OUTBOX before a record that might not fit.
    """
    most = starts_array.shape[0] - 1  # tokens a line keeps
    text, size = _address(buf), buf.shape[0]
    starts, ends = _address(starts_array), _address(ends_array)
    numbers, present = _address(numbers_array), _address(present_array)
    batch, rows, tally, seed = _address(batch_array), _address(layouts), _address(counts), _address(seeds)
    slots, used = _address(table), _address(outbox_used)  # the inlined helpers get pointers, not arrays
    box_rows, box_text = outbox.shape[1], outbox_text.shape[1]
    waiting = 0
    waiting_bytes = 0  # key text the waiting records may add to the arena
    mask = table.shape[0] // ROW - 1
    code = DONE
    while pos < end:
        # tokens of one line: single spaces on the fast path, anything else on the careful one
        regular = False
        if clean:
            count, p, regular = _split_clean(text, pos, end, starts, ends, most)
        ascii_only = True
        if not regular:
            count, p, ascii_only = _split(text, pos, end, starts, ends, most)
        following = min(p + 1, end)
        if count == 0:
            pos = following
            continue
        if strict:
            if not ascii_only:
                code = NON_ASCII
                break
            if _is_name_line(text, starts, ends, count, most):
                code = HEADER
                break
        # the layout: its row, or -1 for none that fits, -2 for the wrong token count
        row = _layout_row(width, count)
        cols = row * LAYOUT_COLUMNS
        key_bytes = 0  # at most what the key text may add to the arena
        if row >= 0:
            for f in range(ACCOUNT, SRCPORT):
                t = rows[cols + f]
                key_bytes += (ends[t] - starts[t] if t >= 0 else _absent_length(f)) + 1
        groups = tally[GROUPS] + waiting + 1
        if (
            2 * groups > mask + 1
            or groups >= keys.shape[0]
            or tally[ARENA_USED] + waiting_bytes + key_bytes > arena.shape[0]
        ):
            code = GROW
            break
        if shards > 1 and _outbox_short(
            used, shards, owner, box_rows, box_text, waiting + 1, waiting_bytes + key_bytes
        ):
            code = OUTBOX
            break
        pos = following
        tally[RECORDS] += 1
        if row == -1:
            tally[UNKNOWN_LAYOUT] += 1
            continue
        if row == -2:
            tally[FIELD_COUNT_SKIP] += 1
            continue
        # log-status: OK in any case is data; NODATA and SKIPDATA are counted as such, `-` and anything
        # else as an unknown status. A layout without the field is decided once the numbers are read.
        status_token = rows[cols + STATUS]
        if status_token >= 0 and not _lower_is(text, starts[status_token], ends[status_token], _OK):
            s, e = starts[status_token], ends[status_token]
            if _lower_is(text, s, e, _NODATA) or _lower_is(text, s, e, _SKIPDATA):
                tally[NO_DATA] += 1
            else:
                tally[UNKNOWN_STATUS] += 1
            continue
        bad = False
        for f in range(SRCPORT, FIELD_COUNT):
            t = rows[cols + f]
            present[f] = 0
            if t >= 0:
                status, value = _parse_int(text, starts[t], ends[t])
                if status == 2:
                    bad = True
                    break
                if status == 0:
                    present[f] = 1
                    numbers[f] = value
        if bad:
            tally[BAD_NUMBER] += 1
            continue
        if status_token < 0:
            # No log-status field: a record with a port, protocol, packets or bytes value, or with both
            # addresses (AWS's NAT gateway example logs only addresses), is data (its line says OK); one
            # with none is what a NODATA or SKIPDATA record looks like, unknown.
            flow_numbers = 0
            for f in range(SRCPORT, START):
                flow_numbers += present[f]
            if flow_numbers == 0 and not (
                _named(text, starts, ends, rows[cols + SRCADDR])
                and _named(text, starts, ends, rows[cols + DSTADDR])
            ):
                tally[UNKNOWN_STATUS] += 1
                continue
        for f in (START, END):
            if present[f] and numbers[f] >= MILLISECONDS_FROM:
                numbers[f] //= 1000
        moment_field = START if present[START] else END
        if present[moment_field]:
            moment = numbers[moment_field]
            if moment < start or moment >= stop:
                tally[OUTSIDE] += 1
                continue
        tally[IN_WINDOW] += 1
        if present[START] and (tally[HAS_FIRST] == 0 or numbers[START] < tally[FIRST]):
            tally[FIRST] = numbers[START]
            tally[HAS_FIRST] = 1
        if present[END] and (tally[HAS_LAST] == 0 or numbers[END] > tally[LAST]):
            tally[LAST] = numbers[END]
            tally[HAS_LAST] = 1
        record = waiting * B_ROW
        _key(text, starts, ends, rows, cols, numbers, present, regular, size, seed, batch, record)
        if shards == 1 or _shard(batch[record + B_K1], shards) == owner:  # else it goes to an outbox
            _prefetch_row(slots, (batch[record + B_K1] & mask) * ROW)
        batch[record + B_PACKETS] = numbers[PACKETS]
        batch[record + B_HAS_PACKETS] = present[PACKETS]
        batch[record + B_BYTES] = numbers[BYTES]
        batch[record + B_HAS_BYTES] = present[BYTES]
        waiting += 1
        waiting_bytes += key_bytes
        if waiting == BATCH:
            _add_batch(
                batch_array, waiting, buf, table, keys, offsets, arena, counts,
                shards, owner, outbox, outbox_text, outbox_used,
            )  # fmt: skip
            waiting = 0
            waiting_bytes = 0
    _add_batch(
        batch_array, waiting, buf, table, keys, offsets, arena, counts,
        shards, owner, outbox, outbox_text, outbox_used,
    )  # fmt: skip
    return pos, code


@_inlined
def _outbox_short(
    used: Any, shards: int, owner: int, box_rows: int, box_text: int, records: int, text: int
) -> bool:
    """Whether some other shard's outbox (of `box_rows` batch-row int64 and `box_text` text bytes; `used`
    points to the flat `outbox_used`) might lack room for `records` more records of `text` key bytes."""
    for shard in range(shards):
        if shard != owner and (
            (used[shard * OUTBOX_USED + O_ROWS] + records) * B_ROW > box_rows
            or used[shard * OUTBOX_USED + O_TEXT] + text > box_text
        ):
            return True
    return False


@_inlined
def _shard(k1: int, shards: int) -> int:
    return ((k1 >> SHARD_SHIFT) & 0xFFFFFF) % shards


@_inlined
def _post(
    batch: Any,
    record: int,
    buf: Any,
    outbox: Any,
    row_width: int,
    outbox_text: Any,
    text_width: int,
    used: Any,
    shard: int,
) -> None:
    """The batch's record into shard `shard`'s outbox, its key text copied, its tokens pointing there. Takes
    pointers (see `_address`): `outbox` and `outbox_text` to rows of `row_width` and `text_width` a shard,
    `used` to the flat `outbox_used`."""
    counted = shard * OUTBOX_USED
    target = shard * row_width + used[counted + O_ROWS] * B_ROW
    for column in range(B_ROW):
        outbox[target + column] = batch[record + column]
    text_row = shard * text_width
    at, need = used[counted + O_TEXT], 0
    for f in range(ACCOUNT, SRCPORT):
        s, e = batch[record + B_TOKENS + 2 * f], batch[record + B_TOKENS + 2 * f + 1]
        if s < 0:
            need += _absent_length(f) + 1
            continue
        need += e - s + 1
        outbox[target + B_TOKENS + 2 * f] = at
        for p in range(s, e):
            outbox_text[text_row + at] = buf[p]
            at += 1
        outbox[target + B_TOKENS + 2 * f + 1] = at
    used[counted + O_ROWS] += 1
    used[counted + O_TEXT] = at
    used[counted + O_NEED] += need


@_compiled
def absorb(
    rows: np.ndarray,
    records: int,
    text: np.ndarray,
    table: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Adds the records of another worker's outbox (`records` batch rows, their key text in `text`) to this
    table, which must have room for them as new groups (Tally.absorb grows it first)."""
    mask = table.shape[0] // ROW - 1
    none = np.empty((1, 0), np.int64)
    no_text = np.empty((1, 0), np.uint8)
    used = np.zeros((1, OUTBOX_USED), np.int64)
    slots = _address(table)
    for i in range(min(records, BATCH)):
        _prefetch_row(slots, (rows[i * B_ROW + B_K1] & mask) * ROW)
    for first in range(0, records, BATCH):
        last = min(records, first + BATCH)
        for i in range(last, min(records, last + BATCH)):  # the next batch's rows, while this one is added
            _prefetch_row(slots, (rows[i * B_ROW + B_K1] & mask) * ROW)
        batch = rows[first * B_ROW : last * B_ROW]
        _add_batch(batch, last - first, text, table, keys, offsets, arena, counts, 1, 0, none, no_text, used)


def scratch(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`scan`'s scratch arrays for layouts up to `width` tokens: token starts and ends, the numbers of a
    record and whether each is there, and the batch."""
    room = max(MAX_TOKENS, width) + 1
    return (
        np.empty(room, np.int64),
        np.empty(room, np.int64),
        np.zeros(FIELD_COUNT, np.int64),
        np.zeros(FIELD_COUNT, np.uint8),
        np.empty(BATCH * B_ROW, np.int64),
    )


@_inlined
def _key(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    layouts: np.ndarray,
    cols: int,
    numbers: np.ndarray,
    present: np.ndarray,
    regular: bool,
    size: int,
    seeds: np.ndarray,
    batch: np.ndarray,
    record: int,
) -> None:
    """The record's group key into its batch row: both hashes, the key numbers, the text fields' places.

    The hashes are of the key as it is written, "<account> <eni> <srcaddr> <dstaddr>", "<action>
    <log-status>" and the three numbers, so a line split on single spaces whose layout has those fields
    side by side (layouts[cols + SPANS]) hashes two spans of itself; any other line gets the same hashes, slower.
    """
    # the ephemeral port (the higher one, or the source on a tie) becomes 0
    source, destination = numbers[SRCPORT], numbers[DSTPORT]
    if present[SRCPORT] and present[DSTPORT]:
        if source >= destination:
            source = 0
        else:
            destination = 0
    nulls = 0
    if not present[SRCPORT]:
        nulls |= 1
        source = 0
    if not present[DSTPORT]:
        nulls |= 2
        destination = 0
    protocol = numbers[PROTOCOL]
    if not present[PROTOCOL]:
        nulls |= 4
        protocol = 0
    spans = regular and layouts[cols + SPANS] != 0
    h1, h2 = np.uint64(seeds[0]), np.uint64(seeds[1])
    h1, h2 = _hash_fields(buf, starts, ends, layouts, cols, ACCOUNT, ACTION, spans, size, h1, h2)
    h1, h2 = _hash_fields(buf, starts, ends, layouts, cols, ACTION, SRCPORT, spans, size, h1, h2)
    for f in range(ACCOUNT, SRCPORT):
        t = layouts[cols + f]
        batch[record + B_TOKENS + 2 * f] = starts[t] if t >= 0 else -1
        batch[record + B_TOKENS + 2 * f + 1] = ends[t] if t >= 0 else -1
    if 0 <= source < 1 << 20 and 0 <= destination < 1 << 20 and 0 <= protocol < 1 << 16:
        word = np.uint64(source | (destination << 20) | (protocol << 40) | (nulls << 56) | (1 << 60))
        h1 = _mix(h1, word, _M1)
        h2 = _mix(h2, word, _M2)
    else:
        for number in (source, destination, protocol, nulls):
            h1 = _mix(h1, np.uint64(number), _M1)
            h2 = _mix(h2, np.uint64(number), _M2)
    batch[record + B_K1] = np.int64(_final(h1))
    batch[record + B_K2] = np.int64(_final(h2))
    batch[record + B_SRCPORT] = source
    batch[record + B_DSTPORT] = destination
    batch[record + B_PROTOCOL] = protocol
    batch[record + B_NULLS] = nulls


@_inlined
def _row_of(table: np.ndarray, mask: int, k1: int, k2: int) -> int:
    """The table row of the group with hashes (k1, k2), or the empty row where it belongs."""
    slot = k1 & mask
    while table[slot * ROW + GROUP] != 0:
        if table[slot * ROW + H1] == k1 and table[slot * ROW + H2] == k2:
            break
        slot = (slot + 1) & mask
    return slot * ROW


@_compiled
def _add_batch(
    batch_array: np.ndarray,
    waiting: int,
    buf: np.ndarray,
    table: np.ndarray,
    keys_array: np.ndarray,
    offsets: np.ndarray,
    arena_array: np.ndarray,
    counts_array: np.ndarray,
    shards: int,
    owner: int,
    outbox: np.ndarray,
    outbox_text: np.ndarray,
    outbox_used: np.ndarray,
) -> None:
    """Adds the waiting records' sums to their groups, creating the groups not seen before: a new group's
    key numbers go to `keys`, its text to the arena, "<account> <eni> <srcaddr> <dstaddr>" then, from
    KEY_MID on, "<action> <log-status>". With `shards` > 1 the records of other shards' groups go to
    their outboxes instead (see `scan`). Works on pointers (see `_address`): the helpers it inlines would
    count references to arrays, a few atomic operations a record."""
    mask = table.shape[0] // ROW - 1
    batch, source, slots = _address(batch_array), _address(buf), _address(table)
    keys, ends, arena, counts = (
        _address(keys_array), _address(offsets), _address(arena_array), _address(counts_array)
    )  # fmt: skip
    boxes, box_text, used = _address(outbox), _address(outbox_text), _address(outbox_used)
    row_width, text_width = outbox.shape[1], outbox_text.shape[1]
    for i in range(waiting):
        record = i * B_ROW
        if shards > 1:
            shard = _shard(batch[record + B_K1], shards)
            if shard != owner:
                _post(batch, record, source, boxes, row_width, box_text, text_width, used, shard)
                continue
        row = _row_of(slots, mask, batch[record + B_K1], batch[record + B_K2])
        if slots[row + GROUP] == 0:
            group = counts[GROUPS]
            counts[GROUPS] = group + 1
            slots[row + H1] = batch[record + B_K1]
            slots[row + H2] = batch[record + B_K2]
            slots[row + GROUP] = group + 1
            key = group * KEY_ROW  # keys is C-ordered: KEY_ROW int64 a group
            keys[key + KEY_SRCPORT] = batch[record + B_SRCPORT]
            keys[key + KEY_DSTPORT] = batch[record + B_DSTPORT]
            keys[key + KEY_PROTOCOL] = batch[record + B_PROTOCOL]
            keys[key + KEY_NULLS] = batch[record + B_NULLS]
            at = counts[ARENA_USED]
            for f in range(ACCOUNT, SRCPORT):
                if f == ACTION:
                    keys[key + KEY_MID] = at
                elif f != ACCOUNT:
                    arena[at] = SPACE
                    at += 1
                s = batch[record + B_TOKENS + 2 * f]
                if s < 0:
                    for k in range(_absent_length(f)):
                        arena[at] = _absent_byte(f, k)
                        at += 1
                else:
                    at = _copy(arena, at, source, s, batch[record + B_TOKENS + 2 * f + 1])
            ends[group + 1] = at
            counts[ARENA_USED] = at
        if batch[record + B_HAS_PACKETS]:
            slots[row + SUM_PACKETS] += batch[record + B_PACKETS]
            slots[row + GROUP] |= HAS_PACKETS
        if batch[record + B_HAS_BYTES]:
            slots[row + SUM_BYTES] += batch[record + B_BYTES]
            slots[row + GROUP] |= HAS_BYTES


@_compiled
def rehash(table: np.ndarray, bigger: np.ndarray) -> None:
    """Moves every row of the flat `table` into the empty flat `bigger` (a power of two of rows)."""
    mask = bigger.shape[0] // ROW - 1
    for row in range(0, table.shape[0], ROW):
        if table[row + GROUP] != 0:
            target = _row_of(bigger, mask, table[row + H1], table[row + H2])  # an empty row: keys are unique
            for column in range(ROW):
                bigger[target + column] = table[row + column]


@_inlined
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


@_inlined
def _write_optional(out: np.ndarray, at: int, value: int, present: bool) -> int:
    if not present:
        out[at] = NO_VALUE
        return at + 1
    return _write_int(out, at, value)


@_compiled
def bounds_text(counts: np.ndarray) -> np.ndarray:
    """ " <first> <last> ": the digest's bounds, the same on every line, written once."""
    bounds = np.empty(2 * 21 + 3, np.uint8)
    bounds[0] = SPACE
    end = _write_optional(bounds, 1, counts[FIRST], counts[HAS_FIRST] != 0)
    bounds[end] = SPACE
    end = _write_optional(bounds, end + 1, counts[LAST], counts[HAS_LAST] != 0)
    bounds[end] = SPACE
    return bounds[: end + 1]


@_inlined
def _render_line(
    out: Any,
    at: int,
    table: Any,
    row: int,
    keys: Any,
    offsets: Any,
    arena: Any,
    group: int,
    bounds: Any,
    bounds_size: int,
) -> int:
    """Writes the group's digest line, without its newline, at out[at:]; returns where it ends. Takes
    pointers (see `_address`; `keys` flat, KEY_ROW a group) and the bounds' length."""
    key = group * KEY_ROW
    out[at] = DIGEST_VERSION
    out[at + 1] = SPACE
    mid = keys[key + KEY_MID]
    at = _copy(out, at + 2, arena, offsets[group], mid)
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
    at = _copy(out, at, bounds, 0, bounds_size)
    return _copy(out, at, arena, mid, offsets[group + 1])  # "<action> <log-status>"


LINE_NUMBERS_ROOM = 8 * 21 + 2  # a line's bytes beyond its key text: its numbers, bounds and spaces, at most


@_compiled
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


@_inlined
def _prefetch_members(
    members: np.ndarray,
    i: int,
    rows: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    table: np.ndarray,
) -> None:
    """Asks early for what the groups members[i + ...] will need. They are a sparse subset of a table's
    groups and most reads miss the cache; each depends on the one before, so in stages: a group's row
    number, text offsets and key numbers first, its table row and text a few groups later."""
    count = members.shape[0]
    if i + 4 * BATCH < count:
        ahead = members[i + 4 * BATCH]
        _prefetch(rows, ahead)
        _prefetch(offsets, ahead)
        _prefetch(keys, ahead * KEY_ROW)
        _prefetch(keys, ahead * KEY_ROW + KEY_ROW - 1)
    if i + 2 * BATCH < count:
        ahead = members[i + 2 * BATCH]
        _prefetch_row(table, rows[ahead])
        _prefetch(arena, offsets[ahead])
        _prefetch(arena, offsets[ahead + 1] - 1)


@_compiled
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
        _address(out),
        _address(table),
        _address(keys),
        _address(offsets),
        _address(arena),
    )
    edges, edges_size = _address(bounds), bounds.shape[0]
    for i in range(count):
        # As _prefetch_members, written out: an inlined call passes its arrays with reference counting,
        # which cost this loop 0.06 s of its 0.21 at 1.5 M groups.
        if i + 4 * BATCH < count:
            ahead = members[i + 4 * BATCH]
            _prefetch(rows, ahead)
            _prefetch(offsets, ahead)
            _prefetch(keys, ahead * KEY_ROW)
            _prefetch(keys, ahead * KEY_ROW + KEY_ROW - 1)
        if i + 2 * BATCH < count:
            ahead = members[i + 2 * BATCH]
            _prefetch_row(slots, rows[ahead])
            _prefetch(arena, offsets[ahead])
            _prefetch(arena, offsets[ahead + 1] - 1)
        group = members[i]
        starts[line + i] = at
        at = _render_line(target, at, slots, rows[group], line_keys, ends, text, group, edges, edges_size)
    return at


@_compiled
def fill(
    data: np.ndarray, starts: np.ndarray, order: np.ndarray, first: int, out: np.ndarray
) -> tuple[int, int]:
    """Copies lines order[first], order[first + 1]... of data into `out`, each with a newline, while they
    fit (at least one: `out` must hold the longest line): (the next line to copy, the bytes used)."""
    at = 0
    line = first
    target, source = _address(out), _address(data)
    while line < order.shape[0]:
        if line + BATCH < order.shape[0]:  # lines are read in sorted order, at random: ask early
            _prefetch(data, starts[order[line + BATCH]])
        s, e = starts[order[line]], starts[order[line] + 1]
        if at + e - s + 1 > out.shape[0] and line > first:
            break
        at = _copy(target, at, source, s, e)
        target[at] = NEWLINE
        at += 1
        line += 1
    return line, at


@intrinsic
def _byte_swap_intrinsic(typingctx, word):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """The uint64 with its bytes in the other order: a little-endian load read big-endian, so the integer
    order of words is the byte order of the text they hold."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i64 = ir.IntType(64)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64]), "llvm.bswap.i64"
        )
        return builder.call(function, [args[0]])

    return types.uint64(types.uint64), codegen


_byte_swap = cast(Callable[[np.uint64], np.uint64], _byte_swap_intrinsic)
SMALL_SORT = 16  # runs of lines this short are sorted by comparing them whole


@_inlined
def _word_at(data: Any, size: int, s: int, e: int, depth: int) -> np.uint64:
    """Bytes depth..depth+7 of the line data[s:e], big-endian, the bytes past its end as zeros; `data`
    points to `size` bytes (see `_address`)."""
    at = s + depth
    if at >= e:
        return np.uint64(0)
    if at + 8 <= size:
        word = _load_word(data, at)
        if at + 8 > e:
            word &= (np.uint64(1) << np.uint64(8 * (e - at))) - np.uint64(1)
        return _byte_swap(word)
    word = np.uint64(0)
    for p in range(at, at + 8):
        word = (word << np.uint64(8)) | np.uint64(data[p] if p < e else 0)
    return word


@_inlined
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


@_compiled  # called, not inlined: numba takes seconds to compile each inlined copy
def _insertion_sort(
    data: np.ndarray, starts: np.ndarray, order: np.ndarray, lo: int, hi: int, depth: int
) -> None:
    text, size, line_at = _address(data), data.shape[0], _address(starts)  # pointers: see _address
    for i in range(lo + 1, hi):
        line = order[i]
        j = i
        while j > lo and _line_less(text, size, line_at, line, order[j - 1], depth):
            order[j] = order[j - 1]
            j -= 1
        order[j] = line


@_compiled
def sort_lines(data: np.ndarray, starts: np.ndarray, order: np.ndarray, depth: int) -> None:
    """Sorts `order`, numbers of the lines data[starts[i]:starts[i + 1]], so that the lines are in bytewise
    order (a line before those it is a prefix of); all of them agree on their first `depth` bytes.

    Eight bytes at a time (a most-significant-digit radix sort with 8-byte digits): the lines are ordered
    by one big-endian word, and only runs that tie on it go on to the next word. Digest lines share long
    prefixes (the account, the interface), which compare in one step where a byte-wise sort would go through
    them for every comparison. No two lines are equal (their groups differ)."""
    count = order.shape[0]
    text, size, line_at = _address(data), data.shape[0], _address(starts)  # pointers: see _address
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
                _prefetch(text, line_at[order[i + BATCH]] + depth)
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


@_inlined
def _all_equal(words: np.ndarray, lo: int, hi: int) -> bool:
    for i in range(lo + 1, hi):  # noqa: SIM110  # a loop numba compiles; all() of a generator it does not
        if words[i] != words[lo]:
            return False
    return True


@_compiled
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


@_compiled
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


@_compiled
def merge(
    table: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    counts: np.ndarray,
    other_table: np.ndarray,
    other_keys: np.ndarray,
    other_offsets: np.ndarray,
    other_arena: np.ndarray,
    first_row: int,
) -> int:
    """Adds the groups of the other table, from its row `first_row` on, to this one.

    Returns -1 when done, or the other table's row where it stopped because this table or its arena needs
    to grow first (as `scan` does, nothing of that row was added)."""
    mask = table.shape[0] // ROW - 1
    ahead = BATCH * ROW
    for other_row in range(first_row, other_table.shape[0], ROW):
        if other_row + ahead < other_table.shape[0]:  # this table's rows are read at random: ask early
            _prefetch_row(table, (other_table[other_row + ahead + H1] & mask) * ROW)
        other_group = (other_table[other_row + GROUP] & GROUP_BITS) - 1
        if other_group < 0:
            continue
        k1, k2 = other_table[other_row + H1], other_table[other_row + H2]
        slot = k1 & mask
        while True:
            row = slot * ROW
            if table[row + GROUP] == 0:
                group = counts[GROUPS]
                begin, end = other_offsets[other_group], other_offsets[other_group + 1]
                at = counts[ARENA_USED]
                if (
                    2 * (group + 1) > mask + 1
                    or group + 1 >= keys.shape[0]
                    or at + end - begin > arena.shape[0]
                ):
                    return other_row
                counts[GROUPS] = group + 1
                table[row + H1] = k1
                table[row + H2] = k2
                table[row + GROUP] = group + 1
                for column in range(KEY_ROW):
                    keys[group, column] = other_keys[other_group, column]
                keys[group, KEY_MID] = at + other_keys[other_group, KEY_MID] - begin
                at = _copy(arena, at, other_arena, begin, end)
                offsets[group + 1] = at
                counts[ARENA_USED] = at
                break
            if table[row + H1] == k1 and table[row + H2] == k2:
                break
            slot = (slot + 1) & mask
        table[row + SUM_PACKETS] += other_table[other_row + SUM_PACKETS]
        table[row + SUM_BYTES] += other_table[other_row + SUM_BYTES]
        table[row + GROUP] |= other_table[other_row + GROUP] & (HAS_PACKETS | HAS_BYTES)
    return -1


@_compiled
def group_rows(table: np.ndarray, groups: int) -> np.ndarray:
    """Where each group's row is in the flat `table`, by group number."""
    rows = np.empty(groups, np.int64)
    for row in range(0, table.shape[0], ROW):
        if table[row + GROUP] != 0:
            rows[(table[row + GROUP] & GROUP_BITS) - 1] = row
    return rows


# --- partitions: the groups split by their lines' leading bytes, so that sorted partitions concatenate ---
# A group's line begins "2 <account> <eni> <srcaddr> <dstaddr> ", and its key text in the arena holds the
# same from <account> on, up to the space before <action>: its *head*. Heads are compared past their common
# prefix, by the next eight bytes as a big-endian word; a line before another has a word no greater, so
# ranges of words are ranges of lines.


@_compiled
def common_head(
    keys: np.ndarray, offsets: np.ndarray, arena: np.ndarray, groups: int, head: np.ndarray, length: int
) -> int:
    """How many leading bytes, at most `length`, every group's head shares with `head`."""
    for group in range(groups):
        s = offsets[group]
        length = min(length, keys[group, KEY_MID] - s)
        for i in range(length):
            if arena[s + i] != head[i]:
                length = i
                break
    return length


@_inlined
def _head_word(keys: Any, offsets: Any, arena: Any, group: int, depth: int) -> np.uint64:
    """The group's head bytes depth..depth+7 as a big-endian word (see `_word_at`): the head is followed
    by a space in the line, then by bytes that are not compared here (zeros). Takes pointers (see
    `_address`; `keys` flat, KEY_ROW a group)."""
    s, e = offsets[group], keys[group * KEY_ROW + KEY_MID]
    word = np.uint64(0)
    for p in range(s + depth, s + depth + 8):
        byte = arena[p] if p < e else SPACE if p == e else 0
        word = (word << np.uint64(8)) | np.uint64(byte)
    return word


@_compiled
def head_words(
    keys: np.ndarray, offsets: np.ndarray, arena: np.ndarray, groups: int, depth: int, step: int
) -> np.ndarray:
    """The head words (`_head_word`) of groups 0, step, 2 * step..."""
    words = np.empty((groups + step - 1) // step, np.uint64)
    for i in range(words.shape[0]):
        words[i] = _head_word(_address(keys), _address(offsets), _address(arena), i * step, depth)
    return words


@_compiled
def partition_groups(
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    groups: int,
    depth: int,
    splitters: np.ndarray,
    moved: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups by partition: partition p (head words from splitters[p - 1] on, below splitters[p]) has
    the groups members[bounds[p]:bounds[p + 1]], in group order, with key_bytes[p] bytes of key text.
    Groups numbered below len(moved) whose `moved` flag is set are left out (another table holds them)."""
    partitions = splitters.shape[0] + 1
    line_keys, ends, text = _address(keys), _address(offsets), _address(arena)  # pointers: see _address
    partition_of = np.empty(groups, np.int32)
    bounds = np.zeros(partitions + 1, np.int64)
    key_bytes = np.zeros(partitions, np.int64)
    for group in range(groups):
        if group < moved.shape[0] and moved[group]:
            partition_of[group] = -1
            continue
        word = _head_word(line_keys, ends, text, group, depth)
        low, high = 0, splitters.shape[0]  # the first splitter above the word
        while low < high:
            middle = (low + high) // 2
            if splitters[middle] <= word:
                low = middle + 1
            else:
                high = middle
        partition_of[group] = low
        bounds[low + 1] += 1
        key_bytes[low] += offsets[group + 1] - offsets[group]
    for partition in range(partitions):
        bounds[partition + 1] += bounds[partition]
    members = np.empty(bounds[partitions], np.int64)
    placed = bounds[:-1].copy()
    for group in range(groups):
        if partition_of[group] < 0:
            continue
        members[placed[partition_of[group]]] = group
        placed[partition_of[group]] += 1
    return members, bounds, key_bytes


@_compiled
def foreign_groups(
    table: np.ndarray, offsets: np.ndarray, below: int, shards: int, owner: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups numbered below `below` that belong to other shards than `owner` (see `_shard`), by shard:
    shard s's are members[bounds[s]:bounds[s + 1]], with key_bytes[s] bytes of key text."""
    found = np.empty(below, np.int64)
    shard_of = np.empty(below, np.int64)
    bounds = np.zeros(shards + 1, np.int64)
    key_bytes = np.zeros(shards, np.int64)
    count = 0
    for row in range(0, table.shape[0], ROW):
        group = (table[row + GROUP] & GROUP_BITS) - 1
        if group < 0 or group >= below:
            continue
        shard = _shard(table[row + H1], shards)
        if shard != owner:
            found[count], shard_of[count] = group, shard
            count += 1
            bounds[shard + 1] += 1
            key_bytes[shard] += offsets[group + 1] - offsets[group]
    for shard in range(shards):
        bounds[shard + 1] += bounds[shard]
    members = np.empty(count, np.int64)
    placed = bounds[:-1].copy()
    for i in range(count):
        members[placed[shard_of[i]]] = found[i]
        placed[shard_of[i]] += 1
    return members, bounds, key_bytes


@_compiled
def gather(
    table: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    arena: np.ndarray,
    counts: np.ndarray,
    other_table: np.ndarray,
    other_rows: np.ndarray,
    other_keys: np.ndarray,
    other_offsets: np.ndarray,
    other_arena: np.ndarray,
    members: np.ndarray,
) -> None:
    """Adds the other table's groups numbered in `members` to this table, which must have the room (as
    `merge` does, for some of the groups: this table is sized for them, so it never grows)."""
    mask = table.shape[0] // ROW - 1
    count = members.shape[0]
    for i in range(count):
        # and this table's row, which depends on the other's
        _prefetch_members(members, i, other_rows, other_keys, other_offsets, other_arena, other_table)
        if i + BATCH // 2 < count:
            ahead_row = other_rows[members[i + BATCH // 2]]
            _prefetch_row(table, (other_table[ahead_row + H1] & mask) * ROW)
        other_group = members[i]
        other_row = other_rows[other_group]
        row = _row_of(table, mask, other_table[other_row + H1], other_table[other_row + H2])
        if table[row + GROUP] == 0:
            group = counts[GROUPS]
            counts[GROUPS] = group + 1
            table[row + H1] = other_table[other_row + H1]
            table[row + H2] = other_table[other_row + H2]
            table[row + GROUP] = group + 1
            begin, end = other_offsets[other_group], other_offsets[other_group + 1]
            at = counts[ARENA_USED]
            for column in range(KEY_ROW):
                keys[group, column] = other_keys[other_group, column]
            keys[group, KEY_MID] = at + other_keys[other_group, KEY_MID] - begin
            at = _copy(arena, at, other_arena, begin, end)
            offsets[group + 1] = at
            counts[ARENA_USED] = at
        table[row + SUM_PACKETS] += other_table[other_row + SUM_PACKETS]
        table[row + SUM_BYTES] += other_table[other_row + SUM_BYTES]
        table[row + GROUP] |= other_table[other_row + GROUP] & (HAS_PACKETS | HAS_BYTES)


@_compiled
def merge_counts(counts: np.ndarray, other_counts: np.ndarray) -> None:
    """Adds the other tally's record counts and bounds to these."""
    for slot in range(RECORDS, UNKNOWN_STATUS + 1):
        counts[slot] += other_counts[slot]
    for value, has, lower in ((FIRST, HAS_FIRST, True), (LAST, HAS_LAST, False)):
        if other_counts[has] == 0:
            continue
        if counts[has] == 0 or (other_counts[value] < counts[value]) == lower:
            counts[value] = other_counts[value]
            counts[has] = 1
