"""The end of a job is recorded through a database blip, and one truth holds afterwards: a job whose
artifact is stored is done, for the Go routes and for API v1 alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from graphs.flow import SVG_NOT_DRAWN
from graphs.models import Graph
from graphs.tasks import graph_run_task
from jobs.flow import JobFlow
from jobs.window import window_parse
from tests.flowlogs import write_flow_log
from tests.rows import job_row

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID = WINDOW.job_id("graph")
QUERY = "/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"


@pytest.fixture
def queued_graph(flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Graph:
    monkeypatch.setattr("jobs.leases.WRITE_DELAYS_S", (0.0,) * 7)  # no waiting between retries in tests
    write_flow_log(flowlogs_dir)
    return job_row(Graph, WINDOW, status="queued", queued_at=timezone.now())


def blip_when_done_is_written(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[str]:
    """The next `failures` UPDATEs that record a job as done lose their connection."""
    original = JobFlow._set
    seen: list[str] = []

    def flaky(self: JobFlow, where: Any, **values: Any) -> int:
        if values.get("status") == "done" and len(seen) < failures:
            seen.append("blip")
            raise OperationalError("server closed the connection unexpectedly")
        return original(self, where, **values)

    monkeypatch.setattr(JobFlow, "_set", flaky)
    return seen


@pytest.mark.django_db(transaction=True)  # a retried write reconnects, which a test transaction forbids
def test_a_database_blip_at_the_end_of_a_job_does_not_lose_its_result(
    queued_graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    blips = blip_when_done_is_written(monkeypatch, failures=3)
    assert graph_run_task(GRAPH_ID) == "done"
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.edges, job.error, job.lease_until) == ("done", 3, "", None)
    assert job.svg_bytes > 0 and job.connections > 0
    assert len(blips) == 3


@pytest.mark.django_db
def test_a_failure_after_the_dot_was_stored_leaves_a_done_graph_with_a_note(
    queued_graph: Graph, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    def broken(*args: Any) -> int:
        raise RuntimeError("duckdb ran out of memory")

    monkeypatch.setattr("graphs.flow.GraphFlow.connections_store", broken)
    assert graph_run_task(GRAPH_ID) == "done"
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.edges, job.dot_bytes > 0) == ("done", 3, True)
    assert job.error == "done, but a later step failed: internal error (RuntimeError); see the worker log"
    assert job.svg_error == SVG_NOT_DRAWN
    assert client.get(QUERY).status_code == 200  # the Go routes agree: the graph exists
    assert client.post(QUERY).status_code == 409


@pytest.mark.django_db
def test_a_task_timeout_during_the_svg_render_leaves_the_graph_done(
    queued_graph: Graph, monkeypatch: pytest.MonkeyPatch, set_env: Any
) -> None:
    from django_q.exceptions import TimeoutException

    def killed(*args: Any, **kwargs: Any) -> None:
        raise TimeoutException("task timed out")

    set_env(GRAPHERD_MAX_ATTEMPTS="1")
    monkeypatch.setattr("graphs.flow.svg_render", killed)
    with pytest.raises(TimeoutException):  # the worker is being stopped: the task must still end
        graph_run_task(GRAPH_ID)
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.edges, job.svg_error) == ("done", 3, SVG_NOT_DRAWN)
    assert "the worker stopped the job" in job.error
    assert storages["graphs"].exists(f"{GRAPH_ID}.dot")


@pytest.mark.django_db
def test_a_slow_svg_render_gives_a_done_graph_without_a_preview(
    queued_graph: Graph, set_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tmp_path / "slow-graphviz"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr("graphs.svg.GRAPHVIZ", str(slow))
    set_env(GRAPHERD_SVG_TIMEOUT="200")
    assert graph_run_task(GRAPH_ID) == "done"
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.error, job.svg_bytes) == ("done", "", 0)
    assert "timed out" in job.svg_error or "timeout" in job.svg_error
