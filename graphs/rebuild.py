"""The schedule that rebuilds incomplete windows once AWS's delivery delay has passed.

A window built before its flow logs could all be delivered has `rebuild_at` (jobs.completeness); every
minute a django-q2 schedule re-queues the done graphs (reading their flow logs again) and the digests
asked for through `/digests/` whose time has come. A digest under a graph being rebuilt is left to that
graph's build, so it is not read twice. Re-queueing goes through the job flow, so a busy job is skipped
and a redelivered task is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_q.models import Schedule

from digests.models import Digest
from digests.services import digest_flow
from graphs.models import Graph
from graphs.services import graph_rerun
from jobs.errors import JobInProgress
from jobs.models import Job, JobStatus
from jobs.ports import DependencyFailure
from jobs.window import WindowError
from ops.schedules import every_minute_ensure

log = logging.getLogger(__name__)
REBUILD_TASK = "graphs.tasks.graph_rebuild_due_task"
REBUILD_SCHEDULE = "grapherd rebuild of incomplete windows"


def graph_rebuild_due(now: datetime | None = None) -> int:
    """Re-queue every done graph and lone digest whose rebuild time has come; returns how many."""
    now = now or timezone.now()
    graphs = _due(Graph.objects.all(), now)
    count = sum(1 for graph in graphs if _requeue(graph, lambda job: graph_rerun(job, reuse_digest=False)))
    under_graphs = Graph.objects.filter(rebuild_at__isnull=False, digest_id__isnull=False)
    digests = _due(Digest.objects.all(), now).exclude(id__in=under_graphs.values("digest_id"))
    count += sum(1 for digest in digests if _requeue(digest, digest_flow().rerun))
    return count


def _due(rows: QuerySet[Graph] | QuerySet[Digest], now: datetime) -> QuerySet[Graph] | QuerySet[Digest]:
    return rows.filter(status=JobStatus.DONE, rebuild_at__lte=now).order_by("rebuild_at")


def _requeue(job: Job, rerun: Callable[[Any], Job]) -> bool:
    try:
        rerun(job)
    except JobInProgress:
        return False
    except (DependencyFailure, WindowError) as error:
        log.warning("rebuild %s %s not queued: %s", type(job).__name__, job.id, error)
        return False
    log.info("rebuild %s %s: the delivery delay of its window has passed", type(job).__name__, job.id)
    return True


def rebuild_schedule_ensure() -> Schedule:
    """Create or repair the every-minute schedule; called after every migrate, like the heartbeat's."""
    return every_minute_ensure(REBUILD_SCHEDULE, REBUILD_TASK)
