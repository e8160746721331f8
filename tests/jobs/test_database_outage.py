"""A database outage during a job, through a TCP proxy in front of PostgreSQL that the test cuts and
restores: the end of the job is recorded once the database is back, never left `running`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from graphs.flow import GraphFlow
from graphs.models import Graph
from graphs.tasks import graph_run_task
from jobs.window import window_parse
from tests.faults import TcpProxy
from tests.flowlogs import write_flow_log
from tests.rows import job_row

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID = WINDOW.job_id("graph")


def test_an_outage_at_the_end_of_a_job_is_waited_out_and_the_job_recorded_done(
    database_proxy: TcpProxy, flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_flow_log(flowlogs_dir)
    job_row(Graph, WINDOW, status="queued", queued_at=timezone.now())
    draw = GraphFlow._svg_build
    outage: list[threading.Timer] = []

    def cut_while_drawing(self: GraphFlow, *args: Any) -> dict[str, Any]:
        database_proxy.cut()  # the DOT is stored; the database goes away until after the job's last write
        outage.append(threading.Timer(2.0, database_proxy.restore))
        outage[0].start()
        return draw(self, *args)

    monkeypatch.setattr(GraphFlow, "_svg_build", cut_while_drawing)
    assert graph_run_task(GRAPH_ID) == "done"
    outage[0].join()
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.error, job.lease_until) == ("done", "", None)
    assert job.svg_bytes > 0 and job.svg_error == "" and job.connections > 0  # the final figures
