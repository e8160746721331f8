"""Graph jobs are idempotent: one row per window, claimed once, retried within bounds."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule

from graphs.flow import GraphFlow
from graphs.models import Graph
from graphs.services import graph_fail_stuck, graph_request, graph_rerun, graph_run
from graphs.tasks import graph_run_task
from jobs.flow import JobInProgress
from jobs.window import window_parse
from tests.flowlogs import write_flow_log
from tests.rows import job_row

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID = WINDOW.job_id("graph")


def graph_row(**fields: Any) -> Graph:
    """The window's row as a worker or an earlier request would have left it."""
    return job_row(Graph, WINDOW, **fields)


@pytest.mark.django_db
def test_a_run_claims_the_job_once_and_a_duplicate_task_is_a_no_op(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    graph_row()
    assert graph_run(GRAPH_ID, WINDOW) is not None
    assert graph_run(GRAPH_ID, WINDOW) is None
    assert Graph.objects.get(id=GRAPH_ID).attempts == 1


@pytest.mark.django_db
def test_a_running_job_abandoned_by_a_dead_worker_is_claimed_again(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    graph_row(status="running", attempts=1, started_at=timezone.now())
    assert graph_run(GRAPH_ID, WINDOW) is None  # still within the task timeout: someone else is on it
    Graph.objects.filter(id=GRAPH_ID).update(started_at=timezone.now() - timedelta(hours=2))
    job = graph_run(GRAPH_ID, WINDOW)
    assert job is not None and job.status == "done" and job.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_later_up_to_the_attempt_limit_then_failed(
    flowlogs_dir: Path, set_env: Any
) -> None:
    (flowlogs_dir / "broken.log.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    set_env(GRAPHERD_MAX_ATTEMPTS="3")
    graph_request(WINDOW)  # the first attempt runs inline (tasks are synchronous in tests)
    for attempt in (1, 2):
        job = Graph.objects.get(id=GRAPH_ID)
        assert (job.status, job.attempts) == ("queued", attempt)
        retry = Schedule.objects.get(func="graphs.tasks.graph_run_task", args=f"('{GRAPH_ID}',)")
        delay = (retry.next_run - timezone.now()).total_seconds()
        assert 30 * 2 ** (attempt - 1) - 5 < delay <= 30 * 2 ** (attempt - 1)
        retry.delete()
        graph_run_task(GRAPH_ID)  # what the scheduler does when the retry is due
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts) == ("failed", 3)
    assert "broken.log.gz" in job.error
    assert not Schedule.objects.filter(func="graphs.tasks.graph_run_task").exists()
    assert graph_run(GRAPH_ID, WINDOW) is None  # no attempts left: a late delivery does nothing


@pytest.mark.django_db(transaction=True)
def test_a_failed_window_can_be_requested_again(flowlogs_dir: Path, set_env: Any) -> None:
    set_env(GRAPHERD_MAX_ATTEMPTS="1")
    broken = flowlogs_dir / "broken.log.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    graph_request(WINDOW)
    assert Graph.objects.get(id=GRAPH_ID).status == "failed"
    broken.unlink()
    write_flow_log(flowlogs_dir)
    graph_request(WINDOW)
    assert Graph.objects.get(id=GRAPH_ID).status == "done"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_window_create_one_job(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks shared across threads (CI runs PostgreSQL)")
    monkeypatch.setattr(Conf, "SYNC", False)  # leave the task on the queue
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def request() -> None:
        barrier.wait()
        try:
            graph_request(WINDOW)
            outcomes.append("queued")
        except JobInProgress:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "queued"]
    assert Graph.objects.count() == 1


@pytest.mark.django_db
def test_rerun_requeues_a_done_job_and_fail_stuck_only_touches_active_ones() -> None:
    graph = graph_row(status="done", attempts=1)
    graph_rerun(graph)
    graph.refresh_from_db()
    assert (graph.status, graph.attempts) == ("queued", 0)
    assert graph_fail_stuck(graph) is True
    graph.refresh_from_db()
    assert graph.status == "failed"
    assert graph_fail_stuck(graph) is False


@pytest.mark.django_db
def test_a_done_job_whose_worker_still_writes_its_preview_is_rerun_only_once_that_run_ended() -> None:
    graph = graph_row(status="done", attempts=1, lease_until=timezone.now() + timedelta(seconds=30))
    with pytest.raises(JobInProgress):  # a second run now would race the first one's late writes
        graph_rerun(graph)
    assert GraphFlow().requeue_idle(GRAPH_ID) is False
    graph.refresh_from_db()
    assert (graph.status, graph.attempts) == ("done", 1)
    Graph.objects.filter(id=GRAPH_ID).update(lease_until=None)  # the run ended
    graph_rerun(graph)
    graph.refresh_from_db()
    assert (graph.status, graph.attempts) == ("queued", 0)


@pytest.mark.django_db
def test_a_job_claimed_moments_ago_on_an_old_row_cannot_be_requeued() -> None:
    old = timezone.now() - timedelta(days=2)
    graph = graph_row(status="running", attempts=1, queued_at=old, started_at=timezone.now())
    Graph.objects.filter(id=GRAPH_ID).update(created_at=old, updated_at=old)
    with pytest.raises(JobInProgress):
        graph_rerun(graph)
    with pytest.raises(JobInProgress):
        graph_request(WINDOW)


@pytest.mark.django_db
def test_a_queued_job_nobody_picked_up_within_the_stale_limit_can_be_queued_again() -> None:
    graph = graph_row(status="queued", queued_at=timezone.now() - timedelta(hours=1))
    assert graph_rerun(graph).status == "queued"
    graph.refresh_from_db()
    assert graph.queued_at is not None and graph.queued_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_a_graph_rebuilds_its_digest_when_the_stored_one_was_deleted(flowlogs_dir: Path) -> None:
    from django.core.files.storage import storages

    write_flow_log(flowlogs_dir)
    graph_request(WINDOW)
    digest_id = WINDOW.job_id("digest")
    storages["digests"].delete(f"{digest_id}.log.gz")
    graph_rerun(Graph.objects.get(id=GRAPH_ID))
    graph = Graph.objects.get(id=GRAPH_ID)
    assert (graph.status, graph.edges) == ("done", 3)
    assert storages["digests"].exists(f"{digest_id}.log.gz")


@pytest.mark.django_db(transaction=True)
def test_a_job_stopped_by_the_task_timeout_is_recorded_not_left_running(
    flowlogs_dir: Path, set_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_q.exceptions import TimeoutException

    def killed(*args: Any, **kwargs: Any) -> None:
        raise TimeoutException("task timed out")

    set_env(GRAPHERD_MAX_ATTEMPTS="1")
    monkeypatch.setattr("graphs.flow.digester", lambda: type("Slow", (), {"digest": staticmethod(killed)})())
    graph_row(status="queued", queued_at=timezone.now())
    with pytest.raises(TimeoutException):
        graph_run_task(GRAPH_ID)
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.error) == ("failed", "the worker stopped the job (task timeout or shutdown)")


@pytest.mark.django_db
def test_a_job_an_operator_marked_failed_is_not_brought_back_by_a_pending_task(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    graph = graph_row(status="queued", queued_at=timezone.now())
    assert graph_fail_stuck(graph) is True
    assert graph_run(GRAPH_ID, WINDOW) is None
    assert Graph.objects.get(id=GRAPH_ID).status == "failed"


@pytest.mark.django_db
def test_a_queued_job_counts_as_in_progress_for_the_marker_ttl_not_the_task_timeout(client: Any) -> None:
    query = "/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
    graph_row(status="queued", queued_at=timezone.now() - timedelta(minutes=12))  # TTL is 15 minutes
    assert client.get(query).status_code == 204
    assert client.post(query).status_code == 409
    Graph.objects.filter(id=GRAPH_ID).update(queued_at=timezone.now() - timedelta(minutes=16))
    assert client.get(query).status_code == 404
