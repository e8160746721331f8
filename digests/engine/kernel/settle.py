"""The end of a scan with several tables: one table's groups added to another (`merge`), the groups a
table holds for other shards (`foreign_groups`) handed over to their owners (`gather`), and the record
counts summed (`merge_counts`).
"""

from __future__ import annotations

import numpy as np

from digests.engine.kernel.compiling import compiled, copy, inlined, prefetch
from digests.engine.kernel.constants import (
    ARENA_USED,
    BATCH,
    FIRST,
    GROUP,
    GROUP_BITS,
    GROUPS,
    H1,
    H2,
    HAS_BYTES,
    HAS_FIRST,
    HAS_LAST,
    HAS_PACKETS,
    KEY_MID,
    KEY_ROW,
    LAST,
    RECORDS,
    ROW,
    SUM_BYTES,
    SUM_PACKETS,
    UNKNOWN_STATUS,
)
from digests.engine.kernel.tables import group_shard, prefetch_row, row_of


@compiled
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
            prefetch_row(table, (other_table[other_row + ahead + H1] & mask) * ROW)
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
                at = copy(arena, at, other_arena, begin, end)
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


@inlined
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
        prefetch(rows, ahead)
        prefetch(offsets, ahead)
        prefetch(keys, ahead * KEY_ROW)
        prefetch(keys, ahead * KEY_ROW + KEY_ROW - 1)
    if i + 2 * BATCH < count:
        ahead = members[i + 2 * BATCH]
        prefetch_row(table, rows[ahead])
        prefetch(arena, offsets[ahead])
        prefetch(arena, offsets[ahead + 1] - 1)


@compiled
def foreign_groups(
    table: np.ndarray, offsets: np.ndarray, below: int, shards: int, owner: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups numbered below `below` that belong to other shards than `owner` (see `group_shard`), by shard:
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
        shard = group_shard(table[row + H1], shards)
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


@compiled
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
            prefetch_row(table, (other_table[ahead_row + H1] & mask) * ROW)
        other_group = members[i]
        other_row = other_rows[other_group]
        row = row_of(table, mask, other_table[other_row + H1], other_table[other_row + H2])
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
            at = copy(arena, at, other_arena, begin, end)
            offsets[group + 1] = at
            counts[ARENA_USED] = at
        table[row + SUM_PACKETS] += other_table[other_row + SUM_PACKETS]
        table[row + SUM_BYTES] += other_table[other_row + SUM_BYTES]
        table[row + GROUP] |= other_table[other_row + GROUP] & (HAS_PACKETS | HAS_BYTES)


@compiled
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
