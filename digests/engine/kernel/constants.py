"""The kernel's numbers by name: layout columns, return codes, `counts` slots, table, key and batch rows,
the bytes it reads and writes, and the byte classes its splitting looks up.

numba takes module-level ints and arrays as compile-time constants, so the names cost nothing.
"""

from __future__ import annotations

import numpy as np

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
BYTE_CLASS = np.zeros(256, np.uint8)
BYTE_CLASS[[SPACE, TAB, CR]] = 1
BYTE_CLASS[NEWLINE] = 2
BYTE_CLASS[FIRST_NON_ASCII:] = 3
# Bytes a field name may hold after its first one ([a-z0-9_-]); the first one must be a-z.
NAME_BYTE = np.zeros(256, np.uint8)
NAME_BYTE[LOWER_A : LOWER_Z + 1] = 1
NAME_BYTE[ZERO : NINE + 1] = 1
NAME_BYTE[[UNDERSCORE, MINUS]] = 1
# log-status values, lower-case, for `lower_is`.
STATUS_OK = np.array(list(b"ok"), np.uint8)
STATUS_NODATA = np.array(list(b"nodata"), np.uint8)
STATUS_SKIPDATA = np.array(list(b"skipdata"), np.uint8)


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
