"""Windows that are not final: built from no flow-log file, or before AWS's delivery delay had passed.

The request that comes after rebuilds them (Go's 409 "already exists" is for complete graphs only), GET
keeps answering the newest graph, and the rebuild schedule builds a window again once its delay is over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from digests.models import Digest
from graphs.models import Graph
from graphs.rebuild import REBUILD_SCHEDULE, graph_rebuild_due
from jobs.completeness import incomplete_reason
from jobs.window import window_parse
from tests.flowlogs import write_flow_log

QUERY = "/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID = WINDOW.job_id("graph")
STOP = datetime(2019, 1, 1, 1, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the time every part of the service reads (rows, markers' TTL, the delivery delay)."""

    def move(to: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: to)

    return move


def graph() -> Graph:
    return Graph.objects.get(id=GRAPH_ID)


def test_a_graph_built_from_no_file_is_built_again_by_the_next_request(
    client: Client, flowlogs_dir: Path
) -> None:
    assert client.post(QUERY).status_code == 202
    empty = graph()
    assert (empty.status, empty.complete, empty.rebuild_at) == ("done", False, None)
    assert empty.warnings[0].startswith(f"no flow-log file for this window under {flowlogs_dir}")
    assert client.get(QUERY).status_code == 200  # the newest graph, complete or not
    write_flow_log(flowlogs_dir)  # the files were under another prefix, say; now they are found
    assert client.post(QUERY).status_code == 202  # not 409: the empty graph was not final
    rebuilt = graph()
    assert (rebuilt.complete, rebuilt.warnings, rebuilt.edges) == (True, [], 3)
    refused = client.post(QUERY)
    assert refused.status_code == 409  # Go's rule and text, for a complete graph
    assert refused.json() == {
        "message": "graph for the time 2019-01-01T00:00:00Z to 2019-01-01T01:00:00Z already exists"
    }


def test_a_window_inside_the_delivery_delay_is_incomplete_until_the_schedule_rebuilds_it(
    client: Client, flowlogs_dir: Path, move_clock: Callable[[datetime], None]
) -> None:
    write_flow_log(flowlogs_dir)
    move_clock(STOP + timedelta(minutes=5))  # AWS may still deliver files for 10 more minutes
    assert client.post(QUERY).status_code == 202
    early = graph()
    assert (early.status, early.complete, early.rebuild_at) == ("done", False, STOP + timedelta(minutes=15))
    assert "rebuilt automatically after 2019-01-01 01:15 UTC" in incomplete_reason(early)
    assert client.get(QUERY).status_code == 200
    move_clock(STOP + timedelta(minutes=10))
    assert graph_rebuild_due() == 0  # not yet
    move_clock(STOP + timedelta(minutes=16))
    assert graph_rebuild_due() == 1
    late = graph()
    assert (late.complete, late.rebuild_at, late.attempts) == (True, None, 1)
    assert late.finished_at == STOP + timedelta(minutes=16)
    assert graph_rebuild_due() == 0  # complete windows are left alone


def test_the_delivery_delay_is_a_setting(
    client: Client, flowlogs_dir: Path, set_env: Any, move_clock: Callable[[datetime], None]
) -> None:
    write_flow_log(flowlogs_dir)
    set_env(GRAPHERD_DELIVERY_DELAY="2m")
    move_clock(STOP + timedelta(minutes=5))
    assert client.post(QUERY).status_code == 202
    assert (graph().complete, graph().rebuild_at) == (True, None)


def test_a_request_inside_the_delay_rebuilds_the_incomplete_graph_at_once(
    client: Client, flowlogs_dir: Path, move_clock: Callable[[datetime], None]
) -> None:
    move_clock(STOP + timedelta(minutes=1))
    assert client.post(QUERY).status_code == 202
    write_flow_log(flowlogs_dir)  # delivered meanwhile
    move_clock(STOP + timedelta(minutes=3))
    assert client.post(QUERY).status_code == 202
    assert (graph().edges, graph().warnings, graph().complete) == (3, [], False)  # still inside the delay


def test_a_digest_asked_for_alone_is_rebuilt_by_the_schedule_but_one_under_a_graph_is_left_to_it(
    client: Client, flowlogs_dir: Path, move_clock: Callable[[datetime], None]
) -> None:
    write_flow_log(flowlogs_dir)
    move_clock(STOP + timedelta(minutes=5))
    assert client.post("/digests" + QUERY).status_code == 202
    digest = Digest.objects.get(id=WINDOW.job_id("digest"))
    assert (digest.complete, digest.rebuild_at) == (False, STOP + timedelta(minutes=15))
    move_clock(STOP + timedelta(minutes=20))
    assert graph_rebuild_due() == 1
    digest.refresh_from_db()
    assert (digest.complete, digest.rebuild_at, digest.finished_at) == (True, None, timezone.now())


def test_a_digest_under_an_incomplete_graph_is_rebuilt_once_by_the_graph(
    client: Client, flowlogs_dir: Path, move_clock: Callable[[datetime], None], monkeypatch: Any
) -> None:
    write_flow_log(flowlogs_dir)
    move_clock(STOP + timedelta(minutes=5))
    assert client.post(QUERY).status_code == 202
    rebuilt: list[str] = []
    monkeypatch.setattr("digests.flow.DigestFlow.rerun", lambda self, job, **values: rebuilt.append(job.id))
    move_clock(STOP + timedelta(minutes=20))
    assert graph_rebuild_due() == 1  # the graph; its build reads the flow logs again itself
    assert rebuilt == []
    assert Digest.objects.get(id=WINDOW.job_id("digest")).complete is True


def test_the_rebuild_schedule_exists_after_migrate_and_runs_every_minute() -> None:
    schedule = Schedule.objects.get(name=REBUILD_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "graphs.tasks.graph_rebuild_due_task",
        Schedule.MINUTES,
        1,
        -1,
    )
