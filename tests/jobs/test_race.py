"""Two worker clusters on one PostgreSQL and one S3 (a moto server) race the same queue, every task
delivered twice: every job is built exactly once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_q.conf import Conf
from django_q.tasks import async_task

from digests.models import Digest
from graphs.models import Graph
from graphs.services import graph_request
from jobs.window import window_parse
from tests.faults import WorkerCluster, moto_s3_client, moto_s3_server, task_results, wait_for, worker_env
from tests.flowlogs import FILE_NAME, KEY_DIR, flow_log_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BUCKET = "flow-logs"
WINDOWS = [window_parse("2019-01-01T00:00:00Z", f"2019-01-01T00:{minute}:00Z") for minute in range(52, 56)]
GRAPH_TASK = "graphs.tasks.graph_run_task"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("worker clusters share the test database only on PostgreSQL (set DATABASE_URL)")
    with moto_s3_server() as endpoint:
        s3 = moto_s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"{KEY_DIR}/{FILE_NAME}", Body=flow_log_bytes())
        yield endpoint


def s3_worker_env(data_dir: Path, endpoint: str) -> dict[str, str]:
    env = worker_env(data_dir, VPC_FLOW_LOGS_BUCKET=BUCKET, VPC_FLOW_LOGS_BUCKET_REGION="us-east-1")
    env.pop("VPC_FLOW_LOGS_PATH")
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return env


def test_two_clusters_racing_one_queue_build_each_job_once(
    s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = Path(settings.DATA_DIR)
    monkeypatch.setattr(Conf, "SYNC", False)
    env = s3_worker_env(data_dir, s3_endpoint)
    begun = time.monotonic()
    clusters = [WorkerCluster(env, data_dir / f"cluster-{name}.log").start() for name in "ab"]
    try:
        running = re.compile(r"Q Cluster .* running")
        wait_for(lambda: all(running.search(c.log()) for c in clusters), 120, "both clusters to start")
        for window in WINDOWS:
            graph_request(window)
            async_task(GRAPH_TASK, window.job_id("graph"))  # a duplicate delivery
        ids = [window.job_id("graph") for window in WINDOWS]
        print(f"clusters up after {time.monotonic() - begun:.1f} s")
        finished = lambda: sum(map(len, task_results(GRAPH_TASK).values())) == 2 * len(ids)  # noqa: E731
        wait_for(finished, 180, "every task to finish\n" + "\n".join(c.log() for c in clusters))
        print(f"tasks finished after {time.monotonic() - begun:.1f} s")
    finally:
        for cluster in clusters:
            cluster.kill()  # every result is saved: nothing left to lose

    results = task_results(GRAPH_TASK)
    errors = {str(g.id): g.error for g in Graph.objects.filter(id__in=ids) if g.error}  # said when it fails
    assert {job_id: sorted(outcomes) for job_id, outcomes in results.items()} == {
        job_id: ["done", "skipped"] for job_id in ids
    }, (errors, [cluster.log()[-3000:] for cluster in clusters])
    graphs = Graph.objects.filter(id__in=ids)
    assert [(g.status, g.attempts, g.edges) for g in graphs] == [("done", 1, 3)] * len(ids)
    digests = Digest.objects.filter(id__in=[window.job_id("digest") for window in WINDOWS])
    assert [(d.status, d.attempts) for d in digests] == [("done", 1)] * len(ids)
    served_by = {cluster.log_path.name for cluster in clusters if "Processed" in cluster.log()}
    print(f"tasks processed by {sorted(served_by)}")
