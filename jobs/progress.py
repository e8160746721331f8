"""A running job's stage ("listing flow logs", "reading files 3/12, 40 MB", "writing DOT"…), written on
its row for the page, API v1 and the CLI.

Stage writes are a convenience: they are throttled (a new stage is written at once, a counter within a
stage at most every `MIN_INTERVAL_S`), never raise, and only the thread that made the reporter writes
(the digest engine's worker threads hand their latest text over), so no thread opens a database
connection it would never close.

Listeners (`progress_listening`) receive every written stage: a graph job listens to the digest job it
runs in the same process, and `manage.py graph_create --here` prints them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.db.models import Model
from django.utils import timezone

from jobs.models import Job, JobStatus

log = logging.getLogger(__name__)
MIN_INTERVAL_S = 0.5
STAGE_LENGTH = 200  # Job.stage's max_length

Listener = Callable[[str], None]
_listeners: ContextVar[tuple[Listener, ...]] = ContextVar("grapherd_progress_listeners", default=())


@contextlib.contextmanager
def progress_listening(listener: Listener) -> Iterator[None]:
    """Every stage a job reports in this context (this thread) also goes to `listener`."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)


@contextlib.contextmanager
def progress_into(parent: JobProgress) -> Iterator[None]:
    """The jobs run in this context report into `parent` only (which tells its own listeners)."""
    token = _listeners.set((parent.stage,))
    try:
        yield
    finally:
        _listeners.reset(token)


class JobProgress:
    """Writes the stage of one running job row."""

    def __init__(
        self,
        model: type[Model],
        job_id: str,
        *,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.job_id = job_id
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.listeners = _listeners.get()
        self._owner = threading.get_ident()
        self._written = ""
        self._written_at = float("-inf")
        self._pending = ""

    def stage(self, text: str, *, new: bool = True) -> None:
        """Report `text`. `new=False` marks an update within the same stage (a counter), which may be
        dropped when the last write is younger than the interval."""
        if threading.get_ident() != self._owner:
            self._pending = text  # written by the owner on its next report
            return
        if not new and self.clock() - self._written_at < self.min_interval_s:
            self._pending = text
            return
        self._write(text)

    def flush(self) -> None:
        """Write a pending update (the owner thread calls it when its work is over)."""
        if self._pending and self._pending != self._written:
            self._write(self._pending)

    def _write(self, text: str) -> None:
        text = text[:STAGE_LENGTH]
        self._pending = ""
        self._written, self._written_at = text, self.clock()
        try:
            rows = self.model._default_manager.filter(id=self.job_id, status=JobStatus.RUNNING)
            rows.update(stage=text)  # leaves updated_at alone: a stage is not a change of the job
        except Exception as error:  # a stage must never break the job it describes
            log.warning("progress %s %s not written: %s", self.model.__name__, self.job_id, error)
        for listener in self.listeners:
            try:
                listener(text)
            except Exception as error:
                log.warning("progress listener failed: %s", error)


def job_elapsed(job: Job) -> float | None:
    """Seconds the job has been queued or running, or the duration of its last attempt once finished."""
    if job.status == JobStatus.RUNNING and job.started_at:
        return (timezone.now() - job.started_at).total_seconds()
    if job.status == JobStatus.QUEUED:
        since = job.queued_at or job.created_at
        return (timezone.now() - since).total_seconds() if since else None
    return job.duration_seconds


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
