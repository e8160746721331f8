"""The group key's two hashes: a multiply-xor mix over 8-byte words, seeded twice (`mix`, `final`), of
the key text (`hash_bytes`, `hash_fields`) and numbers; `record_key` writes a record's hashes and key into
its batch row.
"""

from __future__ import annotations

import numpy as np

from digests.engine.kernel.compiling import inlined, load_word
from digests.engine.kernel.constants import (
    ACCOUNT,
    ACTION,
    B_DSTPORT,
    B_K1,
    B_K2,
    B_NULLS,
    B_PROTOCOL,
    B_SRCPORT,
    B_TOKENS,
    DSTPORT,
    PROTOCOL,
    SPACE,
    SPANS,
    SRCPORT,
)
from digests.engine.kernel.fields import absent_byte, absent_length

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)


@inlined
def mix(h: np.uint64, word: np.uint64, multiplier: np.uint64) -> np.uint64:
    h = (h ^ word) * multiplier
    return h ^ (h >> np.uint64(29))


@inlined
def final(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@inlined
def hash_bytes(
    buf: np.ndarray, size: int, s: int, e: int, h1: np.uint64, h2: np.uint64
) -> tuple[np.uint64, np.uint64]:
    """Mixes the length of buf[s:e] (of `size` bytes in all), then its bytes, into both hashes.

    The length comes first so that the words mixed spell one text only: tagging the last word alone would
    let a full word that looks like a tag end one text early (a crafted key could then join another's
    group whatever the hash seeds)."""
    h1 = mix(h1, np.uint64(e - s), _M1)
    h2 = mix(h2, np.uint64(e - s), _M2)
    while s + 8 <= e:
        word = load_word(buf, s)
        h1 = mix(h1, word, _M1)
        h2 = mix(h2, word, _M2)
        s += 8
    word = np.uint64(0)
    if s + 8 <= size:  # one load, the bytes past the tail masked off
        word |= load_word(buf, s) & ((np.uint64(1) << np.uint64(8 * (e - s))) - np.uint64(1))
    else:
        shift = np.uint64(0)
        while s < e:
            word |= np.uint64(buf[s]) << shift
            shift += np.uint64(8)
            s += 1
    return mix(h1, word, _M1), mix(h2, word, _M2)


@inlined
def hash_fields(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    layouts: np.ndarray,
    cols: int,
    first: int,
    last: int,
    span: bool,
    size: int,
    h1: np.uint64,
    h2: np.uint64,
) -> tuple[np.uint64, np.uint64]:
    """`hash_bytes` of fields first..last-1 joined by single spaces, an absent field as `absent_byte` writes it.

    With `span`, the line itself holds that text, from the first field's start to the last one's end.
    """
    if span:
        return hash_bytes(buf, size, starts[layouts[cols + first]], ends[layouts[cols + last - 1]], h1, h2)
    # a byte at a time, as the same text would be read from one span: its length first
    length = last - first - 1
    for f in range(first, last):
        t = layouts[cols + f]
        length += ends[t] - starts[t] if t >= 0 else absent_length(f)
    h1 = mix(h1, np.uint64(length), _M1)
    h2 = mix(h2, np.uint64(length), _M2)
    word = np.uint64(0)
    fill = 0
    for f in range(first, last):
        t = layouts[cols + f]
        s = starts[t] if t >= 0 else 0
        e = ends[t] if t >= 0 else absent_length(f)
        for p in range(s - (f > first), e):
            if p < s:
                byte = np.uint64(SPACE)
            elif t < 0:
                byte = np.uint64(absent_byte(f, p))
            else:
                byte = np.uint64(buf[p])
            word |= byte << np.uint64(8 * fill)
            fill += 1
            if fill == 8:
                h1 = mix(h1, word, _M1)
                h2 = mix(h2, word, _M2)
                word = np.uint64(0)
                fill = 0
    return mix(h1, word, _M1), mix(h2, word, _M2)


@inlined
def record_key(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    layouts: np.ndarray,
    cols: int,
    numbers: np.ndarray,
    present: np.ndarray,
    regular: bool,
    size: int,
    seeds: np.ndarray,
    batch: np.ndarray,
    record: int,
) -> None:
    """The record's group key into its batch row: both hashes, the key numbers, the text fields' places.

    The hashes are of the key as it is written, "<account> <eni> <srcaddr> <dstaddr>", "<action>
    <log-status>" and the three numbers, so a line split on single spaces whose layout has those fields
    side by side (layouts[cols + SPANS]) hashes two spans of itself; any other line gets the same hashes, slower.
    """
    # the ephemeral port (the higher one, or the source on a tie) becomes 0
    source, destination = numbers[SRCPORT], numbers[DSTPORT]
    if present[SRCPORT] and present[DSTPORT]:
        if source >= destination:
            source = 0
        else:
            destination = 0
    nulls = 0
    if not present[SRCPORT]:
        nulls |= 1
        source = 0
    if not present[DSTPORT]:
        nulls |= 2
        destination = 0
    protocol = numbers[PROTOCOL]
    if not present[PROTOCOL]:
        nulls |= 4
        protocol = 0
    spans = regular and layouts[cols + SPANS] != 0
    h1, h2 = np.uint64(seeds[0]), np.uint64(seeds[1])
    h1, h2 = hash_fields(buf, starts, ends, layouts, cols, ACCOUNT, ACTION, spans, size, h1, h2)
    h1, h2 = hash_fields(buf, starts, ends, layouts, cols, ACTION, SRCPORT, spans, size, h1, h2)
    for f in range(ACCOUNT, SRCPORT):
        t = layouts[cols + f]
        batch[record + B_TOKENS + 2 * f] = starts[t] if t >= 0 else -1
        batch[record + B_TOKENS + 2 * f + 1] = ends[t] if t >= 0 else -1
    if 0 <= source < 1 << 20 and 0 <= destination < 1 << 20 and 0 <= protocol < 1 << 16:
        word = np.uint64(source | (destination << 20) | (protocol << 40) | (nulls << 56) | (1 << 60))
        h1 = mix(h1, word, _M1)
        h2 = mix(h2, word, _M2)
    else:
        for number in (source, destination, protocol, nulls):
            h1 = mix(h1, np.uint64(number), _M1)
            h2 = mix(h2, np.uint64(number), _M2)
    batch[record + B_K1] = np.int64(final(h1))
    batch[record + B_K2] = np.int64(final(h2))
    batch[record + B_SRCPORT] = source
    batch[record + B_DSTPORT] = destination
    batch[record + B_PROTOCOL] = protocol
    batch[record + B_NULLS] = nulls
