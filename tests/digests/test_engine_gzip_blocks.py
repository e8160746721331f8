"""The stored digest's gzip, written from blocks compressed apart (digests/engine/gzip_blocks.py)."""

from __future__ import annotations

import gzip
import io
import random
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from digests.engine import partitions
from digests.engine.digest import digest_objects
from digests.engine.gzip_blocks import GzipBlock, GzipBlocks, block_compressed
from digests.engine.objects import FlowLogObject


def one_member(stored: bytes) -> bytes:
    """The text of a gzip file that must be one member: zlib stops after the first and says what is left."""
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = reader.decompress(stored)
    assert reader.eof and reader.unused_data == b"", "not one whole gzip member"
    return text


def random_text(rng: random.Random, size: int) -> bytes:
    words = [b"2", b"123456789012", b"eni-0abc", b"10.0.0.1", b"443", b"ACCEPT", b"OK", b"\xc3\xa9"]
    return b" ".join(rng.choice(words) for _ in range(size // 6))[:size]


def test_blocks_compressed_in_threads_and_written_in_order_are_one_member_of_their_text() -> None:
    rng = random.Random(13)
    texts = [random_text(rng, rng.randrange(0, 300_000)) for _ in range(12)]
    raw = io.BytesIO()
    with GzipBlocks(raw, 2) as out, ThreadPoolExecutor(3) as pool:
        for block in pool.map(out.compress, texts):
            out.write_block(block)
    assert one_member(raw.getvalue()) == b"".join(texts)
    assert gzip.decompress(raw.getvalue()) == b"".join(texts)


def test_plain_writes_and_blocks_keep_their_order() -> None:
    raw = io.BytesIO()
    with GzipBlocks(raw, 1) as out:
        out.write(b"first ")
        out.write_block(block_compressed(b"second ", 1))
        out.write(np.frombuffer(b"third", np.uint8).data)
    assert one_member(raw.getvalue()) == b"first second third"


def test_an_empty_text_is_still_a_gzip_file() -> None:
    raw = io.BytesIO()
    GzipBlocks(raw, 2).close()
    assert one_member(raw.getvalue()) == b""


def test_the_trailer_holds_the_crc_and_length_of_all_the_text() -> None:
    texts = [b"a" * 70_000, b"", b"b\n" * 5]
    raw = io.BytesIO()
    with GzipBlocks(raw, 2) as out:
        for text in texts:
            out.write_block(out.compress(text))
    whole = b"".join(texts)
    stored = raw.getvalue()
    assert int.from_bytes(stored[-8:-4], "little") == zlib.crc32(whole)
    assert int.from_bytes(stored[-4:], "little") == len(whole)


def _objects(groups: int) -> list[FlowLogObject]:
    header = (
        b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    )
    header += b"action log-status\n"
    lines = [
        f"2 1 eni-{n % 7} 10.0.{n >> 8 & 255}.{n & 255} 10.9.9.9 {40000 + n % 20000} 443 6 3 120 60 90 ACCEPT OK\n"
        for n in range(groups)
    ]
    return [FlowLogObject(f"{part}.log", header + "".join(lines[part::2]).encode()) for part in range(2)]


def test_a_digest_written_into_gzip_blocks_is_the_plain_digest_compressed() -> None:
    objects = _objects(70_000)  # more than one partition
    plain = io.BytesIO()
    digest_objects(objects, 0, 100, plain, workers=2)
    raw = io.BytesIO()
    with GzipBlocks(raw, 2) as out:
        digest_objects(objects, 0, 100, out, workers=2)  # type: ignore[arg-type]
    assert one_member(raw.getvalue()) == plain.getvalue()


def test_the_finisher_threads_compress_the_partitions_not_the_writing_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(partitions, "PARTITION_GROUPS", 1 << 10)
    threads: list[str] = []
    compress = GzipBlocks.compress

    def recorded(self: GzipBlocks, text: Any) -> GzipBlock:
        threads.append(threading.current_thread().name)
        return compress(self, text)

    monkeypatch.setattr(GzipBlocks, "compress", recorded)
    raw = io.BytesIO()
    with GzipBlocks(raw, 2) as out:
        digest_objects(_objects(20_000), 0, 100, out, workers=2)  # type: ignore[arg-type]
    assert len(threads) > 4
    assert all(name.startswith("digest-finish") for name in threads), set(threads)


def test_a_closed_file_takes_no_more_text_and_a_failed_close_is_not_repeated() -> None:
    raw = io.BytesIO()
    out = GzipBlocks(raw, 2)
    out.close()
    with pytest.raises(ValueError, match="closed"):
        out.write(b"late")
    with pytest.raises(ValueError, match="closed"):
        out.write_block(block_compressed(b"late", 2))

    class Failing(io.BytesIO):
        def write(self, data: Any) -> int:
            if len(data) == 8:  # the trailer
                raise OSError("disk full")
            return super().write(data)

    failing = Failing()
    out = GzipBlocks(failing, 2)
    with pytest.raises(OSError, match="disk full"):
        out.close()
    written = failing.getvalue()
    out.close()  # as the collector would: no second attempt at the trailer
    assert failing.getvalue() == written
