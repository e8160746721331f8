"""`/healthz`: is the database reachable, and has a django-q2 worker been seen recently?

A plain Django view with no authentication, for load balancers and orchestrators: 200 when every part is
"ok", else 503 with the failing part explained. Error texts name the exception type only, since anyone
may read them.

The worker counts as seen when either
- a cluster's status is in the django-q2 cache (`Stat.get_all()`: the sentinel refreshes it every half
  second, with a 3 s expiry), which also covers workers too busy with long graphs to run the heartbeat; or
- the heartbeat task (`ops.heartbeat`) ran within `HEARTBEAT_MAX_AGE`, which proves tasks execute.
Both live in the cache, so a process-local cache (LocMemCache) can never show the worker: reported as such.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_q.conf import Conf
from django_q.status import Stat

from ops.heartbeat import heartbeat_cache, heartbeat_last

log = logging.getLogger(__name__)
OK = "ok"
# The schedule fires every minute and the scheduler looks every 30 s; allow for a queue ahead of it.
HEARTBEAT_MAX_AGE = timedelta(minutes=3)
# /healthz answers within 2 s: the database gets this long. Probes stuck on a hung database (until the
# connect or statement timeout frees them) are at most four.
DATABASE_DEADLINE_S = 1.5
_probe_slots = threading.BoundedSemaphore(4)


def database_check() -> str:
    """Ask the database in a probe thread and wait at most DATABASE_DEADLINE_S: a database that accepts
    connections and never answers must not hold the health check (nor the load balancer asking it).
    Daemon threads, so a probe stuck until the connect timeout never delays the process's exit."""
    if not _probe_slots.acquire(blocking=False):
        return "unreachable (earlier checks are still waiting for it)"
    answers: list[str] = []

    def probe() -> None:
        try:
            answers.append(_database_ping())
        finally:
            _probe_slots.release()

    thread = threading.Thread(target=probe, name="healthz-database", daemon=True)
    thread.start()
    thread.join(DATABASE_DEADLINE_S)
    if answers:
        return answers[0]
    log.error("healthz: the database did not answer within %s s", DATABASE_DEADLINE_S)
    return f"unreachable (no answer within {DATABASE_DEADLINE_S} s)"


def _database_ping() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.error("healthz: database unreachable: %s", error)
        return f"unreachable ({type(error).__name__})"
    finally:
        connection.close()  # the probe thread's own connection; a hung one is abandoned with it
    return OK


def worker_check() -> tuple[str, dict[str, object]]:
    """The verdict, and what was seen (for the operator reading the JSON)."""
    cache = heartbeat_cache()
    if isinstance(cache, LocMemCache | DummyCache):
        alias = Conf.CACHE
        return f"unknown: cache {alias!r} is {type(cache).__name__}, private to each process", {}
    try:
        clusters = _live_clusters()
        beat = heartbeat_last()
    except Exception as error:  # any cache backend error means "cannot tell"
        log.error("healthz: worker status unreadable: %s", error)
        return f"unknown: the cache is unreadable ({type(error).__name__})", {}
    seen: dict[str, object] = {"clusters": clusters, "heartbeat": beat.isoformat() if beat else None}
    if clusters:
        return OK, seen
    if beat is not None and timezone.now() - beat <= HEARTBEAT_MAX_AGE:
        return OK, seen
    if beat is None:
        return "not seen: no running django-q2 cluster and no heartbeat", seen
    age = int((timezone.now() - beat).total_seconds())
    return f"not seen: no running django-q2 cluster, last heartbeat {age} s ago", seen


def _live_clusters() -> int:
    stopped = {str(Conf.STOPPING), str(Conf.STOPPED)}
    return sum(1 for stat in Stat.get_all() if str(stat.status) not in stopped)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_check()
    if database == OK:
        worker, seen = worker_check()
    else:  # the worker's traces are in the database (cache, broker): asking would hang or fail too
        worker, seen = "unknown: the database does not answer", {}
    body: dict[str, object] = {"database": database, "worker": worker, **seen}
    healthy = body["database"] == OK and worker == OK
    body["status"] = OK if healthy else "failing"
    return JsonResponse(body, status=200 if healthy else 503)


def worker_seen() -> str:
    """`worker_check`'s verdict for the pages and the API: "ok", or why no worker counts as seen.

    The verdict reads the cache. In a savepoint, so that a failed read (the database cache's table not
    created yet) cannot leave the caller's transaction aborted on PostgreSQL."""
    try:
        with transaction.atomic():
            verdict, _ = worker_check()
    except DatabaseError as error:
        return f"unknown: the cache is unreadable ({type(error).__name__})"
    return verdict
