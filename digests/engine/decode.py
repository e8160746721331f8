"""Decoding a fetched flow-log object into pieces of whole lines for the scan: gzip text (ISA-L, a block
at a time), plain text, or Parquet (digests/engine/parquet.py), told apart by their magic bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import cast

from isal import igzip, isal_zlib

from digests.engine.objects import FlowLogReadError
from digests.engine.parquet import PARQUET_MAGIC, parquet_pieces
from digests.engine.pieces import Lines, Piece

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def object_pieces(number: int, key: str, data: bytes, block_bytes: int) -> Iterator[Piece]:
    """The object numbered `number` as pieces of whole lines (or Parquet batches), `block_bytes` of text at
    a time; raises FlowLogReadError for a gzip object that cannot be decoded."""
    if data[:4] == PARQUET_MAGIC:
        yield from parquet_pieces(number, key, data)
    elif data[:2] == GZIP_MAGIC:
        yield from _line_pieces(number, _gunzip(key, data, block_bytes))
    else:
        yield from _line_pieces(
            number, (data[at : at + block_bytes] for at in range(0, len(data), block_bytes))
        )


# isal's stubs type its error class as an instance
_GZIP_ERRORS = (OSError, EOFError, ValueError, cast("type[Exception]", isal_zlib.error))


def _gunzip(key: str, data: bytes, block_bytes: int) -> Iterator[bytes]:
    reader = igzip.GzipFile(fileobj=io.BytesIO(data))
    while True:
        try:
            block = reader.read(block_bytes)
        except _GZIP_ERRORS as error:
            raise FlowLogReadError(key, f"corrupt or truncated gzip: {error}") from error
        if not block:
            return
        yield block


def _line_pieces(number: int, blocks: Iterator[bytes]) -> Iterator[Lines]:
    """The blocks' whole lines, in place; only a line cut by a block's end is copied.

    A UTF-8 byte order mark that opens the object is dropped (editors on Windows write one), so its header
    is still a header; anywhere else it is an ordinary (non-ASCII) token byte sequence."""
    pending: list[bytes] = []  # the start of a line still waiting for its newline
    first = True
    for block in blocks:
        begin = 0
        if first and block:
            first = False
            begin = len(UTF8_BOM) if block.startswith(UTF8_BOM) else 0
        if pending:
            begin = block.find(b"\n") + 1
            if begin == 0:
                pending.append(block)
                continue
            joined = b"".join([*pending, block[:begin]])
            pending = []
            yield Lines(number, joined, 0, len(joined))
        cut = block.rfind(b"\n") + 1
        if cut > begin:
            yield Lines(number, block, begin, cut)
        if max(cut, begin) < len(block):
            pending.append(block[max(cut, begin) :])
    if pending:
        tail = b"".join([*pending, b"\n"])
        yield Lines(number, tail, 0, len(tail))
