"""Recovery benchmark: how long after kill -9 of a worker, at each job stage, its job is finished, at
the default lease (GRAPHERD_JOB_LEASE, 30 s) and reaper cadence (every 30 s). The target is 2 minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grapherd_recovery_bench .venv/bin/python bench/recovery_bench.py

It migrates that database (created if missing), starts one worker cluster of five workers whose jobs
stop at the five stages (the test-only GRAPHERD_TEST_PAUSE_AT), kills the five worker processes with
SIGKILL (the cluster stays up and replaces them, as after the OOM killer), and prints, per stage, the
seconds from the kill until the job is done with its lease let go. The baseline is what the same run
would take without leases: django-q2's retry of the lost task, GRAPHERD_TASK_TIMEOUT + 120 s.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL database (the workers and this script share it)")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    os.environ.update(GRAPHERD_DATA_DIR=str(data_dir), RUNTIME_STATS_OUTPUT="NULL")
    os.environ["VPC_FLOW_LOGS_PATH"] = str(data_dir / "flowlogs")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grapherd_site.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from graphs.models import Graph
    from graphs.services import graph_request
    from jobs.stage_pause import STAGES
    from jobs.window import window_parse
    from tests.faults import WorkerCluster, wait_for, worker_env
    from tests.flowlogs import write_flow_log

    call_command("migrate", verbosity=0)
    Graph.objects.all().delete()
    write_flow_log(data_dir / "flowlogs")
    env = worker_env(data_dir, GRAPHERD_WORKERS="5", GRAPHERD_TEST_PAUSE_AT=",".join(STAGES))
    env.pop("GRAPHERD_JOB_LEASE")  # the default lease
    cluster = WorkerCluster(env, data_dir / "cluster.log").start()
    try:
        windows = [window_parse("2019-01-01T00:00:00Z", f"2019-01-01T00:5{m}:00Z") for m in range(5)]
        for window in windows:
            graph_request(window)
        flags = [data_dir / f"paused-{stage}" for stage in STAGES]
        wait_for(lambda: all(flag.exists() for flag in flags), 300, "the five jobs to pause")
        time.sleep(0.5)  # the flag is written just before the sleep
        pids = [int(flag.read_text()) for flag in flags]
        status_at_kill = {str(graph.id): graph.status for graph in Graph.objects.all()}
        killed_at = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        done: dict[str, float] = {}

        def finished() -> bool:
            for graph in Graph.objects.filter(status="done", lease_until=None):
                done.setdefault(str(graph.id), time.monotonic() - killed_at)
            return len(done) == len(windows)

        wait_for(finished, 600, "every job to finish", every=0.5)
    finally:
        cluster.stop()
        connection.close()
    print(f"recovery after kill -9 of the worker, default settings ({timezone.now():%Y-%m-%d %H:%M} UTC)")
    print("(killed before its DOT: running, built again; after it: done, its lease let go by the reaper)")
    for job_id, seconds in sorted(done.items(), key=lambda item: item[1]):
        print(f"  {status_at_kill[job_id]:8} at the kill → finished {seconds:6.1f} s after it")
    print(f"  slowest {max(done.values()):.1f} s; target < 120 s; without leases: 720 s (django-q2 retry)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
