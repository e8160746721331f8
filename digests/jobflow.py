"""The job lifecycle shared by graphs and digests: request, fetch, run, re-run.

Both seed services have the same shape (API POST/GET plus a worker route); `JobKind` carries what
differs. The rules that make jobs idempotent live here once:
- ids are UUIDv5 of the window, so a window always maps to one row;
- a worker claims a job with a conditional UPDATE, so a redelivered or duplicated task is a no-op;
- the marker is written before queueing (the seed wrote it after, racing its own worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from digests.models import ACTIVE_STATUSES, Job, JobStatus
from digests.ports import ArtifactStore, DependencyFailure, Marker, Queuer
from digests.types import FlowLogReadError
from digests.window import Window, WindowError, instant_parse

log = logging.getLogger(__name__)


class JobInProgress(Exception):
    def __init__(self, namespace: str, job_id: str) -> None:
        super().__init__(f"{namespace} {job_id} is being created")
        self.job_id = job_id


class ArtifactExists(Exception):
    def __init__(self, namespace: str, job_id: str, window: Window) -> None:
        super().__init__(
            f"{namespace} for the time {window.start.rfc3339()} to {window.stop.rfc3339()} already exists"
        )
        self.job_id = job_id


class JobFailed(Exception):
    """The work itself failed; the message is safe to show (no internal details)."""


@dataclass(frozen=True)
class JobKind:
    namespace: str  # "graph" or "digest": the UUIDv5 namespace name and the word in messages
    model: type[Job]
    suffix: str  # the artifact's key suffix (`.dot`, `.log.gz`)
    store: Callable[[], ArtifactStore]
    marker: Callable[[], Marker]
    queuer: Callable[[], Queuer]
    build: Callable[[Job, Window], dict[str, Any]]  # does the work, stores the artifact, returns figures
    max_attempts: Callable[[], int]
    stale_after: Callable[[], timedelta]  # a RUNNING job older than this was abandoned by a dead worker


def _rows(kind: JobKind) -> QuerySet[Job]:
    return kind.model._default_manager.all()


def job_request(kind: JobKind, window: Window) -> Job:
    """API POST: refuse when in progress or already built, else record, mark and queue the job."""
    job_id = window.job_id(kind.namespace)
    marker, store = kind.marker(), kind.store()
    if marker.in_progress(job_id):
        raise JobInProgress(kind.namespace, job_id)
    if store.exists(job_id, kind.suffix):
        raise ArtifactExists(kind.namespace, job_id, window)
    job = _job_enqueue_row(kind, job_id, window)
    _mark_best_effort(marker, job_id)
    try:
        kind.queuer().queue(job_id, window)
    except DependencyFailure:
        _job_finish_failed(kind, job_id, "the job could not be queued")
        _unmark_best_effort(marker, job_id)
        raise
    return job


def job_fetch(kind: JobKind, window: Window) -> IO[bytes]:
    """API GET: a fresh marker wins (in progress), else the stored artifact or NotFound."""
    job_id = window.job_id(kind.namespace)
    if kind.marker().in_progress(job_id):
        raise JobInProgress(kind.namespace, job_id)
    return kind.store().open(job_id, kind.suffix)


def job_rerun(kind: JobKind, job: Job) -> Job:
    """Build a job again even if its artifact exists (admin and API v1 re-run). Raises JobInProgress
    while it is queued or running, unless its worker has gone silent for longer than a task may run."""
    window = job_window(job)
    job = _job_enqueue_row(kind, str(job.id), window)
    _mark_best_effort(kind.marker(), str(job.id))
    try:
        kind.queuer().queue(str(job.id), window)
    except DependencyFailure:
        _job_finish_failed(kind, str(job.id), "the job could not be queued")
        _unmark_best_effort(kind.marker(), str(job.id))
        raise
    return job


def job_fail_stuck(kind: JobKind, job_id: str, reason: str = "marked failed by an operator") -> bool:
    """Mark a queued or running job failed; returns whether it was still active."""
    updated = (
        _rows(kind)
        .filter(id=job_id, status__in=ACTIVE_STATUSES)
        .update(status=JobStatus.FAILED, error=reason, finished_at=timezone.now())
    )
    if updated:
        _unmark_best_effort(kind.marker(), job_id)
    return bool(updated)


def job_reset_failed(kind: JobKind, job_id: str) -> bool:
    return bool(
        _rows(kind)
        .filter(id=job_id, status=JobStatus.FAILED)
        .update(status=JobStatus.QUEUED, attempts=0, error="", queued_at=timezone.now())
    )


def job_run(kind: JobKind, job_id: str, window: Window, *, requeue_on_failure: bool) -> Job | None:
    """Worker: claim the job and build it. Returns None when there was nothing to do (already done or
    running elsewhere). Raises JobFailed when the build failed (after re-queueing it if attempts remain)."""
    _job_ensure_row(kind, job_id, window)
    if not _job_claim(kind, job_id):
        job = _rows(kind).get(id=job_id)
        if job.status == JobStatus.FAILED:
            raise JobFailed(f"{kind.namespace} {job_id} failed: {job.error}")
        if job.status == JobStatus.DONE:
            kind.marker().unmark(job_id)  # the delivery that built it may have failed just here
        log.info("job-skipped %s %s: status %s", kind.namespace, job_id, job.status)
        return None
    job = _rows(kind).get(id=job_id)
    try:
        figures = kind.build(job, window)
    except Exception as error:
        _job_after_error(kind, job, window, error, requeue_on_failure)
        raise JobFailed(f"{kind.namespace} {job_id} failed: {_public_error(error)}") from error
    _rows(kind).filter(id=job_id).update(
        status=JobStatus.DONE, error="", finished_at=timezone.now(), **figures
    )
    kind.marker().unmark(job_id)  # a failure here is retried by the next delivery (see above)
    job.refresh_from_db()
    return job


def job_window(job: Job) -> Window:
    return Window(instant_parse(job.start_text), instant_parse(job.stop_text))


def worker_window(start: str, stop: str) -> Window:
    """The worker route's checks, in the seed's order and words: start, stop, then stop > start."""
    begin, end = instant_parse(start), instant_parse(stop)
    if end.epoch_ns <= begin.epoch_ns:
        raise WindowError("invalid time range")
    return Window(begin, end)


# --- rows ----------------------------------------------------------------------------------------


def _row_values(window: Window) -> dict[str, Any]:
    return {
        "start": window.start.to_datetime(),
        "stop": window.stop.to_datetime(),
        "start_text": window.start.rfc3339nano(),
        "stop_text": window.stop.rfc3339nano(),
    }


def _job_enqueue_row(kind: JobKind, job_id: str, window: Window) -> Job:
    """Create the row as QUEUED, or move an idle one back to QUEUED. Of two concurrent requests for
    one window exactly one gets here without JobInProgress."""
    now = timezone.now()
    values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": now, "error": ""}
    try:
        with transaction.atomic():
            job, created = _rows(kind).get_or_create(id=job_id, defaults=values)
    except IntegrityError:
        created = False
    if created:
        return job
    idle = ~Q(status__in=ACTIVE_STATUSES) | Q(updated_at__lt=now - kind.stale_after())
    claimed = (
        _rows(kind)
        .filter(Q(id=job_id) & idle)
        .update(**values, attempts=0, started_at=None, finished_at=None)
    )
    if not claimed:
        raise JobInProgress(kind.namespace, job_id)
    return _rows(kind).get(id=job_id)


def _job_ensure_row(kind: JobKind, job_id: str, window: Window) -> None:
    """The worker route can receive jobs queued by another API instance: give them a row."""
    values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": timezone.now()}
    try:
        with transaction.atomic():
            _rows(kind).get_or_create(id=job_id, defaults=values)
    except IntegrityError:
        pass


def _job_claim(kind: JobKind, job_id: str) -> bool:
    now = timezone.now()
    # A failed job is claimable again while attempts remain: the stream appliance retries a 500.
    stale = Q(status=JobStatus.RUNNING, started_at__lt=now - kind.stale_after())
    claimable = (Q(status__in=(JobStatus.QUEUED, JobStatus.FAILED)) | stale) & Q(
        attempts__lt=kind.max_attempts()
    )
    return bool(
        _rows(kind)
        .filter(Q(id=job_id) & claimable)
        .update(status=JobStatus.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1)
    )


def _job_after_error(kind: JobKind, job: Job, window: Window, error: Exception, requeue: bool) -> None:
    log.warning("dependency-failure %s %s attempt %s: %s", kind.namespace, job.id, job.attempts, error)
    if requeue and job.attempts < kind.max_attempts():
        requeued = (
            _rows(kind)
            .filter(id=job.id, status=JobStatus.RUNNING)
            .update(status=JobStatus.QUEUED, error=_public_error(error), queued_at=timezone.now())
        )
        if requeued:
            try:
                kind.queuer().queue(str(job.id), window)
                return
            except DependencyFailure as queue_error:
                error = queue_error
    _job_finish_failed(kind, str(job.id), _public_error(error))
    _unmark_best_effort(kind.marker(), str(job.id))


def _job_finish_failed(kind: JobKind, job_id: str, message: str) -> None:
    _rows(kind).filter(id=job_id).update(status=JobStatus.FAILED, error=message, finished_at=timezone.now())


def _public_error(error: BaseException) -> str:
    """Errors the operator can act on keep their text; anything else is named by its type only."""
    if isinstance(error, JobFailed | FlowLogReadError):
        return str(error)
    if isinstance(error, DependencyFailure):
        return f"{error.dependency} failed: {error.detail}"
    return f"internal error ({type(error).__name__}); see the worker log"


def _mark_best_effort(marker: Marker, job_id: str) -> None:
    try:
        marker.mark(job_id)
    except DependencyFailure as error:
        log.error("dependency-failure marker %s: %s", job_id, error)


def _unmark_best_effort(marker: Marker, job_id: str) -> None:
    try:
        marker.unmark(job_id)
    except DependencyFailure as error:
        log.error("dependency-failure marker %s: %s", job_id, error)
