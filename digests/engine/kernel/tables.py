"""The hash table of groups: batches of records added to it (`add_batch`, new groups' keys and text
included), outboxes of the records that belong to another shard (`post`) and their absorption (`absorb`),
growing (`rehash`), and where each group's row is (`group_rows`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import address, compiled, copy_words, inlined, prefetch
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
    BATCH,
    GROUP,
    GROUP_BITS,
    GROUPS,
    H1,
    H2,
    HAS_BYTES,
    HAS_PACKETS,
    KEY_DSTPORT,
    KEY_MID,
    KEY_NULLS,
    KEY_PROTOCOL,
    KEY_ROW,
    KEY_SRCPORT,
    O_NEED,
    O_ROWS,
    O_TEXT,
    OUTBOX_USED,
    ROW,
    SHARD_SHIFT,
    SPACE,
    SRCPORT,
    SUM_BYTES,
    SUM_PACKETS,
)
from digests.engine.kernel.fields import absent_byte, absent_length


@inlined
def prefetch_row(table: np.ndarray, row: int) -> None:
    """Both cache lines a 40-byte row may lie across."""
    prefetch(table, row)
    prefetch(table, row + ROW - 1)


@inlined
def group_shard(k1: int, shards: int) -> int:
    return ((k1 >> SHARD_SHIFT) & 0xFFFFFF) % shards


@inlined
def post(
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
    pointers (see `address`): `outbox` and `outbox_text` to rows of `row_width` and `text_width` a shard,
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
            need += absent_length(f) + 1
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


@compiled
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
    slots = address(table)
    for i in range(min(records, BATCH)):
        prefetch_row(slots, (rows[i * B_ROW + B_K1] & mask) * ROW)
    for first in range(0, records, BATCH):
        last = min(records, first + BATCH)
        for i in range(last, min(records, last + BATCH)):  # the next batch's rows, while this one is added
            prefetch_row(slots, (rows[i * B_ROW + B_K1] & mask) * ROW)
        batch = rows[first * B_ROW : last * B_ROW]
        add_batch(batch, last - first, text, table, keys, offsets, arena, counts, 1, 0, none, no_text, used)


@inlined
def row_of(table: np.ndarray, mask: int, k1: int, k2: int) -> int:
    """The table row of the group with hashes (k1, k2), or the empty row where it belongs."""
    slot = k1 & mask
    while table[slot * ROW + GROUP] != 0:
        if table[slot * ROW + H1] == k1 and table[slot * ROW + H2] == k2:
            break
        slot = (slot + 1) & mask
    return slot * ROW


@compiled
def add_batch(
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
    their outboxes instead (see `scan`). Works on pointers (see `address`): the helpers it inlines would
    count references to arrays, a few atomic operations a record."""
    mask = table.shape[0] // ROW - 1
    batch, source, slots = address(batch_array), address(buf), address(table)
    keys, ends, arena, counts = (
        address(keys_array), address(offsets), address(arena_array), address(counts_array)
    )  # fmt: skip
    boxes, box_text, used = address(outbox), address(outbox_text), address(outbox_used)
    row_width, text_width = outbox.shape[1], outbox_text.shape[1]
    arena_size, source_size = arena_array.shape[0], buf.shape[0]
    for i in range(waiting):
        record = i * B_ROW
        if shards > 1:
            shard = group_shard(batch[record + B_K1], shards)
            if shard != owner:
                post(batch, record, source, boxes, row_width, box_text, text_width, used, shard)
                continue
        row = row_of(slots, mask, batch[record + B_K1], batch[record + B_K2])
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
                    for k in range(absent_length(f)):
                        arena[at] = absent_byte(f, k)
                        at += 1
                else:
                    end = batch[record + B_TOKENS + 2 * f + 1]
                    at = copy_words(arena, at, arena_size, source, s, end, source_size)
            ends[group + 1] = at
            counts[ARENA_USED] = at
        if batch[record + B_HAS_PACKETS]:
            slots[row + SUM_PACKETS] += batch[record + B_PACKETS]
            slots[row + GROUP] |= HAS_PACKETS
        if batch[record + B_HAS_BYTES]:
            slots[row + SUM_BYTES] += batch[record + B_BYTES]
            slots[row + GROUP] |= HAS_BYTES


@compiled
def rehash(table: np.ndarray, bigger: np.ndarray) -> None:
    """Moves every row of the flat `table` into the empty flat `bigger` (a power of two of rows)."""
    mask = bigger.shape[0] // ROW - 1
    for row in range(0, table.shape[0], ROW):
        if table[row + GROUP] != 0:
            target = row_of(bigger, mask, table[row + H1], table[row + H2])  # an empty row: keys are unique
            for column in range(ROW):
                bigger[target + column] = table[row + column]


@compiled
def group_rows(table: np.ndarray, groups: int) -> np.ndarray:
    """Where each group's row is in the flat `table`, by group number."""
    rows = np.empty(groups, np.int64)
    for row in range(0, table.shape[0], ROW):
        if table[row + GROUP] != 0:
            rows[(table[row + GROUP] & GROUP_BITS) - 1] = row
    return rows
