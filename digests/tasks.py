"""django-q2 tasks (by dotted path): thin, they take a job id and call one service."""

from __future__ import annotations

import logging

from digests.jobflow import JobFailed, job_window
from digests.models import Digest
from digests.services import digest_run

log = logging.getLogger(__name__)


def digest_run_task(job_id: str) -> str:
    job = Digest.objects.filter(id=job_id).first()
    if job is None:
        log.warning("job-missing %s: the row was deleted after queueing", job_id)
        return "missing"
    try:
        result = digest_run(job_id, job_window(job))
    except JobFailed as error:
        # Recorded on the row (and re-queued while attempts remain); the task itself is done.
        log.warning("%s", error)
        return "failed"
    return "done" if result else "skipped"
