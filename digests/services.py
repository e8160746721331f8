"""Digest jobs' public API: re-run, run, and the built-in digester that graph jobs call."""

from __future__ import annotations

import functools
import shutil
import time
from datetime import timedelta
from typing import IO

from django.utils import timezone
from isal import igzip

from digests.flow import DigestFlow
from digests.models import Digest
from jobs.completeness import job_final
from jobs.errors import JobFailed
from jobs.models import Job, JobStatus
from jobs.window import Window


@functools.cache
def digest_flow() -> DigestFlow:
    return DigestFlow()


def digest_rerun(digest: Digest) -> Job:
    return digest_flow().rerun(digest)


def digest_fail_stuck(digest: Digest) -> bool:
    return digest_flow().fail_stuck(str(digest.id))


def digest_run(job_id: str, window: Window, *, requeue_on_failure: bool = True) -> Job | None:
    return digest_flow().run(job_id, window, requeue_on_failure=requeue_on_failure)


def digest_for_window(
    window: Window, into: IO[bytes], *, reuse: bool = True, poll_seconds: float = 0.5
) -> str:
    """The built-in digester: reuse a stored complete digest of the window (when `reuse`), else build it
    now (or wait for the worker that is building it). Writes the uncompressed digest into `into`; returns
    the digest id."""
    flow = digest_flow()
    job_id = window.job_id(flow.namespace)
    store = flow.store()
    reusable = reuse and job_final(Digest.objects.filter(id=job_id).first())
    if not (reusable and store.exists(job_id, flow.suffix)):
        # Done but deleted (a bucket lifecycle rule, say), failed, or asked for afresh: a window built
        # from hours reads each hour again when the caller does not want what is stored.
        flow.requeue_idle(job_id, **({} if reuse else {"reread": True}))
        digest_run(job_id, window, requeue_on_failure=False)
        _wait_until_settled(job_id, flow.stale_after(), poll_seconds)
        failed = Digest.objects.filter(id=job_id, status=JobStatus.FAILED).first()
        if failed is not None:
            raise JobFailed(f"digest {job_id} failed: {failed.error}")
    with store.open(job_id, flow.suffix) as handle, igzip.GzipFile(fileobj=handle) as text:
        shutil.copyfileobj(text, into, 1 << 20)
    return job_id


def _wait_until_settled(job_id: str, limit: timedelta, poll_seconds: float) -> None:
    deadline = time.monotonic() + limit.total_seconds()
    while time.monotonic() < deadline:
        status = Digest.objects.filter(id=job_id).values_list("status", flat=True).first()
        if status in (JobStatus.DONE, JobStatus.FAILED, None):
            return
        time.sleep(poll_seconds)


def digest_finished(job_id: str, poll_seconds: float = 0.5) -> Digest | None:
    """The digest row once its run has ended: a digest is done as soon as its text is stored, and its
    worker goes on to store the connection table; a graph that copies that table waits for the end (the
    lease let go) rather than read a row whose table is still being written. None when the digest is
    missing or its run does not end within the period after which a silent job counts as abandoned."""
    deadline = time.monotonic() + digest_flow().stale_after().total_seconds()
    while time.monotonic() < deadline:
        digest = Digest.objects.filter(id=job_id).first()
        if digest is None or digest.status != JobStatus.DONE:
            return None
        if digest.lease_until is None:
            return digest
        if digest.lease_until < timezone.now():  # its worker died before the end: never coming
            return None
        time.sleep(poll_seconds)
    return None
