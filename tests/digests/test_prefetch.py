"""fetch_objects: bounded, ordered prefetching that stops cleanly."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from digests.engine.objects import FlowLogReadError, FlowLogRef
from digests.sources.prefetch import THREAD_NAME_PREFIX, fetch_objects
from tests.faults import wait_for


class SlowSource:
    """Reads take `delay` seconds; records how many run at once and which ones overlapped."""

    skipped_keys: list[str]
    listed_prefixes: list[str]

    def __init__(self, delay: float = 0.01, fail: str | None = None, jitter: bool = False) -> None:
        self.skipped_keys = []
        self.listed_prefixes = []
        self.delay, self.fail, self.jitter = delay, fail, jitter
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}  # key → size, for the reads in progress
        self.max_running = 0
        self.max_running_bytes = 0
        self.overlaps: dict[str, set[str]] = {}  # key → the keys running at any moment of its read
        self.started: list[str] = []

    def list(self, start: datetime, stop: datetime) -> Iterator[FlowLogRef]:
        raise NotImplementedError

    def read(self, ref: FlowLogRef) -> bytes:
        with self.lock:
            self.started.append(ref.key)
            self.running[ref.key] = ref.size
            self.max_running = max(self.max_running, len(self.running))
            self.max_running_bytes = max(self.max_running_bytes, sum(self.running.values()))
            for key in self.running:
                self.overlaps.setdefault(key, set()).update(self.running)
        time.sleep(self.delay * (random.random() * 2 if self.jitter else 1))
        with self.lock:
            del self.running[ref.key]
        if ref.key == self.fail:
            raise FlowLogReadError(ref.key, "injected failure")
        return ref.key.encode()


def refs(count: int, size: int = 10) -> list[FlowLogRef]:
    return [FlowLogRef(f"k{index:03d}", size, None) for index in range(count)]


def fetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(THREAD_NAME_PREFIX)]


def test_objects_come_out_in_the_order_of_the_refs_whatever_finishes_first() -> None:
    source = SlowSource(delay=0.005, jitter=True)
    objects = list(fetch_objects(source, refs(40), max_concurrent=6, max_bytes=10_000))
    assert [obj.key for obj in objects] == [ref.key for ref in refs(40)]
    assert all(obj.data == obj.key.encode() for obj in objects)


def test_at_most_max_concurrent_reads_run_at_once() -> None:
    source = SlowSource(delay=0.02)
    list(fetch_objects(source, refs(20), max_concurrent=3, max_bytes=10_000))
    assert source.max_running == 3


def test_reads_in_flight_never_hold_more_than_the_byte_budget() -> None:
    source = SlowSource(delay=0.02)
    list(fetch_objects(source, refs(12, size=40), max_concurrent=8, max_bytes=100))
    assert source.max_running == 2
    assert source.max_running_bytes <= 100


def test_an_object_larger_than_the_budget_is_fetched_alone() -> None:
    source = SlowSource(delay=0.02)
    big = FlowLogRef("big", 500, None)
    items = [*refs(3), big, *refs(6)[3:]]
    objects = list(fetch_objects(source, items, max_concurrent=4, max_bytes=100))
    assert [obj.key for obj in objects] == [ref.key for ref in items]
    assert source.overlaps["big"] == {"big"}


def test_finished_objects_not_yet_consumed_count_against_the_budget() -> None:
    source = SlowSource(delay=0.001)
    stream = fetch_objects(source, refs(10, size=40), max_concurrent=8, max_bytes=100)
    next(stream)
    # The two reads of 40 bytes the budget allows start and finish (on a busy machine, in their own
    # time); a read past the budget would start once they are done, so give it a moment to show.
    wait_for(lambda: len(source.started) >= 3 and not source.running, 30, "the reads within the budget")
    time.sleep(0.05)
    assert source.started == ["k000", "k001", "k002"]  # the one handed over plus two of 40 bytes
    stream.close()


def test_max_concurrent_zero_is_taken_as_one_instead_of_hanging() -> None:
    source = SlowSource(delay=0.001)
    objects = list(fetch_objects(source, refs(5), max_concurrent=0, max_bytes=1000))
    assert len(objects) == 5
    assert source.max_running == 1


def test_closing_early_cancels_queued_reads_and_ends_the_threads() -> None:
    source = SlowSource(delay=0.02)
    stream = fetch_objects(source, refs(200), max_concurrent=4, max_bytes=10_000)
    assert next(stream).key == "k000"
    stream.close()
    assert fetch_threads() == []
    started = len(source.started)
    time.sleep(0.05)
    assert len(source.started) == started < 20


def test_a_failed_read_surfaces_at_its_turn_and_stops_the_rest() -> None:
    source = SlowSource(delay=0.005, fail="k003")
    stream = fetch_objects(source, refs(100), max_concurrent=4, max_bytes=10_000)
    assert [next(stream).key for _ in range(3)] == ["k000", "k001", "k002"]
    with pytest.raises(FlowLogReadError, match="k003: injected failure"):
        next(stream)
    assert fetch_threads() == []
    assert len(source.started) < 100


def test_no_refs_yield_nothing_and_start_no_threads() -> None:
    assert list(fetch_objects(SlowSource(), [], max_concurrent=4, max_bytes=100)) == []
    assert fetch_threads() == []


def test_refs_may_be_a_lazy_iterator() -> None:
    lazy = (ref for ref in refs(5))
    assert [obj.key for obj in fetch_objects(SlowSource(delay=0), lazy, 2, 100)] == [r.key for r in refs(5)]
