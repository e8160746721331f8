"""The job lifecycle shared by graphs and digests: request, fetch, run, re-run.

Both Go services have the same shape (API POST/GET plus a worker route). A `JobFlow` subclass says what
differs (its model, its artifact, its settings) and how to `build` one job; the rules that make jobs
idempotent live here once:
- ids are UUIDv5 of the window, so a window always maps to one row;
- a worker claims a job with a conditional UPDATE, so a redelivered or duplicated task is a no-op;
- the row says whether a job is in progress; the marker (written before queueing, the Go service wrote it
  after and raced its own worker) speaks only for jobs this database has never seen, such as ones
  queued by a Go API sharing the buckets.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import IO, Any, ClassVar

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from jobs import adapters
from jobs.completeness import job_final
from jobs.errors import ArtifactExists, JobFailed, JobInProgress, public_error
from jobs.leases import LeaseKeeper, lease_expired, lease_held, lease_until, write_retrying
from jobs.models import ACTIVE_STATUSES, Job, JobStatus
from jobs.ports import ArtifactStore, DependencyFailure, Marker, Queuer
from jobs.window import Window, job_window
from ops.config import config_get, stale_after

log = logging.getLogger(__name__)
RETRY_BACKOFF_SECONDS = 30.0  # doubled per attempt: a passing S3 or digester outage gets time to clear


class JobFlow:
    """One kind of job. Subclasses set the class attributes and implement `build`, `progress_timeout_ms`
    and `exists_message`; the ports come from settings (`jobs.adapters`)."""

    namespace: ClassVar[str]  # "graph" or "digest": the UUIDv5 namespace name and the word in messages
    model: ClassVar[type[Job]]
    suffix: ClassVar[str]  # the artifact's key suffix (`.dot`, `.log.gz`)
    # Errors whose text is shown on the job as it is (besides JobFailed): the operator can act on them.
    shown_errors: ClassVar[tuple[type[Exception], ...]] = ()
    store_alias: ClassVar[str]  # the STORAGES entry of the artifacts
    marker_alias: ClassVar[str]  # the STORAGES entry of the progress markers
    task: ClassVar[str]  # the django-q2 task (dotted path) that runs a queued job

    def build(self, job: Job, window: Window) -> dict[str, Any]:
        """Do the work, store the artifact, return the figures to record on the row."""
        raise NotImplementedError

    def progress_timeout_ms(self) -> int:
        """*_PROGRESS_TIMEOUT: the marker's lifetime, and how long a queued job counts as in progress."""
        raise NotImplementedError

    def store(self) -> ArtifactStore:
        return adapters.artifact_store(self.store_alias)

    def marker(self) -> Marker:
        return adapters.marker(self.marker_alias, self.progress_timeout_ms())

    def queuer(self) -> Queuer:
        return adapters.queuer(self.task, self.namespace)

    def max_attempts(self) -> int:
        return config_get().max_attempts

    def stale_after(self) -> timedelta:
        """A running job not heard of for this long was abandoned by a dead worker."""
        return stale_after(config_get())

    def progress_ttl(self) -> timedelta:
        return timedelta(milliseconds=self.progress_timeout_ms())

    def exists_message(self, job_id: str, window: Window) -> str:
        """The Go service's 409 text when the artifact exists."""
        raise NotImplementedError

    # --- the lifecycle -------------------------------------------------------------------------------

    def request(self, window: Window, **values: Any) -> Job:
        """API POST: refuse when in progress or already built, else record, mark and queue the job.
        `values` are set on the row with the queueing."""
        job_id = window.job_id(self.namespace)
        if self._in_progress(job_id):
            raise JobInProgress(self.namespace, job_id)
        if self.store().exists(job_id, self.suffix) and job_final(self._rows().filter(id=job_id).first()):
            raise ArtifactExists(self.exists_message(job_id, window), job_id)
        job = self._enqueue_row(job_id, window, **values)
        self._queue(job_id, window)
        return job

    def fetch(self, window: Window) -> IO[bytes]:
        """API GET: in progress (204) wins over a stored artifact, as in Go; else the artifact or NotFound."""
        job_id = window.job_id(self.namespace)
        if self._in_progress(job_id):
            raise JobInProgress(self.namespace, job_id)
        return self.store().open(job_id, self.suffix)

    def rerun(self, job: Job, **values: Any) -> Job:
        """Build a job again even if its artifact exists (admin and API v1). Raises JobInProgress while
        it is busy. `values` are set on the row with the re-queue (e.g. a graph's `reuse_digest`)."""
        window = job_window(job)
        job = self._enqueue_row(str(job.id), window, **values)
        self._queue(str(job.id), window)
        return job

    def requeue_idle(self, job_id: str, **extra: Any) -> bool:
        """Give a job that is not busy (done, failed or abandoned) a fresh start; used when its artifact
        has gone missing, so the next claim rebuilds it. `extra` values are set with it."""
        now = timezone.now()
        values = {"status": JobStatus.QUEUED, "attempts": 0, "error": "", "queued_at": now, **extra}
        return bool(self._set(Q(id=job_id) & ~self._busy_or_finishing(now), **values))

    def fail_stuck(self, job_id: str, reason: str = "marked failed by an operator") -> bool:
        """Mark a queued or running job failed; returns whether it was still active."""
        where = Q(id=job_id, status__in=ACTIVE_STATUSES)
        # No attempts left, so a pending task or retry does not bring the job back.
        values = {"status": JobStatus.FAILED, "error": reason, "finished_at": timezone.now()}
        updated = self._set(where, **values, attempts=self.max_attempts())
        if updated:
            self._unmark_best_effort(job_id)
        return bool(updated)

    def run(self, job_id: str, window: Window, *, requeue_on_failure: bool) -> Job | None:
        """Worker: claim the job and build it. Returns None when there was nothing to do (done, running
        elsewhere, or failed with no attempts left). Raises JobFailed when this attempt failed (after
        re-queueing it while attempts remain)."""
        self._ensure_row(job_id, window)
        if not write_retrying(lambda: self._claim(job_id), f"claim {job_id}"):
            job = self._rows().get(id=job_id)
            if job.status == JobStatus.DONE:
                self.marker().unmark(job_id)  # the delivery that built it may have failed to unmark
            log.info(
                "job-skipped %s %s: status %s, attempts %s", self.namespace, job_id, job.status, job.attempts
            )
            return None
        job = self._rows().get(id=job_id)
        try:
            with LeaseKeeper(lambda: self._lease_renew(job), f"{self.namespace} {job_id}"):
                figures = self.build(job, window)
        except BaseException as error:
            # django-q2's task timeout and gunicorn's worker abort arrive as SystemExit: record them too.
            if self._after_error(job, window, error, requeue_on_failure) and isinstance(error, Exception):
                job.refresh_from_db()
                return job  # the artifact was stored before the error: the job is done
            if not isinstance(error, Exception):
                raise
            raise JobFailed(
                f"{self.namespace} {job_id} failed: {public_error(error, self.shown_errors)}"
            ) from error
        if self._record_done(job, figures):
            self.marker().unmark(job_id)  # raises: the Go protocol answers 500 so that the appliance retries
        # else an operator marked it failed meanwhile: leave their verdict
        job.refresh_from_db()
        return job

    def deliver(self, job_id: str, window: Window) -> bool:
        """The worker route: give a delivered job a row and hand it to this service's django-q2 pool, so
        that no web worker builds it. Returns whether it was queued: False when there is nothing to do
        (done, running within the task timeout, or out of attempts). A job queued twice is built once
        (the claim)."""
        self._ensure_row(job_id, window)
        if not self._rows().filter(Q(id=job_id) & self._claimable(timezone.now())).exists():
            return False
        # Never the configured queuer: with a stream appliance that would send the job back to it.
        adapters.worker_pool_queuer(self.task, self.namespace).queue(job_id, window)
        return True

    def artifact_stored(self, job: Job, figures: dict[str, Any]) -> None:
        """Called by `build` once the artifact (the DOT, the digest) is stored: from here on the job is
        done, as the Go routes see it (GET serves the artifact, POST answers 409). Later optional work
        (SVG, connection table) that fails becomes a note on a done job, never a failure."""
        if self._record_done(job, figures, lease_until=F("lease_until")):
            self._unmark_best_effort(str(job.id))

    def run_queued(self, job_id: str) -> str:
        """The django-q2 task body: run a queued job by id (the row holds its window). Failures are
        recorded on the row and re-queued while attempts remain, so the task itself always completes."""
        job = self._rows().filter(id=job_id).first()
        if job is None:
            log.warning("job-missing %s %s: the row was deleted after queueing", self.namespace, job_id)
            return "missing"
        try:
            result = self.run(job_id, job_window(job), requeue_on_failure=True)
        except JobFailed as error:
            log.warning("%s", error)
            return "failed"
        except Exception as error:  # before the claim or after the build: the row must not stay silent
            log.exception("job-error %s %s", self.namespace, job_id)
            self._finish_failed(job_id, public_error(error, self.shown_errors))
            return "failed"
        return "done" if result else "skipped"

    def status(self, job_id: str) -> str | None:
        return self._rows().filter(id=job_id).values_list("status", flat=True).first()

    def busy(self, job: Job) -> bool:
        return self._rows().filter(Q(id=job.id) & self._busy(timezone.now())).exists()

    # --- rows ----------------------------------------------------------------------------------------

    def _rows(self) -> QuerySet[Job]:
        return self.model._default_manager.all()

    def _set(self, where: Q, **values: Any) -> int:
        """Conditional UPDATE; `updated_at` is auto_now, which querysets' update() would leave alone."""
        return self._rows().filter(where).update(**values, updated_at=timezone.now())

    def _busy(self, now: datetime) -> Q:
        """Running and started within the task timeout, or queued within the marker TTL (the Go
        *_PROGRESS_TIMEOUT; a TTL <= 0 means a queued job never counts as in progress, as in Go)."""
        running = lease_held(now, self.stale_after())
        ttl = self.progress_ttl()
        if ttl <= timedelta(0):
            return running
        return running | Q(status=JobStatus.QUEUED, queued_at__gte=now - ttl)

    def _busy_or_finishing(self, now: datetime) -> Q:
        """Busy, or done with its worker still writing what follows the artifact (a table, a preview: its
        lease held): a second run started now would race the first one's late writes, so a re-run or a
        fresh start waits for the end. The Go routes still see such a job as done (`busy`)."""
        return self._busy(now) | Q(status=JobStatus.DONE, lease_until__gte=now)

    def _in_progress(self, job_id: str) -> bool:
        job = self._rows().filter(id=job_id).first()
        if job is None:
            return self.marker().in_progress(job_id)
        return self.busy(job)

    def _enqueue_row(self, job_id: str, window: Window, **extra: Any) -> Job:
        """Create the row as QUEUED, or move one that is not busy back to QUEUED. Of concurrent requests
        for one window exactly one gets past here; the others get JobInProgress."""
        now = timezone.now()
        values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": now, "error": "", **extra}
        try:
            with transaction.atomic():
                job, created = self._rows().get_or_create(id=job_id, defaults=values)
        except IntegrityError:
            created = False
        if created:
            return job
        where = Q(id=job_id) & ~self._busy_or_finishing(now)
        if not self._set(where, **values, attempts=0, started_at=None, finished_at=None):
            raise JobInProgress(self.namespace, job_id)
        return self._rows().get(id=job_id)

    def _queue(self, job_id: str, window: Window) -> None:
        self._mark_best_effort(job_id)
        try:
            self.queuer().queue(job_id, window)
        except DependencyFailure:
            self._finish_failed(job_id, "the job could not be queued")
            self._unmark_best_effort(job_id)
            raise

    def _ensure_row(self, job_id: str, window: Window) -> None:
        """The worker route can receive jobs queued by another API instance: give them a row."""
        values = {**_row_values(window), "status": JobStatus.QUEUED, "queued_at": timezone.now()}
        try:
            with transaction.atomic():
                self._rows().get_or_create(id=job_id, defaults=values)
        except IntegrityError:
            pass

    def _claim(self, job_id: str) -> bool:
        """Move a claimable job to RUNNING; of concurrent claims exactly one succeeds."""
        now = timezone.now()
        values = {
            "status": JobStatus.RUNNING,
            "started_at": now,
            "finished_at": None,
            "lease_until": lease_until(now),
            "attempts": F("attempts") + 1,  # counted here: a worker killed mid-job never reports back
        }
        return bool(self._set(Q(id=job_id) & self._claimable(now), **values))

    def _claimable(self, now: datetime) -> Q:
        """Queued, failed (the stream appliance retries a 500) or abandoned, with attempts left."""
        abandoned = lease_expired(now, self.stale_after())
        return (Q(status__in=(JobStatus.QUEUED, JobStatus.FAILED)) | abandoned) & Q(
            attempts__lt=self.max_attempts()
        )

    def _lease_renew(self, job: Job) -> int:
        """Extend this run's lease; 0 when the row is no longer this run's (re-queued, failed, re-claimed)."""
        return self._set(self._this_run(job, JobStatus.RUNNING, JobStatus.DONE), lease_until=lease_until())

    def _this_run(self, job: Job, *statuses: str) -> Q:
        """The row while it still belongs to this run: the claim's start time is its token, so a worker
        that lost its lease (paused, cut off) cannot overwrite the run that replaced it."""
        return Q(id=job.id, started_at=job.started_at, status__in=statuses)

    def _record_done(self, job: Job, figures: dict[str, Any], lease_until: Any = None) -> bool:
        """The end of a successful run, retried through a database blip. Idempotent: `artifact_stored`
        records it first (keeping the lease while the optional work runs), the end adds the figures."""
        where = self._this_run(job, JobStatus.RUNNING, JobStatus.DONE)
        values = {"error": "", **figures, "status": JobStatus.DONE, "lease_until": lease_until}
        write = lambda: self._set(where, **values, finished_at=timezone.now())  # noqa: E731
        return bool(write_retrying(write, f"record done {job.id}"))

    def _after_error(self, job: Job, window: Window, error: BaseException, requeue: bool) -> bool:
        """Record the failed attempt; returns True when the job was done before the error (its artifact
        was stored), in which case the error is kept on it as a note."""
        log.warning("dependency-failure %s %s attempt %s: %s", self.namespace, job.id, job.attempts, error)
        message = public_error(error, self.shown_errors)
        note = f"done, but a later step failed: {message}"
        done_before = lambda: self._set(self._this_run(job, JobStatus.DONE), error=note, lease_until=None)  # noqa: E731
        if write_retrying(done_before, f"note {job.id}"):
            return True
        if requeue and job.attempts < self.max_attempts():
            where = self._this_run(job, JobStatus.RUNNING)
            values = {
                "status": JobStatus.QUEUED,
                "error": message,
                "queued_at": timezone.now(),
                "lease_until": None,
            }
            if write_retrying(lambda: self._set(where, **values), f"requeue {job.id}"):
                delay = RETRY_BACKOFF_SECONDS * 2 ** (job.attempts - 1)
                try:
                    self.queuer().queue(str(job.id), window, delay_s=delay)
                    return False
                except DependencyFailure as queue_error:
                    message = f"{message}; the retry could not be queued: {public_error(queue_error, self.shown_errors)}"
        self._finish_failed(str(job.id), message)
        self._unmark_best_effort(str(job.id))
        return False

    def _finish_failed(self, job_id: str, message: str) -> None:
        # A built job stays built: a failure after the build (unmarking, say) does not undo it.
        where = Q(id=job_id) & ~Q(status=JobStatus.DONE)
        values = {"status": JobStatus.FAILED, "error": message, "lease_until": None}
        write_retrying(
            lambda: self._set(where, **values, finished_at=timezone.now()), f"record failed {job_id}"
        )

    def _mark_best_effort(self, job_id: str) -> None:
        try:
            self.marker().mark(job_id)
        except DependencyFailure as error:
            log.error("dependency-failure marker %s: %s", job_id, error)

    def _unmark_best_effort(self, job_id: str) -> None:
        try:
            self.marker().unmark(job_id)
        except DependencyFailure as error:
            log.error("dependency-failure marker %s: %s", job_id, error)


def _row_values(window: Window) -> dict[str, Any]:
    return {
        "start": window.start.to_datetime(),
        "stop": window.stop.to_datetime(),
        "start_text": window.start.rfc3339nano(),
        "stop_text": window.stop.rfc3339nano(),
    }
