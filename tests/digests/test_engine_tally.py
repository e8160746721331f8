"""Tallies (digests/engine/tally.py): growth, merging, skip counts and the sorted digest they write."""

from __future__ import annotations

import io

import numpy as np
import pytest

from digests.engine import lines as lines_module
from digests.engine import tally as tally_module
from digests.engine.figures import DigestFigures
from digests.engine.layouts import DEFAULT_V2
from digests.engine.tally import Tally

SEEDS = (11, 13)


def line(n: int, packets: str = "10", start: int = 1000) -> bytes:
    return (
        f"2 111122223333 eni-{n % 7} 10.0.{n % 256}.{n // 256} 10.9.9.9 {40000 + n} 443 6 {packets} 100 "
        f"{start} {start + 60} ACCEPT OK\n"
    ).encode()


def tally_of(*lines: bytes, seeds: tuple[int, int] = SEEDS) -> Tally:
    tally = Tally(0, 2**40, seeds)
    data = b"".join(lines)
    tally.scan(np.frombuffer(data, np.uint8), 0, len(data), DEFAULT_V2, strict=False, clean=True)
    return tally


def written(tally: Tally) -> tuple[bytes, DigestFigures]:
    out = io.BytesIO()
    figures = DigestFigures()
    tally.figures(figures)
    figures.groups = tally.write(out)
    return out.getvalue(), figures


def test_merged_tallies_write_what_one_tally_of_all_the_lines_writes() -> None:
    lines = [line(n % 900, start=1000 + n) for n in range(3000)]
    whole = written(tally_of(*lines))
    first, second = tally_of(*lines[::2]), tally_of(*lines[1::2])
    first.merge(second)
    assert written(first) == whole
    assert whole[1].groups == 900


def test_a_merge_grows_the_table_and_arena_it_merges_into(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [line(n) for n in range(600)]
    whole = written(tally_of(*lines))
    monkeypatch.setattr(tally_module, "FIRST_SLOTS", 8)
    monkeypatch.setattr(tally_module, "FIRST_ARENA", 64)
    small = tally_of(*lines[:3])
    small.merge(tally_of(*lines[3:]))
    assert written(small) == whole


def test_only_tallies_with_the_same_seeds_merge() -> None:
    with pytest.raises(ValueError, match="same hash seeds"):
        tally_of(line(1)).merge(tally_of(line(1), seeds=(1, 2)))


def test_the_lines_are_written_sorted_bytewise_with_global_bounds() -> None:
    digest, figures = written(
        tally_of(line(300, start=900), line(2), line(2, packets="-"), line(41, start=1500))
    )
    lines = digest.decode().splitlines()
    assert lines == sorted(lines)
    assert all(text.endswith(" 900 1560 ACCEPT OK") for text in lines)
    assert (figures.groups, figures.records, figures.in_window) == (3, 4, 4)
    assert "2 111122223333 eni-2 10.0.2.0 10.9.9.9 0 443 6 10 200 900 1560 ACCEPT OK" in lines


def test_a_group_with_no_packets_value_sums_to_a_dash() -> None:
    digest, _ = written(tally_of(line(5, packets="-"), line(5, packets="-")))
    assert digest.split()[8:10] == [b"-", b"200"]


def test_extreme_sums_are_written_in_full() -> None:
    digest, _ = written(
        tally_of(line(1, packets="-9223372036854775808"), line(2, packets="9223372036854775807"))
    )
    assert b" -9223372036854775808 " in digest
    assert b" 9223372036854775807 " in digest


def test_an_empty_tally_writes_nothing() -> None:
    assert written(Tally(0, 10)) == (b"", DigestFigures())


def test_skipped_records_count_as_read() -> None:
    tally = Tally(0, 10)
    tally.skip("unknown_layout", 4)
    _, figures = written(tally)
    assert (figures.records, figures.skipped["unknown_layout"]) == (4, 4)


def test_lines_longer_than_the_write_chunk_are_written_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "WRITE_BYTES", 16)
    lines = [line(n) for n in range(50)]
    expected = sorted(text.decode() for text in written(tally_of(*lines))[0].splitlines(keepends=True))
    digest, _ = written(tally_of(*lines))
    assert digest.decode().splitlines(keepends=True) == expected
