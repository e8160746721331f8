"""django-q2 tasks (by dotted path, stored in django-q2's tables: keep the path): thin, they call one
service."""

from __future__ import annotations

from jobs.reaper import jobs_reap


def jobs_reap_task() -> dict[str, int]:
    return jobs_reap()
