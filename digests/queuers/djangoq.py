"""Queuer onto the django-q2 cluster (ORM broker in the same database): the embedded default.

The task is enqueued when the surrounding transaction commits, so a worker never sees a job id whose
row is not visible yet; it carries only ids and times, and the job claim makes redelivery harmless.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from digests.ports import DependencyFailure
from digests.window import Window


class DjangoQQueuer:
    def __init__(self, task: str, group: str) -> None:
        self.task = task
        self.group = group

    def queue(self, job_id: str, window: Window) -> None:
        start, stop = window.start.rfc3339nano(), window.stop.rfc3339nano()
        transaction.on_commit(lambda: self._enqueue(job_id, start, stop), robust=False)

    def _enqueue(self, job_id: str, start: str, stop: str) -> None:
        try:
            async_task(self.task, job_id, start, stop, group=self.group, task_name=f"{self.group}-{job_id}")
        except Exception as error:  # the broker is the database; any failure means "not queued"
            raise DependencyFailure("queuer", f"django-q2 enqueue failed: {error}") from error
