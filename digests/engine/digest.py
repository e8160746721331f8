"""The digest engine: raw flow-log objects in, digest text out (docs/go-services-behaviour.md §2.7, extended).

`digest_objects` reads gzip text, plain text and Parquet objects (told apart by their magic bytes, not their
names), keeps the records whose start lies in [start, stop), and writes one v2-layout line per group:

    2 <account-id> <interface-id> <srcaddr> <dstaddr> <srcport'> <dstport'> <protocol> <sum packets>
      <sum bytes> <global min start> <global max end> <action> <log-status>

Record rules, on top of the Go digester's:

* The layout comes from a file's header line (hyphenated names, any order, repeated or changed mid-file)
  or from Parquet column names (underscored), never from the `version` value. Before any header a line of
  14 tokens is AWS v2 default, of 36 the Transit Gateway default, anything else `unknown_layout`.
* Tokens are separated by runs of spaces (tabs and CRs count as spaces); blank lines are not records.
  `-` is "no value". Fields a layout lacks are written `-`. Bytes that are not UTF-8 are replaced by U+FFFD.
* log-status: `OK` in any case is data (only data reaches the digest, as in the Go digester); `NODATA` and
  `SKIPDATA` in any case are nodata_skipdata; `-` or any other value is unknown_status. In a layout
  without a log-status field a record with a port, protocol, packets or bytes value is data and its line
  says `OK` (so the DOT step keeps it); one with none of them is unknown_status (a NODATA record written
  without its status looks like that).
* Skip reasons, first match wins: unknown_layout, field_count, nodata_skipdata or unknown_status (by the
  log-status field), bad_number (a port, protocol, packets, bytes, start or end that is neither a base-10
  int64 nor `-`), unknown_status (no log-status field and no flow number), outside_window.
* Start and end from 10**11 on are milliseconds and are divided by 1000; below they are seconds (10**11
  seconds is past the year 5000, while second timestamps pass 2**31 in 2038). A record is in the window
  when its start is in [start, stop); when it has no start value (or its layout no start field) its end
  is used; with neither it is kept.
* Ports, protocol and the sums are written in canonical decimal (`080` becomes `80`). Packets or bytes
  sum to `-` when no record of the group had a value. Start and end are the global bounds of all the
  records in the digest, as in the Go digester, so every line carries the same two values.
* Parquet (digests/engine/parquet.py): missing values are nulls; the strings `-`, `None` (pandas writes
  it) and `` are taken as "no value" too; whitespace inside a Parquet string is replaced by `_` so the
  line keeps 14 fields.

Speed and memory: one worker thread per CPU (at most MAX_WORKERS) takes whole objects in turn. Each has a
helper thread (digests/engine/readahead.py) that decompresses (ISA-L, in 4 MB blocks, without the GIL)
while the worker scans the text with the compiled kernel in digests/engine/kernel/ (without the GIL too),
into a tally of its own; Parquet batches are turned into canonical text lines first. At the end
(digests/engine/partitions.py) a group that several tallies hold is handed to one of them, then the groups are
split by the leading bytes of their lines into ranges of about 32 k groups; one finisher thread per worker
writes a range's lines straight from the tallies and sorts them (digests/engine/kernel/sort.py's 8-byte radix
sort), and the calling thread writes the ranges to `out` in order as they come: nothing holds every group a
second time, and the lines are never all in memory at once. Memory follows the number of groups, not records:
a group costs one 40-byte table row (at a load of at most one half) plus its key. Once the workers hold
SHARD_FROM_GROUPS groups, each new group is held by one worker only, whatever the number of workers
(digests/engine/shards.py); before, by each worker that saw one of its records.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

# Polars' allocator (its own jemalloc) keeps freed pages for 10 s by default, which on a digest's churn of
# Parquet batches adds peak RSS that nothing uses. It reads this variable once, when polars is first
# imported, so it is set here, before the engine modules that import polars (parquet, tally); a value set
# by the operator wins, and it has no effect if polars was imported before.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")

import numpy as np

from digests.engine import kernel, readahead
from digests.engine.decode import object_pieces
from digests.engine.figures import SKIP_UNKNOWN_LAYOUT, DigestFigures
from digests.engine.layouts import RecordLayout, header_layout, is_header, split_tokens
from digests.engine.objects import FlowLogObject
from digests.engine.partitions import write_tallies
from digests.engine.pieces import Done, Lines, Piece, Unknown
from digests.engine.shards import SHARD_FROM_GROUPS, Shards
from digests.engine.tally import Tally, new_seeds

# Text is decoded in blocks well below glibc's largest mmap threshold (fresh 32 MB buffers cost a page fault
# per 4 KB every time, reused heap memory does not); 4 MB measured faster than 8 and holds less in flight.
BLOCK_BYTES = 4 << 20
DEFAULT_READ_AHEAD = 1  # decoded pieces waiting for each worker; 0 decodes in the worker itself
MAX_WORKERS = 4  # each holds a table until the workers switch to shards; more were never measured here


def digest_objects(
    objects: Iterable[FlowLogObject],
    start: int,
    stop: int,
    out: BinaryIO,
    *,
    workers: int | None = None,
    block_bytes: int = BLOCK_BYTES,
    read_ahead: int = DEFAULT_READ_AHEAD,
    shard_from: int = SHARD_FROM_GROUPS,
) -> DigestFigures:
    """Digests `objects` for the window [start, stop) (Unix seconds) and writes the sorted text to `out`.

    `objects` is consumed once, one object at a time, by `workers` threads (default_workers(); the first
    is the calling thread); it is closed, if it has a close method, before this returns. Each worker
    decodes `read_ahead` pieces ahead in a helper thread (0: none). Raises FlowLogReadError for an object
    that cannot be decoded, and lets the iterable's own FlowLogReadError through. Once the workers hold
    `shard_from` groups in all, each new group is held by one worker only (digests/engine/shards.py).
    """
    count = workers if workers is not None else default_workers()
    shared = _Objects(objects)
    seeds = new_seeds()
    tallies = [Tally(start, stop, seeds) for _ in range(max(1, count))]
    shards = Shards(tallies, shard_from)
    figures = DigestFigures()
    try:
        _run_workers(shared, shards, tallies, figures, block_bytes, read_ahead)
    finally:
        shared.close()
    shards.finish()
    for tally in tallies:
        tally.figures(figures)
    figures.held = sum(tally.groups for tally in tallies)
    figures.held_bytes = sum(tally.nbytes for tally in tallies)
    figures.groups = write_tallies(tallies, out, len(tallies))
    return figures


def default_workers() -> int:
    """One worker per CPU, at most MAX_WORKERS. A worker alone already keeps two CPUs half busy (it scans
    while its helper decompresses), but two on two CPUs finish sooner, as neither waits for the other
    (the README's benchmark: 2.79 s against 2.98 s), for the memory of a second table."""
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


# --- workers -------------------------------------------------------------------------------------------


class _Failure(Exception):
    """An error that belongs to the object numbered `number` (in the order the source gave them)."""

    def __init__(self, number: int, error: BaseException) -> None:
        super().__init__(number, error)
        self.number = number
        self.error = error


class _Objects:
    """The objects, handed out one at a time to whichever worker asks, numbered in order.

    After a failure no object is handed out; the workers finish the objects numbered before it, which may
    fail too, and the error of the first object that failed is the one raised, whatever the workers' pace:
    the one a single worker would have met.
    """

    def __init__(self, objects: Iterable[FlowLogObject]) -> None:
        self._source = iter(objects)
        self._lock = threading.Lock()
        self._taken = 0
        self._done = False
        self.failed_at: int | None = None
        self.error: BaseException | None = None

    def take(self) -> tuple[int, FlowLogObject] | None:
        with self._lock:
            if self._done or self.failed_at is not None:
                return None
            try:
                obj = next(self._source)
            except StopIteration:
                self._done = True
                return None
            except Exception as error:
                raise _Failure(self._taken, error) from error
            number, self._taken = self._taken, self._taken + 1
            return number, obj

    def fail(self, number: int, error: BaseException) -> None:
        with self._lock:
            if self.failed_at is None or number < self.failed_at:
                self.failed_at, self.error = number, error

    def abort(self, error: BaseException) -> None:
        """Stops every worker at its next piece: an interrupt or a time limit, not an object's fault."""
        with self._lock:
            self.failed_at, self.error = -1, error

    def abandons(self, number: int) -> bool:
        """Whether work on this object is moot: an object before it failed."""
        return self.failed_at is not None and number > self.failed_at

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def _run_workers(
    shared: _Objects,
    shards: Shards,
    tallies: list[Tally],
    figures: DigestFigures,
    block_bytes: int,
    read_ahead: int,
) -> None:
    """Runs one worker per tally, the first in this thread; raises the first error any of them met."""
    results = [DigestFigures() for _ in tallies]
    threads = [
        threading.Thread(
            target=_work_in_thread,
            args=(shared, _Worker(number, tally, shards), result, block_bytes, read_ahead),
            name=f"flowlog-digest-{number}",
            daemon=True,
        )
        for number, (tally, result) in enumerate(zip(tallies, results, strict=True))
        if number > 0
    ]
    for thread in threads:
        thread.start()
    try:
        _work(shared, _Worker(0, tallies[0], shards), results[0], block_bytes, read_ahead)
    except BaseException as error:  # not an object's fault (Exceptions are recorded against their object)
        shared.abort(error)
        raise
    finally:
        for thread in threads:  # after a failure they finish the objects before it, and stop
            thread.join()
    if shared.error is not None:
        raise shared.error
    for result in results:
        figures.files += result.files
        figures.bytes_read += result.bytes_read


@dataclass
class _Worker:
    number: int
    tally: Tally
    shards: Shards


def _work(
    shared: _Objects, worker: _Worker, figures: DigestFigures, block_bytes: int, read_ahead: int
) -> None:
    """Scans the pieces of the objects this worker takes until there are none left, or one before failed."""
    pieces = readahead.read_ahead(_pieces(shared, block_bytes), read_ahead)
    layout: RecordLayout | None = None
    current = 0
    tally = worker.tally
    try:
        for piece in pieces:
            if shared.abandons(piece.obj):
                return
            worker.shards.between_pieces(worker.number)
            if piece.obj != current:
                current, layout = piece.obj, None  # a layout holds within its object only
            if isinstance(piece, Lines):
                layout = _scan_lines(tally, piece, layout if piece.layout is None else piece.layout)
            elif isinstance(piece, Unknown):
                tally.skip(SKIP_UNKNOWN_LAYOUT, piece.records)
            else:
                figures.files += 1
                figures.bytes_read += piece.stored_bytes
        worker.shards.worker_stopped(worker.number)
    except _Failure as failure:
        shared.fail(failure.number, failure.error)
    except Exception as error:  # raised by the calling thread, if its object failed first
        shared.fail(current, error)
    finally:
        pieces.close()


def _work_in_thread(
    shared: _Objects, worker: _Worker, figures: DigestFigures, block_bytes: int, read_ahead: int
) -> None:
    try:
        _work(shared, worker, figures, block_bytes, read_ahead)
    except BaseException as error:  # a thread has no caller to raise to: everyone stops, the caller raises it
        shared.abort(error)


def _scan_lines(tally: Tally, piece: Lines, layout: RecordLayout | None) -> RecordLayout | None:
    """Scans whole lines; the lines the kernel leaves to Python are headers, name-like or not ASCII."""
    data = piece.data
    buf = np.frombuffer(data, np.uint8)
    position = piece.begin
    strict = piece.layout is None
    clean = data.isascii() and b"\t" not in data and b"\r" not in data  # C speed, whole block
    while True:
        position, code = tally.scan(buf, position, piece.end, layout, strict, clean)
        if code == kernel.DONE:
            return layout
        following = data.index(b"\n", position) + 1
        line = data[position:following]
        if code == kernel.HEADER:
            tokens = split_tokens(line[:-1])
            if is_header(tokens):
                layout = header_layout(tokens)
            else:
                _scan_line(tally, line, layout)
        else:  # NON_ASCII
            _scan_line(tally, line.decode("utf-8", "replace").encode(), layout)
        position = following


def _scan_line(tally: Tally, line: bytes, layout: RecordLayout | None) -> None:
    tally.scan(np.frombuffer(line, np.uint8), 0, len(line), layout, strict=False)


# --- decoding: objects to pieces of whole lines ---------------------------------------------------------


def _pieces(shared: _Objects, block_bytes: int) -> Iterator[Piece]:
    while (taken := shared.take()) is not None:
        number, obj = taken
        key, data = obj.key, obj.data
        del obj, taken  # only the bytes stay alive while they are decoded
        try:
            yield from object_pieces(number, key, data, block_bytes)
        except Exception as error:
            raise _Failure(number, error) from error
        yield Done(number, len(data))
        del data
