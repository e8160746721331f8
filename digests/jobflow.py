"""The job lifecycle shared by graphs and digests: request, fetch, run, re-run.

Both seed services have the same shape (API POST/GET plus a worker route); `JobKind` carries what
differs. The rules that make jobs idempotent live here once:
- ids are UUIDv5 of the window, so a window always maps to one row;
- a worker claims a job with a conditional UPDATE, so a redelivered or duplicated task is a no-op;
- the row says whether a job is in progress; the marker (written before queueing, the seed wrote it
  after and raced its own worker) speaks only for jobs this database has never seen, such as ones
  queued by a Go API sharing the buckets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from digests.models import ACTIVE_STATUSES, Job, JobStatus
from digests.ports import ArtifactStore, DependencyFailure, Marker, Queuer
from digests.types import FlowLogReadError
from digests.window import Window, WindowError, instant_parse

log = logging.getLogger(__name__)
RETRY_BACKOFF_SECONDS = 30.0  # doubled per attempt: a passing S3 or digester outage gets time to clear


class JobInProgress(Exception):
    def __init__(self, namespace: str, job_id: str) -> None:
        super().__init__(f"{namespace} {job_id} is being created")
        self.job_id = job_id


class ArtifactExists(Exception):
    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message)
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
    stale_after: Callable[[], timedelta]  # a running job not heard of for this long was abandoned
    progress_ttl: Callable[[], timedelta]  # *_PROGRESS_TIMEOUT: how long a queued job counts as in progress
    exists_message: Callable[[str, Window], str]  # the seed's 409 text when the artifact exists


def _rows(kind: JobKind) -> QuerySet[Job]:
    return kind.model._default_manager.all()


def _set(kind: JobKind, where: Q, **values: Any) -> int:
    """Conditional UPDATE; `updated_at` is auto_now, which querysets' update() would leave alone."""
    return _rows(kind).filter(where).update(**values, updated_at=timezone.now())


def _busy(kind: JobKind, now: datetime) -> Q:
    """Running and started within the task timeout, or queued within the marker TTL (the seed's
    *_PROGRESS_TIMEOUT; a TTL <= 0 means a queued job never counts as in progress, as in the seed)."""
    running = Q(status=JobStatus.RUNNING, started_at__gte=now - kind.stale_after())
    ttl = kind.progress_ttl()
    if ttl <= timedelta(0):
        return running
    return running | Q(status=JobStatus.QUEUED, queued_at__gte=now - ttl)


def job_status(kind: JobKind, job_id: str) -> str | None:
    return _rows(kind).filter(id=job_id).values_list("status", flat=True).first()


def job_busy(kind: JobKind, job: Job) -> bool:
    return _rows(kind).filter(Q(id=job.id) & _busy(kind, timezone.now())).exists()


def _in_progress(kind: JobKind, job_id: str) -> bool:
    job = _rows(kind).filter(id=job_id).first()
    if job is None:
        return kind.marker().in_progress(job_id)
    return job_busy(kind, job)


def job_request(kind: JobKind, window: Window) -> Job:
    """API POST: refuse when in progress or already built, else record, mark and queue the job."""
    job_id = window.job_id(kind.namespace)
    if _in_progress(kind, job_id):
        raise JobInProgress(kind.namespace, job_id)
    if kind.store().exists(job_id, kind.suffix):
        raise ArtifactExists(kind.exists_message(job_id, window), job_id)
    job = _job_enqueue_row(kind, job_id, window)
    _job_queue(kind, job_id, window)
    return job


def job_fetch(kind: JobKind, window: Window) -> IO[bytes]:
    """API GET: in progress (204) wins over a stored artifact, as in the seed; else the artifact or NotFound."""
    job_id = window.job_id(kind.namespace)
    if _in_progress(kind, job_id):
        raise JobInProgress(kind.namespace, job_id)
    return kind.store().open(job_id, kind.suffix)


def job_rerun(kind: JobKind, job: Job) -> Job:
    """Build a job again even if its artifact exists (admin and API v1). Raises JobInProgress while
    it is busy."""
    window = job_window(job)
    job = _job_enqueue_row(kind, str(job.id), window)
    _job_queue(kind, str(job.id), window)
    return job


def job_requeue_idle(kind: JobKind, job_id: str) -> bool:
    """Give a job that is not busy (done, failed or abandoned) a fresh start; used when its artifact
    has gone missing, so the next claim rebuilds it."""
    now = timezone.now()
    values = {"status": JobStatus.QUEUED, "attempts": 0, "error": "", "queued_at": now}
    return bool(_set(kind, Q(id=job_id) & ~_busy(kind, now), **values))


def job_fail_stuck(kind: JobKind, job_id: str, reason: str = "marked failed by an operator") -> bool:
    """Mark a queued or running job failed; returns whether it was still active."""
    where = Q(id=job_id, status__in=ACTIVE_STATUSES)
    # No attempts left, so a pending task or retry does not bring the job back.
    values = {"status": JobStatus.FAILED, "error": reason, "finished_at": timezone.now()}
    updated = _set(kind, where, **values, attempts=kind.max_attempts())
    if updated:
        _unmark_best_effort(kind.marker(), job_id)
    return bool(updated)


