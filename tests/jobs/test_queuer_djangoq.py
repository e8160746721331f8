"""The django-q2 queuer hands a task its job id, then the task's own further arguments if it has any (the
connection fold's run), whether the task is queued now or, for a retry, later by a one-off schedule."""

from __future__ import annotations

from typing import Any

import pytest
from django_q.models import Schedule

from jobs.queuers.djangoq import DjangoQQueuer
from jobs.window import window_parse

pytestmark = pytest.mark.django_db
WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")


def test_a_task_queued_now_gets_its_further_arguments_after_the_job_id(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("jobs.queuers.djangoq.async_task", lambda *args, **kwargs: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        DjangoQQueuer("tests.task", "tests").queue("job-1", WINDOW, task_args=("run-1",))
        DjangoQQueuer("tests.task", "tests").queue("job-2", WINDOW)
    assert queued == [("tests.task", "job-1", "run-1"), ("tests.task", "job-2")]


def test_a_task_queued_for_later_gets_its_further_arguments_after_the_job_id(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        DjangoQQueuer("tests.task", "tests").queue("job-1", WINDOW, delay_s=60, task_args=("run-1",))
    assert Schedule.objects.get(func="tests.task").args == repr(("job-1", "run-1"))
