"""A bounded prefetcher: downloads run ahead of parsing, within a read count and a byte budget.

Fixes the Go digester's prefetcher (docs/go-services-behaviour.md §2.6, §7 items 8, 9, 16): objects come out in the order
of the refs (not download-completion order), `max_concurrent <= 0` does not hang, and a consumer that
stops (or a read that fails) cancels the queued reads and joins the threads instead of leaving a
goroutine busy-waiting on memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from digests.engine.objects import FlowLogObject, FlowLogRef
from digests.sources.base import FlowLogSource

THREAD_NAME_PREFIX = "flowlog-fetch"
# Reads queued ahead at most, whatever the budget allows: many tiny objects must not each get a Future.
MAX_QUEUED = 1024


def fetch_objects(
    source: FlowLogSource,
    refs: Iterable[FlowLogRef],
    max_concurrent: int,
    max_bytes: int,
) -> Generator[FlowLogObject, None, None]:
    """Yields each ref's object, in the order of `refs`, as soon as it is fetched, while later ones download.

    At most `max_concurrent` reads run at once (`<= 0` is taken as 1). Objects being read or fetched and
    not yet handed over are held; their stored sizes (`ref.size`) never sum past `max_bytes`, except that
    one object larger than the budget is fetched alone when nothing else is held. The object the caller is
    working on is no longer counted. A failed read raises its FlowLogReadError when its turn comes. Closing
    the generator (or an error) cancels queued reads and waits for the running ones (at most
    `max_concurrent`) to end, so no thread outlives the iteration.
    """
    prefetcher = _Prefetcher(source, refs, max(1, max_concurrent), max_bytes)
    try:
        yield from prefetcher.objects()
    finally:
        prefetcher.close()


class _Prefetcher:
    """State of one `fetch_objects` run; used only from the consumer's thread, so it needs no lock."""

    def __init__(self, source: FlowLogSource, refs: Iterable[FlowLogRef], workers: int, budget: int) -> None:
        self._source = source
        self._refs = iter(refs)
        self._budget = budget
        self._held = 0  # sizes of the queued, running and finished-but-not-handed-over reads
        self._queue: deque[tuple[FlowLogRef, Future[bytes]]] = deque()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=THREAD_NAME_PREFIX)
        self._next: FlowLogRef | None = next(self._refs, None)

    def objects(self) -> Iterator[FlowLogObject]:
        self._fill()
        while self._queue:
            ref, future = self._queue.popleft()
            data = future.result()  # blocks without spinning; re-raises the read's error at its turn
            self._held -= ref.size
            self._fill()  # before yielding, so downloads continue while the caller parses
            yield FlowLogObject(ref.key, data)

    def close(self) -> None:
        for _, future in self._queue:
            future.cancel()
        self._queue.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _fill(self) -> None:
        while self._next is not None and len(self._queue) < MAX_QUEUED and self._fits(self._next):
            ref = self._next
            self._queue.append((ref, self._executor.submit(self._source.read, ref)))
            self._held += ref.size
            self._next = next(self._refs, None)

    def _fits(self, ref: FlowLogRef) -> bool:
        return self._held == 0 or self._held + ref.size <= self._budget
