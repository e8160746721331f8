"""Digest jobs: the built-in digesterd. Reads flow logs from S3 or a folder, stores `<id>.log.gz`."""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import time
from datetime import timedelta
from typing import IO, Any, BinaryIO, cast

from isal import igzip

from digests import wiring
from digests.engine import digest_objects
from digests.jobflow import JobFailed, JobKind, job_requeue_idle, job_rerun, job_run
from digests.models import Digest, Job, JobStatus
from digests.sources.prefetch import fetch_objects
from digests.window import Window
from grapherd_site.config import config_get, stale_after

SUFFIX = ".log.gz"


def _build(job: Job, window: Window) -> dict[str, Any]:
    config = config_get()
    source = wiring.flow_log_source()
    refs = list(source.list(window.start.to_datetime(), window.stop.to_datetime()))
    fetched = fetch_objects(source, refs, config.max_concurrent_prefetch, config.max_bytes_prefetch)
    # closing() cancels queued downloads and joins the threads when the digest fails half-way.
    with tempfile.TemporaryFile() as stored, contextlib.closing(fetched) as objects:
        # ISA-L's gzip writes the same format several times faster than zlib at a similar ratio.
        with igzip.GzipFile(fileobj=stored, mode="wb", compresslevel=2, mtime=0) as text:
            figures = digest_objects(
                objects, window.start.epoch_seconds, window.stop.epoch_seconds, cast(BinaryIO, text)
            )
        size = digest_kind().store().save(str(job.id), SUFFIX, stored)
    return {
        "files": figures.files,
        "bytes_read": figures.bytes_read,
        "records": figures.records,
        "in_window": figures.in_window,
        "groups": figures.groups,
        "skipped": figures.skipped,
        "skipped_keys": len(source.skipped_keys),
        "digest_bytes": size,
    }


@functools.cache
def digest_kind() -> JobKind:
    return JobKind(
        namespace="digest",
        model=Digest,
        suffix=SUFFIX,
        store=lambda: wiring.artifact_store("digests"),
        marker=lambda: wiring.marker("digest-progress", config_get().digest_progress_timeout_ms),
        queuer=lambda: wiring.queuer("digests.tasks.digest_run_task", "digest"),
        build=_build,
        max_attempts=lambda: config_get().max_attempts,
        stale_after=lambda: stale_after(config_get()),
        progress_ttl=lambda: timedelta(milliseconds=config_get().digest_progress_timeout_ms),
        exists_message=lambda job_id, window: f"digest {job_id} already exists",
    )


def digest_rerun(digest: Digest) -> Job:
    return job_rerun(digest_kind(), digest)


def digest_run(job_id: str, window: Window, *, requeue_on_failure: bool = True) -> Job | None:
    return job_run(digest_kind(), job_id, window, requeue_on_failure=requeue_on_failure)


def digest_for_window(window: Window, into: IO[bytes], *, poll_seconds: float = 0.5) -> str:
    """The built-in digester: reuse a stored digest of the window, else build it now (or wait for the
    worker that is building it). Writes the uncompressed digest into `into`; returns the digest id."""
    kind = digest_kind()
    job_id = window.job_id("digest")
    store = kind.store()
    if not store.exists(job_id, SUFFIX):
        job_requeue_idle(kind, job_id)  # done but deleted (e.g. a bucket lifecycle rule), or failed
        digest_run(job_id, window, requeue_on_failure=False)
        _wait_until_settled(job_id, kind.stale_after(), poll_seconds)
        failed = Digest.objects.filter(id=job_id, status=JobStatus.FAILED).first()
        if failed is not None:
            raise JobFailed(f"digest {job_id} failed: {failed.error}")
    with store.open(job_id, SUFFIX) as handle, igzip.GzipFile(fileobj=handle) as text:
        shutil.copyfileobj(text, into, 1 << 20)
    return job_id


def _wait_until_settled(job_id: str, limit: timedelta, poll_seconds: float) -> None:
    deadline = time.monotonic() + limit.total_seconds()
    while time.monotonic() < deadline:
        status = Digest.objects.filter(id=job_id).values_list("status", flat=True).first()
        if status in (JobStatus.DONE, JobStatus.FAILED, None):
            return
        time.sleep(poll_seconds)
