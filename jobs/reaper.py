"""The reaper: jobs whose worker died are queued again, or failed once their attempts are used up.

A running job's lease (`jobs.leases`) runs out within `GRAPHERD_JOB_LEASE` of its worker's death. The
reaper runs every 30 seconds on a worker (two django-q2 schedules half a minute apart, since django-q2
schedules count whole minutes) and when `manage.py qcluster` starts. Every change is a conditional
UPDATE on the expired run (its claim time is the token), so two reapers at once, or a reaper racing a
late worker, change a row once.

Each app with jobs names its flow in its AppConfig (`job_flow = "graphs.services.graph_flow"`), so this
module needs no import of the apps above it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from jobs.flow import JobFlow
from jobs.leases import lease_expired, write_retrying
from jobs.models import JobStatus
from jobs.ports import DependencyFailure
from jobs.window import job_window
from ops.schedules import every_minute_ensure

log = logging.getLogger(__name__)
REAP_TASK = "jobs.tasks.jobs_reap_task"
REAP_SCHEDULES = ("grapherd job reaper", "grapherd job reaper (half past)")


def job_flows() -> list[JobFlow]:
    """The flow of every installed app that declares one."""
    paths = [getattr(config, "job_flow", "") for config in apps.get_app_configs()]
    return [import_string(path)() for path in paths if path]


def jobs_reap(now: datetime | None = None) -> dict[str, int]:
    """Re-queue or fail every job whose lease has expired, and queue again the jobs whose task was lost;
    returns how many of each."""
    totals = {"requeued": 0, "failed": 0, "resent": 0}
    for flow in job_flows():
        for outcome in flow_reap(flow, now or timezone.now()):
            totals[outcome] += 1
    if any(totals.values()):
        log.warning(
            "jobs-reaped requeued=%s failed=%s resent=%s",
            totals["requeued"],
            totals["failed"],
            totals["resent"],
        )
    return totals


def flow_reap(flow: JobFlow, now: datetime) -> list[str]:
    rows = flow.model._default_manager
    # Done, but its worker died during the optional work after the artifact (SVG, connection table): the
    # job stays done and says what is missing (graphs.flow); only the lease is let go.
    _update(flow, Q(status=JobStatus.DONE, lease_until__lt=now), {})
    expired = list(rows.filter(lease_expired(now, flow.stale_after())).values("id", "attempts", "started_at"))
    reaped = [outcome for row in expired if (outcome := _reap_one(flow, row, now))]
    return reaped + _resend_forgotten(flow, now)


def _resend_forgotten(flow: JobFlow, now: datetime) -> list[str]:
    """Jobs queued longer than a job may run and never claimed: their task was lost (Redis pops a task
    without a receipt, so a worker killed between the pop and the claim loses it). Queue them again once
    per such period; a second task of a job that was only waiting is harmless (one claim wins)."""
    waited = Q(status=JobStatus.QUEUED, queued_at__lt=now - flow.stale_after())
    resent = []
    for row in flow.model._default_manager.filter(waited).values("id", "queued_at"):
        job_id = str(row["id"])
        if not _update(
            flow, Q(id=job_id, status=JobStatus.QUEUED, queued_at=row["queued_at"]), {"queued_at": now}
        ):
            continue  # claimed or resent meanwhile
        try:
            flow.queuer().queue(job_id, job_window(flow.model._default_manager.get(id=job_id)))
            resent.append("resent")
        except DependencyFailure as error:
            log.error("dependency-failure reaper %s %s: %s", flow.namespace, job_id, error)
    return resent


def _reap_one(flow: JobFlow, row: Mapping[str, Any], now: datetime) -> str:
    """'requeued', 'failed', or '' when the row changed meanwhile (finished, reaped by another reaper)."""
    job_id, attempts = str(row["id"]), row["attempts"]
    this_run = Q(id=job_id, status=JobStatus.RUNNING, started_at=row["started_at"])
    stopped = f"the worker running attempt {attempts} of {flow.max_attempts()} stopped (its lease ran out)"
    if attempts < flow.max_attempts():
        values = {"status": JobStatus.QUEUED, "queued_at": now, "error": f"{stopped}; queued again"}
        if not _update(flow, this_run, values):
            return ""
        try:
            job = flow.model._default_manager.get(id=job_id)
            flow.queuer().queue(job_id, job_window(job))
            return "requeued"
        except DependencyFailure as error:
            log.error("dependency-failure reaper %s %s: %s", flow.namespace, job_id, error)
            this_run = Q(id=job_id, status=JobStatus.QUEUED)
            stopped = f"{stopped}; it could not be queued again ({error.detail})"
    values = {"status": JobStatus.FAILED, "finished_at": now, "error": f"{stopped}; no attempts left"}
    if not _update(flow, this_run, values):
        return ""
    try:
        flow.marker().unmark(job_id)
    except DependencyFailure as error:
        log.error("dependency-failure marker %s: %s", job_id, error)
    return "failed"


def _update(flow: JobFlow, where: Q, values: dict[str, Any]) -> int:
    rows = flow.model._default_manager.filter(where)
    write = lambda: rows.update(**values, lease_until=None, updated_at=timezone.now())  # noqa: E731
    return write_retrying(write, "reap")


def reaper_schedules_ensure() -> list[Schedule]:
    """Create or repair the two every-minute schedules, half a minute apart; safe on every migrate."""
    first_run = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    return [
        every_minute_ensure(name, REAP_TASK, first_run + timedelta(seconds=30 * offset))
        for offset, name in enumerate(REAP_SCHEDULES)
    ]
