"""Digests of adjacent pieces of a window, merged, are byte for byte the digest of the whole window."""

from __future__ import annotations

import io
import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from isal import igzip

from digests.engine import merge
from digests.engine.digest import digest_objects
from digests.engine.merge import digests_merge
from digests.engine.objects import DigestMergeError, FlowLogObject
from tests.digests.engines.test_duckdb_differential import BASE, random_object


def digest(objects: list[FlowLogObject], start: int, stop: int) -> bytes:
    out = io.BytesIO()
    digest_objects(objects, start, stop, out)
    return out.getvalue()


def pieces_merged(
    objects: list[FlowLogObject], cuts: list[int], folder: Path, *, gzip: bool = False
) -> bytes:
    paths = []
    for number, (start, stop) in enumerate(itertools.pairwise(cuts)):
        text = digest(objects, start, stop)
        path = folder / f"piece-{number}.log"
        path.write_bytes(igzip.compress(text) if gzip else text)
        paths.append(path)
    out = io.BytesIO()
    lines = digests_merge(paths, out)
    assert lines == out.getvalue().count(b"\n")
    return out.getvalue()


@pytest.mark.parametrize("seed", range(10))
def test_random_objects_cut_into_pieces_merge_to_the_whole_windows_bytes(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if seed % 3 == 0:  # a table and key arena that grow many times, as a large window's do
        monkeypatch.setattr(merge, "FIRST_SLOTS", 2)
        monkeypatch.setattr(merge, "FIRST_ARENA", 16)
    rng = random.Random(seed)
    objects = [random_object(rng, number) for number in range(rng.randint(1, 4))]
    start, stop = BASE + rng.randint(900, 1_500), BASE + rng.randint(2_500, 3_100)
    inner = sorted(rng.sample(range(start + 1, stop), rng.randint(1, 5)))
    whole = digest(objects, start, stop)
    assert pieces_merged(objects, [start, *inner, stop], tmp_path, gzip=seed % 2 == 0) == whole


def test_sums_keep_no_value_only_when_no_piece_had_one_and_the_bounds_span_the_pieces(tmp_path: Path) -> None:
    lines = [
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 - - 100 160 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40001 443 6 5 - 200 260 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40002 443 6 - - 300 900 ACCEPT OK",
        "2 1 eni-1 10.0.0.9 10.0.0.2 40002 22 6 1 10 310 320 REJECT OK",
    ]
    objects = [FlowLogObject("a.log", "\n".join(lines).encode() + b"\n")]
    merged = pieces_merged(objects, [100, 200, 300, 400], tmp_path)
    assert merged == digest(objects, 100, 400)
    assert merged.splitlines() == [
        b"2 1 eni-1 10.0.0.1 10.0.0.2 0 443 6 5 - 100 900 ACCEPT OK",
        b"2 1 eni-1 10.0.0.9 10.0.0.2 0 22 6 1 10 100 900 REJECT OK",
    ]


def test_empty_pieces_merge_to_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "empty.log.gz").write_bytes(igzip.compress(b""))
    out = io.BytesIO()
    assert digests_merge([tmp_path / "empty.log", tmp_path / "empty.log.gz"], out) == 0
    assert out.getvalue() == b""


def test_a_piece_that_is_not_a_digest_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.log").write_bytes(b"2 1 eni-1 10.0.0.1\n")
    with pytest.raises(DigestMergeError, match=r"bad\.log: not a digest"):
        digests_merge([tmp_path / "bad.log"], io.BytesIO())


def test_lines_are_ordered_bytewise_across_shared_beginnings_ends_and_trailing_nul_bytes() -> None:
    rng = random.Random(5)
    words = [b"", b"a", b"ab", b"ab\x00", b"ab\x00\x00", b"abcdefgh", b"abcdefghi", b"abcdefgh\x00", b"\xff"]
    lines = list({rng.choice(words) + rng.choice(words) + bytes([rng.randrange(256)]) for _ in range(400)})
    lines += [b"2 111122223333 eni-1 10.0.0.1 10.0.0." + str(n).encode() for n in range(300)]
    data = np.frombuffer(b"".join(lines), np.uint8)
    starts = np.cumsum([0, *map(len, lines)]).astype(np.int64)
    assert [lines[i] for i in merge.lines_order(data, starts)] == sorted(lines)
