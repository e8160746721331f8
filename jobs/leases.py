"""Job leases and writes that survive a database blip.

A running job holds a lease on its row (`lease_until`), renewed by a thread of the worker while the job
runs. A worker killed with SIGKILL (or the OOM killer, or a lost machine) renews nothing, so its lease
runs out within `GRAPHERD_JOB_LEASE` and the reaper (`jobs.reaper`) queues the job again, instead of
waiting for django-q2's task timeout and retry (12+ minutes; django-q2 issue #327: it never counts the
attempt of a dead worker, which is why attempts are counted on the row, at claim time).

The end of a job (done or failed, with its figures) is one UPDATE; when the database drops the connection
then, `write_retrying` reconnects and tries again for a while. If the database stays away for longer, the
lease runs out and the reaper makes sure the job is not left `running` for ever.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from jobs.models import JobStatus
from ops.config import config_get

log = logging.getLogger(__name__)
T = TypeVar("T")

RENEWALS_PER_LEASE = 6  # a lease survives five missed renewals (a busy database, a long GIL hold)
# Backoff of the retried end-of-job write: ~1 minute in all, then the lease and the reaper take over.
WRITE_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
_CONNECTION_ERRORS = (OperationalError, InterfaceError)


def lease_length() -> timedelta:
    return timedelta(seconds=config_get().job_lease_s)


def lease_until(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + lease_length()


def write_retrying(write: Callable[[], T], what: str) -> T:
    """Run a database write, reconnecting and retrying with backoff while the connection is broken.

    Only connection errors are retried (a constraint violation would fail the same way again). Outside a
    transaction only: inside one, a broken connection has lost the transaction's earlier writes too.
    """
    for delay in (*WRITE_DELAYS_S, None):
        try:
            return write()
        except _CONNECTION_ERRORS as error:
            if delay is None or connection.in_atomic_block:
                raise
            log.warning("database-retry %s in %.1f s: %s", what, delay, error)
            _reconnect()
            time.sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises


def _reconnect() -> None:
    """Drop the broken connection; Django opens a new one on the next query."""
    with contextlib.suppress(DatabaseError):  # closing a dead connection can fail; it is discarded anyway
        connection.close()
    close_old_connections()


class LeaseKeeper:
    """Renews a running job's lease from a thread for as long as the `with` block runs.

    `renew` is one conditional UPDATE that returns how many rows it changed: 0 means the job is no longer
    this worker's (the reaper re-queued it, an operator failed it), and the keeper stops renewing.
    """

    def __init__(self, renew: Callable[[], int], job_label: str, every_s: float | None = None) -> None:
        self.renew = renew
        self.job_label = job_label
        self.every_s = every_s if every_s is not None else config_get().job_lease_s / RENEWALS_PER_LEASE
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease {job_label}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.every_s):
                if not self._renew_once():
                    return
        finally:
            connection.close()  # this thread's own connection

    def _renew_once(self) -> bool:
        """Returns whether to go on renewing."""
        try:
            if self.renew():
                return True
            log.warning("lease-lost %s: the job was re-queued or stopped elsewhere", self.job_label)
            return False
        except DatabaseError as error:
            # The next renewal may get through; until the lease runs out nothing is lost.
            log.warning("lease-renewal-failed %s: %s", self.job_label, error)
            _reconnect()
            return True


def lease_held(now: datetime, stale_after: timedelta) -> Q:
    """Running with a live lease. Rows claimed before leases existed have none: for them the task timeout
    (`stale_after`) still decides."""
    legacy = Q(lease_until__isnull=True, started_at__gte=now - stale_after)
    return Q(status=JobStatus.RUNNING) & (Q(lease_until__gte=now) | legacy)


def run_ended(lease: datetime | None, now: datetime) -> bool:
    """Whether the run of a done row has ended, given its `lease_until`: a job is done once its artifact is
    stored, and keeps its lease while its worker writes what follows (tables, rich records, a preview).
    The lease let go is the end; a lease run out means its worker died and what it had left never comes."""
    return lease is None or lease < now


def lease_expired(now: datetime, stale_after: timedelta) -> Q:
    """Running, but its worker stopped renewing the lease: abandoned."""
    legacy = Q(lease_until__isnull=True, started_at__lt=now - stale_after)
    return Q(status=JobStatus.RUNNING) & (Q(lease_until__lt=now) | legacy)
