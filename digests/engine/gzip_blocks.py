"""A gzip file written from blocks of text compressed apart, in any thread: the digest's finisher threads
compress the partitions they sort (digests/engine/partitions.py), so the stored digest's compression is
spread over every core instead of following the sort in the one thread that writes.

The file is one gzip member (RFC 1952), as the Go digester wrote and as readers that stop after the first
member (zlib's one-shot decompress) need: each block is raw deflate ended by a sync flush (an empty stored
block, byte-aligned, not final), so the blocks of separate compressors join into one deflate stream, as
pigz does; the last block is an empty final one, and the trailer holds the CRC-32 of all the text (the
blocks' CRCs combined) and its length. A block starts with no history, which costs nothing measurable
on blocks of megabytes. ISA-L compresses without the GIL.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from isal import isal_zlib

# ID1 ID2, deflate, no flags, mtime 0 (as the digest was always stored), no extra flags, OS unknown
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
WRITE_BLOCK_BYTES = 4 << 20  # text `write` gathers before it compresses a block


@dataclass(frozen=True)
class GzipBlock:
    """A block of text, compressed: its deflate bytes, and the CRC-32 and length of its text."""

    data: bytes
    crc: int
    size: int


def block_compressed(text: Any, level: int) -> GzipBlock:
    """`text` (bytes-like) as a block that joins the blocks before it; callable from any thread."""
    compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
    data = compressor.compress(text) + compressor.flush(isal_zlib.Z_SYNC_FLUSH)
    return GzipBlock(data, isal_zlib.crc32(text), memoryview(text).nbytes)


class GzipBlocks(io.RawIOBase):
    """Gzip text into `raw`, in the order blocks are written (`write_block`), or from plain `write`s,
    gathered into blocks. `close` ends the member and leaves `raw` open, as GzipFile(fileobj=) does."""

    def __init__(self, raw: BinaryIO, level: int) -> None:
        super().__init__()
        self.raw, self.level = raw, level
        self._crc, self._size = 0, 0
        self._pending = bytearray()
        raw.write(HEADER)

    def writable(self) -> bool:
        return True

    def compress(self, text: Any) -> GzipBlock:
        return block_compressed(text, self.level)

    def write_block(self, block: GzipBlock) -> None:
        if self.closed:
            raise ValueError("write to a closed GzipBlocks")
        self._write_pending()
        self.raw.write(block.data)
        self._crc = isal_zlib.crc32_combine(self._crc, block.crc, block.size)
        self._size += block.size

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed GzipBlocks")
        size = memoryview(data).nbytes
        self._pending += data
        if len(self._pending) >= WRITE_BLOCK_BYTES:
            self._write_pending()
        return size

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._write_pending()
            self.raw.write(
                isal_zlib.compressobj(self.level, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS).flush()
            )
            self.raw.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        finally:  # closed even when `raw` failed: a second close (the collector's) writes no second trailer
            super().close()

    def _write_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, bytearray()
            self.write_block(self.compress(pending))
