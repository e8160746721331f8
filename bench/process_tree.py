"""Memory and CPU of a process group (a worker cluster and every process it starts), sampled from /proc.

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
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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
