"""A real worker cluster (tests/faults.py's WorkerCluster) under measurement, for the benchmarks.

- `database_ensure(url)`: creates the PostgreSQL database the cluster and the benchmark share;
- `clusters_running()`: the django-q2 clusters alive on the database (another benchmark's, say);
- `wait_idle(cluster)`: until django-q2 reports the cluster idle (its workers up, the engine prepared);
- `GroupSampler(pgid)`: memory and CPU of the cluster's process group, sampled from /proc.

`GroupSampler(pgid)` samples on a thread while it is open (`with GroupSampler(pgid) as sampler:`):
- peak PSS of the group: the sum of its processes' proportional set sizes, so the pages that forked
  workers share with their parent count once, not once per process (summed RSS would);
- peak RSS of any one process of the group;
- CPU seconds the group spent while sampled: per process, its last sample less its first (a process that
  started while sampled counts from zero). A process that ends loses what it spent after its last sample,
  at most one period.
With `limit_mb`, the first sample whose PSS is above it calls `on_limit` (say, to kill the group before
the kernel's OOM killer picks a process of the whole machine) and sets `over_limit`.
Linux only: the figures stay 0 elsewhere.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from tests.faults import WorkerCluster

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def database_ensure(url: str) -> None:
    """Creates the database DATABASE_URL names when the server does not have it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def clusters_running() -> int:
    """Clusters that reported to this database in the last seconds (django-q2's status expires in 3 s)."""
    from django_q.status import Stat

    return len(Stat.get_all())


def wait_idle(cluster: WorkerCluster, timeout: float = 180) -> None:
    """Until django-q2 reports this cluster idle: started, its workers up, the engine prepared."""
    from django_q.conf import Conf
    from django_q.status import Stat

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(stat.pid == cluster_pid(cluster) and stat.status == Conf.IDLE for stat in Stat.get_all()):
            return
        cluster_check(cluster)
        time.sleep(0.2)
    raise RuntimeError(f"the worker cluster was not idle after {timeout:.0f} s:\n{cluster.log()[-3000:]}")


def cluster_pid(cluster: WorkerCluster) -> int:
    """The cluster's first process, the leader of its process group."""
    assert cluster.process is not None, "the cluster was not started"
    return cluster.process.pid


def cluster_check(cluster: WorkerCluster) -> None:
    if cluster.process is None or cluster.process.poll() is not None:
        raise RuntimeError(f"the worker cluster exited:\n{cluster.log()[-3000:]}")


class GroupSampler:
    def __init__(
        self,
        pgid: int,
        period: float = 0.25,
        limit_mb: float | None = None,
        on_limit: Callable[[], object] = lambda: None,
    ) -> None:
        self.pgid = pgid
        self.period = period
        self.limit_mb = limit_mb
        self.on_limit = on_limit
        self.over_limit = False
        self.peak_pss_mb = 0.0
        self.peak_process_rss_mb = 0.0
        self._first_ticks: dict[int, int] = {}
        self._last_ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="group-sampler", daemon=True)

    def __enter__(self) -> GroupSampler:
        if PROC.is_dir():
            self._sample(first=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self._sample(first=False)

    @property
    def cpu_seconds(self) -> float:
        spent = sum(ticks - self._first_ticks.get(pid, 0) for pid, ticks in self._last_ticks.items())
        return spent / CLOCK_TICKS

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self._sample(first=False)

    def _sample(self, *, first: bool) -> None:
        pss_kb = 0
        for pid in _group_pids(self.pgid):
            ticks = _cpu_ticks(pid)
            if ticks is None:
                continue  # ended since the listing
            if first:
                self._first_ticks[pid] = ticks
            self._last_ticks[pid] = ticks
            pss_kb += _kilobytes(PROC / str(pid) / "smaps_rollup", "Pss:")
            rss_mb = _kilobytes(PROC / str(pid) / "status", "VmRSS:") / 1024
            self.peak_process_rss_mb = max(self.peak_process_rss_mb, rss_mb)
        self.peak_pss_mb = max(self.peak_pss_mb, pss_kb / 1024)
        if self.limit_mb is not None and pss_kb / 1024 > self.limit_mb and not self.over_limit:
            self.over_limit = True
            self.on_limit()


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[2]) == pgid:  # field 5 of /proc/<pid>/stat: the group
            pids.append(int(entry.name))
    return pids


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from its state on (the command name in parentheses may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _cpu_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[11]) + int(fields[12])  # utime + stime


def _kilobytes(path: Path, label: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(label):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
