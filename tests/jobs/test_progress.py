"""jobs.progress: a running job's stage, written cheaply and never at the job's expense."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.utils import timezone

from digests.models import Digest
from jobs.progress import JobProgress, progress_into, progress_listening
from jobs.window import window_parse
from tests.rows import job_row

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def running_digest() -> Digest:
    return job_row(Digest, WINDOW, status="running", started_at=timezone.now())


def stage_of(digest: Digest) -> str:
    digest.refresh_from_db()
    return digest.stage


@pytest.mark.django_db
def test_a_new_stage_is_written_at_once_and_counters_at_most_every_half_second() -> None:
    digest, clock = running_digest(), Clock()
    progress = JobProgress(Digest, str(digest.id), clock=clock)
    progress.stage("listing flow logs")
    assert stage_of(digest) == "listing flow logs"
    progress.stage("reading files 1/3", new=False)
    assert stage_of(digest) == "listing flow logs"  # 0 s after the last write: held back
    clock.now += 0.6
    progress.stage("reading files 2/3", new=False)
    assert stage_of(digest) == "reading files 2/3"
    progress.stage("reading files 3/3", new=False)
    progress.flush()
    assert stage_of(digest) == "reading files 3/3"


@pytest.mark.django_db
def test_a_stage_is_not_written_on_a_job_that_is_no_longer_running() -> None:
    digest = job_row(Digest, WINDOW, status="done")
    JobProgress(Digest, str(digest.id)).stage("writing DOT")
    assert stage_of(digest) == ""


@pytest.mark.django_db
def test_a_failing_stage_write_does_not_break_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = running_digest()
    progress = JobProgress(Digest, str(digest.id))

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("database gone")

    monkeypatch.setattr("django.db.models.query.QuerySet.update", broken)
    progress.stage("digesting")  # logged, not raised


@pytest.mark.django_db
def test_other_threads_hand_their_stage_to_the_thread_that_owns_the_reporter() -> None:
    digest = running_digest()
    progress = JobProgress(Digest, str(digest.id), min_interval_s=0)
    worker = threading.Thread(target=progress.stage, args=("reading files 1/2",))
    worker.start()
    worker.join()
    assert stage_of(digest) == ""  # the worker thread opened no database connection of its own
    progress.flush()
    assert stage_of(digest) == "reading files 1/2"


@pytest.mark.django_db
def test_listeners_hear_every_written_stage_and_a_parent_hears_its_child_once() -> None:
    heard: list[str] = []
    digest = running_digest()
    with progress_listening(heard.append):
        parent = JobProgress(Digest, str(digest.id))
        parent.stage("digesting")
        with progress_into(parent):
            JobProgress(Digest, str(digest.id)).stage("listing flow logs")
    assert heard == ["digesting", "listing flow logs"]
