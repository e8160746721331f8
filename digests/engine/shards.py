"""Sharded scans: in a window of many groups, each group is held by one worker's tally only.

Unsharded, every worker adds the records it reads to its own tally, so a group whose records were read by
several workers is held by each of them (in a window of two records a group, two workers hold about 1.3
copies of each), and the finish (digests/engine/partitions.py) merges the copies. Once the tallies hold
`from_groups` groups in all, the workers switch to shards: a group belongs to the worker chosen by its hash
(kernel.SHARD_SHIFT), a worker keeps the records of its own groups and sends the others' to their owners
in parcels (kernel.scan's outboxes), and each worker absorbs the parcels sent to it between the pieces it
scans, and once more after all have stopped. From then on a new group is held once, whatever the number
of workers; the groups seen before the switch stay where they are until the finish hands each to the tally of its
shard (`tallies_settle`; counted in all, not per worker, so that they stay about `from_groups` however
many workers there are).

The cost is a copy of the other workers' records (their batch rows and key text), which small windows
need not pay: below `from_groups` the tallies are small enough that a copy each is cheap.
"""

from __future__ import annotations

import functools
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from digests.engine.tally import Parcel, Tally

SHARD_FROM_GROUPS = 1 << 18


class Shards:
    """The workers' tallies (worker `n` owns `tallies[n]`) and the parcels on their way to each."""

    def __init__(self, tallies: list[Tally], from_groups: int = SHARD_FROM_GROUPS) -> None:
        self._tallies = tallies
        self._inboxes: list[queue.SimpleQueue[Parcel]] = [queue.SimpleQueue() for _ in tallies]
        self._from = from_groups if len(tallies) > 1 else None
        self._on = threading.Event()

    @property
    def on(self) -> bool:
        return self._on.is_set()

    def between_pieces(self, worker: int) -> None:
        """Called by a worker between the pieces it scans: switches to shards once a tally is large, and
        absorbs the parcels the others sent this worker."""
        if self._from is None:
            return
        tally = self._tallies[worker]
        # Read while the others scan: a count a block late only moves the switch by a block.
        if not self._on.is_set() and sum(each.groups for each in self._tallies) >= self._from:
            self._on.set()
        if self._on.is_set() and not tally.sharded:
            # The inboxes' own put, not a method of this object: a tally that referred back to the object
            # holding every tally would make a reference cycle, and keep the tables alive until Python's
            # cyclic collector happened to run (hundreds of MB a digest).
            tally.shard(len(self._tallies), worker, functools.partial(_send, self._inboxes))
        self._absorb(worker)

    def worker_stopped(self, worker: int) -> None:
        """Called by a worker when it has no piece left: what its outboxes hold goes to its owners."""
        tally = self._tallies[worker]
        if tally.sharded:
            tally.send_all()

    def finish(self) -> None:
        """Once every worker has stopped: each tally absorbs the parcels left for it, in parallel (the
        compiled code runs without the GIL)."""
        if not self._on.is_set():
            return
        with ThreadPoolExecutor(len(self._tallies), thread_name_prefix="flowlog-shard") as pool:
            list(pool.map(self._absorb, range(len(self._tallies))))

    def _absorb(self, worker: int) -> None:
        inbox, tally = self._inboxes[worker], self._tallies[worker]
        while True:
            try:
                parcel = inbox.get_nowait()
            except queue.Empty:
                return
            tally.absorb(parcel)


def _send(inboxes: list[queue.SimpleQueue[Parcel]], shard: int, parcel: Parcel) -> None:
    inboxes[shard].put(parcel)


def tallies_settle(tallies: list[Tally], threads: int) -> list[np.ndarray]:
    """Makes the tallies disjoint: each group ends up in the tally of its shard (`tallies[n]` is shard n of
    len(tallies)) with the sums of every copy; returns, for each tally, the flags of the groups it gave
    away (numbered as in that tally), which the finish leaves out.

    Only groups taken before a tally switched to shards can belong to another shard (all of a tally's
    groups, if it never switched), so a sharded digest moves at most about `from_groups` of them. Three
    steps, the compiled ones in `threads` threads: find each tally's foreign groups; grow each tally for
    the groups it will take (in this thread: growing moves a table's rows); then each tally takes its
    groups from every other. A tally only writes its own arrays, and reads the others' given-away groups,
    which nobody writes any more, so the takers need no lock.
    """
    if len(tallies) < 2:
        return [np.zeros(0, np.uint8) for _ in tallies]
    shards = len(tallies)
    below = [tally.unsharded_groups for tally in tallies]  # before they take others' groups
    with ThreadPoolExecutor(threads, thread_name_prefix="flowlog-settle") as pool:
        found = list(pool.map(lambda owner: tallies[owner].foreign(shards, owner), range(shards)))
        for owner, tally in enumerate(tallies):
            incoming = [(bounds[owner + 1] - bounds[owner], text[owner]) for _, bounds, text in found]
            tally.reserve(sum(int(groups) for groups, _ in incoming), sum(int(text) for _, text in incoming))
        rows = list(pool.map(lambda tally: tally.rows(), tallies))

        def take(owner: int) -> None:
            for giver, (members, bounds, _) in enumerate(found):
                if giver != owner and bounds[owner + 1] > bounds[owner]:
                    chosen = members[bounds[owner] : bounds[owner + 1]]
                    tallies[owner].gather(tallies[giver], rows[giver], chosen)

        list(pool.map(take, range(shards)))
    moved = []
    for count, (members, _, _) in zip(below, found, strict=True):
        flags = np.zeros(count, np.uint8)
        flags[members] = 1
        moved.append(flags)
    return moved
