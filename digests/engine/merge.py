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

The pieces are streamed: each is read (and gunzipped) a block at a time into its own region of one array,
refilled when the merge has used its lines. Memory is a block a piece and its gzip reader's buffers (about
1.7 MB a piece: 41 MB for 24 hours of 460 k lines, bench/merge_bench.py), and a block of output, however
long the pieces; every region doubles while one must hold a line longer than a block.

This module imports nothing of Django; the digest job calls it in the worker.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np
from isal import igzip
from isal.igzip_lib import IsalError

from digests.engine import merge_sorted as m
from digests.engine.objects import DigestMergeError

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 1 << 20  # each piece's text held at a time (2 or 4 MB: no faster, more memory)
WRITE_BYTES = 4 << 20  # digest text written at a time
GROUP_BYTES = 4 << 10  # a head and its tails (grown for longer ones)
# A corrupt or truncated gzip: isal's own error for bad deflate data (its stub calls it an instance).
UNREADABLE = (OSError, EOFError, cast(type[Exception], IsalError))


def digests_merge(pieces: Sequence[Path], out: BinaryIO, *, block: int = BLOCK_BYTES) -> int:
    """Merges the digest texts at `pieces` (plain or gzip, each sorted as digests are) and writes the
    sorted lines to `out`; returns how many lines it wrote. Raises DigestMergeError for a piece that is
    not a digest (or not a readable gzip).

    The pieces are merged like sorted files (digests.engine.merge_sorted): no table of groups, one pass
    over their lines, `block` bytes of each piece's text held at a time."""
    if not pieces:
        return 0
    with ExitStack() as stack:
        texts = _Texts(pieces, block, stack)
        return _merged(texts, out)


def _merged(texts: _Texts, out: BinaryIO) -> int:
    state = np.zeros(m.STATE, np.int64)
    heap = np.zeros(len(texts.names), np.int64)
    texts.check(m.heap_build(texts.data, texts.cursors, heap, state))
    state[m.FIRST : m.HAS_LAST + 1] = _bounds(texts)
    group, tails = np.empty(GROUP_BYTES, np.uint8), np.zeros((m.MAX_TAILS, m.TAIL_ROW), np.int64)
    block = np.empty(WRITE_BYTES, np.uint8)
    while True:
        status, used, bad = m.merge_into(texts.data, texts.cursors, heap, state, group, tails, block)
        texts.check(bad)
        out.write(block[:used].data)
        if status == m.DONE:
            return int(state[m.LINES])
        if status == m.REFILL:
            texts.fill(int(heap[0]))
            texts.check(m.piece_refilled(texts.data, texts.cursors, heap, state))
        elif status == m.FULL and used == 0:  # a group longer than the block
            block = np.empty(max(2 * block.shape[0], int(state[m.NEEDED])), np.uint8)
        elif status == m.GROUP_FULL:
            more = max(group.shape[0], int(state[m.NEEDED]) - group.shape[0])
            group = np.concatenate((group, np.empty(more, np.uint8)))


class _Texts:
    """The pieces' text, a block of each at a time: piece i's region of `data` is [i * size, (i + 1) *
    size). Its cursor's LINE and PIECE_END bound the whole lines the merge has yet to use; `filled[i]` is
    where the text read ends (past PIECE_END: the beginning of a line, kept for the next fill)."""

    def __init__(self, pieces: Sequence[Path], size: int, stack: ExitStack) -> None:
        self.names = [path.name for path in pieces]
        self.readers = [stack.enter_context(_opened(path)) for path in pieces]
        self.size = size
        self.data = np.empty(len(pieces) * size, np.uint8)  # a page is only held once text is read into it
        self.filled = np.arange(len(pieces), dtype=np.int64) * size
        self.cursors = np.zeros((len(pieces), m.CURSOR), np.int64)
        self.cursors[:, m.LINE] = self.filled
        for piece in range(len(pieces)):
            self.fill(piece)

    def fill(self, piece: int) -> None:
        """Moves the piece's unused text to the start of its region and reads on until the region is full
        or the piece ends, growing the regions while the region holds no whole line."""
        cursor = self.cursors[piece]
        rest = self.data[cursor[m.LINE] : self.filled[piece]].copy()  # a line begun: a few bytes
        base = piece * self.size
        self.data[base : base + rest.shape[0]] = rest
        self.filled[piece] = base + rest.shape[0]
        while True:
            ended = self._read(piece)
            base = piece * self.size
            last = m.last_newline(self.data, base, self.filled[piece])
            if last >= 0 or ended:
                break
            self._grow()
        end = last + 1 if last >= 0 else base
        if ended and end < self.filled[piece]:
            raise DigestMergeError(f"{self.names[piece]}: not a digest (its last line has no end)")
        cursor[m.LINE], cursor[m.PIECE_END], cursor[m.ENDED] = base, end, ended

    def _read(self, piece: int) -> bool:
        """Reads the piece into its region until it is full; whether the piece ended."""
        view, limit = self.data.data, (piece + 1) * self.size
        try:
            while self.filled[piece] < limit:
                count = self.readers[piece].readinto(view[self.filled[piece] : limit])
                if not count:
                    return True
                self.filled[piece] += count
        except UNREADABLE as error:
            raise DigestMergeError(f"{self.names[piece]}: not a digest ({error})") from error
        return False

    def _grow(self) -> None:
        """Doubles every region (a line longer than a region): each one's text moves to its new place."""
        data = np.empty(2 * self.data.shape[0], np.uint8)
        for piece in range(len(self.names)):
            start, shift = piece * self.size, piece * self.size  # new start - old start
            data[start + shift : self.filled[piece] + shift] = self.data[start : self.filled[piece]]
            self.cursors[piece, : m.PIECE_END + 1] += shift
            self.filled[piece] += shift
        self.data, self.size = data, 2 * self.size

    def check(self, bad: int) -> None:
        """Raises DigestMergeError naming the piece of the line at `bad`, unless it is -1."""
        if bad < 0:
            return
        line = bytes(self.data[bad : bad + 120]).split(b"\n")[0].decode("utf-8", "replace")
        raise DigestMergeError(f"{self.names[bad // self.size]}: not a digest line: {line!r}")


def _opened(path: Path) -> io.BufferedIOBase:
    """The piece's text: gunzipped when it is a gzip."""
    with path.open("rb") as file:
        gzip = file.read(2) == GZIP_MAGIC
    return igzip.open(path, "rb") if gzip else path.open("rb")


def _bounds(texts: _Texts) -> list[int]:
    """(first, has first, last, has last) of the window, from each piece's first line: a piece writes
    its bounds on every line."""
    starts, lasts = [], []
    for cursor, name in zip(texts.cursors, texts.names, strict=True):
        if cursor[m.LINE] >= cursor[m.PIECE_END]:
            continue  # an empty piece
        line = bytes(texts.data[cursor[m.LINE] : cursor[m.END]])
        fields = line.split(b" ")
        try:
            if len(fields) != m.FIELDS:
                raise ValueError("not 14 fields")
            starts += [int(fields[10])] if fields[10] != b"-" else []
            lasts += [int(fields[11])] if fields[11] != b"-" else []
        except ValueError as error:
            raise DigestMergeError(f"{name}: not a digest line: {line[:120]!r}") from error
    return [min(starts, default=0), bool(starts), max(lasts, default=0), bool(lasts)]