def job_run(kind: JobKind, job_id: str, window: Window, *, requeue_on_failure: bool) -> Job | None:
    """Worker: claim the job and build it. Returns None when there was nothing to do (done, running
    elsewhere, or failed with no attempts left). Raises JobFailed when this attempt failed (after
    re-queueing it while attempts remain)."""
    _job_ensure_row(kind, job_id, window)
    if not _job_claim(kind, job_id):
        job = _rows(kind).get(id=job_id)
        if job.status == JobStatus.DONE:
            kind.marker().unmark(job_id)  # the delivery that built it may have failed to unmark
        log.info(
            "job-skipped %s %s: status %s, attempts %s", kind.namespace, job_id, job.status, job.attempts
        )
        return None
    job = _rows(kind).get(id=job_id)
    try:
        figures = kind.build(job, window)
    except BaseException as error:
        # django-q2's task timeout and gunicorn's worker abort arrive as SystemExit: record them too.
        _job_after_error(kind, job, window, error, requeue_on_failure)
        if not isinstance(error, Exception):
            raise
        raise JobFailed(f"{kind.namespace} {job_id} failed: {_public_error(error)}") from error
    done = _set(
        kind,
        Q(id=job_id, status=JobStatus.RUNNING),
        status=JobStatus.DONE,
        error="",
        finished_at=timezone.now(),
        **figures,
    )
    if done:  # else an operator marked it failed meanwhile: leave their verdict
        kind.marker().unmark(job_id)  # raises: the seed answers 500 so that the appliance retries
    job.refresh_from_db()
    return job


def job_run_queued(kind: JobKind, job_id: str) -> str:
    """The django-q2 task body: run a queued job by id (the row holds its window). Failures are
    recorded on the row and re-queued while attempts remain, so the task itself always completes."""
    job = _rows(kind).filter(id=job_id).first()
    if job is None:
        log.warning("job-missing %s %s: the row was deleted after queueing", kind.namespace, job_id)
        return "missing"
    try:
        result = job_run(kind, job_id, job_window(job), requeue_on_failure=True)
    except JobFailed as error:
        log.warning("%s", error)
        return "failed"
    except Exception as error:  # before the claim or after the build: the row must not stay silent
        log.exception("job-error %s %s", kind.namespace, job_id)
        _job_finish_failed(kind, job_id, _public_error(error))
        return "failed"
    return "done" if result else "skipped"


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
    """Create the row as QUEUED, or move one that is not busy back to QUEUED. Of concurrent requests
    for one window exactly one gets past here; the others get JobInProgress."""
    now = timezone.now()
    values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": now, "error": ""}
    try:
        with transaction.atomic():
            job, created = _rows(kind).get_or_create(id=job_id, defaults=values)
    except IntegrityError:
        created = False
    if created:
        return job
    claimed = _set(
        kind, Q(id=job_id) & ~_busy(kind, now), **values, attempts=0, started_at=None, finished_at=None
    )
    if not claimed:
        raise JobInProgress(kind.namespace, job_id)
    return _rows(kind).get(id=job_id)


def _job_queue(kind: JobKind, job_id: str, window: Window) -> None:
    marker = kind.marker()
    _mark_best_effort(marker, job_id)
    try:
        kind.queuer().queue(job_id, window)
    except DependencyFailure:
        _job_finish_failed(kind, job_id, "the job could not be queued")
        _unmark_best_effort(marker, job_id)
        raise


def _job_ensure_row(kind: JobKind, job_id: str, window: Window) -> None:
    """The worker route can receive jobs queued by another API instance: give them a row."""
    values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": timezone.now()}
    try:
        with transaction.atomic():
            _rows(kind).get_or_create(id=job_id, defaults=values)
    except IntegrityError:
        pass


def _job_claim(kind: JobKind, job_id: str) -> bool:
    """Queued, failed (the stream appliance retries a 500) or abandoned, with attempts left."""
    now = timezone.now()
    abandoned = Q(status=JobStatus.RUNNING, started_at__lt=now - kind.stale_after())
    claimable = (Q(status__in=(JobStatus.QUEUED, JobStatus.FAILED)) | abandoned) & Q(
        attempts__lt=kind.max_attempts()
    )
    values = {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "finished_at": None,
        "attempts": F("attempts") + 1,
    }
    return bool(_set(kind, Q(id=job_id) & claimable, **values))


def _job_after_error(kind: JobKind, job: Job, window: Window, error: BaseException, requeue: bool) -> None:
    log.warning("dependency-failure %s %s attempt %s: %s", kind.namespace, job.id, job.attempts, error)
    message = _public_error(error)
    if requeue and job.attempts < kind.max_attempts():
        where = Q(id=job.id, status=JobStatus.RUNNING)
        if _set(kind, where, status=JobStatus.QUEUED, error=message, queued_at=timezone.now()):
            delay = RETRY_BACKOFF_SECONDS * 2 ** (job.attempts - 1)
            try:
                kind.queuer().queue(str(job.id), window, delay_s=delay)
                return
            except DependencyFailure as queue_error:
                message = f"{message}; the retry could not be queued: {_public_error(queue_error)}"
    _job_finish_failed(kind, str(job.id), message)
    _unmark_best_effort(kind.marker(), str(job.id))


def _job_finish_failed(kind: JobKind, job_id: str, message: str) -> None:
    # A built job stays built: a failure after the build (unmarking, say) does not undo it.
    where = Q(id=job_id) & ~Q(status=JobStatus.DONE)
    _set(kind, where, status=JobStatus.FAILED, error=message, finished_at=timezone.now())


def _public_error(error: BaseException) -> str:
    """Errors the operator can act on keep their text; anything else is named by its type only."""
    if isinstance(error, JobFailed | FlowLogReadError):
        return str(error)
    if isinstance(error, DependencyFailure):
        return f"{error.dependency} failed: {error.detail}"
    if isinstance(error, SystemExit):
        return "the worker stopped the job (task timeout or shutdown)"
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
