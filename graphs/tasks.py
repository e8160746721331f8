"""django-q2 tasks (by dotted path): thin, they take a job id and call one service."""

from __future__ import annotations

from digests.jobflow import job_run_queued
from graphs.services import graph_kind


def graph_run_task(job_id: str) -> str:
    return job_run_queued(graph_kind(), job_id)
