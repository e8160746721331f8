"""Hourly partial digests (issue 13): a 1-day window of 100 M records with 1 and 2 worker processes, and
the same day again after its 24 hourly windows, through the digest job service on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grapherd_partials_bench \\
        .venv/bin/python bench/partials_bench.py [--records 100000000] [--runs a,b,c,d]

The day is bench/day_flowlogs.py's (generated on first use, then cached; `--records 5000000` for a quick
try). The database is migrated (created first if missing). Each run starts a real worker cluster
(`manage.py qcluster`, GRAPHERD_WORKERS processes; bench/worker_cluster.py) on VPC_FLOW_LOGS_PATH = that
day, waits until it is idle, and times from the request (`digest_flow().request`, what the API's POST
calls) until the digest is stored ("stored": its row done, what graphs wait for) and until the job has
ended ("ended": the connection table stored beside it too, the lease let go):
  a. GRAPHERD_DIGEST_PARTIALS=off, 1 worker process: one pass over the day (the baseline);
  b. hourly partials, 1 worker process, nothing reused;
  c. hourly partials, 2 worker processes, nothing reused;
  d. hourly partials, 1 worker process: the day's 24 hours requested one after another (each waited for),
     then the day again, all 24 hours reused: a merge.
Before each run the digest rows, the queued tasks and every stored artifact and marker are deleted, so
nothing is reused unless intended. Each cluster is fresh: its workers load the engine's stack from
numba's cache on their first job, as a started service's do. The digest text of every run is compared
(sha256 of the decompressed digest) with (a)'s. A cluster whose processes' PSS passes `--memory-cap-gb`
is killed (its own process group) and the run reported as killed: the machine is shared, and the
kernel's OOM killer would otherwise pick a process of anyone's.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import worker_cluster  # noqa: E402
from day_flowlogs import DayFlowLogs, day_flow_logs  # noqa: E402

if TYPE_CHECKING:
    from jobs.window import Window
    from tests.faults import WorkerCluster

TASK_TIMEOUT_S = 1800  # a slow day on a shared machine must not be cut at the default 600 s
RUNS = {  # name: (what, GRAPHERD_DIGEST_PARTIALS, worker processes)
    "a": ("off, 1 process (baseline)", "off", 1),
    "b": ("hourly, 1 process", "hourly", 1),
    "c": ("hourly, 2 processes", "hourly", 2),
    "d": ("hourly, 1 process, 24 h reused", "hourly", 1),
}


@dataclass
class Timing:
    """One timed request: seconds until stored and until ended, and what the worker tree used meanwhile."""

    stored: float
    ended: float
    cpu: float
    peak_pss_mb: float
    peak_rss_mb: float
    row: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    merging: float | None = None  # when the window's job began merging its pieces
    killed: str = ""  # why the cluster was killed before the job ended
    stored_rss_mb: float = 0.0  # the largest process's peak RSS until the digest was stored (the fold after)


def main() -> int:
    options = _arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL database (the workers and this script share it)")
        return 2
    day = day_flow_logs(options.records, options.processes)
    worker_cluster.database_ensure(url)
    data_dir = Path(tempfile.mkdtemp(prefix="partials-bench-"))
    os.environ.update(GRAPHERD_DATA_DIR=str(data_dir), RUNTIME_STATS_OUTPUT="NULL")
    os.environ.update(VPC_FLOW_LOGS_PATH=str(day.folder), DJANGO_SETTINGS_MODULE="grapherd_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    logging.getLogger("django-q").setLevel(logging.WARNING)  # a line per task queued otherwise
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    # Another benchmark's cluster on this database would take our tasks, and our cleaning its rows.
    if worker_cluster.clusters_running():
        print("a worker cluster already uses this database (another benchmark?): give this one its own")
        return 2
    options.supported = supported = _partials_supported()
    print(f"day {day.start:%Y-%m-%d}: {day.describe()}")
    print(f"cpus {os.cpu_count()}, load {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    results: dict[str, list[tuple[str, Timing]]] = {}
    for name in options.runs.split(","):
        if RUNS[name][1] == "hourly" and not supported:
            print(f"({name}) skipped: digest rows have no `partials` field (hourly partials not merged)")
            continue
        results[name] = _run(name, day, data_dir, options)
    _report(results, day)
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _run(
    name: str, day: DayFlowLogs, data_dir: Path, options: argparse.Namespace
) -> list[tuple[str, Timing]]:
    """Starts a fresh cluster for run `name`, times its requests, stops it."""
    from tests.faults import WorkerCluster, worker_env

    what, mode, workers = RUNS[name]
    _clean(data_dir)
    variables = {"GRAPHERD_WORKERS": str(workers), "VPC_FLOW_LOGS_PATH": str(day.folder)}
    variables["GRAPHERD_TASK_TIMEOUT"] = str(TASK_TIMEOUT_S)
    if options.supported:  # before the feature, an unknown GRAPHERD_ variable is a configuration problem
        variables["GRAPHERD_DIGEST_PARTIALS"] = mode
    env = worker_env(data_dir, **variables)
    env.pop("GRAPHERD_JOB_LEASE")  # the default lease, as deployed
    cluster = WorkerCluster(env, data_dir / f"cluster-{name}.log").start()
    timed: list[tuple[str, Timing]] = []
    cap_mb = options.memory_cap_gb * 1024
    try:
        worker_cluster.wait_idle(cluster)
        print(f"({name}) {what} …", flush=True)
        hours = [day.start + timedelta(hours=hour) for hour in range(24)] if name == "d" else []
        for start in hours:
            timed.append((f"{start:%H}h", _time_request(_window(start, timedelta(hours=1)), cluster, cap_mb)))
            if timed[-1][1].killed:
                return timed
        timed.append(("day", _time_request(_window(day.start, timedelta(days=1)), cluster, cap_mb)))
        print(_hour_jobs(), flush=True)
    finally:
        cluster.stop()
    return timed


def _window(start: datetime, length: timedelta) -> Window:
    from jobs.window import window_parse

    return window_parse(f"{start:%Y-%m-%dT%H:%M:%SZ}", f"{start + length:%Y-%m-%dT%H:%M:%SZ}")


def _time_request(window: Window, cluster: WorkerCluster, cap_mb: float) -> Timing:
    """Requests the window's digest and waits for its job to end, or kills the cluster over `cap_mb`."""
    from digests.models import Digest
    from digests.services import digest_flow
    from jobs.models import JobStatus

    flow = digest_flow()
    job_id = window.job_id(flow.namespace)
    stored: float | None = None
    merging: float | None = None
    stored_rss_mb = 0.0
    row: dict[str, Any] = {}
    with worker_cluster.GroupSampler(
        worker_cluster.cluster_pid(cluster), limit_mb=cap_mb, on_limit=cluster.kill
    ) as sampler:
        began = time.monotonic()
        flow.request(window)
        while not sampler.over_limit:
            row = dict(Digest.objects.filter(id=job_id).values().first() or {})
            if row.get("status") == JobStatus.FAILED:
                raise RuntimeError(f"digest {job_id} failed: {row['error']}\n{cluster.log()[-3000:]}")
            if merging is None and str(row.get("stage", "")).startswith("merging"):
                merging = time.monotonic() - began
            if row.get("status") == JobStatus.DONE:
                if stored is None:
                    stored, stored_rss_mb = time.monotonic() - began, sampler.peak_process_rss_mb
                if row["lease_until"] is None:
                    break
            worker_cluster.cluster_check(cluster)
            time.sleep(0.1)
        ended = time.monotonic() - began
    killed = f"killed over {cap_mb / 1024:.0f} GB at stage '{row.get('stage')}'" if sampler.over_limit else ""
    stored = ended if stored is None else stored
    print(f"    {window.start.rfc3339()} +{window.stop.epoch_seconds - window.start.epoch_seconds} s: "
          f"stored {stored:.1f} s, ended {ended:.1f} s {killed}", flush=True)  # fmt: skip
    figures = sampler.cpu_seconds, sampler.peak_pss_mb, sampler.peak_process_rss_mb
    sha256 = "" if killed else _digest_sha256(job_id)
    return Timing(stored, ended, *figures, row, sha256, merging, killed, stored_rss_mb or figures[2])


