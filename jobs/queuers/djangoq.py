"""Queuer onto the django-q2 cluster (ORM broker in the same database): the embedded default.

The task is enqueued when the surrounding transaction commits, so a worker never sees a job id whose
row is not visible yet. A job's task carries only the job id (the row has the window), and the job claim
makes a redelivery harmless; a task that needs more (the connection fold: the run it was queued for)
passes `task_args`, handed to the task after the id. A retry with a delay becomes a one-off django-q2
schedule.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from jobs.ports import DependencyFailure
from jobs.window import Window


class DjangoQQueuer:
    def __init__(self, task: str, group: str) -> None:
        self.task = task
        self.group = group

    def queue(
        self, job_id: str, window: Window, delay_s: float = 0.0, *, task_args: tuple[str, ...] = ()
    ) -> None:
        """The Queuer port's `queue`; `task_args` (this queuer only) follow the job id in the task's call."""
        transaction.on_commit(lambda: self._enqueue(job_id, delay_s, task_args), robust=False)

    def _enqueue(self, job_id: str, delay_s: float, task_args: tuple[str, ...]) -> None:
        try:
            if delay_s > 0:
                schedule(
                    self.task,
                    job_id,
                    *task_args,
                    schedule_type=Schedule.ONCE,
                    next_run=timezone.now() + timedelta(seconds=delay_s),
                    repeats=-1,  # a ONCE schedule with negative repeats deletes itself after running
                )
            else:
                async_task(
                    self.task, job_id, *task_args, group=self.group, task_name=f"{self.group}-{job_id}"
                )
        except Exception as error:  # the broker is the database; any failure means "not queued"
            raise DependencyFailure("queuer", f"django-q2 enqueue failed: {error}") from error
