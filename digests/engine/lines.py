"""Digest lines, rendered back to back, written sorted (the end of a digest, and of a tally alone)."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from digests.engine import kernel

WRITE_BYTES = 4 << 20  # digest text written at a time


def write_lines(data: np.ndarray, starts: np.ndarray, out: BinaryIO, common: int = 0) -> int:
    """Writes the lines data[starts[i]:starts[i + 1]] (without newlines, all known to share their first
    `common` bytes) to `out`, sorted bytewise, each ending in a newline; returns how many."""
    count = starts.shape[0] - 1
    if count <= 0:
        return 0
    order = np.arange(count)
    kernel.sort_lines(data, starts, order, common)
    longest = int(np.diff(starts).max()) + 1
    chunk = np.empty(max(WRITE_BYTES, longest), np.uint8)
    line = 0
    while line < count:
        line, used = kernel.fill(data, starts, order, line, chunk)
        out.write(chunk[:used].data)
    return count


def lines_sorted(data: np.ndarray, starts: np.ndarray, common: int = 0) -> np.ndarray:
    """The lines data[starts[i]:starts[i + 1]] (as for `write_lines`) sorted, each ending in a newline, in
    one array: for text that is kept whole anyway (a partition waiting for its turn to be written)."""
    count = starts.shape[0] - 1
    if count <= 0:
        return np.empty(0, np.uint8)
    order = np.arange(count)
    kernel.sort_lines(data, starts, order, common)
    text = np.empty(int(starts[count] - starts[0]) + count, np.uint8)
    kernel.fill(data, starts, order, 0, text)
    return text
