"""django-q2 tasks (by dotted path, stored in django-q2's tables: keep the path): thin, they take a job
id and call one service."""

from __future__ import annotations

from digests.services import digest_flow


def digest_run_task(job_id: str) -> str:
    return digest_flow().run_queued(job_id)
