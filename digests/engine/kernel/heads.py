"""Partitions: a table's groups split by their lines' leading bytes (their heads), so that the sorted
partitions, written one after another, are the sorted digest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from digests.engine.kernel.compiling import address, compiled, inlined
from digests.engine.kernel.constants import KEY_MID, KEY_ROW, SPACE

# A group's line begins "2 <account> <eni> <srcaddr> <dstaddr> ", and its key text in the arena holds the
# same from <account> on, up to the space before <action>: its *head*. Heads are compared past their common
# prefix, by the next eight bytes as a big-endian word; a line before another has a word no greater, so
# ranges of words are ranges of lines.


@compiled
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


@inlined
def _head_word(keys: Any, offsets: Any, arena: Any, group: int, depth: int) -> np.uint64:
    """The group's head bytes depth..depth+7 as a big-endian word (see sort.py's `_word_at`): the head is followed
    by a space in the line, then by bytes that are not compared here (zeros). Takes pointers (see
    `address`; `keys` flat, KEY_ROW a group)."""
    s, e = offsets[group], keys[group * KEY_ROW + KEY_MID]
    word = np.uint64(0)
    for p in range(s + depth, s + depth + 8):
        byte = arena[p] if p < e else SPACE if p == e else 0
        word = (word << np.uint64(8)) | np.uint64(byte)
    return word


@compiled
def head_words(
    keys: np.ndarray, offsets: np.ndarray, arena: np.ndarray, groups: int, depth: int, step: int
) -> np.ndarray:
    """The head words (`_head_word`) of groups 0, step, 2 * step..."""
    words = np.empty((groups + step - 1) // step, np.uint64)
    for i in range(words.shape[0]):
        words[i] = _head_word(address(keys), address(offsets), address(arena), i * step, depth)
    return words


@compiled
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
    line_keys, ends, text = address(keys), address(offsets), address(arena)  # pointers: see address
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
