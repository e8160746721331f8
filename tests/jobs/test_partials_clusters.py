"""A window digested hour by hour on two worker clusters (one worker each) sharing one PostgreSQL and one S3
(a moto server): the other cluster builds hours while the window's own job builds the rest, and the merged
digest is the one-pass digest."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django_q.conf import Conf
from isal import igzip

from digests.engine.digest import digest_objects
from digests.engine.objects import FlowLogObject
from digests.models import Digest
from digests.partials import Piece
from digests.services import digest_flow
from jobs.window import window_parse
from tests.faults import WorkerCluster, moto_s3_client, task_results, wait_for
from tests.flowlogs import FILE_NAME, KEY_DIR
from tests.jobs.test_race import BUCKET, s3_endpoint, s3_worker_env  # noqa: F401  (a fixture)
from tests.vpcgen import vpc_generate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
T0 = 1_546_300_800  # 2019-01-01T00:00:00Z
HOURS = 6
DIGEST_TASK = "digests.tasks.digest_run_task"


def one_pass(root: Path, start: int, stop: int) -> bytes:
    objects = [FlowLogObject(path.name, path.read_bytes()) for path in sorted(root.rglob("*.log.gz"))]
    out = io.BytesIO()
    digest_objects(objects, start, stop, out)
    return out.getvalue()


def test_two_clusters_share_the_hours_of_a_window_and_the_merge_is_the_one_pass_digest(
    s3_endpoint: str,  # noqa: F811  (the fixture)
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    root = tmp_path / "vpc"  # apart from the data folder, where the digests are stored
    vpc_generate(root, datetime(2019, 1, 1, tzinfo=UTC), HOURS)
    s3 = moto_s3_client(s3_endpoint)
    s3.delete_object(Bucket=BUCKET, Key=f"{KEY_DIR}/{FILE_NAME}")  # the race test's file: only the VPC's here
    for path in root.rglob("*.log.gz"):
        s3.put_object(Bucket=BUCKET, Key=str(path.relative_to(root)), Body=path.read_bytes())
    data_dir = Path(settings.DATA_DIR)
    monkeypatch.setattr(Conf, "SYNC", False)
    env = {
        **s3_worker_env(data_dir, s3_endpoint),
        "GRAPHERD_WORKERS": "1",
        "GRAPHERD_DIGEST_PARTIALS": "hourly",
    }
    clusters = [WorkerCluster(env, data_dir / f"cluster-{name}.log").start() for name in "ab"]
    window = window_parse("2019-01-01T00:10:00Z", f"2019-01-01T0{HOURS - 1}:50:00Z")
    try:
        running = re.compile(r"Q Cluster .* running")
        wait_for(lambda: all(running.search(c.log()) for c in clusters), 120, "both clusters to start")
        begun = time.monotonic()
        digest_flow().request(window)
        done = lambda: Digest.objects.filter(id=window.job_id("digest"), status="done").exists()  # noqa: E731
        wait_for(done, 240, "the window's digest\n" + "\n".join(c.log()[-3000:] for c in clusters))
        print(f"window digested in {time.monotonic() - begun:.1f} s")
    finally:
        for cluster in clusters:
            cluster.kill()

    merged = Digest.objects.get(id=window.job_id("digest"))
    assert (merged.partials, merged.partials_reused) == (HOURS, 0)  # 4 whole hours and 2 edges
    with digest_flow().store().open(str(merged.id), ".log.gz") as stored:
        assert igzip.decompress(stored.read()) == one_pass(root, T0 + 600, T0 + (HOURS - 1) * 3600 + 3000)
    hours = [Piece(T0 + n * 3600, T0 + (n + 1) * 3600).window().job_id("digest") for n in range(1, HOURS - 1)]
    assert [d.status for d in Digest.objects.filter(id__in=hours)] == ["done"] * len(hours)
    # Each hour's task ran on whichever cluster took it: "done" when that cluster built it, "skipped" when
    # the window's job (whose cluster had no other worker) had claimed it first.
    outcomes = {job_id: results for job_id, results in task_results(DIGEST_TASK).items() if job_id in hours}
    built_by_a_task = [job_id for job_id, results in outcomes.items() if "done" in results]
    assert built_by_a_task, outcomes  # the other cluster took some hours while the window's job worked
