"""Sharded scans (digests/engine/shards.py): once a worker's tally is large, each group is held by one
worker only; the digest is byte for byte the one an unsharded or a single worker makes."""

from __future__ import annotations

import gc
import gzip
import io
import random
import weakref
from typing import Any

import numpy as np
import pytest

from digests.engine import digest as engine
from digests.engine import shards, tally
from digests.engine.objects import FlowLogObject
from digests.engine.partitions import write_tallies
from tests.digests.test_engine_digest import EVER, corpus, run, text, v2

NEVER = 1 << 62
SEKOIA = "sekoia-aws/111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5"


def random_rows(rng: random.Random, count: int, groups: int, ascii_only: bool = False) -> list[str]:
    """Records of `groups` flows, with what the scan treats apart: NODATA, bad numbers, records outside the
    window, dashes, IPv6, non-ASCII bytes, and now and then a key longer than an outbox holds."""
    rows = []
    for _ in range(count):
        flow = rng.randrange(groups)
        fields: dict[str, str] = {"eni": f"eni-{flow % 97:x}", "bytes": str(rng.randrange(10**6))}
        roll = rng.random()
        if roll < 0.02:
            fields["status"] = rng.choice(["NODATA", "SKIPDATA", "-"])
        elif roll < 0.03:
            fields["packets"] = "x1"
        elif roll < 0.05:
            fields["start"] = str(10**12 + rng.randrange(10**6))  # milliseconds: outside a window in seconds
        elif roll < 0.06:
            fields["eni"] = "-"
        elif roll < 0.065:
            fields["account"] = "a" * rng.randrange(200, 3000)
        src = f"10.{flow % 251}.{flow // 251 % 251}.{flow % 7}" if flow % 13 else f"fe80::{flow:x}"
        dst = "Zürich-01" if flow % 101 == 0 and ascii_only is False else f"172.16.{flow % 17}.9"
        rows.append(
            v2(
                src=src,
                dst=dst,
                sport=str(1024 + flow % 50000),
                dport=str(rng.choice((22, 443, 5432))),
                **fields,
            )
        )
    return rows


