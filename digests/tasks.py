"""django-q2 tasks (by dotted path): thin, they take ids and times and call one service."""

from __future__ import annotations

import logging

from digests.jobflow import JobFailed, worker_window
from digests.services import digest_run

log = logging.getLogger(__name__)


def digest_run_task(job_id: str, start: str, stop: str) -> str:
    try:
        job = digest_run(job_id, worker_window(start, stop))
    except JobFailed as error:
        # Failure is recorded on the row (and re-queued while attempts remain); the task itself is done.
        log.warning("%s", error)
        return "failed"
    return "done" if job else "skipped"