def _hour_jobs() -> str:
    """What the hours' own jobs took (started to finished: connection table included), as their rows say."""
    from django.db.models import F

    from digests.models import Digest

    rows = Digest.objects.filter(
        stop=F("start") + timedelta(hours=1), status="done", finished_at__isnull=False
    )
    spans = [(row.started_at, row.finished_at) for row in rows]
    seconds = sorted((end - begin).total_seconds() for begin, end in spans if begin and end)
    if not seconds:
        return "    no hour job"
    failed = sum(1 for row in rows if "later step failed" in row.error)
    return (
        f"    {len(seconds)} hour jobs: {seconds[0]:.1f}-{seconds[-1]:.1f} s each, {sum(seconds):.0f} s in all "
        f"(started to finished, connection table included); the connection table failed in {failed}"
    )


def _digest_sha256(job_id: str) -> str:
    """sha256 of the stored digest's text (decompressed: the gzip bytes could differ for the same text)."""
    from isal import igzip

    from digests.services import digest_flow

    flow = digest_flow()
    text = hashlib.sha256()
    with flow.store().open(job_id, flow.suffix) as handle, igzip.GzipFile(fileobj=handle) as reader:
        while block := reader.read(8 << 20):
            text.update(block)
    return text.hexdigest()


def _clean(data_dir: Path) -> None:
    """Nothing left to reuse: digest rows, queued and finished tasks, stored artifacts and markers."""
    from django_q.models import OrmQ, Task

    from digests.models import Digest

    Digest.objects.all().delete()
    OrmQ.objects.all().delete()
    Task.objects.all().delete()
    for folder in data_dir.iterdir():
        if folder.is_dir() and folder.name != "tmp":
            shutil.rmtree(folder)


