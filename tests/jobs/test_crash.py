"""Crash tests: a real worker cluster is killed with SIGKILL while five graph jobs stand at five stages
(listing, digesting, DOT, connections, SVG); a new cluster finishes every one of them, exactly once,
with the DOT an uninterrupted build makes, no partial file and no temp folder left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf

from graphs.flow import SVG_NOT_DRAWN
from graphs.models import Graph
from graphs.services import graph_request
from jobs.stage_pause import STAGES
from jobs.window import Window, window_parse
from tests.faults import WorkerCluster, task_results, wait_for, worker_env
from tests.flowlogs import write_flow_log

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# Five windows holding the same records of one flow log, one per stage at which a worker dies, and a
# sixth that the second cluster builds without interruption: all six DOTs must be the same bytes.
WINDOWS = [window_parse("2019-01-01T00:00:00Z", f"2019-01-01T00:5{minute}:00Z") for minute in range(5)]
GRAPH_TASK = "graphs.tasks.graph_run_task"
REFERENCE = window_parse("2019-01-01T00:00:00Z", "2019-01-01T00:45:00Z")


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("worker clusters share the test database only on PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[list[WorkerCluster]]:
    started: list[WorkerCluster] = []
    yield started
    for cluster in started:
        cluster.kill()


def stored_dot(job_id: str) -> bytes:
    with storages["graphs"].open(f"{job_id}.dot") as dot:
        return bytes(dot.read())


def stored_names(data_dir: Path) -> list[str]:
    return [path.name for folder in ("graphs", "digests") for path in (data_dir / folder).iterdir()]


def test_jobs_killed_at_every_stage_are_finished_once_by_the_next_cluster(
    postgres: None, clusters: list[WorkerCluster], flowlogs_dir: Path, settings: Any, monkeypatch: Any
) -> None:
    data_dir = Path(settings.DATA_DIR)
    write_flow_log(flowlogs_dir)
    monkeypatch.setattr(Conf, "SYNC", False)  # the clusters run the tasks, not this process
    env = worker_env(data_dir, GRAPHERD_WORKERS="5", GRAPHERD_TEST_PAUSE_AT=",".join(STAGES))
    begun = time.monotonic()
    first = WorkerCluster(env, data_dir / "first.log").start()
    clusters.append(first)
    for window in WINDOWS:
        graph_request(window)
    paused = [data_dir / f"paused-{stage}" for stage in STAGES]
    wait_for(lambda: all(flag.exists() for flag in paused), 120, f"jobs paused at {STAGES}\n{first.log()}")
    print(f"paused after {time.monotonic() - begun:.1f} s")
    first.kill()
    assert_abandoned_mid_job(data_dir)

    wait_for(leases_expired, 30, "the dead cluster's leases to run out")
    env.pop("GRAPHERD_TEST_PAUSE_AT")
    second = WorkerCluster(env, data_dir / "second.log").start()  # reaps at start
    clusters.append(second)
    graph_request(REFERENCE)
    # Three jobs died before their DOT and are built again, and the reference is built: four tasks.
    finished = lambda: all_done([*WINDOWS, REFERENCE]) and len(task_results(GRAPH_TASK)) == 4  # noqa: E731
    wait_for(finished, 120, f"every graph done\n{second.log()}")
    print(f"all done after {time.monotonic() - begun:.1f} s")
    second.kill()  # its results are saved: nothing left to lose

    expected = stored_dot(REFERENCE.job_id("graph"))
    assert expected.count(b" -> ") == 3
    graphs = [Graph.objects.get(id=window.job_id("graph")) for window in WINDOWS]
    assert all(stored_dot(str(graph.id)) == expected for graph in graphs)
    # Killed after its DOT was stored, a graph stayed done (the connection views fold its digest when
    # asked); killed before, it was built again by the second cluster.
    after_dot = [graph for graph in graphs if graph.svg_error == SVG_NOT_DRAWN]
    rebuilt = [graph for graph in graphs if graph not in after_dot]
    assert [(g.status, g.attempts, g.error) for g in after_dot] == [("done", 1, "")] * 2
    assert [(g.status, g.attempts, g.error) for g in rebuilt] == [("done", 2, "")] * 3
    assert all(graph.svg_bytes > 0 and graph.connections > 0 for graph in rebuilt)
    builds = task_results(GRAPH_TASK)
    assert {job_id: results.count("done") for job_id, results in builds.items()} == {
        str(graph.id): 1 for graph in [*rebuilt, Graph.objects.get(id=REFERENCE.job_id("graph"))]
    }
    assert not [name for name in stored_names(data_dir) if name.endswith(".partial")]
    assert not list((data_dir / "tmp").glob("grapherd-*")), "the killed workers' temp folders were swept"


def assert_abandoned_mid_job(data_dir: Path) -> None:
    """Right after the kill: DOTs stored only by the jobs that got past that stage, and they are done."""
    assert Graph.objects.filter(status="running").count() == 3  # the digest stages stop inside the digest
    assert Graph.objects.filter(status="done").count() == 2  # stored DOT: done, with no SVG yet
    dots = [name for name in stored_names(data_dir) if name.endswith(".dot")]
    assert len(dots) == 2
    assert [graph.svg_error for graph in Graph.objects.filter(status="done")] == [SVG_NOT_DRAWN] * 2
    assert list((data_dir / "tmp").glob("grapherd-*")), "the killed workers left temp folders"


def leases_expired() -> bool:
    now = timezone.now()
    return not Graph.objects.filter(status="running", lease_until__gte=now - timedelta(seconds=0)).exists()


def all_done(windows: list[Window]) -> bool:
    """Done and finished: a graph is done once its DOT is stored, its run ends after the SVG."""
    ids = [window.job_id("graph") for window in windows]
    return Graph.objects.filter(id__in=ids, status="done", lease_until=None).count() == len(ids)
