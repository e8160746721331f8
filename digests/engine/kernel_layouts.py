"""Record layouts as the compiled scan (digests/engine/kernel/) takes them: rows of token positions."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from digests.engine import kernel
from digests.engine.layouts import (
    ACCOUNT,
    ACTION,
    BYTES,
    DEFAULT_TGW,
    DEFAULT_V2,
    DSTADDR,
    DSTPORT,
    END,
    ENI,
    PACKETS,
    PROTOCOL,
    SRCADDR,
    SRCPORT,
    START,
    STATUS,
    RecordLayout,
)

# The kernel's field numbers, by name (kernel.ACCOUNT ... kernel.END).
KERNEL_FIELDS = (
    ACCOUNT,
    ENI,
    SRCADDR,
    DSTADDR,
    ACTION,
    STATUS,
    SRCPORT,
    DSTPORT,
    PROTOCOL,
    PACKETS,
    BYTES,
    START,
    END,
)


@lru_cache(maxsize=256)
def layout_rows(layout: RecordLayout | None) -> tuple[np.ndarray, int]:
    """The kernel's layout rows: the one in force (or none: width 0), then the v2 and Transit Gateway defaults."""
    rows = np.array(
        [*_row(layout), *_row(DEFAULT_V2), *_row(DEFAULT_TGW)], np.int64
    )  # flat, as scan reads it
    rows.setflags(write=False)
    return rows, 0 if layout is None else layout.width


def _row(layout: RecordLayout | None) -> list[int]:
    if layout is None:
        return [-1] * kernel.LAYOUT_COLUMNS
    row = [layout.index.get(name, -1) for name in KERNEL_FIELDS]
    left, right = row[kernel.ACCOUNT : kernel.ACTION], row[kernel.ACTION : kernel.SRCPORT]
    spans = all(_side_by_side(fields) for fields in (left, right))
    return [*row, int(spans)]


def _side_by_side(positions: list[int]) -> bool:
    return positions[0] >= 0 and positions == list(range(positions[0], positions[0] + len(positions)))