def _partials_supported() -> bool:
    from digests.models import Digest

    return any(model_field.name == "partials" for model_field in Digest._meta.get_fields())


def _report(results: dict[str, list[tuple[str, Timing]]], day: DayFlowLogs) -> None:
    days = {name: dict(timed)["day"] for name, timed in results.items() if "day" in dict(timed)}
    baseline = days.get("a")
    print(f"\n{'run':38} {'stored s':>8} {'vs (a)':>6} {'ended s':>7} {'vs (a)':>6} {'merge@ s':>8} {'M rec/s':>7} "
          f"{'CPU s':>6} {'PSS MB':>7} {'RSS MB':>7} {'RSS@st':>7} {'pieces':>6} {'reused':>6}  digest text")  # fmt: skip
    for name, timed in results.items():
        hours = [timing for label, timing in timed if label != "day"]
        if hours:
            summed = Timing(sum(t.stored for t in hours), sum(t.ended for t in hours), sum(t.cpu for t in hours),
                            max(t.peak_pss_mb for t in hours), max(t.peak_rss_mb for t in hours),
                            killed=next((t.killed for t in hours if t.killed), ""),
                            stored_rss_mb=max(t.stored_rss_mb for t in hours))  # fmt: skip
            print(_line(f"({name}) {len(hours)} hourly windows, one by one", summed, day, baseline))
        if name in days:
            print(_line(f"({name}) day, {RUNS[name][0]}", days[name], day, baseline))
    for name, timing in days.items():
        if timing.killed:
            continue
        row = timing.row
        print(f"({name}) the day's row: {row.get('files', 0):,} files, {row.get('records', 0):,} records read, "
              f"{row.get('in_window', 0):,} in the window, {row.get('groups', 0):,} digest lines, "
              f"{row.get('connections', 0):,} connections{'; ' + row['error'] if row.get('error') else ''}")  # fmt: skip
    compared = [name for name, timing in days.items() if timing.sha256]
    if baseline is not None and baseline.sha256:
        same = all(days[name].sha256 == baseline.sha256 for name in compared)
        verdict = "identical" if same else "NOT identical (see the last column)"
        print(f"digest text of the day in runs {', '.join(compared)}: {verdict}; sha256 {baseline.sha256}")
    print("stored: from the request until the digest's row is done (what graphs wait for); ended: until the")
    print(
        "job is over, its connection table stored too; merge@: when the merge of the pieces began; M rec/s:"
    )
    print(
        "the day's records over the stored time; vs (a): (a)'s time over the run's; CPU s, PSS (summed) and"
    )
    print("the largest process's RSS: the worker cluster's processes, sampled every 0.25 s while timed;")
    print("RSS@st: that RSS until the digest was stored (before the connection fold)")


def _line(label: str, timing: Timing, day: DayFlowLogs, baseline: Timing | None) -> str:
    def versus(seconds: float, base: float | None) -> str:
        return f"{'-':>6}" if base is None or timing.killed else f"{base / seconds:5.2f}x"

    check = timing.killed or ("reference" if timing is baseline else "")
    if baseline is not None and timing.sha256 and timing is not baseline:
        check = "same as (a)" if timing.sha256 == baseline.sha256 else "DIFFERS from (a)"
    merging = f"{timing.merging:8.1f}" if timing.merging is not None else f"{'-':>8}"
    return (
        f"{label:38} {timing.stored:8.1f} {versus(timing.stored, baseline.stored if baseline else None)} "
        f"{timing.ended:7.1f} {versus(timing.ended, baseline.ended if baseline else None)} {merging} "
        f"{day.records / timing.stored / 1e6:7.2f} {timing.cpu:6.0f} {timing.peak_pss_mb:7.0f} "
        f"{timing.peak_rss_mb:7.0f} {timing.stored_rss_mb:7.0f} {timing.row.get('partials', '-')!s:>6} "
        f"{timing.row.get('partials_reused', '-')!s:>6}  {check}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000_000, help="records in the day (about)")
    parser.add_argument("--runs", default="a,b,c,d", help="which runs, of a,b,c,d")
    parser.add_argument("--processes", type=int, default=0, help="generating processes (0: one per CPU)")
    parser.add_argument(
        "--memory-cap-gb",
        type=float,
        default=12.0,
        help="kill the cluster when its processes' PSS is above this (the machine is shared)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