def objects_of(
    rng: random.Random, count: int, groups: int, pieces: int, ascii_only: bool = False
) -> list[bytes]:
    rows = random_rows(rng, count, groups, ascii_only)
    return [gzip.compress(text(*rows[n::pieces])) for n in range(pieces)]


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> list[tally.Tally]:
    """The workers' tallies of the digests run in a test (the digest's own, not the finish's)."""
    made: list[tally.Tally] = []

    def recorded(*args: Any, **kwargs: Any) -> tally.Tally:
        made.append(tally.Tally(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(engine, "Tally", recorded)
    return made


@pytest.mark.parametrize("seed", range(4))
def test_sharded_scans_give_the_digest_and_figures_of_one_worker(seed: int, held: list[tally.Tally]) -> None:
    rng = random.Random(seed)
    objects = objects_of(rng, 3000, groups=rng.choice((50, 700, 2500)), pieces=5)
    alone = run(*objects, workers=1, block_bytes=4096)
    for workers in (2, 3):
        for shard_from in (0, 1, 120, NEVER):
            assert run(*objects, workers=workers, block_bytes=4096, shard_from=shard_from) == alone


def scanned_in_turns(rows: list[str], workers: int, shard_from: int) -> tuple[list[int], bytes]:
    """The rows scanned in blocks handed to the workers in turn, in this thread (so which worker reads
    which block does not depend on the threads' pace); returns the groups each worker held and the digest."""
    tallies = tallies_scanned_in_turns(rows, workers, shard_from)
    held = [worker.groups for worker in tallies]  # before the finish hands groups to their shards
    out = io.BytesIO()
    write_tallies(tallies, out, workers)
    return held, out.getvalue()


def tallies_scanned_in_turns(rows: list[str], workers: int, shard_from: int) -> list[tally.Tally]:
    tallies = [tally.Tally(*EVER, seeds=(1, 2)) for _ in range(workers)]
    sharing = shards.Shards(tallies, shard_from)
    for block in range(0, len(rows), 100):
        worker = block // 100 % workers
        sharing.between_pieces(worker)
        data = text(*rows[block : block + 100], header=None)
        tallies[worker].scan(np.frombuffer(data, np.uint8), 0, len(data), None, strict=False, clean=True)
    for worker in range(workers):
        sharing.worker_stopped(worker)
    sharing.finish()
    return tallies


def test_a_sharded_digest_holds_each_group_once_where_an_unsharded_one_holds_copies() -> None:
    rows = random_rows(random.Random(7), 6000, groups=2000, ascii_only=True)
    digest = run(text(*rows, header=None), workers=1)[0].encode()
    groups = digest.count(b"\n")
    unsharded, unsharded_digest = scanned_in_turns(rows, 3, NEVER)
    sharded, sharded_digest = scanned_in_turns(rows, 3, 0)
    assert unsharded_digest == sharded_digest == digest
    assert sum(unsharded) > 1.2 * groups
    assert sum(sharded) == groups


@pytest.mark.parametrize("shard_from", [0, 900, NEVER])
def test_the_finish_leaves_each_group_in_the_tally_of_its_shard_only(shard_from: int) -> None:
    rows = random_rows(random.Random(12), 6000, groups=2000, ascii_only=True)
    lines = run(text(*rows, header=None), workers=1)[0].count("\n")
    tallies = tallies_scanned_in_turns(rows, 3, shard_from)
    held = sum(worker.groups for worker in tallies)
    moved = shards.tallies_settle(tallies, 2)
    given = sum(int(flags.sum()) for flags in moved)
    assert sum(worker.groups for worker in tallies) - given == lines  # what is left: each group once
    assert given >= held - lines  # every copy but one, and groups only another shard's tally held
    for owner, (worker, flags) in enumerate(zip(tallies, moved, strict=True)):
        members, _, _ = worker.foreign(3, owner)
        assert flags[members].all()  # nothing of another shard is left
    if shard_from == 0:  # sharded from the start: nothing to hand over
        assert given == 0
    else:
        assert given > 0


def test_every_run_reports_the_groups_its_workers_held(
    monkeypatch: pytest.MonkeyPatch, held: list[tally.Tally]
) -> None:
    at_finish: list[tuple[int, int]] = []  # the finish hands groups to their shards' tallies: before it

    def finish(tallies: list[tally.Tally], *args: Any) -> int:
        at_finish.extend((worker.groups, worker.nbytes) for worker in tallies)
        return write_tallies(tallies, *args)

    monkeypatch.setattr(engine, "write_tallies", finish)
    objects = objects_of(random.Random(8), 3000, groups=1000, pieces=4)
    for shard_from in (0, NEVER):
        held.clear()
        at_finish.clear()
        figures = run(*objects, workers=2, shard_from=shard_from)[1]
        assert len(at_finish) == len(held) == 2
        assert figures.held == sum(groups for groups, _ in at_finish) >= figures.groups
        assert figures.held_bytes == sum(size for _, size in at_finish) > 0
        if shard_from == 0:
            assert figures.held == figures.groups  # sharded from the start: each group once


def test_outboxes_too_small_for_a_batch_or_a_key_grow_and_lose_nothing(
    monkeypatch: pytest.MonkeyPatch, held: list[tally.Tally]
) -> None:
    objects = objects_of(random.Random(11), 2000, groups=900, pieces=4)
    alone = run(*objects, workers=1)
    monkeypatch.setattr(tally, "OUTBOX_RECORDS", 1)  # less than one a shard: one record, then growth
    monkeypatch.setattr(tally, "OUTBOX_TEXT", 8)
    assert run(*objects, workers=3, block_bytes=2048, shard_from=0) == alone


def test_a_full_outbox_is_sent_and_the_scan_goes_on_at_full_speed(
    monkeypatch: pytest.MonkeyPatch, held: list[tally.Tally]
) -> None:
    objects = objects_of(random.Random(13), 3000, groups=2500, pieces=3, ascii_only=True)
    alone = run(*objects, workers=1)
    monkeypatch.setattr(tally, "OUTBOX_RECORDS", 80)  # 40 an outbox
    slow_path: list[bytes] = []
    scan_line = engine._scan_line

    def counted(*args: Any) -> None:
        slow_path.append(args[1])
        scan_line(*args)

    monkeypatch.setattr(engine, "_scan_line", counted)
    assert run(*objects, workers=2, shard_from=0) == alone
    assert slow_path == []  # a line the scan stopped at for a full outbox is not taken for a non-ASCII one


def test_parquet_and_text_objects_give_the_same_digest_sharded(held: list[tally.Tally]) -> None:
    parquet = [corpus(f"{folder}.parquet") for folder in (SEKOIA, "flowlogs-reader/flows")]
    objects: list[FlowLogObject | bytes] = [
        *parquet,
        *objects_of(random.Random(3), 600, groups=200, pieces=3),
    ]
    assert run(*objects * 2, workers=3, shard_from=0) == run(*objects * 2, workers=1)


def test_sharding_starts_once_the_workers_hold_the_threshold_in_all_and_not_before(
    held: list[tally.Tally],
) -> None:
    objects = objects_of(random.Random(5), 3000, groups=600, pieces=6)
    started: list[bool] = []
    finish = shards.Shards.finish

    def observed(self: shards.Shards) -> None:
        started.append(self.on)
        finish(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards.Shards, "finish", observed)
        run(*objects, workers=2, block_bytes=4096, shard_from=10**6)
        run(*objects, workers=2, block_bytes=4096, shard_from=100)
        run(*objects, workers=1, block_bytes=4096, shard_from=0)  # one worker: nothing to share
    assert started == [False, True, False]


def test_a_sharded_digest_leaves_no_reference_cycle_holding_its_tables(held: list[tally.Tally]) -> None:
    objects = objects_of(random.Random(9), 2000, groups=1500, pieces=4)
    gc.collect()
    gc.disable()
    try:
        run(*objects, workers=2, block_bytes=4096, shard_from=0)
        alive = [weakref.ref(worker) for worker in held]
        held.clear()
        assert [ref() for ref in alive] == [None] * len(alive)  # freed by reference counts alone
    finally:
        gc.enable()
