"""Leases and the reaper: a job whose worker died is queued again within a lease, not after the task
timeout, and fails with a clear message once its attempts are used up."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import Schedule

from graphs.models import Graph
from graphs.services import graph_flow, graph_run
from jobs.leases import LeaseKeeper
from jobs.reaper import REAP_SCHEDULES, REAP_TASK, jobs_reap
from jobs.window import window_parse
from tests.flowlogs import write_flow_log
from tests.rows import job_row

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID = WINDOW.job_id("graph")


def running_graph(lease_left: timedelta, attempts: int = 1) -> Graph:
    """The row a worker left when it claimed the job; its lease ends `lease_left` from now."""
    now = timezone.now()
    return job_row(
        Graph, WINDOW, status="running", attempts=attempts, started_at=now, lease_until=now + lease_left
    )


@pytest.mark.django_db
def test_a_claimed_job_holds_a_lease_of_the_configured_length(flowlogs_dir: Path, set_env: Any) -> None:
    set_env(GRAPHERD_JOB_LEASE="40")
    job_row(Graph, WINDOW, status="queued", queued_at=timezone.now())
    before = timezone.now()
    assert graph_flow()._claim(GRAPH_ID)
    lease = Graph.objects.get(id=GRAPH_ID).lease_until
    assert lease is not None and before + timedelta(seconds=40) <= lease <= timezone.now() + timedelta(
        seconds=40
    )


@pytest.mark.django_db
def test_a_finished_job_holds_no_lease(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    job_row(Graph, WINDOW, status="queued", queued_at=timezone.now())
    job = graph_run(GRAPH_ID, WINDOW)
    assert job is not None and (job.status, job.lease_until) == ("done", None)


@pytest.mark.django_db
def test_a_running_job_is_busy_while_its_lease_holds_and_claimable_once_it_expired(
    flowlogs_dir: Path,
) -> None:
    write_flow_log(flowlogs_dir)
    graph = running_graph(timedelta(seconds=20))
    assert graph_flow().busy(graph) is True
    assert graph_run(GRAPH_ID, WINDOW) is None  # its worker is alive: a redelivered task is a no-op
    Graph.objects.filter(id=GRAPH_ID).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert graph_flow().busy(graph) is False
    job = graph_run(GRAPH_ID, WINDOW)
    assert job is not None and (job.status, job.attempts) == ("done", 2)


@pytest.mark.django_db(transaction=True)
def test_the_reaper_queues_a_job_whose_lease_expired_again_and_it_gets_built(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    running_graph(-timedelta(seconds=1))
    assert jobs_reap() == {
        "requeued": 1,
        "failed": 0,
        "resent": 0,
    }  # django-q2 runs the queued task inline in tests
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts, job.edges) == ("done", 2, 3)


@pytest.mark.django_db
def test_the_reaper_fails_a_dead_workers_job_with_no_attempts_left_and_says_why(set_env: Any) -> None:
    set_env(GRAPHERD_MAX_ATTEMPTS="2")
    running_graph(-timedelta(seconds=1), attempts=2)
    assert jobs_reap() == {"requeued": 0, "failed": 1, "resent": 0}
    job = Graph.objects.get(id=GRAPH_ID)
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == "the worker running attempt 2 of 2 stopped (its lease ran out); no attempts left"


@pytest.mark.django_db
def test_the_reaper_leaves_live_and_finished_jobs_alone() -> None:
    running_graph(timedelta(seconds=20))
    assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}
    Graph.objects.filter(id=GRAPH_ID).update(status="done", lease_until=timezone.now() - timedelta(hours=1))
    assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}
    assert Graph.objects.get(id=GRAPH_ID).status == "done"


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_cannot_overwrite_the_run_that_replaced_it() -> None:
    old = running_graph(timedelta(seconds=20))
    later = timezone.now() + timedelta(seconds=1)
    Graph.objects.filter(id=GRAPH_ID).update(started_at=later, attempts=2)  # reaped and claimed again
    assert graph_flow()._record_done(old, {"edges": 99}) is False
    assert graph_flow()._lease_renew(old) == 0
    assert Graph.objects.get(id=GRAPH_ID).status == "running"


@pytest.mark.django_db
def test_migrate_schedules_the_reaper_twice_a_minute() -> None:
    schedules = Schedule.objects.filter(name__in=REAP_SCHEDULES).order_by("next_run")
    assert [(s.func, s.schedule_type, s.minutes) for s in schedules] == [(REAP_TASK, Schedule.MINUTES, 1)] * 2
    first, second = schedules
    assert first.next_run is not None and second.next_run is not None
    assert (second.next_run - first.next_run).total_seconds() == 30


def test_the_lease_keeper_renews_until_the_job_ends() -> None:
    renewed = threading.Semaphore(0)

    def renew() -> int:
        renewed.release()
        return 1

    with LeaseKeeper(renew, "graph test", every_s=0.01):
        assert renewed.acquire(timeout=10) and renewed.acquire(timeout=10)


def test_the_lease_keeper_stops_renewing_a_job_that_is_no_longer_its_own() -> None:
    calls: list[int] = []

    def renew() -> int:
        calls.append(1)
        return 0  # the row is no longer this run's

    keeper = LeaseKeeper(renew, "graph test", every_s=0.01)
    with keeper:
        keeper._thread.join(timeout=10)
        assert not keeper._thread.is_alive()
    assert calls == [1]


@pytest.mark.django_db
def test_a_graph_whose_worker_died_after_its_dot_stays_done_and_the_reaper_lets_its_lease_go() -> None:
    running_graph(-timedelta(seconds=1))
    Graph.objects.filter(id=GRAPH_ID).update(status="done")  # the DOT was stored, then the worker died
    assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts, job.lease_until) == ("done", 1, None)


@pytest.mark.django_db
def test_a_job_queued_longer_than_a_job_may_run_is_sent_again_once_as_its_task_was_lost(
    flowlogs_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    write_flow_log(flowlogs_dir)
    stale = graph_flow().stale_after()
    job_row(Graph, WINDOW, status="queued", queued_at=timezone.now() - stale + timedelta(seconds=30))
    assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}  # still within its wait
    Graph.objects.filter(id=GRAPH_ID).update(queued_at=timezone.now() - stale - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):  # the queuer enqueues once the update commits
        assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 1}  # django-q2 runs it inline in tests
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts, job.edges) == ("done", 1, 3)
    assert jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}
