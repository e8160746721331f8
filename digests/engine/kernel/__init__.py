"""The compiled inner loop of the digest engine: flow-log text lines in, per-connection sums out.

`scan` reads whole lines from a byte buffer, classifies each record exactly (see digests/engine/digest.py for
the rules) and adds the kept ones to an open-addressing hash table, all in one pass over the bytes, without
the GIL. It is compiled by numba on first use and cached (where, and why a folder of its own: cache.py).

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

The modules, each with what it holds: cache.py (numba's cache folder), compiling.py (the decorators and
intrinsics), constants.py, fields.py (line splitting, field parsing), hashing.py, scanning.py, tables.py
(batches, outboxes, absorb, rehash), rendering.py, sort.py, settle.py (merging tables), heads.py
(partitions). Callers use the names below: `from digests.engine import kernel; kernel.scan(...)`.
"""

from __future__ import annotations

from digests.engine.kernel.cache import CACHING
from digests.engine.kernel.compiling import load_word
from digests.engine.kernel.constants import (
    ACCOUNT,
    ACTION,
    ARENA_USED,
    B_BYTES,
    B_DSTPORT,
    B_HAS_BYTES,
    B_HAS_PACKETS,
    B_K1,
    B_K2,
    B_NULLS,
    B_PACKETS,
    B_PROTOCOL,
    B_ROW,
    B_SRCPORT,
    B_TOKENS,
    BAD_NUMBER,
    BATCH,
    BYTE_CLASS,
    BYTE_MASK,
    BYTES,
    CASE_BIT,
    COUNTS,
    CR,
    DIGEST_VERSION,
    DONE,
    DSTADDR,
    DSTPORT,
    END,
    ENI,
    FIELD_COUNT,
    FIELD_COUNT_SKIP,
    FIRST,
    FIRST_NON_ASCII,
    GROUP,
    GROUP_BITS,
    GROUPS,
    GROW,
    H1,
    H2,
    HAS_BYTES,
    HAS_FIRST,
    HAS_LAST,
    HAS_PACKETS,
    HEADER,
    IN_WINDOW,
    KEY_DSTPORT,
    KEY_MID,
    KEY_NULLS,
    KEY_PROTOCOL,
    KEY_ROW,
    KEY_SRCPORT,
    LAST,
    LAYOUT_COLUMNS,
    LOWER_A,
    LOWER_Z,
    MAX_TOKENS,
    MILLISECONDS_FROM,
    MINUS,
    NAME_BYTE,
    NEWLINE,
    NINE,
    NO_DATA,
    NO_VALUE,
    NON_ASCII,
    O_NEED,
    O_ROWS,
    O_TEXT,
    OUTBOX,
    OUTBOX_USED,
    OUTSIDE,
    PACKETS,
    PLUS,
    PROTOCOL,
    RECORDS,
    ROW,
    SHARD_SHIFT,
    SPACE,
    SPANS,
    SRCADDR,
    SRCPORT,
    START,
    STATUS,
    STATUS_NODATA,
    STATUS_OK,
    STATUS_SKIPDATA,
    SUM_BYTES,
    SUM_PACKETS,
    TAB,
    UNDERSCORE,
    UNKNOWN_LAYOUT,
    UNKNOWN_STATUS,
    UPPER_K,
    UPPER_O,
    ZERO,
)
from digests.engine.kernel.fields import layout_row, parse_int, parse_number, split, split_clean
from digests.engine.kernel.heads import common_head, head_words, partition_groups
from digests.engine.kernel.rendering import LINE_NUMBERS_ROOM, bounds_text, fill, render, render_groups
from digests.engine.kernel.scanning import scan, scratch
from digests.engine.kernel.settle import foreign_groups, gather, merge, merge_counts
from digests.engine.kernel.sort import sort_lines
from digests.engine.kernel.tables import absorb, group_rows, rehash
