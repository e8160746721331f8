"""The partitioned finish of a digest (digests/engine/partitions.py): the workers' tallies into one sorted text."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest

from digests.engine import partitions
from digests.engine.layouts import DEFAULT_V2
from digests.engine.tally import Tally

SEEDS = (17, 19)


def record(
    account: str,
    eni: str,
    source: str,
    port: int,
    packets: int = 1,
    start: int = 1000,
    target: str = "10.9.9.9",
) -> bytes:
    return f"2 {account} {eni} {source} {target} {port} 443 6 {packets} 100 {start} {start + 9} ACCEPT OK\n".encode()


def tally_of(lines: list[bytes]) -> Tally:
    tally = Tally(0, 2**40, SEEDS)
    data = b"".join(lines)
    tally.scan(np.frombuffer(data, np.uint8), 0, len(data), DEFAULT_V2, strict=False)
    return tally


def one_tally_text(lines: list[bytes]) -> bytes:
    """What a single tally of all the lines writes: the digest the partitions must add up to."""
    out = io.BytesIO()
    tally_of(lines).write(out)
    return out.getvalue()


def partitioned_text(groups_of_lines: list[list[bytes]], threads: int = 2) -> tuple[bytes, int]:
    out = io.BytesIO()
    count = partitions.write_tallies([tally_of(lines) for lines in groups_of_lines], out, threads)
    return out.getvalue(), count


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Partitions of a few groups, so that a test's few hundred groups cross many partition boundaries."""
    monkeypatch.setattr(partitions, "PARTITION_GROUPS", 4)


def varied_records(rng: random.Random, count: int) -> list[bytes]:
    accounts = [
        "1",
        "12",
        "123",
        "111122223333",
        "1111222233334",
        "1\x01",
    ]  # heads that are prefixes of others
    return [
        record(
            rng.choice(accounts),
            rng.choice(["eni-a", "eni-ab", "eni-b"]),
            f"10.0.{rng.randrange(3)}.{rng.randrange(40)}",
            rng.randrange(1, 4),
            packets=rng.randrange(1, 9),
            start=1000 + rng.randrange(100),
        )
        for _ in range(count)
    ]


@pytest.mark.usefixtures("small_partitions")
def test_tallies_split_among_workers_write_what_one_tally_of_all_the_records_writes() -> None:
    lines = varied_records(random.Random(5), 3000)
    expected = one_tally_text(lines)
    text, count = partitioned_text([lines[0::3], lines[1::3], lines[2::3]])
    assert text == expected
    assert count == expected.count(b"\n") > 300


@pytest.mark.usefixtures("small_partitions")
def test_a_group_that_every_worker_saw_is_written_once_with_the_sums_of_all() -> None:
    shared = [record("111122223333", "eni-1", "10.0.0.1", 1, packets=n) for n in (1, 2, 3)]
    others = [record("111122223333", "eni-1", f"10.0.0.{n}", 1) for n in range(2, 60)]
    text, count = partitioned_text([[shared[0], *others[:20]], [shared[1], *others[20:]], [shared[2]]])
    assert text == one_tally_text(shared + others)
    assert count == 59
    assert b"2 111122223333 eni-1 10.0.0.1 10.9.9.9 1 0 6 6 300 " in text


@pytest.mark.usefixtures("small_partitions")
def test_groups_whose_heads_all_agree_stay_in_one_partition_and_still_sort() -> None:
    # one head: the port numbers tell the groups apart, past the bytes that choose partitions
    lines = [
        record("111122223333", "eni-1", "10.0.0.1", port)
        for port in random.Random(2).sample(range(1, 443), 300)  # below 443: kept
    ]
    text, count = partitioned_text([lines[:150], lines[150:]])
    assert text == one_tally_text(lines)
    assert count == 300


@pytest.mark.usefixtures("small_partitions")
def test_a_line_whose_head_ends_where_partitions_are_chosen_sorts_before_longer_heads() -> None:
    # the heads differ only in their last field, right where the bytes that choose a partition are read:
    # "9" then a space sorts after "9\x01" (a control byte is below the space) and before "90"
    targets = ["9", "9\x01", "9\x01\x01", "9!", "90", "99999999", "999999999", "9999999999", "A"]
    rng = random.Random(6)
    lines = [record("1", "e", "s", rng.randrange(1, 400), target=rng.choice(targets)) for _ in range(2000)]
    text, _ = partitioned_text([lines[:1000], lines[1000:]])
    assert text == one_tally_text(lines)
    assert text.index(b" s 9\x01 ") < text.index(b" s 9 ") < text.index(b" s 90 ")


def test_a_worker_that_saw_no_record_adds_nothing() -> None:
    lines = varied_records(random.Random(8), 50)
    assert partitioned_text([[], lines, []])[0] == one_tally_text(lines)
    assert partitioned_text([[], []]) == (b"", 0)


@pytest.mark.usefixtures("small_partitions")
def test_more_partitions_than_threads_are_written_in_order_by_one_thread() -> None:
    lines = varied_records(random.Random(9), 1000)
    assert partitioned_text([lines], threads=1)[0] == one_tally_text(lines)


@pytest.mark.usefixtures("small_partitions")
def test_a_finisher_error_is_raised_after_every_finisher_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    original = partitions._finish

    def failing(tallies: list[Tally], plan: partitions._Plan, partition: int) -> tuple[int, np.ndarray]:
        if partition == 3:
            raise MemoryError("partition 3")
        return original(tallies, plan, partition)

    monkeypatch.setattr(partitions, "_finish", failing)
    lines = varied_records(random.Random(4), 500)
    out = io.BytesIO()
    with pytest.raises(MemoryError, match="partition 3"):
        partitions.write_tallies([tally_of(lines[:250]), tally_of(lines[250:])], out, 2)
    written = out.getvalue()
    assert written.count(b"\n") > 0
    assert one_tally_text(lines).startswith(written)  # the partitions before it, in order


def test_only_tallies_with_the_same_seeds_are_gathered() -> None:
    other = Tally(0, 2**40, (1, 2))
    with pytest.raises(ValueError, match="same hash seeds"):
        tally_of([]).gather(other, np.empty(0, np.int64), np.empty(0, np.int64))
