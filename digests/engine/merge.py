"""Digests of adjacent windows merged into the digest of their union, byte for byte what one pass writes.

A window digested hour by hour (digests.partials) is put back together here. Records fall in exactly one
piece (the engine keeps a record by its own start, or its end when it has no start), so the union's groups
are the pieces' groups with equal keys added up:

* the key is every field but packets, bytes, start and end: version, account, interface, addresses, the
  ports as written (the lower kept), protocol, action and log-status, all as the pieces wrote them;
* packets and bytes are summed over the pieces that had a value, `-` when none had;
* start and end are the bounds of all the records, so the smallest start and largest end written by any
  piece (each piece writes its own bounds on every line), `-` when no piece had one;
* the lines are sorted bytewise, as the engine sorts them.

This module imports nothing of Django; the digest job calls it in the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from isal import igzip

from digests.engine import merge_sorted as m
from digests.engine.objects import DigestMergeError

GZIP_MAGIC = b"\x1f\x8b"
WRITE_BYTES = 4 << 20  # digest text written at a time


def digests_merge(pieces: Sequence[Path], out: BinaryIO) -> int:
    """Merges the digest texts at `pieces` (plain or gzip, each sorted as digests are) and writes the
    sorted lines to `out`; returns how many lines it wrote. Raises DigestMergeError for a piece that is
    not a digest.

    The pieces are merged like sorted files (digests.engine.merge_sorted): no table of groups, one pass
    over their lines. Memory is their text, decompressed one at a time into one array sized by their gzip
    trailers, and a block of output."""
    stored = [(path.name, path.read_bytes()) for path in pieces]
    data = np.empty(sum(_text_size(content) for _, content in stored), np.uint8)
    names: list[str] = []
    begins: list[int] = []
    firsts: list[bytes] = []
    at = 0
    while stored:
        name, content = stored.pop(0)
        text = igzip.decompress(content) if content[:2] == GZIP_MAGIC else content
        del content
        if text and not text.endswith(b"\n"):
            raise DigestMergeError(f"{name}: not a digest (its last line has no end)")
        if at + len(text) > data.shape[0]:  # a gzip of several members or over 4 GB: its trailer is short
            data = np.concatenate((data[:at], np.empty(at + len(text) - data.shape[0], np.uint8), data[at:]))
        data[at : at + len(text)] = np.frombuffer(text, np.uint8)
        if text:
            names.append(name)
            begins.append(at)
            firsts.append(text[: text.index(b"\n")])
        at += len(text)
        del text
    if not names:
        return 0
    data = data[:at]
    ends = np.array([*begins[1:], at], np.int64)
    bounds = _bounds(firsts, names)
    cursors = np.zeros((len(names), m.CURSOR), np.int64)
    cursors[:, m.LINE] = begins
    cursors[:, m.PIECE_END] = ends
    heap = np.zeros(len(names), np.int64)
    room = m.MAX_TAILS * (m.longest_line(data) + 4 * 21 + 8)
    meta = np.array([0, room, 0], np.int64)
    _check(m.heap_build(data, cursors, heap, meta), ends, names, data)
    block = np.empty(max(WRITE_BYTES, 2 * room), np.uint8)
    while True:
        status, used, bad = m.merge_into(data, cursors, heap, meta, bounds, block)
        _check(bad, ends, names, data)
        out.write(block[:used].data)
        if status == m.DONE:
            return int(meta[2])


def _text_size(content: bytes) -> int:
    """A piece's text size: a gzip's trailer says it (modulo 4 GB, of its last member)."""
    if content[:2] == GZIP_MAGIC and len(content) >= 18:
        return int.from_bytes(content[-4:], "little")
    return len(content)


def _bounds(firsts: list[bytes], names: list[str]) -> np.ndarray:
    """(first, has first, last, has last) of the window, from each piece's first line: a piece writes
    its bounds on every line."""
    starts, lasts = [], []
    for line, name in zip(firsts, names, strict=True):
        fields = line.split(b" ")
        try:
            if len(fields) != m.FIELDS:
                raise ValueError("not 14 fields")
            starts += [int(fields[10])] if fields[10] != b"-" else []
            lasts += [int(fields[11])] if fields[11] != b"-" else []
        except ValueError as error:
            raise DigestMergeError(f"{name}: not a digest line: {line[:120]!r}") from error
    return np.array([min(starts, default=0), bool(starts), max(lasts, default=0), bool(lasts)], np.int64)


def _check(bad: int, ends: np.ndarray, names: list[str], data: np.ndarray) -> None:
    if bad < 0:
        return
    name = names[int(np.searchsorted(ends, bad, side="right"))]
    line = bytes(data[bad : bad + 120]).split(b"\n")[0].decode("utf-8", "replace")
    raise DigestMergeError(f"{name}: not a digest line: {line!r}")
